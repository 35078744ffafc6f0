// JSON-RPC adapters of `host.*` (`api/host.mjs`): params → one domain operation each.
import * as host from '../../domain/host.js'
import type { MethodTable, RpcCall } from '../types.js'

const id = (call: RpcCall, key = 'host') => call.objects[key]!.id
const flag = (value: unknown) => (value === undefined ? undefined : value === true)

const restartAgent = (call: RpcCall) => {
  host.restartHostAgent(call.ctx, id(call), { bypassBackupCheck: flag(call.params.bypassBackupCheck) })
}

export const hostMethods: MethodTable = {
  'host.enable': (call) => {
    host.enableHost(call.ctx, id(call))
  },
  'host.disable': (call) => {
    host.disableHost(call.ctx, id(call))
  },
  'host.restart': (call) => {
    const p = call.params
    host.restartHost(call.ctx, id(call), {
      force: flag(p.force),
      suspendResidentVms: flag(p.suspendResidentVms),
      bypassBackupCheck: flag(p.bypassBackupCheck),
      bypassBlockedSuspend: flag(p.bypassBlockedSuspend),
      bypassCurrentVmCheck: flag(p.bypassCurrentVmCheck),
      bypassVersionCheck: flag(p.bypassVersionCheck),
    })
  },
  'host.restartAgent': restartAgent,
  'host.restart_agent': restartAgent,
  'host.stop': (call) => {
    host.stopHost(call.ctx, id(call), { bypassBackupCheck: flag(call.params.bypassBackupCheck), bypassEvacuate: flag(call.params.bypassEvacuate) })
  },
  'host.start': (call) => {
    host.startHost(call.ctx, id(call))
  },
  'host.detach': (call) => {
    host.detachHost(call.ctx, id(call))
  },
  'host.forget': (call) => {
    host.forgetHost(call.ctx, id(call))
  },
  'host.set': (call) => {
    const p = call.params as host.HostSettings
    host.setHost(call.ctx, id(call), {
      name_label: p.name_label,
      name_description: p.name_description,
      iscsiIqn: p.iscsiIqn,
      multipathing: p.multipathing,
    })
  },
  'host.emergencyShutdownHost': (call) => {
    host.emergencyShutdownHost(call.ctx, id(call))
  },
  'host.setMaintenanceMode': (call) => {
    host.setHostMaintenanceMode(call.ctx, id(call), call.params.maintenance === true)
  },
  'host.scanPifs': (call) => {
    host.scanHostPifs(call.ctx, id(call))
  },
  'host.setRemoteSyslogHost': (call) => {
    host.setRemoteSyslogHost(call.ctx, id(call), call.params.syslogDestination as string | null)
  },
  'host.isHyperThreadingEnabled': (call) => host.isHyperThreadingEnabled(call.ctx, id(call)),
  'host.getSchedulerGranularity': (call) => host.getSchedulerGranularity(call.ctx, id(call)),
  'host.setSchedulerGranularity': (call) => {
    host.setSchedulerGranularity(call.ctx, id(call), call.params.schedulerGranularity as 'cpu' | 'core' | 'socket')
  },
  'host.managementReconfigure': (call) => {
    host.managementReconfigureHost(call.ctx, id(call), id(call, 'pif'))
  },
  'host.setControlDomainMemory': (call) => {
    host.setControlDomainMemory(call.ctx, id(call), call.params.memory as number)
  },
  // time and keys are the mock's own: always consistent, keys long enough
  'host.isHostServerTimeConsistent': () => true,
  'host.isPubKeyTooShort': () => false,
}
