/**
 * VM power operations (`api/vm.mjs` start/stop/restart/suspend/resume/pause, `xapi/index.mjs`
 * `startVm`, `xapi/mixins/vm.mjs`) with XAPI's power-state rules and XO's errors.
 *
 * Every operation changes the VM in three store updates, as XAPI's events do (reference §8):
 * `current_operations` gains `{<taskId>: <operation>}`, then the power state and everything that goes
 * with it change at once (never an intermediate state), then `current_operations` is cleared. The
 * VM's VBDs and VIFs are plugged/unplugged between the last two.
 */
import type { MockContext } from '../context.js'
import type { PowerState } from '../inventory/types.js'
import {
  forbiddenOperation,
  hostOffline,
  invalidParameters,
  noHostsAvailable,
  operationFailed,
  PlainError,
  vmLacksFeature,
} from './errors.js'
import { VM_RUNTIME_KEYS } from './factories.js'
import { assertNotBlocked, assertPowerState, blockedReason, getRunnableVm, hasGuestTools, powerStateOf, runOperation } from './power.js'
import { pluggedVbdFields } from './vbd.js'
import { asRecord, asStringRecord, findObject, getObject, hiddenState, nowSeconds, type Obj, vbdsOf, vifsOf } from './vm-common.js'

// ---------------------------------------------------------------------------------------------
// Runtime fields

const TOOLS_VERSION = { major: 8, minor: 4, micro: 0, build: 1 }
const DEFAULT_OS_VERSION = { distro: 'debian', major: '12', minor: '8', name: 'Debian GNU/Linux 12 (bookworm)', uname: '6.1.0-28-amd64' }

/** Stable guest IPs derived from the VIF MACs (as if a DHCP server kept leases). */
function guestAddresses(ctx: MockContext, vm: Obj): Record<string, string> {
  const addresses: Record<string, string> = {}
  const vifs = vifsOf(ctx, vm).sort((a, b) => String(a.device).localeCompare(String(b.device), 'en', { numeric: true }))
  for (const vif of vifs) {
    const bytes = String(vif.MAC)
      .split(':')
      .map((part) => Number.parseInt(part, 16) || 0)
    const device = String(vif.device)
    addresses[`${device}/ipv4/0`] = `10.${bytes[3] ?? 0}.${bytes[4] ?? 0}.${Math.max(2, Math.min(254, bytes[5] ?? 2))}`
    const hex = (i: number) => (bytes[i] ?? 0).toString(16).padStart(2, '0')
    addresses[`${device}/ipv6/0`] = `fe80::${hex(0)}${hex(1)}:${hex(2)}ff:fe${hex(3)}:${hex(4)}${hex(5)}`
  }
  return addresses
}

/** XO's `extractIpFromVmNetworks`: the first IPv4 (sorted keys), else the first IPv6. */
function mainIpOf(addresses: Record<string, string>): string | undefined {
  const keys = Object.keys(addresses).sort()
  const ipv4 = keys.find((key) => /^\d+\/ip(?:v4\/\d+)?$/.test(key))
  if (ipv4 !== undefined) return addresses[ipv4]
  const ipv6 = keys.find((key) => /^\d+\/ipv6\/\d+$/.test(key))
  return ipv6 === undefined ? undefined : addresses[ipv6]
}

/** The fields of a VM that runs on `hostId` (metrics and guest metrics as XO derives them). */
function runningFields(ctx: MockContext, vm: Obj, hostId: string, tools: boolean): Record<string, unknown> {
  const memory = asRecord(vm.memory)
  const dynamic = Array.isArray(memory.dynamic) ? (memory.dynamic as number[]) : []
  const size = dynamic[1] ?? (typeof memory.size === 'number' ? memory.size : 0)
  const { usage: _usage, ...memoryWithoutUsage } = memory
  const fields: Record<string, unknown> = {
    power_state: 'Running',
    $container: hostId,
    startTime: nowSeconds(ctx),
  }
  if (!tools) {
    return {
      ...fields,
      memory: { ...memoryWithoutUsage, size },
      addresses: {},
      os_version: null,
      xenTools: false,
      managementAgentDetected: false,
      pvDriversDetected: false,
      mainIpAddress: undefined,
      pvDriversVersion: undefined,
      pvDriversUpToDate: undefined,
    }
  }
  const addresses = guestAddresses(ctx, vm)
  const { major, minor, micro, build } = TOOLS_VERSION
  return {
    ...fields,
    memory: { ...memoryWithoutUsage, size, usage: Math.round(size * 0.37) },
    addresses,
    mainIpAddress: mainIpOf(addresses),
    os_version: vm.os_version !== null && typeof vm.os_version === 'object' ? vm.os_version : DEFAULT_OS_VERSION,
    xenTools: { major, minor, version: Number(`${major}.${minor}`) },
    managementAgentDetected: true,
    pvDriversDetected: true,
    pvDriversVersion: `${major}.${minor}.${micro}-${build}`,
    pvDriversUpToDate: true,
  }
}

