/**
 * The JSON-RPC-over-WebSocket endpoint of one server instance: sessions, message handling and the
 * wiring of the call pipeline, the `all` notifications and the transfer registry.
 *
 * Wire behaviour (xo-server 5.207.2, json-rpc-peer 0.17):
 * - one JSON-RPC message per WebSocket message; binary frames are read as text;
 * - ids are echoed exactly as sent; `result` is always present (`true` for a handler returning nothing);
 * - requests are handled concurrently and each is answered as soon as it completes (out of order);
 * - messages without id are ignored; malformed JSON and invalid requests get the standard -32700 / -32600
 *   error (xo-server says nothing) and the socket stays open;
 * - a connection signed in with a token is closed (close frame without code) once the token expires:
 *   checked before each message and on a context-clock timer;
 * - deleting a user closes that user's connections.
 *
 * Dispatch goes through a `json-rpc-2.0` `JSONRPCServer` (one per instance, one method per catalogue
 * entry); parsing and serialization are done here to keep xo-server's exact key orders and quirks.
 */
import { JSONRPCServer, type JSONRPCResponse } from 'json-rpc-2.0'
import type { RawData, WebSocket } from 'ws'
import type { MockContext } from '../context.js'
import type { Change } from '../inventory/store.js'
import { METHOD_NAMES } from './catalogue/index.js'
import { ValidatorCache } from './catalogue/schema.js'
import { DEFAULT_MAX_BUFFERED_BYTES, Session, SessionRegistry } from './connections.js'
import { methodNotFound, toWireError, WireRpcError, type WireError } from './errors.js'
import { Notifier } from './notifications.js'
import { runPipeline, type PipelineDeps } from './pipeline.js'
import { TransferRegistry } from './transfers.js'
import { DROP_REPLY, type MethodTable, type RpcInterceptor, type RpcOutcome, type RpcServerServices } from './types.js'
import { formatError, formatResponse, parseMessage, type JsonRpcId } from './wire.js'

export interface RpcServerOptions {
  /** Method handlers (default: every handler of the mock). */
  readonly handlers?: MethodTable
  /** Send-buffer bound per socket before it is closed with 1013 (default 16 MiB). */
  readonly maxBufferedBytes?: number
  /** Lifetime of `$getFrom` / `$sendTo` URLs in ms (default one hour). */
  readonly transferTtl?: number
  /** Wraps every call (control plane: journal, faults, scenario triggers). */
  readonly interceptor?: RpcInterceptor
}

const UNKNOWN_ERROR: WireError = { code: -32000, message: 'unknown error from the peer' }

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString()
  if (Array.isArray(data)) return Buffer.concat(data).toString()
  return Buffer.from(data).toString()
}

export class RpcServer {
  readonly ctx: MockContext
  readonly sessions = new SessionRegistry()
  readonly transfers: TransferRegistry
  readonly notifier: Notifier
  readonly services: RpcServerServices
  readonly #jsonRpc: JSONRPCServer<Session>
  readonly #unsubscribe: () => void
  readonly #maxBufferedBytes: number
  readonly #interceptor: RpcInterceptor | undefined
  #closed = false

  constructor(ctx: MockContext, handlers: MethodTable, options: RpcServerOptions = {}) {
    this.ctx = ctx
    this.transfers = new TransferRegistry(ctx.clock, { ttl: options.transferTtl })
    this.notifier = new Notifier(this.sessions)
    this.#maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
    this.#interceptor = options.interceptor
    const sessions = this.sessions
    this.services = {
      connections: () => sessions.all(),
      closeConnection: (id) => sessions.get(id)?.close(),
      authFailures: new Map(),
    }
    const deps: PipelineDeps = { ctx, handlers, validators: new ValidatorCache(), transfers: this.transfers, server: this.services }
    this.#jsonRpc = createDispatcher(deps)
    // one subscription per server: `all` notifications, and the connections of deleted users
    this.#unsubscribe = ctx.store.subscribe((change) => this.#onChange(change))
  }

