/**
 * Object ACLs of non-admin users (`xo-mixins/acls.mjs`, `xo-acl-resolver`), checked by the pipeline after
 * `resolve`. ACL records live in the store as `{type: 'acl', subject, object, action}` where `subject` is a
 * user or group id and `action` a role: `viewer` (view), `operator` (view, operate) or `admin` (view,
 * operate, administrate). A permission on an object is also granted through the objects it belongs to
 * (a VM through its host or pool, a VDI through its SR or a VM using it, …), as in xo-acl-resolver.
 */
import type { MockContext } from '../context.js'
import type { UserObject, XoObject } from '../inventory/types.js'

const ROLE_PERMISSIONS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  viewer: ['view'],
  operator: ['view', 'operate'],
  admin: ['view', 'operate', 'administrate'],
})

type PermissionsByObject = Map<string, Set<string>>

/** Permissions granted to a user by the ACLs of the user and of its groups. */
export function permissionsOfUser(ctx: MockContext, user: UserObject): PermissionsByObject {
  const subjects = new Set<string>([user.id, ...(Array.isArray(user.groups) ? user.groups : [])])
  for (const group of ctx.store.ofType('group')) {
    const users = (group as { users?: unknown }).users
    if (Array.isArray(users) && users.includes(user.id)) subjects.add(group.id)
  }
  const result: PermissionsByObject = new Map()
  for (const acl of ctx.store.ofType('acl')) {
    const { subject, object, action } = acl as { subject?: unknown; object?: unknown; action?: unknown }
    if (typeof subject !== 'string' || !subjects.has(subject) || typeof object !== 'string' || typeof action !== 'string') continue
    const granted = ROLE_PERMISSIONS[action] ?? [action]
    let set = result.get(object)
    if (set === undefined) result.set(object, (set = new Set()))
    for (const permission of granted) set.add(permission)
  }
  return result
}

type Checker = (object: XoObject, permission: string) => boolean

/** Whether `permissions` grant `permission` on the object `objectId` (xo-acl-resolver `checkAuthorization`). */
export function isAuthorized(ctx: MockContext, permissions: PermissionsByObject, objectId: string, permission: string): boolean {
  const visiting = new Set<string>()

  const check = (id: unknown, wanted: string): boolean => {
    if (typeof id !== 'string') return false
    const object = ctx.store.get(id)
    if (object === undefined || visiting.has(id)) return false
    visiting.add(id)
    try {
      return (CHECKERS[object.type] ?? self)(object, wanted)
    } finally {
      visiting.delete(id)
    }
  }
  const self: Checker = (object, wanted) => permissions.get(object.id)?.has(wanted) === true
  const member =
    (name: string): Checker =>
    (object, wanted) => {
      const value = object[name]
      if (Array.isArray(value)) return value.every((id) => check(id, wanted))
      return value !== object.id && check(value, wanted)
    }
  const or =
    (...checkers: Checker[]): Checker =>
    (object, wanted) =>
      checkers.some((checker) => checker(object, wanted))

  const CHECKERS: Record<string, Checker> = {
    host: or(self, member('$pool')),
    message: member('$object'),
    network: or(self, member('$pool')),
    PBD: or(member('host'), member('SR')),
    PCI: member('$host'),
    PIF: member('$host'),
    PUSB: member('host'),
    SR: or(self, member('$container')),
    task: member('$host'),
    USB_group: member('PUSBs'),
    VBD: member('VDI'),
    VDI: (vdi, wanted) => {
      if (check(vdi.$SR, wanted)) return true
      const vbds = Array.isArray(vdi.$VBDs) ? vdi.$VBDs : []
      return vbds.some((vbdId) => check(ctx.store.get(String(vbdId))?.VM, wanted))
    },
    'VDI-snapshot': member('$snapshot_of'),
    VIF: or(member('$network'), member('$VM')),
    VM: or(self, member('$container')),
    'VM-controller': member('$container'),
    'VM-snapshot': or(self, member('$snapshot_of')),
    'VM-template': or(self, member('$pool')),
    VUSB: member('vm'),
  }

  return check(objectId, permission)
}
