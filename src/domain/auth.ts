import ms from 'ms'
import type { MockContext } from '../context.js'
import type { TokenObject, UserObject, XoObject } from '../inventory/types.js'
import { invalidCredentials, PlainError } from './errors.js'

/** The account xo-server creates when its user database is empty. */
export const DEFAULT_EMAIL = 'admin@admin.net'
export const DEFAULT_PASSWORD = 'admin'

/** XO's default admin user, for an inventory that declares no user. */
export function defaultAdminUser(ids: { uuid(): string }): UserObject {
  return {
    id: ids.uuid(),
    type: 'user',
    email: DEFAULT_EMAIL,
    name: DEFAULT_EMAIL,
    permission: 'admin',
    groups: [],
    preferences: {},
    password: DEFAULT_PASSWORD,
  }
}

/** XO's defaults (`authentication.defaultTokenValidity`, `maxTokenValidity`). */
export const DEFAULT_TOKEN_VALIDITY = 30 * 24 * 3600 * 1000
export const MAX_TOKEN_VALIDITY = ms('0.5 year')
const MIN_TOKEN_VALIDITY = 60 * 1000

export function findUserByEmail(ctx: MockContext, email: string): UserObject | undefined {
  const wanted = email.toLowerCase()
  for (const user of ctx.store.ofType<UserObject>('user')) {
    if (user.email.toLowerCase() === wanted) return user
  }
  return undefined
}

/** The user owning a valid, unexpired token, else undefined. */
export function userOfToken(ctx: MockContext, tokenId: string): { user: UserObject; token: TokenObject } | undefined {
  if (tokenId === '') return undefined
  const token = ctx.store.get(tokenId)
  if (token === undefined || token.type !== 'token') return undefined
  const t = token as TokenObject
  if (t.expiration <= ctx.clock.now()) return undefined
  const user = ctx.store.get(t.user_id)
  if (user === undefined || user.type !== 'user') return undefined
  return { user: user as UserObject, token: t }
}

/** Checks an email/password pair; throws XO's errors (`invalid credentials`, `empty password`). */
export function authenticatePassword(ctx: MockContext, email: unknown, password: unknown): UserObject {
  if (typeof email !== 'string' || typeof password !== 'string') throw invalidCredentials()
  if (password === '') throw new PlainError('empty password')
  const user = findUserByEmail(ctx, email)
  if (user === undefined || user.password !== password) throw invalidCredentials()
  return user
}

export interface CreateTokenOptions {
  readonly description?: string
  readonly clientId?: string
  /** ms, or a duration string such as `"30 days"`. */
  readonly expiresIn?: number | string
}

export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value
  const parsed = ms(value as ms.StringValue)
  if (typeof parsed !== 'number' || Number.isNaN(parsed)) throw new PlainError(`invalid duration: ${value}`)
  return parsed
}

/**
 * Creates (or, for a known `client.id`, refreshes) an authentication token, as xo-server's
 * `createAuthenticationToken` does. Returns the stored token.
 */
export function createToken(ctx: MockContext, userId: string, options: CreateTokenOptions = {}): TokenObject {
  const validity = options.expiresIn === undefined ? DEFAULT_TOKEN_VALIDITY : parseDuration(options.expiresIn)
  if (validity < MIN_TOKEN_VALIDITY) throw new PlainError(`invalid expiresIn duration: ${String(options.expiresIn)}`)
  if (validity > MAX_TOKEN_VALIDITY) throw new PlainError(`too high expiresIn duration: ${String(options.expiresIn)}`)
  const now = ctx.clock.now()
  const expiration = now + validity
  if (options.clientId !== undefined) {
    for (const token of ctx.store.ofType<TokenObject>('token')) {
      if (token.user_id === userId && token.client?.id === options.clientId && token.expiration > now) {
        return ctx.store.update<TokenObject>(token.id, { expiration, description: options.description ?? token.description })
      }
    }
  }
  const token: TokenObject = {
    id: ctx.ids.token(),
    type: 'token',
    ...(options.clientId === undefined ? {} : { client: { id: options.clientId } }),
    created_at: now,
    ...(options.description === undefined ? {} : { description: options.description }),
    user_id: userId,
    expiration,
  }
  return ctx.store.add(token)
}

/** Adds a token with a fixed id (the `--token` option): never expires in practice (100 years). */
export function addFixedToken(ctx: MockContext, userId: string, id: string, description = 'xo-mock'): TokenObject {
  const existing = ctx.store.get(id)
  if (existing !== undefined) ctx.store.remove(id)
  const now = ctx.clock.now()
  return ctx.store.add<TokenObject>({ id, type: 'token', created_at: now, description, user_id: userId, expiration: now + 100 * 365 * 24 * 3600 * 1000 })
}

/** The token as XO serves it (`type` is internal to the store). */
export function serializeToken(token: TokenObject): Record<string, unknown> {
  const { type: _type, ...rest } = token
  return rest
}

/** XO's public user properties (`getUserPublicProperties`): what `session.signIn` returns. */
export function publicUser(user: UserObject): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: user.id,
    email: user.email,
    permission: user.permission,
    groups: user.groups,
    preferences: user.preferences,
  }
  if (user.authProviders !== undefined) out.authProviders = user.authProviders
  return out
}

/** A user as the REST API and `user.getAll` serve it: password hidden. */
export function serializeUser(user: XoObject): Record<string, unknown> {
  const { type: _type, password: _password, ...rest } = user as UserObject
  return { ...rest, pw_hash: '***obfuscated***' }
}

export function isAdmin(user: UserObject | undefined): boolean {
  return user?.permission === 'admin'
}