  /** Takes a freshly upgraded WebSocket in charge. */
  attach(ws: WebSocket, remoteAddress: string): Session {
    const session = new Session(ws, {
      id: this.sessions.nextId(),
      remoteAddress,
      clock: this.ctx.clock,
      maxBufferedBytes: this.#maxBufferedBytes,
      onClose: (closed) => this.sessions.delete(closed),
    })
    if (this.#closed) {
      session.close()
      return session
    }
    this.sessions.add(session)
    ws.on('message', (data) => {
      this.handleMessage(session, rawToString(data)).catch(() => {
        // never reached: handleMessage answers every failure itself
      })
    })
    return session
  }

  /** Handles one incoming message of a session. */
  async handleMessage(session: Session, text: string): Promise<void> {
    if (session.closeIfExpired()) return
    const message = parseMessage(text)
    if (message.kind === 'ignored') return
    if (message.kind === 'invalid') {
      session.send(formatError(message.id, message.error.toJsonRpcError()))
      return
    }
    let response: JSONRPCResponse | null
    try {
      const dispatch = () => this.#jsonRpc.receive({ jsonrpc: '2.0', id: message.id, method: message.method, params: message.params }, session)
      if (this.#interceptor === undefined) response = await dispatch()
      else {
        // control-plane hook: the interceptor may delay, answer, drop the reply or close the socket
        const call = {
          method: message.method,
          params: message.params,
          connection: session,
          closeConnection: (code?: number, reason?: string) => session.close(code, reason),
        }
        const outcome = await this.#interceptor(call, async () => outcomeOf(await dispatch()))
        if (outcome === DROP_REPLY) {
          this.notifier.flush()
          return
        }
        response = 'error' in outcome ? { jsonrpc: '2.0', id: message.id, error: outcome.error } : { jsonrpc: '2.0', id: message.id, result: outcome.result }
      }
    } catch (error) {
      response = { jsonrpc: '2.0', id: message.id, error: toWireError(error, false) }
    }
    // effects of the call reach the clients before its result
    this.notifier.flush()
    session.send(serializeResponse(message.id, response))
  }

  /** Closes every connection, forgets transfers and leaves the store (server close). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#unsubscribe()
    this.notifier.stop()
    this.sessions.closeAll()
    this.transfers.clear()
  }

  #onChange(change: Change): void {
    this.notifier.onChange(change)
    if (change.kind === 'remove' && change.type === 'user') {
      for (const session of this.sessions.all()) if (session.userId === change.id) session.close()
    }
  }
}

/** The outcome of a dispatched call, for the interceptor (a null response is the unknown error). */
function outcomeOf(response: JSONRPCResponse | null): RpcOutcome {
  if (response === null) return { error: UNKNOWN_ERROR }
  if (response.error !== undefined) return { error: response.error as WireError }
  return { result: response.result }
}

function serializeResponse(id: JsonRpcId, response: JSONRPCResponse | null): string {
  try {
    if (response === null) return formatError(id, UNKNOWN_ERROR)
    if (response.error !== undefined) return formatError(id, response.error as WireError)
    return formatResponse(id, response.result)
  } catch {
    // a result that cannot be serialized (cycle, BigInt, …)
    return formatError(id, UNKNOWN_ERROR)
  }
}

function createDispatcher(deps: PipelineDeps): JSONRPCServer<Session> {
  const server = new JSONRPCServer<Session>({ errorListener: () => {} })
  for (const name of METHOD_NAMES) {
    server.addMethodAdvanced(name, async (request, session) => ({
      jsonrpc: '2.0',
      id: request.id ?? null,
      result: await runPipeline(deps, session, name, (request.params ?? {}) as Record<string, unknown>),
    }))
  }
  server.handleMethodNotFound = async (request) => ({
    jsonrpc: '2.0',
    id: request.id ?? null,
    error: toWireError(methodNotFound(request.method), false),
  })
  server.mapErrorToJSONRPCErrorResponse = (id, error) => ({
    jsonrpc: '2.0',
    id,
    error: error instanceof WireRpcError ? error.wire : toWireError(error, false),
  })
  return server
}
