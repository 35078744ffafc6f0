/**
 * WebSocket sessions of one JSON-RPC server: their sign-in state, token expiry (checked on a context-clock
 * timer and before each message) and a send path that protects the server from slow readers.
 */
import type { WebSocket } from 'ws'
import type { Clock, TimerHandle } from '../inventory/clock.js'
import type { RpcConnection } from './types.js'

/** Above this many bytes waiting in a socket's send buffer, the socket is closed (1013) instead of growing memory. */
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024

/** Longest single timer: real `setTimeout` delays must stay below 2^31 ms, so long expiries are chained. */
const MAX_TIMER_DELAY = 24 * 3600 * 1000

const OPEN = 1

export interface SessionOptions {
  readonly id: string
  readonly remoteAddress: string
  readonly clock: Clock
  readonly maxBufferedBytes: number
  readonly onClose: (session: Session) => void
}

/** One API connection: the `RpcConnection` handlers see, bound to its WebSocket. */
export class Session implements RpcConnection {
  readonly id: string
  readonly remoteAddress: string
  readonly ws: WebSocket
  readonly #clock: Clock
  readonly #maxBufferedBytes: number
  #userId: string | undefined
  #tokenExpiration: number | undefined
  #timer: TimerHandle | undefined
  #closed = false

  constructor(ws: WebSocket, options: SessionOptions) {
    this.ws = ws
    this.id = options.id
    this.remoteAddress = options.remoteAddress
    this.#clock = options.clock
    this.#maxBufferedBytes = options.maxBufferedBytes
    ws.once('close', () => {
      this.#closed = true
      this.#clearTimer()
      options.onClose(this)
    })
  }

  get userId(): string | undefined {
    return this.#userId
  }

  set userId(value: string | undefined) {
    this.#userId = value
  }

  get tokenExpiration(): number | undefined {
    return this.#tokenExpiration
  }

  /** Setting an expiration (sign-in with a token) arms the timer that closes the socket when it passes. */
  set tokenExpiration(value: number | undefined) {
    this.#tokenExpiration = value
    this.#schedule()
  }

  get isOpen(): boolean {
    return !this.#closed && this.ws.readyState === OPEN
  }

  /** Whether the token this connection signed in with has expired (XO checks it before each message). */
  isExpired(): boolean {
    return this.#tokenExpiration !== undefined && this.#tokenExpiration <= this.#clock.now()
  }

  /** Closes when the token has expired; returns whether it did. */
  closeIfExpired(): boolean {
    if (!this.isExpired()) return false
    this.close()
    return true
  }

  /** Sends a message, or closes the socket with 1013 when the client does not read fast enough. */
  send(data: string): void {
    if (!this.isOpen) return
    if (this.ws.bufferedAmount > this.#maxBufferedBytes) {
      this.close(1013, 'send buffer limit exceeded: the client does not read fast enough')
      return
    }
    this.ws.send(data)
  }

  /** Closes the socket; without a code, like xo-server (the peer sees 1005). */
  close(code?: number, reason?: string): void {
    this.#clearTimer()
    if (this.#closed) return
    this.#closed = true
    if (code === undefined) this.ws.close()
    else this.ws.close(code, reason)
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer)
      this.#timer = undefined
    }
  }

  #schedule(): void {
    this.#clearTimer()
    const expiration = this.#tokenExpiration
    if (expiration === undefined || this.#closed) return
    const delay = Math.min(Math.max(0, expiration - this.#clock.now()), MAX_TIMER_DELAY)
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      if (!this.closeIfExpired()) this.#schedule()
    }, delay)
  }
}

/** The live sessions of one server. */
export class SessionRegistry {
  readonly #sessions = new Map<string, Session>()
  #next = 0

  nextId(): string {
    return String(++this.#next)
  }

  add(session: Session): void {
    this.#sessions.set(session.id, session)
  }

  delete(session: Session): void {
    this.#sessions.delete(session.id)
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id)
  }

  all(): Session[] {
    return [...this.#sessions.values()]
  }

  get size(): number {
    return this.#sessions.size
  }

  /** Sessions that receive `all` notifications: open and signed in. */
  *signedIn(): IterableIterator<Session> {
    for (const session of this.#sessions.values()) if (session.userId !== undefined && session.isOpen) yield session
  }

  closeAll(): void {
    for (const session of this.#sessions.values()) session.close()
  }
}
