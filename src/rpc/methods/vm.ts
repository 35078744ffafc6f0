// JSON-RPC adapters of the `vm.*` methods: each translates params (validated against methods.json,
// objects resolved) and calls one domain operation.
import { deleteVm } from '../../domain/vm-delete.js'
import { createVm, type CreateVmParams } from '../../domain/vm-create.js'
import { cloneVm, convertToTemplate, copyToTemplate, copyVm, migrateVm, revertSnapshot, snapshotVm } from '../../domain/vm-copy.js'
import { pauseVm, recoveryStartVm, restartVm, resumeVm, startVm, stopVm, suspendVm } from '../../domain/vm-lifecycle.js'
import {
  attachDisk,
  attachPcis,
  coalesceLeaf,
  createCloudInitConfigDrive,
  createInterface,
  detachPcis,
  ejectCd,
  getCloudInitConfig,
  getHaValues,
  getSecurebootReadiness,
  insertCd,
  recordVmDataSource,
  setAndRestartVm,
  setBootOrder,
  setVm,
  type VmSettings,
} from '../../domain/vm.js'
import type { MethodTable, RpcCall } from '../types.js'

/** The id of a resolved object (the pipeline resolved it from the method's `resolve` declaration). */
const id = (call: RpcCall, name: string): string => call.objects[name]!.id
/** The id of an optional resolved object. */
const optionalId = (call: RpcCall, name: string): string | undefined => call.objects[name]?.id
const isAdmin = (call: RpcCall): boolean => call.user === undefined || call.user.permission === 'admin'

/** `vm.set` params without `id` and the resolved objects, as domain settings. */
function settingsOf(call: RpcCall): VmSettings {
  const { id: _id, force: _force, ...settings } = call.params
  if (call.objects.suspendSr !== undefined) settings.suspendSr = call.objects.suspendSr.id
  return settings as VmSettings
}

export const vmMethods: MethodTable = {
  'vm.create': (call) => {
    const { template: _template, ...params } = call.params
    return createVm(call.ctx, { ...params, template: id(call, 'template') } as CreateVmParams, { user: call.user?.id })
  },
  'vm.delete': (call) => {
    const { deleteDisks, force, forceDeleteDefaultTemplate, forceBlockedOperation } = call.params as Record<string, boolean | undefined>
    deleteVm(call.ctx, id(call, 'vm'), { deleteDisks, force, forceDeleteDefaultTemplate, forceBlockedOperation })
  },

  'vm.start': (call) => {
    const { force, bypassMacAddressesCheck } = call.params as Record<string, boolean | undefined>
    startVm(call.ctx, id(call, 'vm'), { host: optionalId(call, 'host'), force, bypassMacAddressesCheck })
  },
  'vm.stop': (call) => {
    const { force, bypassBlockedOperation } = call.params as Record<string, boolean | undefined>
    stopVm(call.ctx, id(call, 'vm'), { force, bypassBlockedOperation })
  },
  'vm.restart': (call) => {
    const { force, bypassBlockedOperation } = call.params as Record<string, boolean | undefined>
    restartVm(call.ctx, id(call, 'vm'), { force, bypassBlockedOperation })
  },
  'vm.suspend': (call) => suspendVm(call.ctx, id(call, 'vm')),
  'vm.resume': (call) => resumeVm(call.ctx, id(call, 'vm')),
  'vm.pause': (call) => pauseVm(call.ctx, id(call, 'vm')),
  'vm.recoveryStart': (call) => recoveryStartVm(call.ctx, id(call, 'vm')),

  'vm.set': (call) => setVm(call.ctx, id(call, 'VM'), settingsOf(call), { admin: isAdmin(call) }),
  'vm.setAndRestart': (call) => setAndRestartVm(call.ctx, id(call, 'VM'), settingsOf(call), { force: call.params.force as boolean | undefined, admin: isAdmin(call) }),

  'vm.snapshot': (call) => {
    const { name, description, saveMemory } = call.params as { name?: string; description?: string; saveMemory?: boolean }
    return snapshotVm(call.ctx, id(call, 'vm'), { name, description, saveMemory })
  },
  'vm.revert': (call) => revertSnapshot(call.ctx, id(call, 'snapshot')),
  'vm.clone': (call) => cloneVm(call.ctx, id(call, 'vm'), { name: call.params.name as string, fullCopy: call.params.full_copy as boolean }),
  'vm.copy': (call) => copyVm(call.ctx, id(call, 'vm'), id(call, 'sr'), { name: call.params.name as string | undefined }),
  'vm.copyToTemplate': (call) => {
    copyToTemplate(call.ctx, id(call, 'vm'))
  },
  'vm.convertToTemplate': (call) => convertToTemplate(call.ctx, id(call, 'vm')),
  'vm.migrate': (call) => {
    const { sr, mapVdisSrs, mapVifsNetworks, force, bypassAssert } = call.params as {
      sr?: string
      mapVdisSrs?: Record<string, string>
      mapVifsNetworks?: Record<string, string>
      force?: boolean
      bypassAssert?: boolean
    }
    migrateVm(call.ctx, id(call, 'vm'), id(call, 'host'), {
      sr,
      mapVdisSrs,
      mapVifsNetworks,
      migrationNetwork: optionalId(call, 'migrationNetwork'),
      force,
      bypassAssert,
    })
  },

  'vm.attachDisk': (call) => {
    const { position, mode, bootable } = call.params as { position?: string; mode?: string; bootable?: boolean }
    attachDisk(call.ctx, id(call, 'vm'), id(call, 'vdi'), { position, mode, bootable })
  },
  'vm.createInterface': (call) => {
    const { position, mac, allowedIpv4Addresses, allowedIpv6Addresses } = call.params as {
      position?: string | number
      mac?: string
      allowedIpv4Addresses?: string[]
      allowedIpv6Addresses?: string[]
    }
    return createInterface(call.ctx, id(call, 'vm'), id(call, 'network'), { position, mac, allowedIpv4Addresses, allowedIpv6Addresses })
  },
  'vm.insertCd': (call) => insertCd(call.ctx, id(call, 'vm'), id(call, 'vdi'), { force: (call.params.force as boolean | undefined) ?? true }),
  'vm.ejectCd': (call) => ejectCd(call.ctx, id(call, 'vm')),
  'vm.setBootOrder': (call) => setBootOrder(call.ctx, id(call, 'vm'), call.params.order as string),
  'vm.attachPcis': (call) => attachPcis(call.ctx, id(call, 'vm'), call.params.pcis as string[]),
  'vm.detachPcis': (call) => detachPcis(call.ctx, id(call, 'vm'), call.params.pciIds as string[]),
  'vm.createCloudInitConfigDrive': (call) => {
    createCloudInitConfigDrive(call.ctx, id(call, 'vm'), id(call, 'sr'), call.params.config as string, call.params.networkConfig as string | undefined)
  },
  'vm.getCloudInitConfig': (call) => getCloudInitConfig(call.ctx, id(call, 'template')),
  'vm.getHaValues': () => getHaValues(),
  'vm.getSecurebootReadiness': (call) => getSecurebootReadiness(call.ctx, id(call, 'vm')),
  'vm.addDataSource': (call) => recordVmDataSource(call.ctx, id(call, 'vm'), call.params.dataSource as string),
  'vm.removeDataSource': (call) => recordVmDataSource(call.ctx, id(call, 'vm'), call.params.dataSource as string),
  'vm.coalesceLeaf': (call) => coalesceLeaf(call.ctx, id(call, 'vm')),
}

