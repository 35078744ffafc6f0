/**
 * Authentication of `/rest/v0` (reference §1, `authentication.middleware.mts`).
 *
 * Exactly one credential per request:
 * - cookie `authenticationToken=<token>` or `token=<token>` (the web UI's); `authenticationToken`
 *   wins, an empty value counts as absent;
 * - `Authorization: <anything> base64(email:password)`: the value is split on the first space and the
 *   decoded text on `:` (a password containing `:` is truncated, like XO). There is no Bearer support:
 *   `Bearer <token>` decodes to garbage → 401.
 * Both → 400 `Having multiple authentication methods is not supported, please choose one`; an
 * Authorization value without a space → 400 `Malformed Authorization header`; a wrong credential →
 * 401 `invalid credentials` (+ `WWW-Authenticate: Basic realm="xo"`) on every path, public or unknown
 * ones included; no credential → 401 on protected routes only; an empty Basic password → 500
 * `empty password` (xo-server's plain Error).
 *
 * The check runs as an `onRequest` hook of the `/rest/v0` scope — before body parsing and schema
 * validation, like XO's middleware which precedes tsoa's validation — and decorates the request with
 * `xoUser`. Routes open to anonymous users set `config: { xoPublic: true }`.
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { MockContext } from '../context.js'
import { authenticatePassword, userOfToken } from '../domain/auth.js'
import type { UserObject } from '../inventory/types.js'
import { XoApiError } from '../domain/errors.js'
import { LegacyReply, RestApiError, invalidCredentials } from './errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated XO user (`null` on anonymous requests to public routes or unknown paths). */
    xoUser: UserObject | null
    /** Set by the legacy profile's hook: errors then take the legacy shapes (errors.ts). */
    xoLegacy?: boolean
  }
  interface FastifyContextConfig {
    /** The route answers without credentials (a bad credential is still refused). */
    xoPublic?: boolean
  }
}

export type Credentials =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'basic'; readonly email: string | undefined; readonly password: string | undefined }

/**
 * Value of the first cookie named `name` (the `cookie` package's parsing: first occurrence wins,
 * surrounding quotes removed, percent-decoded when possible).
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header === '') return undefined
  let index = 0
  const length = header.length
  while (index < length) {
    let end = header.indexOf(';', index)
    if (end === -1) end = length
    const eq = header.indexOf('=', index)
    if (eq !== -1 && eq < end && header.slice(index, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim()
      if (value.length > 1 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) value = value.slice(1, -1)
      if (value.includes('%')) {
        try {
          value = decodeURIComponent(value)
        } catch {
          // kept as is, like `cookie`
        }
      }
      return value
    }
    index = end + 1
  }
  return undefined
}

/** The request's credential, `undefined` when there is none; throws XO's 400s. */
export function extractCredentials(request: FastifyRequest): Credentials | undefined {
  const headers = request.headers
  const cookie = headers.cookie
  let token: string | undefined
  if (cookie !== undefined) {
    token = cookieValue(cookie, 'authenticationToken')
    if (token === undefined || token === '') token = cookieValue(cookie, 'token')
    if (token === '') token = undefined
  }
  const authorization = headers.authorization
  if (authorization === undefined || authorization === '') return token === undefined ? undefined : { kind: 'token', token }
  if (token !== undefined) throw new RestApiError('Having multiple authentication methods is not supported, please choose one', 400)
  const space = authorization.indexOf(' ')
  if (space === -1) throw new RestApiError('Malformed Authorization header', 400)
  const decoded = Buffer.from(authorization.slice(space + 1), 'base64').toString('utf8')
  const [email, password] = decoded.split(':')
  return { kind: 'basic', email, password }
}

/** The user of a credential; throws 401 `invalid credentials` (or 500 `empty password`). */
export function userOfCredentials(ctx: MockContext, credentials: Credentials): UserObject {
  if (credentials.kind === 'token') {
    const found = userOfToken(ctx, credentials.token)
    if (found === undefined) throw invalidCredentials()
    return found.user
  }
  // `?otp=` is only needed by users with 2FA, which the mock does not model: it is ignored
  return authenticatePassword(ctx, credentials.email, credentials.password)
}

