/**
 * The call pipeline of xo-server (`xo-mixins/api.mjs` `#callApiMethod`), in XO's order:
 *
 * 1. unknown method → -32601 `method not found: <name>` (data: the name);
 * 2. the reserved `_log` param is stripped (a non-admin who passes it gets `unauthorized('admin')`);
 * 3. permission: public methods (declared `null`) need no user; others need a signed-in user whose
 *    permission (none < read < write < admin) reaches the declared one → else code 2;
 * 4. `id` aliasing: `vm.start {vm: '<uuid>'}` works like `{id: '<uuid>'}`;
 * 5. ignorable params: `foo?` is renamed `foo`, and dropped if validation rejects it as an extra key;
 * 6. validation against the catalogue's params (XO's ajv rules) → code 10 with the ajv errors;
 * 7. `resolve`: object ids → objects (code 1 `no such <type> <id>`), then ACLs for non-admins (code 2);
 * 8. the handler; a method with no handler answers code 0 `not implemented`.
 *
 * Every failure is converted to its wire form here, with the caller's permission at call time: XO errors
 * as they are, anything else hidden as `unknown error from the peer` unless the caller is an admin.
 */
import type { MockContext } from '../context.js'
import { notImplemented, PlainError, unauthorized, XoApiError } from '../domain/errors.js'
import { isXapiType, type UserObject, type XoObject } from '../inventory/types.js'
import { isAuthorized, permissionsOfUser } from './acl.js'
import { getDeclaration, namespaceOf, type MethodDeclaration } from './catalogue/index.js'
import type { ValidatorCache } from './catalogue/schema.js'
import { methodNotFound, toWireError, WireRpcError } from './errors.js'
import type { TransferRegistry } from './transfers.js'
import type { MethodTable, RpcCall, RpcConnection, RpcServerServices } from './types.js'

const PERMISSION_LEVELS: Readonly<Record<string, number>> = { none: 0, read: 1, write: 2, admin: 3 }

const hasPermission = (actual: string | undefined, expected: string) =>
  (PERMISSION_LEVELS[actual ?? 'none'] ?? 0) >= (PERMISSION_LEVELS[expected] ?? Infinity)

/** What the pipeline needs from its server instance. */
export interface PipelineDeps {
  readonly ctx: MockContext
  readonly handlers: MethodTable
  readonly validators: ValidatorCache
  readonly transfers: TransferRegistry
  readonly server: RpcServerServices
}

/** The signed-in user of a connection, or undefined (a user deleted meanwhile signs the connection out). */
export function userOfConnection(ctx: MockContext, connection: RpcConnection): UserObject | undefined {
  if (connection.userId === undefined) return undefined
  const user = ctx.store.get(connection.userId)
  if (user === undefined || user.type !== 'user') {
    connection.userId = undefined
    return undefined
  }
  return user as UserObject
}

/**
 * Runs one call through XO's pipeline. Resolves with the result (`undefined` becomes `true`), rejects
 * with a `WireRpcError` carrying the exact wire error.
 */
export async function runPipeline(deps: PipelineDeps, connection: RpcConnection, method: string, rawParams: Record<string, unknown>): Promise<unknown> {
  const declaration = getDeclaration(method)
  if (declaration === undefined) throw new WireRpcError(toWireError(methodNotFound(method), false))

  const user = userOfConnection(deps.ctx, connection)
  const isAdmin = user?.permission === 'admin'
  try {
    const result = await callDeclared(deps, connection, declaration, user, { ...rawParams })
    return result === undefined ? true : result
  } catch (error) {
    throw new WireRpcError(toWireError(error, isAdmin))
  }
}

