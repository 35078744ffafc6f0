/**
 * XO's ACL v2 (RBAC, `xo-mixins/acl-v2`): roles `{id, name, description?, userIds, groupIds,
 * privilegeIds}` (store type `aclRole`) and privileges `{id, roleId, resource, action, effect,
 * selector?}` (store type `aclPrivilege`). Template roles (`isTemplate: true`, built in) cannot be
 * edited, deleted, nor given users, groups or privileges: they are meant to be copied.
 *
 * Both sides are kept consistent: `role.groupIds` ↔ `group.aclRoleIds`, `role.privilegeIds` ↔
 * `privilege.roleId` (users carry nothing: `role.userIds` only). Deleting a role deletes its
 * privileges and removes it from its groups.
 */
import type { MockContext } from '../context.js'
import type { XoObject } from '../inventory/types.js'
import { forbiddenOperation, objectAlreadyExists } from './errors.js'
import { addTo, idList, removeFrom } from './lists.js'
import { requireObject } from './pool.js'

export interface AclRoleObject extends XoObject {
  readonly type: 'aclRole'
  readonly name: string
  readonly description?: string
  readonly userIds?: readonly string[]
  readonly groupIds?: readonly string[]
  readonly privilegeIds?: readonly string[]
  readonly isTemplate?: boolean
}

export interface AclPrivilegeObject extends XoObject {
  readonly type: 'aclPrivilege'
  readonly roleId: string
  readonly resource: string
  readonly action: string
  readonly effect: string
  readonly selector?: string
}

export interface PrivilegeSettings {
  readonly resource?: string
  readonly action?: string
  readonly effect?: string
  readonly selector?: string
}

export const getAclRole = (ctx: MockContext, id: string) => requireObject<AclRoleObject>(ctx, id, 'aclRole', 'acl-role')
export const getAclPrivilege = (ctx: MockContext, id: string) => requireObject<AclPrivilegeObject>(ctx, id, 'aclPrivilege', 'acl-privilege')


/** Template roles are read-only (403). */
function editableRole(ctx: MockContext, id: string, operation: string): AclRoleObject {
  const role = getAclRole(ctx, id)
  if (role.isTemplate === true) throw forbiddenOperation(operation, 'cannot modify a template role')
  return role
}

/** Privileges of a role: naming it (`roleId`) or listed by it (`privilegeIds`). */
export function privilegesOfRole(ctx: MockContext, role: AclRoleObject): AclPrivilegeObject[] {
  const ids = new Set(idList(role.privilegeIds))
  return [...ctx.store.ofType<AclPrivilegeObject>('aclPrivilege')].filter((privilege) => privilege.roleId === role.id || ids.has(privilege.id))
}

// --- roles -----------------------------------------------------------------------------------

export function createAclRole(ctx: MockContext, settings: { name: string; description?: string }): AclRoleObject {
  return ctx.store.add<AclRoleObject>({
    id: ctx.ids.uuid(),
    type: 'aclRole',
    name: settings.name,
    ...(settings.description === undefined ? {} : { description: settings.description }),
    userIds: [],
    groupIds: [],
    privilegeIds: [],
  })
}

/** `description: null` removes the description. */
export function updateAclRole(ctx: MockContext, id: string, settings: { name?: string; description?: string | null }): AclRoleObject {
  const role = editableRole(ctx, id, 'update acl-role')
  const patch: Record<string, unknown> = {}
  if (settings.name !== undefined) patch.name = settings.name
  if (settings.description !== undefined) patch.description = settings.description ?? undefined
  return ctx.store.update<AclRoleObject>(role.id, patch)
}

export function deleteAclRole(ctx: MockContext, id: string): void {
  const role = editableRole(ctx, id, 'delete acl-role')
  for (const privilege of privilegesOfRole(ctx, role)) ctx.store.remove(privilege.id)
  for (const group of [...ctx.store.ofType('group')]) {
    if (idList(group.aclRoleIds).includes(role.id)) ctx.store.update(group.id, { aclRoleIds: removeFrom(group.aclRoleIds, role.id) })
  }
  ctx.store.remove(role.id)
}

/** A copy of a role (template or not) with copies of its privileges, without users nor groups. */
export function copyAclRole(ctx: MockContext, id: string, settings: { name?: string; description?: string } = {}): AclRoleObject {
  const source = getAclRole(ctx, id)
  const description = settings.description ?? source.description
  const copy = createAclRole(ctx, { name: settings.name ?? `${source.name} (copy)`, ...(description === undefined ? {} : { description }) })
  for (const privilege of privilegesOfRole(ctx, source)) {
    createAclPrivilege(ctx, { roleId: copy.id, resource: privilege.resource, action: privilege.action, effect: privilege.effect, selector: privilege.selector })
  }
  return getAclRole(ctx, copy.id)
}