/** The fields of a VM that is not resident (halted or suspended). */
function stoppedFields(vm: Obj, state: 'Halted' | 'Suspended'): Record<string, unknown> {
  const { usage: _usage, ...memory } = asRecord(vm.memory)
  const dynamic = Array.isArray(memory.dynamic) ? (memory.dynamic as number[]) : []
  const fields: Record<string, unknown> = {
    power_state: state,
    $container: vm.$pool,
    memory: { ...memory, size: dynamic[1] ?? memory.size },
    addresses: {},
    os_version: null,
  }
  if (state === 'Halted') fields.startTime = null
  for (const key of VM_RUNTIME_KEYS) fields[key] = undefined
  return fields
}

function rememberGuestTools(ctx: MockContext, vm: Obj): void {
  if (hasGuestTools(ctx, vm)) hiddenState(ctx).noGuestTools.delete(vm.id)
  else hiddenState(ctx).noGuestTools.add(vm.id)
}

/** Plugs (or unplugs) every VBD and VIF of a VM. */
function setDevicesPlugged(ctx: MockContext, vm: Obj, plugged: boolean): void {
  for (const vbd of vbdsOf(ctx, vm)) ctx.store.update(vbd.id, plugged ? pluggedVbdFields(vbd) : { attached: false })
  for (const vif of vifsOf(ctx, vm)) ctx.store.update(vif.id, { attached: plugged })
}

/** Boots (or resumes) a VM on a host: the power state and runtime fields, then its devices. */
function bootOn(ctx: MockContext, vm: Obj, hostId: string): void {
  const tools = hasGuestTools(ctx, vm)
  const updated = ctx.store.update(vm.id, runningFields(ctx, vm, hostId, tools))
  setDevicesPlugged(ctx, updated, true)
}

/** Halts a VM: the power state and runtime fields, then its devices. No checks. */
export function haltVm(ctx: MockContext, vmId: string): void {
  const vm = getObject(ctx, vmId, ['VM'])
  rememberGuestTools(ctx, vm)
  const updated = ctx.store.update(vm.id, stoppedFields(vm, 'Halted'))
  setDevicesPlugged(ctx, updated, false)
}

// ---------------------------------------------------------------------------------------------
// Host selection

function runningHostsOf(ctx: MockContext, poolId: unknown): Obj[] {
  return [...ctx.store.ofType('host')].filter((host) => host.$pool === poolId && host.power_state === 'Running' && host.enabled !== false)
}

/**
 * The host XAPI starts a VM on: the requested one (which must be in the VM's pool, running and
 * enabled), else the VM's affinity host, the pool master or any running enabled host of the pool.
 */
export function chooseHost(ctx: MockContext, vm: Obj, requested?: string): string {
  if (requested !== undefined) {
    const host = findObject(ctx, requested)
    if (host === undefined || host.type !== 'host' || host.$pool !== vm.$pool) throw new PlainError(`no object with UUID or opaque ref: ${requested}`)
    if (host.power_state !== 'Running') throw hostOffline(host.id)
    if (host.enabled === false) throw new PlainError(`HOST_DISABLED(${String(host._xapiRef)})`)
    return host.id
  }
  const candidates = runningHostsOf(ctx, vm.$pool)
  const pool = findObject(ctx, vm.$pool)
  const preferred = [vm.affinityHost, pool?.master]
  for (const id of preferred) {
    const host = candidates.find((candidate) => candidate.id === id)
    if (host !== undefined) return host.id
  }
  const host = candidates[0]
  if (host === undefined) throw noHostsAvailable()
  return host.id
}

// ---------------------------------------------------------------------------------------------
// Operations

export interface StartVmOptions {
  /** Host to start on (`VM.start_on`). */
  readonly host?: string
  /** Bypasses the MAC check and removes the `start`/`start_on` blocked operations. */
  readonly force?: boolean
  readonly bypassMacAddressesCheck?: boolean
}