async function callDeclared(
  deps: PipelineDeps,
  connection: RpcConnection,
  declaration: MethodDeclaration,
  user: UserObject | undefined,
  params: Record<string, unknown>,
): Promise<unknown> {
  const { ctx } = deps
  const name = declaration.name

  // 2. reserved `_log` param
  if ('_log' in params) {
    if (user?.permission !== 'admin') throw unauthorized('admin')
    delete params._log
  }

  // 3. permission
  checkPermission(declaration, user)

  // 4. `id` aliasing
  const spec = declaration.params
  if (params.id === undefined && spec !== null) {
    const namespace = namespaceOf(name)
    if ('id' in spec && !(namespace in spec)) {
      const id = params[namespace]
      if (typeof id === 'string') {
        delete params[namespace]
        params.id = id
      }
    }
  }

  // 5. ignorable `foo?` params
  const ignorable = new Set<string>()
  for (const key of Object.keys(params)) {
    if (key.length > 1 && key.endsWith('?')) {
      const target = key.slice(0, -1)
      if (Object.hasOwn(params, target)) throw new PlainError(`conflicting keys: ${target} and ${key}`)
      params[target] = params[key]
      delete params[key]
      ignorable.add(target)
    }
  }

  // 6. validation
  params = validate(deps, declaration, params, ignorable)

  // 7. resolve + ACLs
  const objects = resolveObjects(deps, declaration, params, user)

  // 8. the handler (aliases share their target's handler)
  const handler = deps.handlers[name] ?? (declaration.aliasOf === undefined ? undefined : deps.handlers[declaration.aliasOf])
  if (handler === undefined) throw notImplemented()
  const call: RpcCall = { ctx, method: name, params, objects, user, connection, transfers: deps.transfers, server: deps.server }
  return handler(call)
}

function checkPermission(declaration: MethodDeclaration, user: UserObject | undefined): void {
  const { permission } = declaration
  if (permission === null) return
  const declared = permission === 'signed-in' ? undefined : permission
  if (user === undefined) throw unauthorized(declared)
  if (declared !== undefined && !hasPermission(user.permission, declared)) throw unauthorized(declared)
}

function validate(deps: PipelineDeps, declaration: MethodDeclaration, params: Record<string, unknown>, ignorable: ReadonlySet<string>): Record<string, unknown> {
  const validator = deps.validators.get(declaration)
  if (validator === null) return params
  if (validator(params)) return params
  let errors = validator.errors ?? []
  if (ignorable.size !== 0) {
    // ignorable keys rejected as additional properties are dropped silently, then the rest re-validated
    let dropped = false
    for (const error of errors) {
      const extra = error.keyword === 'additionalProperties' && error.instancePath === '' ? (error.params as { additionalProperty?: string }).additionalProperty : undefined
      if (extra !== undefined && ignorable.has(extra) && Object.hasOwn(params, extra)) {
        delete params[extra]
        dropped = true
      }
    }
    if (dropped) {
      if (validator(params)) return params
      errors = validator.errors ?? []
    }
  }
  throw new XoApiError(10, 'invalid parameters', { errors: errors.map((error) => ({ ...error })) })
}

function resolveObjects(
  deps: PipelineDeps,
  declaration: MethodDeclaration,
  params: Record<string, unknown>,
  user: UserObject | undefined,
): Record<string, XoObject> {
  const objects: Record<string, XoObject> = {}
  const { resolve } = declaration
  if (resolve === undefined) return objects
  if (user === undefined) throw unauthorized()
  const checks: [id: string, permission: string][] = []
  for (const [key, entry] of Object.entries(resolve)) {
    const [param, types, permission = 'administrate'] = entry
    const id = params[param]
    if (id === undefined || id === null) continue
    const object = getObject(deps.ctx, id, types)
    objects[key] = object
    if (typeof permission === 'string' && permission !== '') checks.push([object.id, permission])
  }
  if (user.permission !== 'admin' && checks.length !== 0) {
    const permissions = permissionsOfUser(deps.ctx, user)
    for (const [id, permission] of checks) {
      if (!isAuthorized(deps.ctx, permissions, id, permission)) throw unauthorized(permission, id)
    }
  }
  return objects
}

/** xo-server's `getObject(id, types)`: an XAPI object (or one of the listed types) by id or opaque ref. */
function getObject(ctx: MockContext, id: unknown, types: string | readonly string[] | null): XoObject {
  const list = types === null ? undefined : typeof types === 'string' ? [types] : types
  const object = typeof id === 'string' ? ctx.store.resolve(id) : undefined
  if (object !== undefined && (list === undefined ? isXapiType(object.type) : list.includes(object.type))) return object
  const typeLabel = list === undefined ? 'object' : list.join(',')
  const data: Record<string, unknown> = { id }
  if (types !== null) data.type = types
  throw new XoApiError(1, `no such ${typeLabel} ${String(id)}`, data)
}
