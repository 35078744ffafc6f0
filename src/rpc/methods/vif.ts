// JSON-RPC adapters of the `vif.*` methods.
import { connectVif, deleteVif, disconnectVif, getLockingModeValues, setVif, type VifSettings } from '../../domain/vif.js'
import type { MethodTable } from '../types.js'

export const vifMethods: MethodTable = {
  'vif.connect': (call) => connectVif(call.ctx, call.objects.vif!.id),
  'vif.disconnect': (call) => disconnectVif(call.ctx, call.objects.vif!.id),
  'vif.delete': (call) => deleteVif(call.ctx, call.objects.vif!.id),
  'vif.set': (call) => {
    const { id: _id, network: _network, resourceSet: _resourceSet, ...settings } = call.params
    return setVif(call.ctx, call.objects.vif!.id, { ...settings, network: call.objects.network?.id } as VifSettings)
  },
  'vif.getLockingModeValues': () => getLockingModeValues(),
}
