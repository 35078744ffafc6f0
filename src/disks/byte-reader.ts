import { Readable } from 'node:stream'

import { DiskFormatError } from './errors.js'

/**
 * Anything an import reads from: a Node Readable (e.g. an HTTP request), an (async) iterable of byte
 * chunks, or one buffer.
 */
export type ByteSource = Readable | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> | Uint8Array

const EMPTY = Buffer.alloc(0)

/** Pieces smaller than this are copied by readParts (many tiny parts would cost more than the copy). */
const MIN_VIEW = 16 * 1024
/** Size of the buffers readParts copies small or wasteful pieces into. */
const STAGE_SIZE = 256 * 1024

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'latin1')
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
}

/**
 * Iterates a source without destroying it when iteration stops early: after a validation error the
 * caller decides what to do with the rest of an HTTP request (answer first, then drop it).
 */
export function iterateSource(source: ByteSource): AsyncIterator<Uint8Array | string> {
  if (source instanceof Readable) return source.iterator({ destroyOnReturn: false })
  if (source instanceof Uint8Array) return fromSync([source])
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]()
  return fromSync(source)
}

async function* fromSync(source: Iterable<Uint8Array | string>): AsyncGenerator<Uint8Array | string, void, undefined> {
  yield* source
}

function isIterator(source: object): source is AsyncIterator<Uint8Array | string> {
  return !(source instanceof Uint8Array) && !(source instanceof Readable) && typeof (source as { next?: unknown }).next === 'function'
}

/**
 * Sequential reader over a byte stream: exact-length reads into caller buffers, skips, end detection.
 * Running out of input is a DiskFormatError('TRUNCATED') naming what was being read.
 *
 * readParts hands out views of the source's chunks (zero-copy), so a Readable or iterable source
 * hands its chunks over: it must not modify a chunk once yielded (Node streams, sockets, fs streams
 * all behave so). A Uint8Array source is the caller's buffer: readParts copies out of it.
 */
export class ByteReader {
  readonly #iterator: AsyncIterator<Uint8Array | string>
  readonly #signal: AbortSignal | undefined
  #chunk: Buffer = EMPTY
  #offset = 0
  #position = 0
  #done = false
  /** Whether readParts may keep views of the source's chunks. */
  readonly #owned: boolean

  constructor(source: ByteSource | AsyncIterator<Uint8Array | string>, options: { signal?: AbortSignal } = {}) {
    this.#iterator = isIterator(source) ? source : iterateSource(source)
    this.#signal = options.signal
    this.#owned = !(source instanceof Uint8Array)
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.#position
  }

  async #pull(): Promise<boolean> {
    if (this.#done) return false
    for (;;) {
      this.#signal?.throwIfAborted()
      const result = await this.#iterator.next()
      this.#signal?.throwIfAborted()
      if (result.done === true) {
        this.#done = true
        this.#chunk = EMPTY
        this.#offset = 0
        return false
      }
      const chunk = toBuffer(result.value)
      if (chunk.length === 0) continue
      this.#chunk = chunk
      this.#offset = 0
      return true
    }
  }

