import type { MockContext } from '../context.js'
import type { UserObject, XoObject } from '../inventory/types.js'
import type { TransferRegistry } from './transfers.js'

/** What a JSON-RPC method handler receives. */
export interface RpcCall {
  readonly ctx: MockContext
  /** The method name, e.g. `vm.start`. */
  readonly method: string
  /** Params after XO's pipeline: `vm=` → `id` aliasing, `foo?` keys, defaults, validation. */
  readonly params: Record<string, unknown>
  /**
   * Objects resolved from the method's `resolve` declaration (methods.json), keyed by the resolve
   * name, e.g. `{ vm: <VM object> }` for `vm.start`.
   */
  readonly objects: Record<string, XoObject>
  /** The signed-in user (undefined only for the public methods). */
  readonly user: UserObject | undefined
  /** The connection the call came on (session state: sign-in, sign-out). */
  readonly connection: RpcConnection
  /**
   * One-shot HTTP transfer URLs of this server: `registerDownload(call.transfers, …)` /
   * `registerUpload(call.transfers, …)` (see `transfers.ts`) for `$getFrom` / `$sendTo` results.
   */
  readonly transfers: TransferRegistry
  /** Transport-level services of this server (connections, sign-in throttling). */
  readonly server: RpcServerServices
}

/** Per-WebSocket session state. */
export interface RpcConnection {
  readonly id: string
  readonly remoteAddress: string
  userId: string | undefined
  /** Expiration (ms) of the token used to sign in, if any: the socket is closed when it passes. */
  tokenExpiration: number | undefined
}

/** Services of the JSON-RPC adapter of one server instance. */
export interface RpcServerServices {
  /** The live connections (`api.getConnections`). */
  connections(): readonly RpcConnection[]
  /** Closes a connection the way xo-server does (close frame without status code). */
  closeConnection(id: string): void
  /** Time (ms, context clock) of the last failed sign-in per username (`session.signIn` throttling). */
  readonly authFailures: Map<string, number>
}

/** A handler's return value becomes the JSON-RPC `result` (`undefined` → `true`, as XO). */
export type RpcHandler = (call: RpcCall) => unknown

export type MethodTable = Readonly<Record<string, RpcHandler>>

// --- interceptor hook (control plane: journal, faults, scenario triggers) ---

/** A call as an interceptor sees it: the raw method and params, before XO's pipeline. */
export interface InterceptedRpcCall {
  readonly method: string
  readonly params: unknown
  readonly connection: RpcConnection
  /** Closes the call's WebSocket (with this close code and reason, or none like xo-server). */
  closeConnection(code?: number, reason?: string): void
}

/** The outcome of a call: its result, or its wire error (`{message, code, data}` / `{code, data, message}`). */
export type RpcOutcome = { readonly result: unknown } | { readonly error: { readonly code: number; readonly message: string; readonly data?: unknown } }

/** Returned by an interceptor: no response is sent for this call. */
export const DROP_REPLY: unique symbol = Symbol('xo-mock: drop the reply')

/**
 * Wraps every incoming call (with an id): may delay it, answer in its place, drop the reply, never
 * answer, or close the socket. `next()` runs the call through the pipeline and resolves with its outcome.
 */
export type RpcInterceptor = (call: InterceptedRpcCall, next: () => Promise<RpcOutcome>) => Promise<RpcOutcome | typeof DROP_REPLY>
