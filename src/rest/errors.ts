/**
 * XO-shaped error replies of the REST API (reference §9, `generic-error-handler.middleware.mts`):
 * every error is a pretty-printed JSON `{"error": <message>, "data"?: <object>, "info"?: <string>}`
 * (keys whose value is undefined omitted) with the status XO uses for it.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { MockContext } from '../context.js'
import { XoApiError, PlainError, XapiError } from '../domain/errors.js'
import { FilterParseError } from '../filter/index.js'
import { NoSuchObjectError } from '../inventory/store.js'
import { sendJson } from './serialize.js'

/** XO's `ApiError(message, status, {data})`: an error carrying its own HTTP status. */
export class RestApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly data?: unknown,
  ) {
    super(message)
    this.name = 'RestApiError'
  }
}

/** One entry of a tsoa validation failure: `{"<field>": {"message", "value"}}`. */
export interface FieldError {
  readonly message: string
  readonly value?: unknown
}

/**
 * tsoa `ValidateError` turned into xo-common `invalidParameters(fields)`: the field map is passed as
 * the message, so the reply is the odd `{"error": {<field>: {message, value}}, "data": {}}` (422).
 */
export class ValidationError extends Error {
  constructor(readonly fields: Readonly<Record<string, FieldError>>) {
    super('validation error')
    this.name = 'ValidationError'
  }
}

export const INVALID_CREDENTIALS = 'invalid credentials'

/** 401, as xo-common `invalidCredentials()`; the reply adds `WWW-Authenticate: Basic realm="xo"`. */
export const invalidCredentials = () => new RestApiError(INVALID_CREDENTIALS, 401)

/** 404 `no such <type> <id>` with `{id, type}` (xo-common `noSuchObject`). */
export const noSuchObject = (id: string, type: string) => new RestApiError(`no such ${type} ${id}`, 404, { id, type })

/** 403 of admin-only routes (xo-common `unauthorized()`). */
export const notEnoughPermissions = () => new RestApiError('not enough permissions', 403, { object: {} })

/** 403 of routes guarded by an ACL middleware. */
export const notEnoughPrivileges = (objectId: string, resource: string, action = 'read') =>
  new RestApiError('not enough privileges', 403, { missingPrivileges: [{ objectId, action, resource }] })

/** An explicit 422 with a string message (xo-common `invalidParameters('…')`). */
export const invalidParameters = (message: string) => new RestApiError(message, 422, {})

/** HTTP status of an xo-common error code (`packages/xo-common/api-errors.js`) as the REST API maps it. */
function statusOfXoCode(code: number): number {
  switch (code) {
    case 0: // notImplemented
      return 501
    case 1: // noSuchObject
      return 404
    case 2: // unauthorized
    case 5: // forbiddenOperation
    case 26: // featureUnauthorized
      return 403
    case 3: // invalidCredentials
      return 401
    case 10: // invalidParameters
      return 422
    case 16: // objectAlreadyExists
    case 25: // incorrectState
      return 409
    default:
      return 500
  }
}

export interface ErrorReply {
  readonly status: number
  readonly body: { error: unknown; data?: unknown; info?: string }
}

/** Maps anything thrown by a REST route to XO's status and body. */
export function toErrorReply(error: unknown): ErrorReply {
  if (error instanceof RestApiError) return { status: error.status, body: withDefined(error.message, error.data) }
  if (error instanceof ValidationError) return { status: 422, body: { error: error.fields, data: {} } }
  if (error instanceof FilterParseError) {
    return { status: 400, body: { error: error.message, data: { stringToParse: error.stringToParse } } }
  }
  if (error instanceof XoApiError) return { status: statusOfXoCode(error.code), body: withDefined(error.message, error.data) }
  if (error instanceof NoSuchObjectError) {
    const type = error.expectedType
    return { status: 404, body: withDefined(error.message, type === undefined ? { id: error.id } : { id: error.id, type }) }
  }
  if (error instanceof XapiError) return { status: 500, body: { error: error.message, info: XAPI_ERROR_INFO } }
  if (error instanceof PlainError) return { status: 500, body: { error: error.message } }
  if (error instanceof Error) {
    // XAPI errors (and any error carrying an `info` string) keep it, e.g. "This is a XenServer/XCP-ng
    // error, not an XO error"; Fastify's own errors (body parsing, …) are plain 500s like Express'.
    const info = (error as { info?: unknown }).info
    return { status: 500, body: typeof info === 'string' ? { error: error.message, info } : { error: error.message } }
  }
  return { status: 500, body: { error: String(error) } }
}

/** The `info` XO adds to XAPI errors (`generic-error-handler.middleware.mts`). */
export const XAPI_ERROR_INFO = 'This is a XenServer/XCP-ng error, not an XO error'

/**
 * The REST API calls XAPI directly: XAPI failures reach the client (or the task) as raw XAPI errors,
 * not as the XO errors the JSON-RPC API maps them to. Domain operations throw the JSON-RPC flavour
 * for these codes, so the REST adapter turns them back into the XAPI error (refs from the store).
 */