function assertNoDuplicateMac(ctx: MockContext, vm: Obj): void {
  const macs = vifsOf(ctx, vm).map((vif) => String(vif.MAC).toLowerCase())
  if (new Set(macs).size !== macs.length) throw operationFailed(vm.id, 'DUPLICATED_MAC_ADDRESS')
  const used = new Set<string>()
  for (const other of ctx.store.ofType('VM')) {
    if (other.id === vm.id || other.power_state !== 'Running') continue
    for (const vif of vifsOf(ctx, other)) used.add(String(vif.MAC).toLowerCase())
  }
  if (macs.some((mac) => used.has(mac))) throw operationFailed(vm.id, 'DUPLICATED_MAC_ADDRESS')
}

/**
 * `vm.start` (XO `startVm`): a halted VM boots on a host. A paused VM is unpaused and a suspended one
 * resumed; a running one gives code 13 (expected `halted`). Duplicate MACs among running VMs give
 * code 21 unless bypassed, a blocked start code 5 unless forced.
 */
export function startVm(ctx: MockContext, vmId: string, options: StartVmOptions = {}): void {
  const vm = getRunnableVm(ctx, vmId)
  const force = options.force === true
  if (!(options.bypassMacAddressesCheck ?? force)) assertNoDuplicateMac(ctx, vm)
  const state = powerStateOf(vm)
  if (state === 'Paused') return unpauseVm(ctx, vm.id)
  if (state === 'Suspended') return resumeVm(ctx, vm.id, { host: options.host })
  assertPowerState(vm, 'Halted')
  if (force) {
    const blocked = asStringRecord(vm.blockedOperations)
    if (blocked.start !== undefined || blocked.start_on !== undefined) {
      delete blocked.start
      delete blocked.start_on
      ctx.store.update(vm.id, { blockedOperations: blocked })
    }
  } else {
    const reason = blockedReason(vm, options.host === undefined ? 'start' : 'start_on') ?? blockedReason(vm, 'start')
    if (reason !== undefined) throw forbiddenOperation('Start', reason)
  }
  const hostId = chooseHost(ctx, vm, options.host)
  runOperation(ctx, vm.id, options.host === undefined ? 'start' : 'start_on', () => bootOn(ctx, getObject(ctx, vm.id, 'VM'), hostId))
}

export interface StopVmOptions {
  /** Hard shutdown (`VM.hard_shutdown`) instead of a clean one. */
  readonly force?: boolean
  /** Ignore the blocked shutdown operations (default: `force`). */
  readonly bypassBlockedOperation?: boolean
}

/**
 * `vm.stop`: clean shutdown of a running VM (needs the guest agent: code 10 `clean shutdown requires
 * PV drivers` otherwise), or hard shutdown (`force`) of a running, paused or suspended one.
 */
export function stopVm(ctx: MockContext, vmId: string, options: StopVmOptions = {}): void {
  const vm = getRunnableVm(ctx, vmId)
  const force = options.force === true
  const operation = force ? 'hard_shutdown' : 'clean_shutdown'
  assertPowerState(vm, force ? ['Running', 'Paused', 'Suspended'] : ['Running'])
  if (!(options.bypassBlockedOperation ?? force)) assertNotBlocked(vm, operation)
  if (!force && !hasGuestTools(ctx, vm)) throw invalidParameters('clean shutdown requires PV drivers')
  runOperation(ctx, vm.id, operation, () => haltVm(ctx, vm.id))
}

/**
 * `vm.restart`: clean reboot of a running VM (needs the guest agent: code 14 `shutdown` otherwise)
 * or hard reboot (`force`) of a running or paused one. The VM keeps running with a new `startTime`.
 */
export function restartVm(ctx: MockContext, vmId: string, options: StopVmOptions = {}): void {
  const vm = getRunnableVm(ctx, vmId)
  const force = options.force === true
  const operation = force ? 'hard_reboot' : 'clean_reboot'
  assertPowerState(vm, force ? ['Running', 'Paused'] : ['Running'])
  if (!(options.bypassBlockedOperation ?? force)) assertNotBlocked(vm, operation)
  if (!force && !hasGuestTools(ctx, vm)) throw vmLacksFeature(vm.id, 'shutdown')
  const hostId = String(vm.$container)
  runOperation(ctx, vm.id, operation, () => bootOn(ctx, getObject(ctx, vm.id, 'VM'), hostId))
}

