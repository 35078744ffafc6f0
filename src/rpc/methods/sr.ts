// JSON-RPC adapters of the `sr.*` methods (`sr.stats` is served with the other stats).
import {
  connectAllSrPbds,
  createSrOfKind,
  destroySr,
  disableSrMaintenanceMode,
  disconnectAllSrPbds,
  enableSrMaintenanceMode,
  forgetSr,
  getAllUnhealthyVdiChainsLength,
  getSrVdiChainsInfo,
  probeHbaExists,
  probeIscsiExists,
  probeNfsExists,
  probeNothing,
  probeZfs,
  reclaimSrSpace,
  scanSr,
  setSr,
  type CreateSrParams,
  type SrKind,
} from '../../domain/sr.js'
import { shutdownVm, startVm } from '../../domain/vm-lifecycle.js'
import type { MethodTable, RpcCall, RpcHandler } from '../types.js'

const create =
  (kind: SrKind): RpcHandler =>
  (call: RpcCall) =>
    createSrOfKind(call.ctx, kind, { ...call.params, host: call.objects.host!.id } as CreateSrParams)

const text = (call: RpcCall, key: string): string => call.params[key] as string

export const srMethods: MethodTable = {
  'sr.set': (call) => {
    const { name_label, name_description } = call.params as { name_label?: string; name_description?: string }
    setSr(call.ctx, call.objects.sr!.id, { name_label, name_description })
  },
  'sr.scan': (call) => scanSr(call.ctx, call.objects.SR!.id),
  'sr.destroy': (call) => destroySr(call.ctx, call.objects.sr!.id),
  'sr.forget': (call) => forgetSr(call.ctx, call.objects.SR!.id),
  'sr.connectAllPbds': (call) => connectAllSrPbds(call.ctx, call.objects.SR!.id),
  'sr.disconnectAllPbds': (call) => disconnectAllSrPbds(call.ctx, call.objects.SR!.id),
  'sr.enableMaintenanceMode': (call) =>
    enableSrMaintenanceMode(call.ctx, call.objects.sr!.id, (call.params.vmsToShutdown as string[] | undefined) ?? [], shutdownVm),
  'sr.disableMaintenanceMode': (call) => disableSrMaintenanceMode(call.ctx, call.objects.sr!.id, (ctx, vmId) => startVm(ctx, vmId)),
  'sr.reclaimSpace': (call) => reclaimSrSpace(call.ctx, call.objects.sr!.id),
  'sr.getVdiChainsInfo': (call) => getSrVdiChainsInfo(call.ctx, call.objects.sr!.id),
  'sr.getAllUnhealthyVdiChainsLength': (call) => getAllUnhealthyVdiChainsLength(call.ctx),

  'sr.createNfs': create('nfs'),
  'sr.createIso': create('iso'),
  'sr.createHba': create('hba'),
  'sr.createLvm': create('lvm'),
  'sr.createExt': create('ext'),
  'sr.createIscsi': create('iscsi'),
  'sr.createSmb': create('smb'),
  'sr.createZfs': create('zfs'),

  'sr.probeNfs': (call) => probeNothing(call.ctx, call.objects.host!.id),
  'sr.probeNfsExists': (call) => probeNfsExists(call.ctx, call.objects.host!.id, text(call, 'server'), text(call, 'serverPath')),
  'sr.probeIscsiIqns': (call) => probeNothing(call.ctx, call.objects.host!.id),
  'sr.probeIscsiLuns': (call) => probeNothing(call.ctx, call.objects.host!.id),
  'sr.probeIscsiExists': (call) =>
    probeIscsiExists(call.ctx, call.objects.host!.id, text(call, 'target'), text(call, 'targetIqn'), text(call, 'scsiId')),
  'sr.probeHba': (call) => probeNothing(call.ctx, call.objects.host!.id),
  'sr.probeHbaExists': (call) => probeHbaExists(call.ctx, call.objects.host!.id, text(call, 'scsiId')),
  'sr.probeZfs': (call) => probeZfs(call.ctx, call.objects.host!.id),
}
