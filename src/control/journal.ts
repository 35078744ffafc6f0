/**
 * The request journal: a bounded ring of the calls the mock served (REST requests, JSON-RPC calls,
 * transfer URLs, WebSocket connections), oldest dropped first, so that a long test run never grows memory
 * (WireMock's unbounded journal is a known OOM). `/_mock` requests are never journaled.
 */
import { badRequest } from './errors.js'
import { compileGlob, compileHttpPattern, matchHttp } from './patterns.js'

export type Transport = 'rest' | 'rpc' | 'transfer' | 'ws'
export const TRANSPORTS: readonly Transport[] = ['rest', 'rpc', 'transfer', 'ws']

export interface JournalEntry {
  /** Increasing number of the entry (never reused, even after a clear). */
  readonly seq: number
  readonly transport: Transport
  /** HTTP method (rest, transfer, ws) or JSON-RPC method name (rpc). */
  readonly method: string
  /** HTTP path without the query string. */
  readonly path?: string
  readonly query?: string
  /** JSON-RPC params as sent, or the parsed JSON body of a REST request. */
  readonly params?: unknown
  /** HTTP status (101 for an accepted WebSocket). */
  readonly status?: number
  /** Error message: the JSON-RPC error's, the REST error body's `error`, or what a fault did (`dropped`, `hung`). */
  readonly error?: string
  /** JSON-RPC error code. */
  readonly code?: number
  /** Email of the signed-in user. */
  readonly user?: string
  /** Id of the fault rule that acted on the call (the last one when several did). */
  readonly fault?: string
  /** Delay injected by fault rules, in ms. */
  readonly delayMs?: number
  /** Start time, on the mock's clock (ms since the epoch). */
  readonly at: number
  /** Duration on the mock's clock (0 on a manual clock that did not move). */
  readonly durationMs: number
}

export type NewJournalEntry = Omit<JournalEntry, 'seq'>

export interface JournalQuery {
  readonly transport?: string
  /** HTTP method or JSON-RPC method glob (`vm.*`). */
  readonly method?: string
  /** Path pattern (see patterns.ts): `/rest/v0/vms/*`. */
  readonly path?: string
  /** Only the last `limit` matching entries. */
  readonly limit?: number
  /** Only entries whose seq is greater. */
  readonly since?: number
}

export const DEFAULT_JOURNAL_SIZE = 1000

export class Journal {
  #entries: (JournalEntry | undefined)[]
  #capacity: number
  #start = 0
  #length = 0
  #seq = 0
  #dropped = 0

  constructor(capacity = DEFAULT_JOURNAL_SIZE) {
    this.#capacity = Journal.#checkCapacity(capacity)
    this.#entries = new Array<JournalEntry | undefined>(this.#capacity)
  }

  static #checkCapacity(capacity: number): number {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`journal size must be a non-negative integer, got ${capacity}`)
    return capacity
  }

  get capacity(): number {
    return this.#capacity
  }

  get length(): number {
    return this.#length
  }

  /** Entries dropped because the ring was full (since the last clear). */
  get dropped(): number {
    return this.#dropped
  }

  add(entry: NewJournalEntry): JournalEntry | undefined {
    if (this.#capacity === 0) return undefined
    const full: JournalEntry = { seq: ++this.#seq, ...entry }
    if (this.#length < this.#capacity) {
      this.#entries[(this.#start + this.#length) % this.#capacity] = full
      this.#length++
    } else {
      this.#entries[this.#start] = full
      this.#start = (this.#start + 1) % this.#capacity
      this.#dropped++
    }
    return full
  }

  /** Every entry, oldest first. */
  all(): JournalEntry[] {
    const out: JournalEntry[] = []
    for (let i = 0; i < this.#length; i++) out.push(this.#entries[(this.#start + i) % this.#capacity]!)
    return out
  }

  query(query: JournalQuery = {}): JournalEntry[] {
    const { transport, method, path, limit, since } = query
    if (transport !== undefined && !TRANSPORTS.includes(transport as Transport)) {
      throw badRequest(`transport: expected one of ${TRANSPORTS.join(', ')}, got ${JSON.stringify(transport)}`)
    }
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw badRequest(`limit: expected a non-negative integer, got ${JSON.stringify(limit)}`)
    const methodMatch = method === undefined || method === '' ? undefined : compileGlob(method)
    const pathPattern = path === undefined || path === '' ? undefined : compileHttpPattern(path, 'path')
    let entries = this.all().filter(
      (entry) =>
        (transport === undefined || entry.transport === transport) &&
        (since === undefined || entry.seq > since) &&
        (methodMatch === undefined || methodMatch(entry.method)) &&
        (pathPattern === undefined || (entry.path !== undefined && matchHttp(pathPattern, entry.method, entry.path))),
    )
    if (limit !== undefined) entries = limit === 0 ? [] : entries.slice(-limit)
    return entries
  }

  clear(): void {
    this.#entries = new Array<JournalEntry | undefined>(this.#capacity)
    this.#start = 0
    this.#length = 0
    this.#dropped = 0
  }

  /** Changes the capacity, keeping the most recent entries. */
  resize(capacity: number): void {
    Journal.#checkCapacity(capacity)
    const entries = capacity === 0 ? [] : this.all().slice(-capacity)
    this.#capacity = capacity
    this.#entries = new Array<JournalEntry | undefined>(capacity)
    entries.forEach((entry, index) => (this.#entries[index] = entry))
    this.#start = 0
    this.#length = entries.length
  }
}
