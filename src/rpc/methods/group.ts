// JSON-RPC adapters of `group.*` (`api/group.mjs`).
import * as group from '../../domain/group.js'
import type { MethodTable } from '../types.js'

export const groupMethods: MethodTable = {
  'group.create': (call) => group.createGroup(call.ctx, call.params.name as string).id,
  'group.delete': (call) => {
    group.deleteGroup(call.ctx, call.params.id as string)
  },
  'group.getAll': (call) => group.getAllGroups(call.ctx),
  'group.set': (call) => {
    group.setGroup(call.ctx, call.params.id as string, { name: call.params.name as string | undefined })
  },
  'group.addUser': (call) => {
    group.addUserToGroup(call.ctx, call.params.id as string, call.params.userId as string)
  },
  'group.removeUser': (call) => {
    group.removeUserFromGroup(call.ctx, call.params.id as string, call.params.userId as string)
  },
  'group.setUsers': (call) => {
    group.setGroupUsers(call.ctx, call.params.id as string, call.params.userIds)
  },
}