/** `vm.suspend` (XAPI `VM.suspend`): a running VM with its guest agent (code 14 `suspend` otherwise). */
export function suspendVm(ctx: MockContext, vmId: string): void {
  const vm = getRunnableVm(ctx, vmId)
  assertPowerState(vm, 'Running')
  assertNotBlocked(vm, 'suspend')
  if (!hasGuestTools(ctx, vm)) throw vmLacksFeature(vm.id, 'suspend')
  runOperation(ctx, vm.id, 'suspend', () => {
    rememberGuestTools(ctx, vm)
    ctx.store.update(vm.id, stoppedFields(vm, 'Suspended'))
  })
}

/** `vm.resume` (XAPI `VM.resume`): a suspended VM runs again on a host. */
export function resumeVm(ctx: MockContext, vmId: string, options: { host?: string } = {}): void {
  const vm = getRunnableVm(ctx, vmId)
  assertPowerState(vm, 'Suspended')
  assertNotBlocked(vm, 'resume')
  const hostId = chooseHost(ctx, vm, options.host)
  runOperation(ctx, vm.id, options.host === undefined ? 'resume' : 'resume_on', () => bootOn(ctx, getObject(ctx, vm.id, 'VM'), hostId))
}

/** `vm.pause` (XAPI `VM.pause`): a running VM is paused on its host. */
export function pauseVm(ctx: MockContext, vmId: string): void {
  const vm = getRunnableVm(ctx, vmId)
  assertPowerState(vm, 'Running')
  assertNotBlocked(vm, 'pause')
  runOperation(ctx, vm.id, 'pause', () => ctx.store.update(vm.id, { power_state: 'Paused' }))
}

/** XAPI `VM.unpause` (what `vm.start` does on a paused VM; a REST action). */
export function unpauseVm(ctx: MockContext, vmId: string): void {
  const vm = getRunnableVm(ctx, vmId)
  assertPowerState(vm, 'Paused')
  assertNotBlocked(vm, 'unpause')
  runOperation(ctx, vm.id, 'unpause', () => ctx.store.update(vm.id, { power_state: 'Running' }))
}

/**
 * `vm.recoveryStart` (XO `startVmOnCd`): boots a halted VM from its CD drive; the boot order is
 * restored once started, so the result is a plain start.
 */
export function recoveryStartVm(ctx: MockContext, vmId: string): void {
  const vm = getRunnableVm(ctx, vmId)
  assertPowerState(vm, 'Halted')
  const boot = asRecord(vm.boot)
  if (vm.virtualizationMode === 'hvm') ctx.store.update(vm.id, { boot: { ...boot, order: 'd' } })
  try {
    startVm(ctx, vm.id, {})
  } finally {
    if (vm.virtualizationMode === 'hvm') ctx.store.update(vm.id, { boot })
  }
}

/** Hard shutdown without checks other than the power state (used by `vm.delete`, migration, maintenance). */
export function hardShutdownVm(ctx: MockContext, vmId: string): void {
  const vm = getObject(ctx, vmId, ['VM'])
  if (powerStateOf(vm) === 'Halted') return
  runOperation(ctx, vm.id, 'hard_shutdown', () => haltVm(ctx, vm.id))
}

/** A clean shutdown when the guest agent allows it, else a hard one (maintenance mode, `setAndRestart`). */
export function shutdownVm(ctx: MockContext, vmId: string): void {
  const vm = getObject(ctx, vmId, ['VM'])
  if (powerStateOf(vm) === 'Halted') return
  const clean = powerStateOf(vm) === 'Running' && hasGuestTools(ctx, vm)
  runOperation(ctx, vm.id, clean ? 'clean_shutdown' : 'hard_shutdown', () => haltVm(ctx, vm.id))
}

/** Puts a VM in `state` on `hostId` without checks (revert of a checkpoint, migration). */
export function placeVm(ctx: MockContext, vmId: string, state: PowerState, hostId?: string): void {
  const vm = getObject(ctx, vmId, ['VM'])
  if (state === 'Running' || state === 'Paused') {
    bootOn(ctx, vm, hostId ?? chooseHost(ctx, vm))
    if (state === 'Paused') ctx.store.update(vm.id, { power_state: 'Paused' })
  } else if (state === 'Suspended') {
    ctx.store.update(vm.id, stoppedFields(vm, 'Suspended'))
  } else {
    haltVm(ctx, vm.id)
  }
}

