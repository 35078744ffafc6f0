/**
 * Users (`api/user.mjs`, `xo-mixins/subjects.mjs`, `models/user.mjs`). Users are stored with a plain
 * `password` (never served: see `publicUser` / `serializeUser`). Emails are unique, compared
 * case-insensitively: a duplicate gives code 16 `user already exists`.
 */
import type { MockContext } from '../context.js'
import type { TokenObject, UserObject } from '../inventory/types.js'
import { findUserByEmail, publicUser } from './auth.js'
import { removeAclsOfSubject } from './acl.js'
import { removeSubjectFromAclRoles } from './acl-role.js'
import { forbiddenOperation, invalidCredentials, invalidParameters, objectAlreadyExists } from './errors.js'
import { requireObject } from './pool.js'

export type Permission = UserObject['permission']

export const getUser = (ctx: MockContext, id: string) => requireObject<UserObject>(ctx, id, 'user')

const isSynchronized = (user: UserObject) =>
  user.authProviders !== undefined && user.authProviders !== null && Object.keys(user.authProviders as object).length > 0

function assertEmailFree(ctx: MockContext, email: string, exceptId?: string): void {
  const existing = findUserByEmail(ctx, email)
  if (existing !== undefined && existing.id !== exceptId) throw objectAlreadyExists(existing.id, 'user')
}

export interface CreateUserOptions {
  readonly email: string
  readonly password?: string
  /** Any string is stored, as XO does; `none` by default. */
  readonly permission?: string
}

/** `user.create`: returns the new user (id: UUID v4). */
export function createUser(ctx: MockContext, options: CreateUserOptions): UserObject {
  assertEmailFree(ctx, options.email)
  return ctx.store.add<UserObject>({
    id: ctx.ids.uuid(),
    type: 'user',
    email: options.email,
    name: options.email,
    permission: (options.permission === undefined || options.permission === '' ? 'none' : options.permission) as Permission,
    groups: [],
    preferences: {},
    ...(options.password === undefined || options.password === '' ? {} : { password: options.password }),
  })
}

/**
 * `user.delete`: a user cannot delete itself (code 10). The user's tokens and ACLs go with it and it
 * leaves its groups. (Closing its open connections is the transport's business.)
 */
export function deleteUser(ctx: MockContext, actingUserId: string | undefined, id: string): void {
  if (id === actingUserId) throw invalidParameters('a user cannot delete itself')
  const user = getUser(ctx, id)
  ctx.store.remove(user.id)
  for (const token of [...ctx.store.ofType<TokenObject>('token')]) if (token.user_id === user.id) ctx.store.remove(token.id)
  removeAclsOfSubject(ctx, user.id)
  removeSubjectFromAclRoles(ctx, user.id)
  for (const groupId of user.groups ?? []) {
    const group = ctx.store.get(groupId)
    if (group?.type === 'group' && Array.isArray(group.users)) {
      ctx.store.update(group.id, { users: (group.users as string[]).filter((userId) => userId !== user.id) })
    }
  }
}

export interface UserSettings {
  readonly email?: string
  readonly password?: string
  readonly permission?: string
  /** Merged into the preferences; a null value deletes the preference. */
  readonly preferences?: Record<string, unknown>
}

/**
 * `user.set`. Non-admins may only change preferences (of any user: XO does not check the id); an admin
 * cannot change its own permission; the email and password of a synchronized user (auth providers)
 * cannot change (code 5).
 */
export function setUser(ctx: MockContext, caller: Pick<UserObject, 'id' | 'permission'> | undefined, id: string, settings: UserSettings): UserObject {
  const isAdmin = caller?.permission === 'admin'
  if (isAdmin) {
    if (settings.permission && id === caller!.id) throw invalidParameters('a user cannot change its own permission')
  } else if (settings.email || settings.password || settings.permission) {
    throw invalidParameters('this properties can only changed by an administrator')
  }
  const user = getUser(ctx, id)
  if (isSynchronized(user) && (settings.email !== undefined || settings.password !== undefined)) {
    throw forbiddenOperation('set password', 'cannot change the email or password of synchronized user')
  }
  const patch: Record<string, unknown> = {}
  if (settings.email) {
    if (settings.email !== user.email) assertEmailFree(ctx, settings.email, user.id)
    patch.email = settings.email
    patch.name = settings.email
  }
  if (settings.permission) patch.permission = settings.permission
  if (settings.password) patch.password = settings.password
  if (settings.preferences !== undefined) {
    const preferences = { ...(user.preferences ?? {}) }
    for (const [key, value] of Object.entries(settings.preferences)) {
      if (value === null || value === undefined) delete preferences[key]
      else preferences[key] = value
    }
    patch.preferences = preferences
  }
  return ctx.store.update<UserObject>(user.id, patch)
}

/** `user.changePassword` (the caller's own): wrong old password → code 3; synchronized user → code 5. */
export function changeUserPassword(ctx: MockContext, userId: string, oldPassword: string, newPassword: string): UserObject {
  const user = getUser(ctx, userId)
  if (isSynchronized(user)) throw forbiddenOperation('change password', 'synchronized users cannot change their passwords')
  if (user.password === undefined || user.password !== oldPassword) throw invalidCredentials()
  return ctx.store.update<UserObject>(user.id, { password: newPassword })
}

/** `user.removeAuthProvider`. */
export function removeUserAuthProvider(ctx: MockContext, id: string, authProvider: string): UserObject {
  const user = getUser(ctx, id)
  const providers = { ...((user.authProviders ?? {}) as Record<string, unknown>) }
  delete providers[authProvider]
  return ctx.store.update<UserObject>(user.id, { authProviders: Object.keys(providers).length === 0 ? undefined : providers })
}

/** `user.getAll`: public properties only (no password). */
export function getAllUsers(ctx: MockContext): Array<Record<string, unknown>> {
  return [...ctx.store.ofType<UserObject>('user')].map(publicUser)
}
