/**
 * JSON-RPC message parsing and formatting with xo-server's exact rules and key orders
 * (`json-rpc-protocol` 0.13 `parse.ts` / `format.ts`, `json-rpc-peer`).
 *
 * Parsing (one WebSocket message):
 * - `jsonrpc` absent means JSON-RPC 1.0 (params must be an array; `id: null` is a notification), `"2.0"`
 *   means 2.0 (params an object, an array or absent), anything else is invalid;
 * - ids must be numbers or strings (negative numbers, 0 and strings are echoed as they came);
 * - a message without id (2.0) is a notification: xo-server ignores it;
 * - responses and errors sent by the client are ignored too (the server never sends requests).
 *
 * Where xo-server stays silent (malformed JSON, invalid requests, batches), the mock answers the standard
 * JSON-RPC error instead (`-32700` / `-32600`, id null unless a valid id could be read) and keeps the
 * socket open.
 */
import { invalidJson, invalidRequest, type JsonRpcError, type WireError } from './errors.js'

export type JsonRpcId = number | string

export type ParsedMessage =
  | { readonly kind: 'request'; readonly id: JsonRpcId; readonly method: string; readonly params: Record<string, unknown> }
  | { readonly kind: 'ignored'; readonly reason: 'notification' | 'response' }
  | { readonly kind: 'invalid'; readonly id: JsonRpcId | null; readonly error: JsonRpcError }

const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value)

const isId = (value: unknown): value is JsonRpcId => typeof value === 'number' || typeof value === 'string'

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** XO's `callApiMethod` params: absent → `{}`, an array → an object keyed "0", "1", …. */
function normalizeParams(params: unknown): Record<string, unknown> {
  if (params === undefined) return {}
  if (Array.isArray(params)) return { ...params }
  return { ...(params as Record<string, unknown>) }
}

/** Parses one incoming message (text, or a binary frame converted with `String(buffer)` like XO). */
export function parseMessage(text: string): ParsedMessage {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return { kind: 'invalid', id: null, error: invalidJson() }
  }
  if (Array.isArray(message)) {
    return { kind: 'invalid', id: null, error: invalidRequest('invalid JSON-RPC request: batches are not supported') }
  }
  if (!isPlainObject(message)) {
    return { kind: 'invalid', id: null, error: invalidJson() }
  }
  const { jsonrpc, method, id, params } = message
  const validId = isId(id) ? id : null
  let version: '1.0' | '2.0'
  if (jsonrpc === undefined) version = '1.0'
  else if (jsonrpc === '2.0') version = '2.0'
  else return { kind: 'invalid', id: validId, error: invalidRequest(`invalid version: ${typeOf(jsonrpc)} instead of undefined or '2.0'`) }

  if (typeof method === 'string') {
    const isNotification = version === '2.0' ? id === undefined : id === null
    const paramsError =
      version === '2.0'
        ? params !== undefined && !Array.isArray(params) && !isPlainObject(params)
          ? `invalid params: ${typeOf(params)} instead of undefined, array or object`
          : undefined
        : !Array.isArray(params)
          ? `invalid params: ${typeOf(params)} instead of array`
          : undefined
    if (isNotification) {
      // xo-server only handles requests: notifications (valid or not) get nothing
      return { kind: 'ignored', reason: 'notification' }
    }
    if (!isId(id)) {
      return { kind: 'invalid', id: null, error: invalidRequest(`invalid identifier: ${typeOf(id)} instead of number or string`) }
    }
    if (paramsError !== undefined) return { kind: 'invalid', id, error: invalidRequest(paramsError) }
    return { kind: 'request', id, method, params: normalizeParams(params) }
  }

  // not a request: a response or an error from the peer, which xo-server never asked for
  if ('result' in message || 'error' in message) return { kind: 'ignored', reason: 'response' }
  return { kind: 'invalid', id: validId, error: invalidRequest() }
}

/** `{"id":…,"jsonrpc":"2.0","result":…}`; an undefined result is sent as `true` (XO's api.mjs). */
export function formatResponse(id: JsonRpcId | null, result: unknown): string {
  return JSON.stringify({ id, jsonrpc: '2.0', result: result === undefined ? true : result })
}

/** `{"error":{…},"id":…,"jsonrpc":"2.0"}`; the error keys are already in wire order. */
export function formatError(id: JsonRpcId | null, error: WireError): string {
  return JSON.stringify({ error, id, jsonrpc: '2.0' })
}

/** `{"jsonrpc":"2.0","method":…,"params":…}`. */
export function formatNotification(method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', method, params })
}
