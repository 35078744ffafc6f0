/**
 * App-level HTTP hooks (registered before the REST and JSON-RPC adapters, so they see every route:
 * REST, `/api/<token>` transfer URLs, the `/api/` WebSocket upgrade, unknown paths):
 * - `onRequest`: applies fault rules (delay, error, status, drop, hang; truncateAfter and WebSocket close
 *   are armed here and applied later);
 * - `onSend`: truncates the body of a request hit by `truncateAfter`, notes error messages;
 * - `onResponse`: writes the journal entry and tells scenario triggers.
 * `/_mock` requests are left alone.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import { Readable, Transform } from 'node:stream'
import type { WebSocket } from 'ws'
import type { MockContext } from '../context.js'
import { XoApiError } from '../domain/errors.js'
import { toErrorReply } from '../rest/errors.js'
import { jsonText } from '../rest/serialize.js'
import type { UserObject } from '../inventory/types.js'
import { lazy, type CallFeed } from './calls.js'
import { sleep } from './clock.js'
import type { FaultEffect, FaultRegistry } from './faults.js'
import type { Journal, Transport } from './journal.js'
import { pathOf } from './patterns.js'
import { targetsOfPath } from './targets.js'

export const CONTROL_PREFIX = '/_mock'

interface RequestState {
  readonly transport: Transport
  readonly path: string
  readonly query: string | undefined
  readonly start: number
  fault?: string
  delayMs?: number
  error?: string
  truncateAfter?: number
  close?: Extract<FaultEffect, { close: number }>
  /** Journaled already (dropped or hung requests). */
  journaled?: boolean
}

export interface HttpHookDeps {
  readonly ctx: MockContext
  readonly faults: FaultRegistry
  readonly journal: Journal
  readonly calls: CallFeed
  /** Sockets left open by `hang`, destroyed at close. */
  readonly hungSockets: Set<{ destroy(): void }>
}

export function isControlPath(path: string): boolean {
  return path.length >= CONTROL_PREFIX.length && path.slice(0, CONTROL_PREFIX.length).toLowerCase() === CONTROL_PREFIX && (path.length === CONTROL_PREFIX.length || path[CONTROL_PREFIX.length] === '/')
}

/** `/api/<token>[/…]`: a one-shot transfer URL (`/api/` itself is the WebSocket endpoint). */
function isTransferPath(path: string): boolean {
  return /^\/+api\/+[^/]/i.test(path)
}

function transportOf(request: FastifyRequest, path: string): Transport {
  const upgrade = request.headers.upgrade
  if (typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket') return 'ws'
  return isTransferPath(path) ? 'transfer' : 'rest'
}

function userEmail(request: FastifyRequest): string | undefined {
  const user = (request as FastifyRequest & { xoUser?: UserObject | null }).xoUser
  return user?.email
}

function paramsOf(request: FastifyRequest): unknown {
  const body = request.body
  return body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && !(body instanceof Readable) ? body : undefined
}

function errorOfPayload(payload: unknown): string | undefined {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined
  if (text === undefined || text.length > 65536) return undefined
  try {
    const parsed = JSON.parse(text) as { error?: unknown }
    if (typeof parsed.error === 'string') return parsed.error
    if (parsed.error !== undefined) return JSON.stringify(parsed.error)
  } catch {
    // not JSON
  }
  return text.length <= 200 ? text.trim() : undefined
}

/**
 * A stream of the first `limit` bytes of `payload` that then fails, so that the response is cut (Fastify
 * destroys a response whose stream errors). The error waits until the bytes sent so far have left the
 * socket's user-space buffers, so the client receives exactly `limit` bytes.
 */
function truncatedBody(payload: unknown, limit: number, response: ServerResponse, onCut: () => void): Readable {
  let sent = 0
  let cutting = false
  const source = typeof payload === 'string' || Buffer.isBuffer(payload) ? Readable.from([Buffer.from(payload)]) : (payload as Readable)
  const cut = (stream: Transform) => {
    if (cutting) return
    cutting = true
    let attempts = 0
    const check = () => {
      const socket = response.socket
      const pending = response.writableLength + (socket?.writableLength ?? 0)
      if (pending > 0 && attempts++ < 2000 && socket !== null && !socket.destroyed) {
        setTimeout(check, 1)
        return
      }
      onCut()
      stream.destroy(new Error(`xo-mock fault: response truncated after ${limit} bytes`))
      if (typeof source.destroy === 'function') source.destroy()
    }
    setImmediate(check)
  }
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (cutting) return // swallow the rest; never end
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array)
      const room = limit - sent
      if (buffer.length < room) {
        sent += buffer.length
        callback(null, buffer)
        return
      }
      if (room > 0) this.push(buffer.subarray(0, room))
      sent = limit
      // the callback is never called: the stream does not end, it fails once the bytes are out
      cut(this)
    },
    flush() {
      // the source ended below the limit: end normally (nothing to cut)
      this.push(null)
    },
  })
  source.on('error', (error) => stream.destroy(error))
  if (limit === 0) cut(stream)
  return source.pipe(stream)
}

function sendStatus(reply: FastifyReply, effect: Extract<FaultEffect, { status: number }>): FastifyReply {
  reply.code(effect.status)
  for (const [name, value] of Object.entries(effect.headers ?? {})) reply.header(name, value)
  const body = effect.body
  if (typeof body === 'string') return reply.header('content-type', reply.getHeader('content-type') ?? 'text/plain; charset=utf-8').send(body)
  const value = body === undefined ? { error: STATUS_CODES[effect.status] ?? `status ${effect.status}` } : body
  return reply.header('content-type', reply.getHeader('content-type') ?? 'application/json; charset=utf-8').send(jsonText(value))
}