/** The `onRequest` hook authenticating every request of the `/rest/v0` scope. */
export function createAuthHook(ctx: MockContext): onRequestHookHandler {
  if (ctx.config.apiProfile === 'legacy') return createLegacyAuthHook(ctx)
  return function authenticate(request, _reply, done) {
    let user: UserObject | undefined
    try {
      const credentials = extractCredentials(request)
      if (credentials !== undefined) user = userOfCredentials(ctx, credentials)
      else if (!request.is404 && request.routeOptions.config.xoPublic !== true) throw invalidCredentials()
    } catch (error) {
      done(error as Error)
      return
    }
    request.xoUser = user ?? null
    done()
  }
}

/** The authenticated user of a protected route (the hook guarantees there is one). */
export function requestUser(request: FastifyRequest): UserObject {
  const user = request.xoUser
  if (user === null) throw invalidCredentials()
  return user
}

/**
 * The same check as a `preHandler`, for routes registered outside the `/rest/v0` scope that want
 * XO's authentication.
 */
export function createAuthPreHandler(ctx: MockContext): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const hook = createAuthHook(ctx)
  return (request, reply) =>
    new Promise((resolve, reject) => {
      hook.call(request.server, request, reply, (error?: Error) => (error === undefined ? resolve() : reject(error)))
    })
}

// --- legacy profile (`--api-profile legacy`, reference §1 "Legacy") -----------------------------

/**
 * The hand-written router's authentication (≤ 2025-10): only the cookie (`authenticationToken`, else
 * `token`); an `Authorization` header is ignored (so Basic alone → 401); a missing or invalid token
 * and **non-admin users** → 401 with the text body `Unauthorized` (`res.sendStatus(401)`), on every
 * path, unknown ones included. The one route without cookie was `POST /users/authentication_tokens`,
 * authenticated by Basic itself: no credentials → 401 JSON `"missing credentials"`, bad ones → 401
 * JSON `"invalid credentials"`, other failures → 400 JSON `"<message>"`.
 *
 * Choice: the public routes of the current API (`/ping`, `/gui-routes`, `/mcp/status`, docs) did not
 * exist then; they stay reachable without credentials (a bad cookie is still refused).
 */
function createLegacyAuthHook(ctx: MockContext): onRequestHookHandler {
  const tokenRoute = `${ctx.restBase}/users/authentication_tokens`
  return function authenticateLegacy(request, _reply, done) {
    request.xoLegacy = true
    let user: UserObject | undefined
    try {
      if (request.method === 'POST' && request.routeOptions.url?.toLowerCase() === tokenRoute) {
        user = legacyBasicUser(ctx, request)
      } else {
        const cookie = request.headers.cookie
        const token = cookieValue(cookie, 'authenticationToken') ?? cookieValue(cookie, 'token')
        if (token !== undefined) {
          user = userOfToken(ctx, token)?.user
          if (user === undefined || user.permission !== 'admin') throw new LegacyReply(401)
        } else if (request.is404 || request.routeOptions.config.xoPublic !== true) {
          throw new LegacyReply(401)
        }
      }
    } catch (error) {
      done(error as Error)
      return
    }
    request.xoUser = user ?? null
    done()
  }
}

function legacyBasicUser(ctx: MockContext, request: FastifyRequest): UserObject {
  const encoded = (request.headers.authorization ?? '').split(' ')[1]
  if (encoded === undefined) throw new LegacyReply(401, 'missing credentials')
  const [email, password] = Buffer.from(encoded, 'base64').toString('utf8').split(':')
  try {
    return authenticatePassword(ctx, email, password)
  } catch (error) {
    if (error instanceof XoApiError && error.code === 3) throw new LegacyReply(401, 'invalid credentials')
    throw new LegacyReply(400, (error as Error).message)
  }
}