  #truncated(missing: number, what: string): DiskFormatError {
    return new DiskFormatError(
      'TRUNCATED',
      `unexpected end of input at byte ${this.#position} while reading ${what} (${missing} more bytes expected)`,
    )
  }

  /** Fills target[start, end) from the input. */
  async readInto(target: Buffer, start: number, end: number, what: string): Promise<void> {
    let at = start
    while (at < end) {
      if (this.#offset >= this.#chunk.length && !(await this.#pull())) throw this.#truncated(end - at, what)
      const n = Math.min(end - at, this.#chunk.length - this.#offset)
      this.#chunk.copy(target, at, this.#offset, this.#offset + n)
      this.#offset += n
      this.#position += n
      at += n
    }
  }

  /**
   * Reads exactly `length` bytes as a list of buffers nobody modifies afterwards: zero-copy views of
   * the source's chunks where worthwhile, else copies. A view must be at least 16 KiB and a quarter of
   * the memory it keeps alive (its chunk's ArrayBuffer); smaller pieces are copied together into
   * staging buffers of up to 256 KiB.
   */
  async readParts(length: number, what: string): Promise<Buffer[]> {
    const parts: Buffer[] = []
    let stage: Buffer | undefined
    let stageStart = 0
    let stageEnd = 0
    let left = length
    while (left > 0) {
      if (this.#offset >= this.#chunk.length && !(await this.#pull())) throw this.#truncated(left, what)
      const chunk = this.#chunk
      const n = Math.min(left, chunk.length - this.#offset)
      const piece = chunk.subarray(this.#offset, this.#offset + n)
      this.#offset += n
      this.#position += n
      left -= n
      if (this.#owned && n >= MIN_VIEW && n * 4 >= piece.buffer.byteLength) {
        if (stageEnd > stageStart) parts.push((stage as Buffer).subarray(stageStart, stageEnd))
        stageStart = stageEnd
        parts.push(piece)
        continue
      }
      let at = 0
      while (at < n) {
        if (stage === undefined || stageEnd === stage.length) {
          if (stage !== undefined && stageEnd > stageStart) parts.push(stage.subarray(stageStart, stageEnd))
          stage = Buffer.allocUnsafeSlow(Math.min(STAGE_SIZE, n - at + left))
          stageStart = stageEnd = 0
        }
        const m = Math.min(n - at, stage.length - stageEnd)
        piece.copy(stage, stageEnd, at, at + m)
        stageEnd += m
        at += m
      }
    }
    if (stage !== undefined && stageEnd > stageStart) parts.push(stage.subarray(stageStart, stageEnd))
    return parts
  }

  /** Reads exactly `length` bytes into a new buffer. */
  async read(length: number, what: string): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length)
    await this.readInto(buf, 0, length, what)
    return buf
  }

  /** Discards exactly `length` bytes. */
  async skip(length: number, what: string): Promise<void> {
    let left = length
    while (left > 0) {
      if (this.#offset >= this.#chunk.length && !(await this.#pull())) throw this.#truncated(left, what)
      const n = Math.min(left, this.#chunk.length - this.#offset)
      this.#offset += n
      this.#position += n
      left -= n
    }
  }

  /** True when the input has no more bytes. */
  async atEnd(): Promise<boolean> {
    if (this.#offset < this.#chunk.length) return false
    return !(await this.#pull())
  }

  /** Reads everything left; returns how many bytes that was and the last `keep` of them. */
  async drain(keep: number): Promise<{ length: number; tail: Buffer }> {
    const tail = Buffer.alloc(keep)
    let tailLength = 0
    let length = 0
    for (;;) {
      if (this.#offset >= this.#chunk.length && !(await this.#pull())) break
      const piece = this.#chunk.subarray(this.#offset)
      length += piece.length
      this.#position += piece.length
      this.#offset = this.#chunk.length
      if (piece.length >= keep) {
        piece.copy(tail, 0, piece.length - keep)
        tailLength = keep
      } else {
        const kept = Math.min(tailLength, keep - piece.length)
        tail.copy(tail, 0, tailLength - kept, tailLength)
        piece.copy(tail, kept)
        tailLength = kept + piece.length
      }
    }
    return { length, tail: tail.subarray(0, tailLength) }
  }

  /** Stops reading (the source itself is not destroyed). */
  async close(): Promise<void> {
    this.#done = true
    this.#chunk = EMPTY
    await this.#iterator.return?.()
  }
}

/**
 * Reads the first `length` bytes of a source (fewer if it is shorter) and returns them with an
 * iterable that yields the whole source again, from its first byte.
 */
export async function peekSource(
  source: ByteSource,
  length: number,
): Promise<{ head: Buffer; source: AsyncGenerator<Buffer, void, undefined> }> {
  const iterator = iterateSource(source)
  const seen: Buffer[] = []
  let total = 0
  let ended = false
  try {
    while (total < length) {
      const result = await iterator.next()
      if (result.done === true) {
        ended = true
        break
      }
      const chunk = toBuffer(result.value)
      seen.push(chunk)
      total += chunk.length
    }
  } catch (error) {
    await iterator.return?.()
    throw error
  }
  const head = Buffer.concat(seen).subarray(0, length)
  async function* replay(): AsyncGenerator<Buffer, void, undefined> {
    try {
      for (const chunk of seen) yield chunk
      seen.length = 0
      if (ended) return
      for (;;) {
        const result = await iterator.next()
        if (result.done === true) return
        yield toBuffer(result.value)
      }
    } finally {
      await iterator.return?.()
    }
  }
  return { head, source: replay() }
}
