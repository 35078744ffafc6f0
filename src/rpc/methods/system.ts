/**
 * Introspection (`packages/xo-server/src/api/system.mjs`): what `xo-cli list-commands`, python-xolib and
 * other generic clients read. Every catalogue method is listed, implemented or not.
 */
import { noSuchObject, XoApiError } from '../../domain/errors.js'
import type { UserObject } from '../../inventory/types.js'
import { isAuthorized, permissionsOfUser } from '../acl.js'
import { CATALOGUE, METHOD_DECLARATIONS, METHOD_NAMES, type MethodDeclaration } from '../catalogue/index.js'
import type { MethodTable, RpcCall } from '../types.js'

/** xo-server version the mock reproduces. */
export const XO_SERVER_VERSION = '5.207.2'

/** `{description?, params, permission?}`: undeclared description and permission are absent, params `{}`. */
function methodInfo(declaration: MethodDeclaration): Record<string, unknown> {
  const info: Record<string, unknown> = {}
  if (declaration.description !== null) info.description = declaration.description
  info.params = declaration.params ?? {}
  if (declaration.permission !== 'signed-in') info.permission = declaration.permission
  return info
}

export function getMethodsInfo(): Record<string, Record<string, unknown>> {
  const methods: Record<string, Record<string, unknown>> = {}
  for (const declaration of METHOD_DECLARATIONS) methods[declaration.name] = methodInfo(declaration)
  return methods
}

/** The time zone of the process, like xo-server's `moment.tz.guess()`. */
function serverTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC'
}

export const systemMethods: MethodTable = {
  'system.getMethodsInfo': () => getMethodsInfo(),

  'system.listMethods': () => [...METHOD_NAMES],

  'system.methodSignature': ({ params }) => {
    const name = params.method as string
    const declaration = CATALOGUE.get(name)
    // XO throws `noSuchObject()` without arguments
    if (declaration === undefined) throw new XoApiError(1, 'no such object undefined', {})
    return [{ name, ...methodInfo(declaration) }]
  },

  'system.getServerVersion': () => XO_SERVER_VERSION,

  'system.getVersion': () => '0.1',

  'system.getServerTimezone': () => serverTimezone(),
}

function userById(call: RpcCall, id: string): UserObject {
  const user = call.ctx.store.get(id)
  if (user === undefined || user.type !== 'user') throw noSuchObject(id, 'user')
  return user as UserObject
}

/** `test.*` helpers of xo-server that touch the transport or the ACLs. */
export const testMethods: MethodTable = {
  /** Resolves after `duration` ms of the context clock (a manual clock must be advanced). */
  'test.wait': ({ ctx, params }) => {
    const duration = Number(params.duration)
    return new Promise<void>((resolve) => {
      ctx.clock.setTimeout(resolve, Number.isFinite(duration) ? duration : 0)
    })
  },

  /** `{objectId: {permission: 1}}` granted to a user by ACLs (roles expanded). */
  'test.getPermissionsForUser': (call) => {
    const permissions = permissionsOfUser(call.ctx, userById(call, call.params.userId as string))
    const result: Record<string, Record<string, 1>> = {}
    for (const [objectId, set] of permissions) result[objectId] = Object.fromEntries([...set].map((permission) => [permission, 1 as const]))
    return result
  },

  'test.hasPermission': (call) => {
    const { userId, objectId, permission } = call.params as { userId: string; objectId: string; permission: string }
    const user = userById(call, userId)
    if (user.permission === 'admin') return true
    return isAuthorized(call.ctx, permissionsOfUser(call.ctx, user), objectId, permission)
  },
}
