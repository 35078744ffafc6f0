/**
 * ACLs (`api/acl.mjs`, `xo-mixins/acls.mjs`, `models/acl.mjs`): `{id, subject, object, action}` where
 * the id is a 6-character base64url hash of the triple (XO uses `multiKeyHash`; the mock's hash is its
 * own, deterministic one), so adding the same triple twice is a no-op and removing is by triple.
 * Actions are roles (`viewer`, `operator`, `admin`) or raw permissions.
 */
import type { MockContext } from '../context.js'
import type { UserObject, XoObject } from '../inventory/types.js'
import { base64url, fnv1a, requireObject } from './pool.js'

export interface AclObject extends XoObject {
  readonly type: 'acl'
  readonly subject: string
  readonly object: string
  readonly action: string
}

/** XO's roles (`getRoles`). */
export const ROLES = [
  { id: 'viewer', name: 'Viewer', permissions: ['view'] },
  { id: 'operator', name: 'Operator', permissions: ['view', 'operate'] },
  { id: 'admin', name: 'Admin', permissions: ['view', 'operate', 'administrate'] },
] as const

/** 6-char base64url id of an ACL triple (4 bytes, little-endian, like XO's `multiKeyHash`). */
export function aclId(subject: string, object: string, action: string): string {
  const hash = fnv1a(`${subject}\u0000${object}\u0000${action}`)
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setUint32(0, hash, true)
  return base64url(bytes)
}

export function serializeAcl(acl: AclObject): Record<string, unknown> {
  return { id: acl.id, subject: acl.subject, object: acl.object, action: acl.action }
}

/** `acl.add`: a duplicate is ignored. */
export function addAcl(ctx: MockContext, subject: string, object: string, action: string): AclObject {
  const id = aclId(subject, object, action)
  const existing = ctx.store.get(id)
  if (existing !== undefined && existing.type === 'acl') return existing as AclObject
  return ctx.store.add<AclObject>({ id, type: 'acl', subject, object, action })
}

/** `acl.remove`: removing a missing entry is silent. */
export function removeAcl(ctx: MockContext, subject: string, object: string, action: string): void {
  const id = aclId(subject, object, action)
  if (ctx.store.get(id)?.type === 'acl') ctx.store.remove(id)
}

/** `acl.get`. */
export function getAllAcls(ctx: MockContext): Array<Record<string, unknown>> {
  return [...ctx.store.ofType<AclObject>('acl')].map(serializeAcl)
}

export function aclsOfSubject(ctx: MockContext, subject: string): AclObject[] {
  return [...ctx.store.ofType<AclObject>('acl')].filter((acl) => acl.subject === subject)
}

export function removeAclsOfSubject(ctx: MockContext, subject: string): void {
  for (const acl of aclsOfSubject(ctx, subject)) ctx.store.remove(acl.id)
}

/** `removeAclsForObject`. */
export function removeAclsOfObject(ctx: MockContext, object: string): void {
  for (const acl of [...ctx.store.ofType<AclObject>('acl')]) if (acl.object === object) ctx.store.remove(acl.id)
}

/**
 * `acl.getCurrentPermissions` (`getPermissionsForUser`): the user's and its groups' ACLs as
 * `{objectId: {permission: 1}}`, roles expanded to their permissions.
 */
export function getPermissionsForUser(ctx: MockContext, userId: string): Record<string, Record<string, 1>> {
  const user = requireObject<UserObject>(ctx, userId, 'user')
  const subjects = new Set([...(user.groups ?? []), user.id])
  const byRole = new Map<string, readonly string[]>(ROLES.map((role) => [role.id, role.permissions]))
  const permissions: Record<string, Record<string, 1>> = {}
  for (const acl of ctx.store.ofType<AclObject>('acl')) {
    if (!subjects.has(acl.subject)) continue
    const current = (permissions[acl.object] ??= {})
    for (const permission of byRole.get(acl.action) ?? [acl.action]) current[permission] = 1
  }
  return permissions
}
