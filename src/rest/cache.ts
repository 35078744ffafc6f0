/**
 * Small bounded LRU maps for the hot path:
 * - `Lru`: compiled filters keyed by their text;
 * - `BodyCache`: finished response bodies keyed by (user id, URL), valid for one store version. The
 *   store version increases on every mutation, so a hit is exactly what recomputing would produce
 *   (routes whose output depends on the clock — ping, tasks — are never cached).
 */

export class Lru<K, V> {
  readonly #map = new Map<K, V>()

  constructor(readonly maxEntries: number) {}

  get(key: K): V | undefined {
    const value = this.#map.get(key)
    if (value !== undefined) {
      // most recently used last
      this.#map.delete(key)
      this.#map.set(key, value)
    }
    return value
  }

  set(key: K, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    if (this.#map.size > this.maxEntries) this.#map.delete(this.#map.keys().next().value as K)
  }

  delete(key: K): void {
    this.#map.delete(key)
  }

  clear(): void {
    this.#map.clear()
  }

  get size(): number {
    return this.#map.size
  }
}

export interface CachedBody {
  readonly version: number
  readonly contentType: string
  /** Encoded once: a hit writes the bytes as they are. */
  readonly body: Buffer
}

export interface BodyCacheOptions {
  readonly maxEntries?: number
  /** Total size (bytes) kept; the least recently used bodies go first. */
  readonly maxTotalLength?: number
  /** Bodies longer than this are never kept. */
  readonly maxBodyLength?: number
}

export class BodyCache {
  readonly #map = new Map<string, CachedBody>()
  readonly #maxEntries: number
  readonly #maxTotalLength: number
  readonly #maxBodyLength: number
  #totalLength = 0

  constructor(options: BodyCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 256
    this.#maxTotalLength = options.maxTotalLength ?? 64 * 1024 * 1024
    this.#maxBodyLength = options.maxBodyLength ?? 16 * 1024 * 1024
  }

  static key(userId: string, url: string): string {
    return userId + '\n' + url
  }

  /** The body cached for this key at this store version (stale entries are dropped). */
  get(key: string, version: number): CachedBody | undefined {
    const entry = this.#map.get(key)
    if (entry === undefined) return undefined
    this.#map.delete(key)
    if (entry.version !== version) {
      this.#totalLength -= entry.body.length
      return undefined
    }
    this.#map.set(key, entry)
    return entry
  }

  set(key: string, entry: CachedBody): void {
    const previous = this.#map.get(key)
    if (previous !== undefined) {
      this.#map.delete(key)
      this.#totalLength -= previous.body.length
    }
    if (entry.body.length > this.#maxBodyLength) return
    this.#map.set(key, entry)
    this.#totalLength += entry.body.length
    while (this.#map.size > this.#maxEntries || this.#totalLength > this.#maxTotalLength) {
      const [oldestKey, oldest] = this.#map.entries().next().value as [string, CachedBody]
      this.#map.delete(oldestKey)
      this.#totalLength -= oldest.body.length
    }
  }

  clear(): void {
    this.#map.clear()
    this.#totalLength = 0
  }

  get size(): number {
    return this.#map.size
  }
}
