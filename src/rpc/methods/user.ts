// JSON-RPC adapters of `user.*` (`api/user.mjs`); `user.getAuthenticationTokens` belongs to the transport.
import * as user from '../../domain/user.js'
import type { MethodTable } from '../types.js'

export const userMethods: MethodTable = {
  'user.create': (call) =>
    user.createUser(call.ctx, {
      email: call.params.email as string,
      password: call.params.password as string,
      permission: call.params.permission as string | undefined,
    }).id,
  'user.delete': (call) => {
    const id = call.params.id as string
    user.deleteUser(call.ctx, call.user?.id, id)
    // as XO, the deleted user's open connections are closed
    for (const connection of call.server?.connections() ?? []) if (connection.userId === id) call.server.closeConnection(connection.id)
  },
  'user.getAll': (call) => user.getAllUsers(call.ctx),
  'user.set': (call) => {
    const p = call.params as unknown as user.UserSettings & { id: string }
    user.setUser(call.ctx, call.user, p.id, { email: p.email, password: p.password, permission: p.permission, preferences: p.preferences })
  },
  'user.changePassword': (call) => {
    user.changeUserPassword(call.ctx, call.user!.id, call.params.oldPassword as string, call.params.newPassword as string)
  },
  'user.removeAuthProvider': (call) => {
    user.removeUserAuthProvider(call.ctx, call.params.id as string, call.params.authProvider as string)
  },
}
