// JSON-RPC adapters of `resourceSet.*` (`api/resource-set.mjs`).
import * as resourceSet from '../../domain/resource-set.js'
import type { MethodTable, RpcCall } from '../types.js'

const setId = (call: RpcCall) => call.params.id as string
const param = (call: RpcCall, key: string) => call.params[key] as string

export const resourceSetMethods: MethodTable = {
  'resourceSet.create': (call) => resourceSet.createResourceSet(call.ctx, call.params as unknown as resourceSet.ResourceSetProps),
  'resourceSet.delete': (call) => {
    resourceSet.deleteResourceSet(call.ctx, setId(call))
  },
  'resourceSet.set': (call) => {
    const { id, ...settings } = call.params as unknown as resourceSet.ResourceSetSettings & { id: string }
    resourceSet.setResourceSet(call.ctx, id, settings)
  },
  'resourceSet.get': (call) => resourceSet.getServedResourceSet(call.ctx, setId(call)),
  'resourceSet.getAll': (call) => resourceSet.getAllResourceSets(call.ctx, call.user),
  'resourceSet.addObject': (call) => {
    resourceSet.addObjectToResourceSet(call.ctx, setId(call), param(call, 'object'))
  },
  'resourceSet.removeObject': (call) => {
    resourceSet.removeObjectFromResourceSet(call.ctx, setId(call), param(call, 'object'))
  },
  'resourceSet.addSubject': (call) => {
    resourceSet.addSubjectToResourceSet(call.ctx, setId(call), param(call, 'subject'))
  },
  'resourceSet.removeSubject': (call) => {
    resourceSet.removeSubjectFromResourceSet(call.ctx, setId(call), param(call, 'subject'))
  },
  'resourceSet.addLimit': (call) => {
    resourceSet.addLimitToResourceSet(call.ctx, setId(call), param(call, 'limitId'), call.params.quantity as number)
  },
  'resourceSet.removeLimit': (call) => {
    resourceSet.removeLimitFromResourceSet(call.ctx, setId(call), param(call, 'limitId'))
  },
  'resourceSet.recomputeAllLimits': (call) => {
    resourceSet.recomputeResourceSetsLimits(call.ctx)
  },
}
