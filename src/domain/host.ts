/**
 * Host operations (`api/host.mjs`, `xapi/index.mjs` `clearHost`/`rebootHost`/`shutdownHost`,
 * `@xen-orchestra/xapi/host.mjs` `smartReboot`), with XAPI's rules:
 * - reboot and shutdown need the host disabled and no running VM on it (`HOST_IN_USE`), so XO first
 *   disables the host and evacuates its VMs (`host.evacuate`) to the other enabled, live hosts of the
 *   pool; a VM on a local SR cannot move (`VM_REQUIRES_SR`), no target gives `NO_HOSTS_AVAILABLE`;
 * - an operation on a host that is not live gives `HOST_OFFLINE` (XO: code 18).
 *
 * Hosts and their VMs change through the store only. VM power transitions done here (evacuation,
 * suspension, halting on reboot) are minimal record updates (`power_state`, `$container`, `startTime`,
 * device `attached` flags).
 */
import type { MockContext } from '../context.js'
import type { HostObject, VmObject, XoObject } from '../inventory/types.js'
import { incorrectState, PlainError } from './errors.js'
import type { PoolObject } from './pool.js'
import {
  backupGuard,
  compareVersions,
  getPool,
  nowSeconds,
  requireObject,
  setManagementPif,
  xapiError,
} from './pool.js'

export const getHost = (ctx: MockContext, id: string) => requireObject<HostObject>(ctx, id, 'host')

export const isHostLive = (host: HostObject) => host.power_state === 'Running'

/** Hosts of a pool, in store order. */
export function hostsOfPool(ctx: MockContext, poolId: string): HostObject[] {
  return [...ctx.store.ofType<HostObject>('host')].filter((host) => host.$pool === poolId)
}

function assertLive(host: HostObject): void {
  if (!isHostLive(host)) throw xapiError('HOST_OFFLINE', host._xapiRef)
}

