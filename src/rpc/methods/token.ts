/**
 * Authentication tokens (`api/token.mjs`, `xo-mixins/authentication.mjs`, `user.getAuthenticationTokens`).
 * They are the store's `token` objects, shared with the REST API's `authenticationToken` cookie.
 */
import type { MockContext } from '../../context.js'
import { createToken, serializeToken } from '../../domain/auth.js'
import { noSuchObject } from '../../domain/errors.js'
import type { TokenObject, UserObject } from '../../inventory/types.js'
import type { MethodTable, RpcCall } from '../types.js'

/** XO's `value-matcher` (`createPredicate`): the `pattern` of `token.delete` / `token.deleteOwn`. */
export function matchValue(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return Array.isArray(value) && pattern.every((subpattern) => value.some((subvalue) => matchValue(subpattern, subvalue)))
  }
  if (pattern !== null && typeof pattern === 'object') {
    const record = pattern as Record<string, unknown>
    const keys = Object.keys(record)
    if (keys.length === 1) {
      const [key] = keys
      const list = (name: string) => {
        const sub = record[name]
        if (!Array.isArray(sub)) throw new TypeError(`pattern.${name} must be an array`)
        return sub
      }
      if (key === '__and') return list('__and').every((subpattern) => matchValue(subpattern, value))
      if (key === '__or') return list('__or').some((subpattern) => matchValue(subpattern, value))
      if (key === '__not') return !matchValue(record.__not, value)
    }
    if (value === null || typeof value !== 'object') return false
    for (const key of keys) {
      const subvalue = (value as Record<string, unknown>)[key]
      if (subvalue === undefined || !matchValue(record[key], subvalue)) return false
    }
    return true
  }
  return pattern === value
}

function liveTokens(ctx: MockContext, userId?: string): TokenObject[] {
  const now = ctx.clock.now()
  const tokens: TokenObject[] = []
  for (const token of ctx.store.ofType<TokenObject>('token')) {
    if (token.expiration > now && (userId === undefined || token.user_id === userId)) tokens.push(token)
  }
  return tokens
}

/** `pattern ?? {id: {__or: tokens}}`, optionally restricted to one user's tokens. */
function deleteMatching(call: RpcCall, userId?: string): void {
  const { tokens, pattern } = call.params as { tokens?: string[]; pattern?: object }
  const filter = pattern ?? { id: { __or: tokens } }
  const matching = [...call.ctx.store.ofType<TokenObject>('token')].filter(
    (token) => (userId === undefined || token.user_id === userId) && matchValue(filter, serializeToken(token)),
  )
  for (const token of matching) call.ctx.store.remove(token.id)
}

const signedInUser = (call: RpcCall): UserObject => call.user!

export const tokenMethods: MethodTable = {
  'token.create': (call) => {
    const { description, client, expiresIn } = call.params as { description?: string; client?: { id?: string }; expiresIn?: number | string }
    return createToken(call.ctx, signedInUser(call).id, { description, clientId: client?.id, expiresIn }).id
  },

  'token.delete': (call) => deleteMatching(call),

  'token.deleteOwn': (call) => deleteMatching(call, signedInUser(call).id),

  'token.set': (call) => {
    const { id, description } = call.params as { id: string; description?: string | null }
    const token = liveTokens(call.ctx, signedInUser(call).id).find((candidate) => candidate.id === id)
    if (token === undefined) throw noSuchObject(id, 'authenticationToken')
    // XO's `patch`: null deletes the property, undefined leaves it unchanged
    if (description !== undefined) call.ctx.store.update(token.id, { description: description ?? undefined })
  },
}

export const userTokenMethods: MethodTable = {
  'user.getAuthenticationTokens': (call) => liveTokens(call.ctx, signedInUser(call).id).map(serializeToken),
}
