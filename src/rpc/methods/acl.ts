// JSON-RPC adapters of `acl.*` (`api/acl.mjs`).
import * as acl from '../../domain/acl.js'
import type { MethodTable, RpcCall } from '../types.js'

const triple = (call: RpcCall) => [call.params.subject as string, call.params.object as string, call.params.action as string] as const

export const aclMethods: MethodTable = {
  'acl.add': (call) => {
    acl.addAcl(call.ctx, ...triple(call))
  },
  'acl.remove': (call) => {
    acl.removeAcl(call.ctx, ...triple(call))
  },
  'acl.get': (call) => acl.getAllAcls(call.ctx),
  'acl.getCurrentPermissions': (call) => acl.getPermissionsForUser(call.ctx, call.user!.id),
}