export function asXapiError(ctx: MockContext, error: unknown): unknown {
  if (!(error instanceof XoApiError)) return error
  const data = (error.data ?? {}) as Record<string, unknown>
  const ref = (id: unknown): string => {
    if (typeof id !== 'string') return 'OpaqueRef:NULL'
    const object = ctx.store.get(id)
    return typeof object?._xapiRef === 'string' ? object._xapiRef : id
  }
  const text = (value: unknown): string => (Array.isArray(value) ? String(value[0] ?? '') : String(value ?? ''))
  switch (error.code) {
    case 7:
      return new XapiError('NO_HOSTS_AVAILABLE')
    case 12:
      return new XapiError('VM_IS_TEMPLATE', [ref(data.objectId)])
    case 13:
      return new XapiError('VM_BAD_POWER_STATE', [ref(data.objectId), text(data.expected), text(data.actual)])
    case 14: {
      const feature = typeof data.feature === 'string' && data.feature !== '' ? `_${data.feature.toUpperCase()}` : ''
      return new XapiError(`VM_LACKS_FEATURE${feature}`, [ref(data.objectId)])
    }
    case 17:
      return new XapiError('VDI_IN_USE', [ref(data.objectId), text(data.operation)])
    case 18:
      return new XapiError('HOST_OFFLINE', [ref(data.objectId)])
    case 19:
      return new XapiError('OPERATION_BLOCKED', [ref(data.objectId), text(data.code)])
    default:
      return error
  }
}

function withDefined(error: unknown, data: unknown): ErrorReply['body'] {
  return data === undefined ? { error } : { error, data }
}

/** Writes the XO-shaped error reply. */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const { status, body } = toErrorReply(error)
  if (status === 401) reply.header('www-authenticate', 'Basic realm="xo"')
  return sendJson(reply.code(status), body)
}

/** Error handler of the `/rest/v0` scope. */
export function restErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (reply.sent || reply.raw.headersSent) {
    // like XO: once a stream has started, an error simply cuts it
    reply.raw.destroy()
    return
  }
  // legacy profile: the hand-written router's error replies (flag set by the auth hook)
  if (request.xoLegacy === true) {
    sendLegacyError(request, reply, error)
    return
  }
  sendError(reply, error)
}

/** Express' default 404 page (`finalhandler`): `Cannot <METHOD> <path>`. */
export function sendExpressNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const url = request.url
  const query = url.indexOf('?')
  const path = query === -1 ? url : url.slice(0, query)
  const body =
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n' +
    `<pre>Cannot ${escapeHtml(request.method)} ${escapeHtml(encodeUrl(path))}</pre>\n</body>\n</html>\n`
  return reply
    .code(404)
    .header('content-security-policy', "default-src 'none'")
    .header('x-content-type-options', 'nosniff')
    .header('content-type', 'text/html; charset=utf-8')
    .send(body)
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'))
}

/** `encodeurl`: percent-encodes what is not allowed in a URL, keeping existing escapes. */
function encodeUrl(url: string): string {
  return url.replace(/(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]|%(?![0-9A-Fa-f]{2}))+/g, (chunk) => {
    try {
      return encodeURI(chunk)
    } catch {
      return chunk
    }
  })
}

// --- legacy profile (`--api-profile legacy`, reference §9 "Legacy errors") -----------------------

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' }

/**
 * A reply of the legacy hand-written router: Express `res.sendStatus(status)` (text body = the status
 * message) or, with `json`, `res.status(status).json(<string>)` (e.g. `"missing credentials"`).
 */
export class LegacyReply extends Error {
  constructor(
    readonly status: number,
    readonly json?: string,
  ) {
    super(json ?? STATUS_TEXT[status] ?? String(status))
    this.name = 'LegacyReply'
  }
}

/** Express `res.sendStatus(status)`. */
export function sendStatusText(reply: FastifyReply, status: number): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/plain; charset=utf-8')
    .send(STATUS_TEXT[status] ?? String(status))
}

/**
 * Legacy errors: 401 text `Unauthorized` (no `WWW-Authenticate`), unknown objects end as Express'
 * HTML 404 (the object lookup called `next('route')`), `featureUnauthorized` → bare 403 `Forbidden`,
 * filter syntax errors were not 400s (generic 500); anything else keeps the current JSON shape.
 */
function sendLegacyError(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
  if (error instanceof LegacyReply) {
    if (error.json !== undefined) sendJson(reply.code(error.status), error.json)
    else sendStatusText(reply, error.status)
    return
  }
  if (error instanceof XoApiError && error.code === 26) {
    sendStatusText(reply, 403)
    return
  }
  if (error instanceof FilterParseError) {
    sendJson(reply.code(500), { error: error.message })
    return
  }
  const { status, body } = toErrorReply(error)
  if (status === 404) sendExpressNotFound(request, reply)
  else if (status === 401) sendStatusText(reply, 401)
  else sendJson(reply.code(status), body)
}