/** Resident guest VMs (not the control domain) of a host. */
function residentGuests(ctx: MockContext, hostId: string): VmObject[] {
  const host = ctx.store.get(hostId) as HostObject
  const out: VmObject[] = []
  for (const id of host.residentVms ?? []) {
    const vm = ctx.store.get(id)
    if (vm?.type === 'VM') out.push(vm as VmObject)
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// VM record transitions used by host operations

function setDevicesAttached(ctx: MockContext, vm: VmObject, attached: boolean): void {
  for (const id of [...(vm.$VBDs ?? []), ...(vm.VIFs ?? [])]) {
    const device = ctx.store.get(id)
    if (device !== undefined && device.attached !== attached) ctx.store.update(id, { attached })
  }
}

/** VM suspended (`VM.suspend`): no longer resident, devices detached. */
export function suspendVmRecord(ctx: MockContext, vmId: string): void {
  const vm = ctx.store.get(vmId) as VmObject
  ctx.store.update(vmId, { power_state: 'Suspended', $container: vm.$pool, startTime: null })
  setDevicesAttached(ctx, vm, false)
}

/** VM resumed on a host (`VM.resume`). */
export function resumeVmRecord(ctx: MockContext, vmId: string, hostId: string): void {
  const vm = ctx.store.get(vmId) as VmObject
  ctx.store.update(vmId, { power_state: 'Running', $container: hostId, startTime: nowSeconds(ctx) })
  setDevicesAttached(ctx, vm, true)
}

/** VM killed with its host (reboot or shutdown of a host with paused VMs). */
export function haltVmRecord(ctx: MockContext, vmId: string): void {
  const vm = ctx.store.get(vmId) as VmObject
  ctx.store.update(vmId, { power_state: 'Halted', $container: vm.$pool, startTime: null })
  setDevicesAttached(ctx, vm, false)
}

// ---------------------------------------------------------------------------------------------------
// Evacuation

/**
 * Where each resident guest VM of the host would go (`host.evacuate`): another live, enabled host of
 * the pool, the least loaded first; VMs with a disk on a local SR cannot move.
 */
export function evacuationPlan(ctx: MockContext, host: HostObject, options: { anyTargetState?: boolean } = {}): Array<[VmObject, HostObject]> {
  const vms = residentGuests(ctx, host.id).filter((vm) => vm.power_state === 'Running' || vm.power_state === 'Paused')
  if (vms.length === 0) return []
  const targets = hostsOfPool(ctx, host.$pool).filter(
    (other) => other.id !== host.id && (options.anyTargetState === true || (isHostLive(other) && other.enabled)),
  )
  const load = new Map(targets.map((target) => [target.id, residentGuests(ctx, target.id).length]))
  const plan: Array<[VmObject, HostObject]> = []
  for (const vm of vms) {
    for (const vbdId of vm.$VBDs ?? []) {
      const vbd = ctx.store.get(vbdId)
      const vdi = typeof vbd?.VDI === 'string' ? ctx.store.get(vbd.VDI) : undefined
      const sr = typeof vdi?.$SR === 'string' ? ctx.store.get(vdi.$SR) : undefined
      if (sr !== undefined && sr.shared !== true && sr.$container === host.id) {
        throw xapiError('VM_REQUIRES_SR', vm._xapiRef, sr._xapiRef as string)
      }
    }
    let best: HostObject | undefined
    for (const target of targets) if (best === undefined || load.get(target.id)! < load.get(best.id)!) best = target
    if (best === undefined) throw xapiError('NO_HOSTS_AVAILABLE')
    load.set(best.id, load.get(best.id)! + 1)
    plan.push([vm, best])
  }
  return plan
}

/** XAPI `host.evacuate`: migrates the resident guests away (atomic in the mock: all or nothing). */
export function evacuateHost(ctx: MockContext, hostId: string): void {
  const host = getHost(ctx, hostId)
  assertLive(host)
  for (const [vm, target] of evacuationPlan(ctx, host)) ctx.store.update(vm.id, { $container: target.id })
}

/**
 * `xapi.clearHost`: disables the host and evacuates it. When the evacuation fails, the host is
 * re-enabled and the error thrown, unless `force`.
 */
export function clearHost(ctx: MockContext, host: HostObject, force: boolean): void {
  assertLive(host)
  ctx.store.update(host.id, { enabled: false })
  try {
    evacuateHost(ctx, host.id)
  } catch (error) {
    if (!force) {
      ctx.store.update(host.id, { enabled: true })
      throw error
    }
  }
}

/** XAPI's precondition of `host.reboot` / `host.shutdown` (`assert_bacon_mode`). */
function assertBaconMode(ctx: MockContext, host: HostObject): void {
  const current = ctx.store.get(host.id) as HostObject
  if (current.enabled) throw xapiError('HOST_NOT_DISABLED')
  const running = residentGuests(ctx, host.id).find((vm) => vm.power_state === 'Running')
  if (running !== undefined) throw xapiError('HOST_IN_USE', host._xapiRef, 'vm', running._xapiRef)
}

/** The host record after a reboot: agent restarted, enabled again, paused guests gone. */
export function rebootHostRecord(ctx: MockContext, hostId: string): HostObject {
  const host = getHost(ctx, hostId)
  assertBaconMode(ctx, host)
  for (const vm of residentGuests(ctx, host.id)) haltVmRecord(ctx, vm.id)
  const now = nowSeconds(ctx)
  return ctx.store.update<HostObject>(host.id, {
    enabled: true,
    power_state: 'Running',
    startTime: now,
    agentStartTime: now,
    rebootRequired: false,
    otherConfig: { ...((host.otherConfig ?? {}) as Record<string, string>), agent_start_time: `${now}.`, boot_time: `${now}.` },
  })
}

/** The host record after a shutdown: halted, disabled, paused guests gone. */
export function shutdownHostRecord(ctx: MockContext, hostId: string): HostObject {
  const host = getHost(ctx, hostId)
  if (host.enabled) ctx.store.update(host.id, { enabled: false })
  assertBaconMode(ctx, host)
  for (const vm of residentGuests(ctx, host.id)) haltVmRecord(ctx, vm.id)
  return ctx.store.update<HostObject>(host.id, { power_state: 'Halted', enabled: false })
}

// ---------------------------------------------------------------------------------------------------
// Operations

/** `host.enable` (XAPI `host.enable`). */
export function enableHost(ctx: MockContext, hostId: string): HostObject {
  const host = getHost(ctx, hostId)
  assertLive(host)
  return ctx.store.update<HostObject>(host.id, { enabled: true })
}

/** `host.disable` (XAPI `host.disable`): no new VM starts on it. */
export function disableHost(ctx: MockContext, hostId: string): HostObject {
  const host = getHost(ctx, hostId)
  assertLive(host)
  return ctx.store.update<HostObject>(host.id, { enabled: false })
}

export interface RestartHostOptions {
  readonly force?: boolean
  readonly suspendResidentVms?: boolean
  readonly bypassBackupCheck?: boolean
  readonly bypassBlockedSuspend?: boolean
  readonly bypassCurrentVmCheck?: boolean
  readonly bypassVersionCheck?: boolean
}

/**
 * `host.restart`: version check (a slave needing a reboot waits for its master), backup guard, then
 * either a plain reboot (evacuate, reboot; VMs that cannot move make it fail unless `force`, and even
 * then `HOST_IN_USE` remains while one runs) or a smart reboot (`suspendResidentVms`: resident VMs are
 * suspended, the host rebooted, the VMs resumed on it).
 */
export function restartHost(ctx: MockContext, hostId: string, options: RestartHostOptions = {}): HostObject {
  const host = getHost(ctx, hostId)
  const force = options.force ?? false
  const bypassVersionCheck = options.bypassVersionCheck ?? force
  const bypassBlockedSuspend = options.bypassBlockedSuspend ?? force
  if (!bypassVersionCheck && host.rebootRequired === true) {
    const pool = getPool(ctx, host.$pool)
    const master = ctx.store.get(pool.master) as HostObject | undefined
    if (master !== undefined && master.id !== host.id) {
      const cmp = compareVersions(String(master.version ?? '0'), String(host.version ?? '0'))
      if (cmp < 0 || (cmp === 0 && master.rebootRequired === true)) {
        throw incorrectState({ actual: true, expected: false, object: master.id, property: 'rebootRequired' })
      }
    }
  }
  if (options.bypassBackupCheck !== true) backupGuard(ctx, host.$pool)
  assertLive(host)

  if (options.suspendResidentVms !== true) {
    clearHost(ctx, host, force)
    return rebootHostRecord(ctx, host.id)
  }

  // smart reboot
  ctx.store.update(host.id, { enabled: false })
  const guests = residentGuests(ctx, host.id).filter((vm) => vm.power_state !== 'Halted' && vm.power_state !== 'Suspended')
  const blocked = guests.filter((vm) => (vm.blockedOperations as Record<string, unknown> | undefined)?.suspend !== undefined)
  if (!bypassBlockedSuspend && blocked.length > 0) {
    ctx.store.update(host.id, { enabled: true })
    throw incorrectState({ actual: blocked.map((vm) => vm.uuid), expected: [], object: 'suspendBlocked' })
  }
  const suspended = guests.filter((vm) => vm.power_state === 'Running').map((vm) => vm.id)
  for (const id of suspended) suspendVmRecord(ctx, id)
  const rebooted = rebootHostRecord(ctx, host.id)
  for (const id of suspended) if (ctx.store.has(id)) resumeVmRecord(ctx, id, host.id)
  return rebooted
}

/** `host.restartAgent` (alias `host.restart_agent`): the toolstack restarts, `agentStartTime` moves. */
export function restartHostAgent(ctx: MockContext, hostId: string, options: { bypassBackupCheck?: boolean } = {}): HostObject {
  const host = getHost(ctx, hostId)
  if (options.bypassBackupCheck !== true) backupGuard(ctx, host.$pool)
  assertLive(host)
  const now = nowSeconds(ctx)
  return ctx.store.update<HostObject>(host.id, {
    agentStartTime: now,
    otherConfig: { ...((host.otherConfig ?? {}) as Record<string, string>), agent_start_time: `${now}.` },
  })
}

export interface StopHostOptions {
  readonly bypassBackupCheck?: boolean
  /** Only disable the host instead of evacuating it (running VMs then make the shutdown fail). */
  readonly bypassEvacuate?: boolean
  readonly force?: boolean
}

/** `host.stop` (`xapi.shutdownHost`): evacuate (or only disable), then shut down: `power_state: 'Halted'`. */
export function stopHost(ctx: MockContext, hostId: string, options: StopHostOptions = {}): HostObject {
  const host = getHost(ctx, hostId)
  if (options.bypassBackupCheck !== true) backupGuard(ctx, host.$pool)
  assertLive(host)
  if (options.bypassEvacuate === true) ctx.store.update(host.id, { enabled: false })
  else clearHost(ctx, host, options.force ?? false)
  return shutdownHostRecord(ctx, host.id)
}

/**
 * `host.start` (XAPI `host.power_on`): the host must be down (`HOST_IS_LIVE`) and have a power-on
 * mode (`HOST_POWER_ON_MODE_DISABLED` when `powerOnMode` is `''`). It boots enabled.
 */
export function startHost(ctx: MockContext, hostId: string): HostObject {
  const host = getHost(ctx, hostId)
  if (isHostLive(host)) throw xapiError('HOST_IS_LIVE', host._xapiRef)
  if (host.powerOnMode === '') throw xapiError('HOST_POWER_ON_MODE_DISABLED')
  const now = nowSeconds(ctx)
  return ctx.store.update<HostObject>(host.id, {
    power_state: 'Running',
    enabled: true,
    startTime: now,
    agentStartTime: now,
    rebootRequired: false,
    otherConfig: { ...((host.otherConfig ?? {}) as Record<string, string>), agent_start_time: `${now}.`, boot_time: `${now}.` },
  })
}

/** `host.emergencyShutdownHost`: suspend every resident guest (failures ignored), disable, shut down. */
export function emergencyShutdownHost(ctx: MockContext, hostId: string): HostObject {
  const host = getHost(ctx, hostId)
  assertLive(host)
  for (const vm of residentGuests(ctx, host.id)) if (vm.power_state === 'Running') suspendVmRecord(ctx, vm.id)
  ctx.store.update(host.id, { enabled: false })
  return shutdownHostRecord(ctx, host.id)
}

/** `host.setMaintenanceMode`: on → disable and evacuate (error re-enables), off → enable. */
export function setHostMaintenanceMode(ctx: MockContext, hostId: string, maintenance: boolean): HostObject {
  const host = getHost(ctx, hostId)
  if (!maintenance) return enableHost(ctx, host.id)
  clearHost(ctx, host, false)
  return ctx.store.get(host.id) as HostObject
}

export interface HostSettings {
  readonly name_label?: string
  readonly name_description?: string
  /** `''` removes it. */
  readonly iscsiIqn?: string
  readonly multipathing?: boolean
}

/** `host.set`. */
export function setHost(ctx: MockContext, hostId: string, settings: HostSettings): HostObject {
  const host = getHost(ctx, hostId)
  const patch: Record<string, unknown> = {}
  const otherConfig = { ...((host.otherConfig ?? {}) as Record<string, string>) }
  if (settings.name_label !== undefined) patch.name_label = settings.name_label
  if (settings.name_description !== undefined) patch.name_description = settings.name_description
  if (settings.iscsiIqn !== undefined) {
    patch.iscsiIqn = settings.iscsiIqn
    if (settings.iscsiIqn === '') delete otherConfig.iscsi_iqn
    else otherConfig.iscsi_iqn = settings.iscsiIqn
    patch.otherConfig = otherConfig
  }
  if (settings.multipathing !== undefined) {
    assertLive(host)
    patch.multipathing = settings.multipathing
    if (settings.multipathing) Object.assign(otherConfig, { multipathing: 'true', multipathhandle: 'dmp' })
    else otherConfig.multipathing = 'false'
    patch.otherConfig = otherConfig
  }
  return ctx.store.update<HostObject>(host.id, patch)
}

/** `host.setRemoteSyslogHost`: `logging.syslog_destination` (null removes it). */
export function setRemoteSyslogHost(ctx: MockContext, hostId: string, destination: string | null): HostObject {
  const host = getHost(ctx, hostId)
  const logging = { ...((host.logging ?? {}) as Record<string, string>) }
  if (destination === null || destination === '') delete logging.syslog_destination
  else logging.syslog_destination = destination
  return ctx.store.update<HostObject>(host.id, { logging })
}

/** `host.scanPifs` (XAPI `PIF.scan`): the mock has no undiscovered NIC, nothing changes. */
export function scanHostPifs(ctx: MockContext, hostId: string): void {
  assertLive(getHost(ctx, hostId))
}

/** `host.isHyperThreadingEnabled`: from `CPUs.threads_per_core`, null when unknown. */
export function isHyperThreadingEnabled(ctx: MockContext, hostId: string): boolean | null {
  const cpus = (getHost(ctx, hostId).CPUs ?? {}) as Record<string, unknown>
  const threads = cpus.threads_per_core
  return threads === undefined ? null : Number(threads) > 1
}

/** `host.getSchedulerGranularity` (`sched_gran`, kept in the host's `otherConfig` by the mock). */
export function getSchedulerGranularity(ctx: MockContext, hostId: string): string {
  const otherConfig = (getHost(ctx, hostId).otherConfig ?? {}) as Record<string, string>
  return otherConfig['xo-mock:sched_gran'] ?? 'cpu'
}

/** `host.setSchedulerGranularity`. */
export function setSchedulerGranularity(ctx: MockContext, hostId: string, granularity: 'cpu' | 'core' | 'socket'): void {
  const host = getHost(ctx, hostId)
  ctx.store.update(host.id, { otherConfig: { ...((host.otherConfig ?? {}) as Record<string, string>), 'xo-mock:sched_gran': granularity } })
}

/** `host.managementReconfigure`: the PIF becomes its host's management interface. */
export function managementReconfigureHost(ctx: MockContext, hostId: string, pifId: string): void {
  const host = getHost(ctx, hostId)
  const pif = requireObject(ctx, pifId, 'PIF')
  assertLive(host)
  if (pif.mode === 'None' && (pif.ipv6Mode === 'None' || pif.ipv6Mode === undefined)) {
    throw xapiError('PIF_HAS_NO_NETWORK_CONFIGURATION', pif._xapiRef as string)
  }
  setManagementPif(ctx, pif)
}

/** Objects attached to a host that leave with it (PIFs, PBDs, PCIs, PGPUs, control domain). */
function hostDependents(ctx: MockContext, host: HostObject): XoObject[] {
  const out: XoObject[] = []
  for (const object of ctx.store.all()) {
    if (
      ((object.type === 'PIF' || object.type === 'PCI' || object.type === 'PGPU') && object.$host === host.id) ||
      (object.type === 'PBD' && object.host === host.id) ||
      (object.type === 'VM-controller' && object.$container === host.id)
    ) {
      out.push(object)
    }
  }
  return out
}

function removeHostRecords(ctx: MockContext, host: HostObject): void {
  for (const object of hostDependents(ctx, host)) {
    if (object.type === 'PIF') {
      for (const bond of [...ctx.store.ofType('bond')]) if (bond.master === object.id) ctx.store.remove(bond.id)
    }
    if (ctx.store.has(object.id)) ctx.store.remove(object.id)
  }
  ctx.store.remove(host.id)
}

/**
 * `host.forget` (XAPI `host.destroy`): only for a host that is down and not the master. The host and
 * its PIFs, PBDs, PCIs, PGPUs, bonds and control domain leave the inventory.
 */
export function forgetHost(ctx: MockContext, hostId: string): void {
  const host = getHost(ctx, hostId)
  const pool = ctx.store.get(host.$pool) as PoolObject | undefined
  if (pool?.master === host.id) throw xapiError('HOST_CANNOT_DESTROY_SELF', host._xapiRef)
  if (isHostLive(host)) throw xapiError('HOST_IS_LIVE', host._xapiRef)
  if (residentGuests(ctx, host.id).length > 0) throw xapiError('HOST_HAS_RESIDENT_VMS', host._xapiRef)
  removeHostRecords(ctx, host)
}

/**
 * `host.detach` (XAPI `pool.eject`, then XO registers a server for the ejected host's address): the
 * host (not the master, no running guest) and its dependent records leave the pool. The mock does not
 * materialize the new single-host pool: the new server entry stays disconnected.
 */
export function detachHost(ctx: MockContext, hostId: string): void {
  const host = getHost(ctx, hostId)
  const pool = getPool(ctx, host.$pool)
  if (pool.master === host.id) throw xapiError('OPERATION_NOT_ALLOWED', 'Cannot eject the pool master')
  assertLive(host)
  const running = residentGuests(ctx, host.id)[0]
  if (running !== undefined) throw xapiError('HOST_IN_USE', host._xapiRef, 'vm', running._xapiRef)
  const server = [...ctx.store.ofType('server')].find((s) => s.poolId === pool.id)
  removeHostRecords(ctx, host)
  if (server !== undefined && typeof host.address === 'string') {
    const { id: _id, type: _type, status: _status, poolId: _poolId, error: _error, poolNameLabel: _p, ...props } = server
    ctx.store.add({ ...props, id: ctx.ids.uuid(), type: 'server', host: host.address, enabled: true, status: 'disconnected' })
  }
}

/**
 * `host.setControlDomainMemory`: the host must be disabled (plain assertion error); the control
 * domain's memory is set, then the host reboots.
 */
export function setControlDomainMemory(ctx: MockContext, hostId: string, memory: number): HostObject {
  const host = getHost(ctx, hostId)
  if (host.enabled) throw new PlainError('The expression evaluated to a falsy value:\n\n  assert(!host.enabled)\n')
  const dom0 = typeof host.controlDomain === 'string' ? (ctx.store.get(host.controlDomain) as VmObject | undefined) : undefined
  if (dom0 !== undefined) {
    const current = dom0.memory ?? { dynamic: [memory, memory], static: [memory, memory], size: memory }
    ctx.store.update(dom0.id, {
      memory: { ...current, dynamic: [memory, memory], static: [current.static[0], memory], size: memory },
    })
  }
  clearHost(ctx, host, false)
  return rebootHostRecord(ctx, host.id)
}
