/**
 * How errors travel on the JSON-RPC wire (`json-rpc-protocol` 0.13 `format.ts` / `errors.ts`,
 * `xo-common/api-errors.js`, `xo-mixins/api.mjs`):
 *
 * - XO API errors serialize as `{message, code, data}` (in that key order, `data` dropped when undefined);
 * - plain JSON-RPC errors (`JsonRpcError`, `MethodNotFound`, …) as `{code, data, message}`;
 * - anything else becomes `{code: -32000, message: 'unknown error from the peer'}`, except for admin
 *   callers, who get the original message with the serialized error as `data`.
 */
import { XoApiError } from '../domain/errors.js'

/** The `error` member of a JSON-RPC error response, with its keys already in wire order. */
export type WireError = { readonly code: number; readonly message: string; readonly data?: unknown }

/** A plain JSON-RPC error (json-rpc-protocol `JsonRpcError`): serialized as `{code, data, message}`. */
export class JsonRpcError extends Error {
  constructor(
    message = 'unknown error from the peer',
    readonly code = -32000,
    readonly data?: unknown,
  ) {
    super(message)
    this.name = 'JsonRpcError'
  }

  toJsonRpcError(): WireError {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, data: this.data, message: this.message }
  }
}

export const methodNotFound = (method: string) => new JsonRpcError(`method not found: ${method}`, -32601, method)
export const invalidJson = () => new JsonRpcError('invalid JSON', -32700)
export const invalidRequest = (message = 'invalid JSON-RPC request') => new JsonRpcError(message, -32600)

/** `{message, code, data}` of an XO API error. */
export function xoWireError(error: XoApiError): WireError {
  return error.data === undefined ? { message: error.message, code: error.code } : { message: error.message, code: error.code, data: error.data }
}

/** XO's `serializeError` (`utils.mjs`): own enumerable properties, then message, name and stack. */
export function serializeError(error: unknown): unknown {
  if (error === null || typeof error !== 'object') return error
  const e = error as Error & { xoErrorName?: unknown }
  // errors that mimic another XO error class (filter parse errors, …) keep XO's class name
  const name = typeof e.xoErrorName === 'string' ? e.xoErrorName : e.name
  return { ...(e as object), message: e.message, name, stack: e.stack }
}

const hasToJsonRpcError = (error: unknown): error is { toJsonRpcError(): WireError } =>
  typeof error === 'object' && error !== null && typeof (error as { toJsonRpcError?: unknown }).toJsonRpcError === 'function'

/**
 * The `error` member for a thrown value, as seen by a caller who is (or is not) an admin: XO errors and
 * JSON-RPC errors unchanged, anything else hidden unless the caller is an admin.
 */
export function toWireError(error: unknown, callerIsAdmin: boolean): WireError {
  if (error instanceof XoApiError) return xoWireError(error)
  if (hasToJsonRpcError(error)) return error.toJsonRpcError()
  if (callerIsAdmin && error !== null && typeof error === 'object') {
    const message = String((error as { message?: unknown }).message ?? '')
    return { code: -32000, data: serializeError(error), message }
  }
  return { code: -32000, message: 'unknown error from the peer' }
}

/**
 * An error whose wire form was already decided (the pipeline converts every failure once, with the
 * caller's permission at call time, like XO's api.mjs catch block).
 */
export class WireRpcError extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message)
    this.name = 'WireRpcError'
  }

  toJsonRpcError(): WireError {
    return this.wire
  }
}
