/**
 * Sign-in and connection management (`api/session.mjs`, `api/api.mjs`, `xo-mixins/authentication.mjs`).
 *
 * `session.signIn` accepts `{email|username, password[, otp]}` or `{token}` (any object: no params
 * schema). Like xo-server:
 * - `email` and `username` are interchangeable; the user is found case-insensitively;
 * - `password: ""` is a plain `empty password` error (-32000 for anonymous callers);
 * - after a failure for a username, any attempt for it within 2 s fails with the plain error
 *   `too fast authentication tries`, even with the right password;
 * - bad credentials give code 3 `invalid credentials`;
 * - a token sign-in stores the token's expiration on the connection: the socket is closed once it passes;
 * - a user with `preferences.otp` needs a valid TOTP code, except when signing in with a token.
 */
import { createHmac } from 'node:crypto'
import type { MockContext } from '../../context.js'
import { authenticatePassword, publicUser, userOfToken } from '../../domain/auth.js'
import { invalidCredentials, PlainError } from '../../domain/errors.js'
import type { TokenObject, UserObject } from '../../inventory/types.js'
import type { MethodTable, RpcCall } from '../types.js'

/** `authentication.throttlingDelay` default. */
export const SIGN_IN_THROTTLING_DELAY = 2000

const MAX_LAST_USE_ENTRIES = 10

interface Authenticated {
  readonly user: UserObject
  readonly expiration?: number
  readonly bypassOtp?: boolean
}

function passwordProvider(ctx: MockContext, credentials: Record<string, unknown>): Authenticated | undefined {
  const { username, password } = credentials
  if (username === undefined || password === undefined) return undefined
  try {
    return { user: authenticatePassword(ctx, username, password) }
  } catch {
    return undefined
  }
}

function tokenProvider(ctx: MockContext, credentials: Record<string, unknown>, ip: string): Authenticated | undefined {
  const { token: tokenId } = credentials
  if (typeof tokenId !== 'string' || tokenId === '') return undefined
  const found = userOfToken(ctx, tokenId)
  if (found === undefined) return undefined
  recordTokenUse(ctx, found.token, ip)
  return { user: found.user, expiration: found.token.expiration, bypassOtp: true }
}

/** `last_uses[ip] = {timestamp}` (refreshed at most once a minute, at most 10 entries). */
function recordTokenUse(ctx: MockContext, token: TokenObject, ip: string): void {
  const now = ctx.clock.now()
  const previous = (token.last_uses ?? {}) as Record<string, { timestamp: number }>
  const last = previous[ip]
  if (last !== undefined && now - last.timestamp <= 60e3) return
  let entries = Object.entries({ ...previous, [ip]: { timestamp: now } })
  if (entries.length > MAX_LAST_USE_ENTRIES) {
    entries = entries.sort((a, b) => b[1].timestamp - a[1].timestamp).slice(0, MAX_LAST_USE_ENTRIES)
  }
  ctx.store.update(token.id, { last_uses: Object.fromEntries(entries) })
}

function decodeBase32(input: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = 0
  let value = 0
  const out: number[] = []
  for (const char of input.toUpperCase().replace(/[=\s]/g, '')) {
    const index = alphabet.indexOf(char)
    if (index === -1) continue
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits), accepting the previous and next steps. */
export function verifyTotp(otp: unknown, secret: string, now: number): boolean {
  if (typeof otp !== 'string' && typeof otp !== 'number') return false
  const code = String(otp).padStart(6, '0')
  const key = decodeBase32(secret)
  const step = Math.floor(now / 30000)
  for (let delta = -1; delta <= 1; delta++) {
    const counter = Buffer.alloc(8)
    counter.writeBigUInt64BE(BigInt(step + delta))
    const hmac = createHmac('sha1', key).update(counter).digest()
    const offset = hmac[hmac.length - 1]! & 0xf
    const binary = (hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000
    if (String(binary).padStart(6, '0') === code) return true
  }
  return false
}

function signIn(call: RpcCall): Record<string, unknown> {
  const { ctx, connection, server } = call
  const credentials: Record<string, unknown> = { ...call.params }
  // don't even attempt to authenticate with an empty password
  if (credentials.password === '') throw new PlainError('empty password')
  if (credentials.email) credentials.username = credentials.email
  else if (credentials.username) credentials.email = credentials.username

  const { username } = credentials
  const failureKey = String(username)
  const now = ctx.clock.now()
  if (username) {
    const lastFailure = server.authFailures.get(failureKey)
    if (lastFailure !== undefined && lastFailure + SIGN_IN_THROTTLING_DELAY > now) throw new PlainError('too fast authentication tries')
  }

  const { otp, ...rest } = credentials
  const result = passwordProvider(ctx, rest) ?? tokenProvider(ctx, rest, connection.remoteAddress)
  if (result !== undefined) {
    const preferences = result.user.preferences as { otp?: unknown } | undefined
    const secret = typeof preferences?.otp === 'string' ? preferences.otp : undefined
    if (secret === undefined || result.bypassOtp === true || verifyTotp(otp, secret, now)) {
      server.authFailures.delete(failureKey)
      connection.userId = result.user.id
      connection.tokenExpiration = result.expiration
      return publicUser(result.user)
    }
  }
  server.authFailures.set(failureKey, now)
  throw invalidCredentials()
}

export const sessionMethods: MethodTable = {
  'session.signIn': signIn,
  'session.signInWithPassword': signIn,
  'session.signInWithToken': signIn,

  'session.getUser': ({ user }) => {
    // xo-server reads `apiContext.user.id` on an undefined user: a TypeError, hence -32000
    if (user === undefined) throw new TypeError("Cannot read properties of undefined (reading 'id')")
    return publicUser(user)
  },

  'session.signOut': ({ connection }) => {
    connection.userId = undefined
  },
}

/** `api.*`: the API connections themselves (admin). */
export const apiMethods: MethodTable = {
  'api.getConnections': ({ server }) =>
    server.connections().map((connection) => {
      const data: Record<string, unknown> = { user_ip: connection.remoteAddress }
      if (connection.userId !== undefined) data.user_id = connection.userId
      if (connection.tokenExpiration !== undefined) data.expiration = connection.tokenExpiration
      return data
    }),

  'api.closeAllConnections': ({ server, connection: current }) => {
    for (const connection of server.connections()) if (connection.id !== current.id) server.closeConnection(connection.id)
  },
}
