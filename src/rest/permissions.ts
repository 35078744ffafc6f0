/**
 * Who may read what through the REST API — every authorization rule of the read side lives here.
 *
 * XO (reference §1): admins (`permission: "admin"`) can do everything. For other users:
 * - collection routes (`@Security('*', ['acl'])`) silently drop the items the user may not read
 *   (`limit` counts only kept items);
 * - single-object routes guarded by an ACL middleware answer 403 `not enough privileges` with
 *   `missingPrivileges: [{objectId, action: "read", resource}]` (after the 404 of an unknown id);
 * - admin-only routes answer 403 `not enough permissions` with `data: {object: {}}`.
 *
 * The mock's privilege model (XO's ACL v2 roles are not modelled): objects of type `acl` in the store,
 * `{subject, object, action}` (domain/acl.ts) with `subject` a user id or group id and `action` a role
 * (`viewer`/`operator`/`admin`) or a raw permission (`view`/`operate`/`administrate`) — any of them
 * grants read. A user may read an object when an ACL
 * names the user or one of their groups (the user's `groups`, or groups listing the user in `users`)
 * for that object itself, for its pool (`$pool`) or for its container (`$container`: host or pool);
 * messages and alarms are also readable through the object they are about (`$object`).
 *
 * Choices where the reference is silent:
 * - XO-side records have no ACLs in the mock: users, groups, servers, schedules, proxies, backup jobs,
 *   backup/restore logs and backup repositories are admin-only, except a user's own record
 *   (`/users/<own id>`, the target of the `/users/me` redirect) and its sub-collections;
 * - tasks: a user sees the tasks they started (`properties.userId`); another user's task → 403
 *   `not enough privileges` (resource `task`).
 *
 * Writes (actions, PATCH, DELETE, tags, creates): admins always; other users need, on the object (or
 * its pool / container), an ACL whose level is high enough: `operate` (role `operator` or `admin`,
 * permission `operate` or `administrate`) for actions, `administrate` (role `admin`, permission
 * `administrate`) for edits and deletions — XO's v1 levels (viewer < operator < admin). A missing
 * level → 403 `not enough privileges` with the privilege's action (`start`, `update`, `delete`, …).
 * Tasks: owners may abort and delete their own tasks.
 */
import type { MockContext } from '../context.js'
import type { UserObject, XoObject } from '../inventory/types.js'
import { notEnoughPermissions, notEnoughPrivileges } from './errors.js'

export type Access =
  /** XAPI objects: ACL-filtered lists, 403 privileges on single objects. */
  | 'acl'
  /** Tasks: own tasks only for non-admins. */
  | 'owner'
  /** Users: admin-only lists; a user may read their own record. */
  | 'self'
  /** Admin-only. */
  | 'admin'
  /** No rule of its own (items of a sub-collection whose route check already passed). */
  | 'any'

/** What a write needs: `operate` (actions) or `administrate` (edits, deletions, tags). */
export type WriteLevel = 'operate' | 'administrate'

export interface Viewer {
  readonly user: UserObject
  readonly admin: boolean
  /** Whether the user may read this stored object under the given access rule. */
  canRead(object: XoObject, access: Access): boolean
  /** Whether the user may change this stored object under the given access rule. */
  canWrite(object: XoObject, access: Access, level: WriteLevel): boolean
}

/** Granted level per object id: 1 view, 2 operate, 3 administrate. */
type Grants = ReadonlyMap<string, number>

interface ReadableCache {
  version: number
  readonly byUser: Map<string, Grants>
}

const MAX_CACHED_USERS = 64

