/**
 * Every JSON-RPC method handler of the mock: the transport-level families owned by the RPC adapter
 * (session, api, system, test, token, xo, user.getAuthenticationTokens) and the domain families
 * (`domain-methods.ts`). A catalogue method without a handler answers code 0 `not implemented`.
 *
 * The adapter's own handlers take precedence over a domain handler of the same name.
 */
import type { MethodTable } from '../types.js'
import { domainMethods } from './domain-methods.js'
import { apiMethods, sessionMethods } from './session.js'
import { systemMethods, testMethods } from './system.js'
import { tokenMethods, userTokenMethods } from './token.js'
import { xoMethods } from './xo.js'

export { apiMethods, sessionMethods, systemMethods, testMethods, tokenMethods, userTokenMethods, xoMethods }

/** The adapter's own handlers. */
export const transportMethods: MethodTable = {
  ...sessionMethods,
  ...apiMethods,
  ...systemMethods,
  ...testMethods,
  ...tokenMethods,
  ...userTokenMethods,
  ...xoMethods,
}

/** All handlers, by method name. */
export const allMethods: MethodTable = Object.freeze({ ...domainMethods, ...transportMethods })