function sendFaultError(reply: FastifyReply, spec: Extract<FaultEffect, { error: unknown }>['error']): FastifyReply {
  const { status, body } = toErrorReply(new XoApiError(spec.code, spec.message, spec.data))
  return reply
    .code(spec.status ?? status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(jsonText(body))
}

export function installHttpHooks(app: FastifyInstance, deps: HttpHookDeps): void {
  const { ctx, faults, journal, calls, hungSockets } = deps
  const { clock, store } = ctx
  const states = new WeakMap<IncomingMessage, RequestState>()

  const record = (request: FastifyRequest, state: RequestState, status: number | undefined) => {
    const ok = status !== undefined && status < 400
    journal.add({
      transport: state.transport,
      method: request.method,
      path: state.path,
      ...(state.query === undefined ? {} : { query: state.query }),
      ...(paramsOf(request) === undefined ? {} : { params: paramsOf(request) }),
      ...(status === undefined ? {} : { status }),
      ...(state.error === undefined ? {} : { error: state.error }),
      ...(userEmail(request) === undefined ? {} : { user: userEmail(request) }),
      ...(state.fault === undefined ? {} : { fault: state.fault }),
      ...(state.delayMs === undefined ? {} : { delayMs: state.delayMs }),
      at: state.start,
      durationMs: clock.now() - state.start,
    })
    if (calls.size > 0) calls.emit({ transport: state.transport, method: request.method, path: state.path, ok, targets: lazy(() => targetsOfPath(store, state.path)) })
  }

  app.addHook('onRequest', async (request, reply) => {
    const url = request.raw.url ?? '/'
    const path = pathOf(url)
    if (isControlPath(path)) return
    const query = url.length > path.length ? url.slice(path.length + 1) : undefined
    const transport = transportOf(request, path)
    const state: RequestState = { transport, path, query, start: clock.now() }
    states.set(request.raw, state)
    if (faults.size === 0) return
    const decision = faults.decide({ transport, method: request.method, path, targets: () => targetsOfPath(store, path) })
    if (decision.delays.length > 0) {
      // one wait for the total: successive waits would each need the clock to move again
      state.fault = decision.delays[decision.delays.length - 1]!.fault
      state.delayMs = decision.delays.reduce((total, delay) => total + delay.ms, 0)
      await sleep(clock, state.delayMs)
    }
    if (decision.effect === undefined) return
    const { effect, fault } = decision.effect
    state.fault = fault
    if ('error' in effect) return sendFaultError(reply, effect.error)
    if ('status' in effect) return sendStatus(reply, effect)
    if ('truncateAfter' in effect) {
      state.truncateAfter = effect.truncateAfter
      return
    }
    if ('close' in effect) {
      state.close = effect
      return
    }
    // drop / hang: no response at all
    reply.hijack()
    state.journaled = true
    const socket = request.raw.socket
    if ('drop' in effect) {
      state.error = 'dropped by a fault (connection reset)'
      record(request, state, undefined)
      socket.destroy()
    } else {
      state.error = 'hung by a fault (no response)'
      record(request, state, undefined)
      hungSockets.add(socket)
      socket.once('close', () => hungSockets.delete(socket))
    }
    return reply
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const state = states.get(request.raw)
    if (state === undefined) return payload
    if (reply.statusCode >= 400 && state.error === undefined) state.error = errorOfPayload(payload)
    if (state.truncateAfter === undefined || payload === null || payload === undefined) return payload
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      // announce the full length: the client sees a premature end, as with a real cut connection
      reply.header('content-length', Buffer.byteLength(payload))
    }
    state.error = `truncated by a fault after ${state.truncateAfter} bytes`
    const status = reply.statusCode
    return truncatedBody(payload, state.truncateAfter, reply.raw, () => {
      // journaled now: the response is destroyed, its onResponse may come late
      if (state.journaled === true) return
      state.journaled = true
      record(request, state, status)
    })
  })

  app.addHook('onResponse', async (request, reply) => {
    const state = states.get(request.raw)
    if (state === undefined || state.journaled === true) return
    record(request, state, reply.statusCode)
  })

  // accepted WebSocket connections: journal them, and apply `close` faults
  app.addHook('onReady', async () => {
    if (!app.hasDecorator('websocketServer')) return
    const server = (app as FastifyInstance & { websocketServer: { on(event: 'connection', listener: (socket: WebSocket, request: IncomingMessage) => void): void } }).websocketServer
    server.on('connection', (socket, raw) => {
      const state = states.get(raw)
      if (state === undefined) return
      state.journaled = true
      journal.add({
        transport: 'ws',
        method: raw.method ?? 'GET',
        path: state.path,
        status: 101,
        ...(state.fault === undefined ? {} : { fault: state.fault }),
        ...(state.delayMs === undefined ? {} : { delayMs: state.delayMs }),
        ...(state.close === undefined ? {} : { error: `closed by a fault with code ${state.close.close}` }),
        at: state.start,
        durationMs: clock.now() - state.start,
      })
      const close = state.close
      if (close === undefined) return
      const doClose = () => socket.close(close.close, close.reason ?? 'xo-mock fault')
      if (close.after === undefined || close.after <= 0) setImmediate(doClose)
      else clock.setTimeout(doClose, close.after)
    })
  })
}