/** Builds the viewer of a request; readable sets are computed once per user and store version. */
export function createViewerFactory(ctx: MockContext): (user: UserObject) => Viewer {
  const cache: ReadableCache = { version: -1, byUser: new Map() }

  const readableIds = (user: UserObject): Grants => {
    const version = ctx.store.version
    if (cache.version !== version) {
      cache.version = version
      cache.byUser.clear()
    }
    let set = cache.byUser.get(user.id)
    if (set === undefined) {
      set = computeReadableIds(ctx, user)
      if (cache.byUser.size >= MAX_CACHED_USERS) cache.byUser.clear()
      cache.byUser.set(user.id, set)
    }
    return set
  }

  return (user) => {
    const admin = user.permission === 'admin'
    let ids: Grants | undefined
    return {
      user,
      admin,
      canWrite(object, access, level) {
        if (admin) return true
        switch (access) {
          case 'acl': {
            ids ??= readableIds(user)
            const needed = level === 'operate' ? 2 : 3
            return [object.id, object.$pool, object.$container].some((id) => typeof id === 'string' && (ids!.get(id) ?? 0) >= needed)
          }
          case 'owner':
            return (object.properties as { userId?: unknown } | undefined)?.userId === user.id
          case 'self':
            return object.id === user.id
          case 'admin':
          case 'any':
            return false
        }
      },
      canRead(object, access) {
        if (admin) return true
        switch (access) {
          case 'acl': {
            ids ??= readableIds(user)
            return (
              ids.has(object.id) || has(ids, object.$pool) || has(ids, object.$container) || has(ids, object.$object)
            )
          }
          case 'owner':
            return (object.properties as { userId?: unknown } | undefined)?.userId === user.id
          case 'self':
            return object.id === user.id
          case 'admin':
            return false
          case 'any':
            return true
        }
      },
    }
  }
}

function has(ids: Grants, value: unknown): boolean {
  return typeof value === 'string' && ids.has(value)
}

/** XO's v1 ACL levels: roles and raw permissions. */
const LEVELS: Readonly<Record<string, number>> = { viewer: 1, view: 1, operator: 2, operate: 2, admin: 3, administrate: 3 }

function computeReadableIds(ctx: MockContext, user: UserObject): Grants {
  const subjects = new Set<string>([user.id])
  if (Array.isArray(user.groups)) for (const group of user.groups) if (typeof group === 'string') subjects.add(group)
  for (const group of ctx.store.ofType('group')) {
    const users = group.users
    if (Array.isArray(users) && users.includes(user.id)) subjects.add(group.id)
  }
  const ids = new Map<string, number>()
  for (const acl of ctx.store.ofType('acl')) {
    if (typeof acl.subject === 'string' && subjects.has(acl.subject) && typeof acl.object === 'string') {
      // any ACL grants read; unknown actions count as view
      const level = LEVELS[String(acl.action)] ?? 1
      ids.set(acl.object, Math.max(level, ids.get(acl.object) ?? 0))
    }
  }
  return ids
}

/** List routes: admin-only collections (and the users list) → 403 `not enough permissions`. */
export function assertListAllowed(viewer: Viewer, access: Access): void {
  if (!viewer.admin && (access === 'admin' || access === 'self')) throw notEnoughPermissions()
}

/**
 * Object routes (and their sub-collections) of admin-only collections are refused before the object
 * is looked up, like XO's authentication-level check: 403 `not enough permissions`. A user may still
 * reach their own user record.
 */
export function assertObjectRouteAllowed(viewer: Viewer, access: Access, id: string): void {
  if (viewer.admin) return
  if (access === 'admin' || (access === 'self' && id !== viewer.user.id)) throw notEnoughPermissions()
}

/** Guard of single-object routes, once the object is known to exist (404 first, then 403). */
export function assertCanRead(viewer: Viewer, object: XoObject, access: Access, resource: string): void {
  if (viewer.canRead(object, access)) return
  throw access === 'self' || access === 'admin' ? notEnoughPermissions() : notEnoughPrivileges(object.id, resource)
}

/**
 * Guard of write routes, once the object is known to exist (404 first, then 403): admin-only and
 * `self` collections → `not enough permissions`, others → `not enough privileges` naming `action`.
 */
export function assertCanWrite(viewer: Viewer, object: XoObject, access: Access, resource: string, action: string, level: WriteLevel): void {
  if (viewer.canWrite(object, access, level)) return
  throw access === 'self' || access === 'admin' ? notEnoughPermissions() : notEnoughPrivileges(object.id, resource, action)
}
