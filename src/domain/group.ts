/**
 * Groups (`api/group.mjs`, `xo-mixins/subjects.mjs`): `{id, name, users, provider?, providerGroupId?}`.
 * Membership is kept on both sides: `group.users` ↔ `user.groups`. Groups synchronized from an auth
 * provider (`provider`) cannot be renamed nor have their members edited (code 5).
 */
import type { MockContext } from '../context.js'
import type { UserObject, XoObject } from '../inventory/types.js'
import { removeAclsOfSubject } from './acl.js'
import { addTo, removeFrom } from './lists.js'
import { removeSubjectFromAclRoles } from './acl-role.js'
import { forbiddenOperation, objectAlreadyExists, PlainError } from './errors.js'
import { requireObject } from './pool.js'
import { getUser } from './user.js'

export interface GroupObject extends XoObject {
  readonly type: 'group'
  readonly name: string
  readonly users: readonly string[]
  readonly provider?: string
  readonly providerGroupId?: string
}

export const getGroup = (ctx: MockContext, id: string) => requireObject<GroupObject>(ctx, id, 'group')

export function serializeGroup(group: GroupObject): Record<string, unknown> {
  const out: Record<string, unknown> = { id: group.id, name: group.name, users: group.users ?? [] }
  if (group.provider !== undefined) out.provider = group.provider
  if (group.providerGroupId !== undefined) out.providerGroupId = group.providerGroupId
  return out
}

function assertNameFree(ctx: MockContext, name: string, exceptId?: string): void {
  for (const group of ctx.store.ofType<GroupObject>('group')) {
    if (group.name === name && group.id !== exceptId) throw objectAlreadyExists(group.id, 'group')
  }
}

/** `group.create`: a duplicate name gives code 16. */
export function createGroup(ctx: MockContext, name: string, provider?: { provider: string; providerGroupId?: string }): GroupObject {
  assertNameFree(ctx, name)
  return ctx.store.add<GroupObject>({
    id: ctx.ids.uuid(),
    type: 'group',
    name,
    users: [],
    aclRoleIds: [],
    ...(provider === undefined ? {} : provider),
  })
}

/** `group.delete`: its ACLs go with it and its users leave it. */
export function deleteGroup(ctx: MockContext, id: string): void {
  const group = getGroup(ctx, id)
  ctx.store.remove(group.id)
  removeAclsOfSubject(ctx, group.id)
  removeSubjectFromAclRoles(ctx, group.id)
  for (const userId of group.users ?? []) {
    const user = ctx.store.get(userId) as UserObject | undefined
    if (user?.type === 'user') ctx.store.update(user.id, { groups: (user.groups ?? []).filter((groupId) => groupId !== group.id) })
  }
}

/** `group.set`. */
export function setGroup(ctx: MockContext, id: string, settings: { name?: string }): GroupObject {
  const group = getGroup(ctx, id)
  if (settings.name === undefined || settings.name === '') return group
  if (group.provider !== undefined) throw forbiddenOperation('set group name', 'cannot edit synchronized group')
  assertNameFree(ctx, settings.name, group.id)
  return ctx.store.update<GroupObject>(group.id, { name: settings.name })
}


/** `group.addUser`. */
export function addUserToGroup(ctx: MockContext, groupId: string, userId: string): void {
  const group = getGroup(ctx, groupId)
  if (group.provider !== undefined) throw forbiddenOperation('add user', 'cannot add user to synchronized group')
  const user = getUser(ctx, userId)
  ctx.store.update(user.id, { groups: addTo(user.groups, group.id) })
  ctx.store.update(group.id, { users: addTo(group.users, user.id) })
}

/** `group.removeUser`. */
export function removeUserFromGroup(ctx: MockContext, groupId: string, userId: string): void {
  const group = getGroup(ctx, groupId)
  if (group.provider !== undefined) throw forbiddenOperation('remove user', 'cannot remove user from synchronized group')
  const user = getUser(ctx, userId)
  ctx.store.update(group.id, { users: removeFrom(group.users, user.id) })
  ctx.store.update(user.id, { groups: removeFrom(user.groups, group.id) })
}

/** `group.setUsers`: the group's members become exactly `userIds` (every id must be a user). */
export function setGroupUsers(ctx: MockContext, groupId: string, userIds: unknown): void {
  const group = getGroup(ctx, groupId)
  if (!Array.isArray(userIds) || userIds.some((id) => typeof id !== 'string')) {
    throw new PlainError('userIds must be an array of user ids')
  }
  const wanted = [...new Set(userIds as string[])]
  const newUsers = wanted.filter((id) => !(group.users ?? []).includes(id)).map((id) => getUser(ctx, id))
  const oldUsers = (group.users ?? []).filter((id) => !wanted.includes(id)).map((id) => getUser(ctx, id))
  for (const user of newUsers) ctx.store.update(user.id, { groups: addTo(user.groups, group.id) })
  for (const user of oldUsers) ctx.store.update(user.id, { groups: removeFrom(user.groups, group.id) })
  ctx.store.update(group.id, { users: wanted })
}

/** `group.getAll`. */
export function getAllGroups(ctx: MockContext): Array<Record<string, unknown>> {
  return [...ctx.store.ofType<GroupObject>('group')].map(serializeGroup)
}