/** Adds a user to a role: already there → 409. */
export function addUserToAclRole(ctx: MockContext, roleId: string, userId: string): void {
  const role = editableRole(ctx, roleId, 'add user to acl-role')
  const user = requireObject(ctx, userId, 'user')
  if (idList(role.userIds).includes(user.id)) throw objectAlreadyExists(user.id, 'user')
  ctx.store.update(role.id, { userIds: addTo(role.userIds, user.id) })
}

export function removeUserFromAclRole(ctx: MockContext, roleId: string, userId: string): void {
  const role = editableRole(ctx, roleId, 'remove user from acl-role')
  const user = requireObject(ctx, userId, 'user')
  ctx.store.update(role.id, { userIds: removeFrom(role.userIds, user.id) })
}

/** A deleted user or group leaves every role it was in (`role.userIds` / `role.groupIds`). */
export function removeSubjectFromAclRoles(ctx: MockContext, subjectId: string): void {
  for (const role of [...ctx.store.ofType<AclRoleObject>('aclRole')]) {
    if (idList(role.userIds).includes(subjectId)) ctx.store.update(role.id, { userIds: removeFrom(role.userIds, subjectId) })
    if (idList(role.groupIds).includes(subjectId)) ctx.store.update(role.id, { groupIds: removeFrom(role.groupIds, subjectId) })
  }
}

/** Adds a group to a role (`role.groupIds` and `group.aclRoleIds`): already there → 409. */
export function addGroupToAclRole(ctx: MockContext, roleId: string, groupId: string): void {
  const role = editableRole(ctx, roleId, 'add group to acl-role')
  const group = requireObject(ctx, groupId, 'group')
  if (idList(role.groupIds).includes(group.id) || idList(group.aclRoleIds).includes(role.id)) throw objectAlreadyExists(group.id, 'group')
  ctx.store.update(role.id, { groupIds: addTo(role.groupIds, group.id) })
  ctx.store.update(group.id, { aclRoleIds: addTo(group.aclRoleIds, role.id) })
}

export function removeGroupFromAclRole(ctx: MockContext, roleId: string, groupId: string): void {
  const role = editableRole(ctx, roleId, 'remove group from acl-role')
  const group = requireObject(ctx, groupId, 'group')
  ctx.store.update(role.id, { groupIds: removeFrom(role.groupIds, group.id) })
  ctx.store.update(group.id, { aclRoleIds: removeFrom(group.aclRoleIds, role.id) })
}

// --- privileges ------------------------------------------------------------------------------

export function createAclPrivilege(ctx: MockContext, settings: PrivilegeSettings & { roleId: string }): AclPrivilegeObject {
  const role = editableRole(ctx, settings.roleId, 'create acl-privilege')
  const privilege = ctx.store.add<AclPrivilegeObject>({
    id: ctx.ids.uuid(),
    type: 'aclPrivilege',
    action: String(settings.action),
    effect: String(settings.effect),
    resource: String(settings.resource),
    roleId: role.id,
    ...(settings.selector === undefined ? {} : { selector: settings.selector }),
  })
  ctx.store.update(role.id, { privilegeIds: addTo(role.privilegeIds, privilege.id) })
  return privilege
}

/** Privileges of template roles are read-only (403). */
function editablePrivilege(ctx: MockContext, id: string, operation: string): AclPrivilegeObject {
  const privilege = getAclPrivilege(ctx, id)
  const role = ctx.store.get(privilege.roleId)
  if (role?.type === 'aclRole' && role.isTemplate === true) throw forbiddenOperation(operation, 'cannot modify a privilege of a template role')
  return privilege
}

export function updateAclPrivilege(ctx: MockContext, id: string, settings: PrivilegeSettings): AclPrivilegeObject {
  const privilege = editablePrivilege(ctx, id, 'update acl-privilege')
  const patch: Record<string, unknown> = {}
  for (const key of ['resource', 'action', 'effect', 'selector'] as const) if (settings[key] !== undefined) patch[key] = settings[key]
  return ctx.store.update<AclPrivilegeObject>(privilege.id, patch)
}

export function deleteAclPrivilege(ctx: MockContext, id: string): void {
  const privilege = editablePrivilege(ctx, id, 'delete acl-privilege')
  ctx.store.remove(privilege.id)
  const role = ctx.store.get(privilege.roleId)
  if (role?.type === 'aclRole') ctx.store.update(role.id, { privilegeIds: removeFrom(role.privilegeIds, privilege.id) })
}
