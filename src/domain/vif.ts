/**
 * VIF operations (`api/vif.mjs`, `@xen-orchestra/xapi/vif.mjs`): create (plugged at once on a running
 * VM), plug, unplug, destroy, edit (move to another network, re-create with another MAC).
 */
import type { MockContext } from '../context.js'
import { PlainError } from './errors.js'
import { buildVif } from './factories.js'
import { assertPowerState, isResident } from './power.js'
import {
  allocateVifDevice,
  asStringRecord,
  asStrings,
  assertMac,
  defined,
  findObject,
  getObject,
  type Obj,
  str,
  VM_TYPES,
  vifsOf,
} from './vm-common.js'

export const LOCKING_MODES = ['disabled', 'locked', 'network_default', 'unlocked'] as const

/** `vif.getLockingModeValues`. */
export function getLockingModeValues(): string[] {
  return [...LOCKING_MODES]
}

function assertLockingMode(mode: string): void {
  if (!(LOCKING_MODES as readonly string[]).includes(mode)) throw new PlainError(`INVALID_VALUE(locking_mode, ${mode})`)
}

export interface CreateVifOptions {
  /** XAPI device (`position`); the first allowed one otherwise. */
  readonly device?: string
  /** The MAC; XAPI generates one otherwise. */
  readonly mac?: string
  readonly mtu?: number
  readonly lockingMode?: string
  readonly allowedIpv4Addresses?: readonly string[]
  readonly allowedIpv6Addresses?: readonly string[]
  /** Plug it when the VM runs (default true). */
  readonly attached?: boolean
  readonly rateLimit?: number
  readonly txChecksumming?: boolean
}

/** XAPI `VIF.create` (+ `VIF.plug` when the VM runs). Returns the VIF id. */
export function createVif(ctx: MockContext, vmId: string, networkId: string, options: CreateVifOptions = {}): string {
  const vm = getObject(ctx, vmId, VM_TYPES)
  const network = getObject(ctx, networkId, 'network')
  if (network.$pool !== vm.$pool) throw new PlainError(`HANDLE_INVALID(network, ${String(network._xapiRef)})`)
  let device = options.device
  if (device === undefined) device = allocateVifDevice(ctx, vm)
  else if (vifsOf(ctx, vm).some((vif) => vif.device === device)) throw new PlainError(`DEVICE_ALREADY_EXISTS(${device})`)
  const mac = options.mac === undefined || options.mac === '' ? ctx.ids.mac() : options.mac
  assertMac(mac)
  if (options.lockingMode !== undefined) assertLockingMode(options.lockingMode)
  const otherConfig: Record<string, string> = {}
  if (options.txChecksumming !== undefined) otherConfig['ethtool-tx'] = String(options.txChecksumming)
  const vif = buildVif(ctx, {
    vm,
    network,
    device,
    mac,
    mtu: options.mtu,
    lockingMode: options.lockingMode,
    allowedIpv4Addresses: options.allowedIpv4Addresses,
    allowedIpv6Addresses: options.allowedIpv6Addresses,
    attached: options.attached !== false && isResident(vm),
    other_config: otherConfig,
    txChecksumming: options.txChecksumming,
    rateLimit: options.rateLimit,
  })
  ctx.store.add(vif)
  return vif.id
}

function vmOfVif(ctx: MockContext, vif: Obj): Obj {
  const vm = findObject(ctx, vif.$VM)
  if (vm === undefined) throw new PlainError(`HANDLE_INVALID(VM, ${String(vif.$VM)})`)
  return vm
}

/** `vif.connect` (XAPI `VIF.plug`): the VM must run (code 13), the VIF must be unplugged. */
export function connectVif(ctx: MockContext, vifId: string): void {
  const vif = getObject(ctx, vifId, 'VIF')
  assertPowerState(vmOfVif(ctx, vif), ['Running', 'Paused'])
  if (vif.attached === true) throw new PlainError(`DEVICE_ALREADY_ATTACHED(${String(vif._xapiRef)})`)
  ctx.store.update(vif.id, { attached: true })
}

/** `vif.disconnect` (XAPI `VIF.unplug`): the VM must run (code 13), the VIF must be plugged. */
export function disconnectVif(ctx: MockContext, vifId: string): void {
  const vif = getObject(ctx, vifId, 'VIF')
  assertPowerState(vmOfVif(ctx, vif), ['Running', 'Paused'])
  if (vif.attached !== true) throw new PlainError(`DEVICE_ALREADY_DETACHED(${String(vif._xapiRef)})`)
  ctx.store.update(vif.id, { attached: false })
}

/** `vif.delete` (XO `deleteVif`): unplugged first when plugged, then destroyed. */
export function deleteVif(ctx: MockContext, vifId: string): void {
  const vif = getObject(ctx, vifId, 'VIF')
  if (vif.attached === true) ctx.store.update(vif.id, { attached: false })
  ctx.store.remove(vif.id)
}

export interface VifSettings {
  readonly network?: string
  readonly mac?: string
  readonly allowedIpv4Addresses?: readonly string[]
  readonly allowedIpv6Addresses?: readonly string[]
  readonly attached?: boolean
  readonly lockingMode?: string
  /** kB/s; `null` removes the limit. */
  readonly rateLimit?: number | null
  readonly txChecksumming?: boolean
}

/**
 * `vif.set`. A new MAC re-creates the VIF (new id, same device); a new network alone moves it
 * (`VIF.move`, same id) and resets its allowed IPs and locking mode unless given; other settings are
 * edited in place. Returns the VIF id.
 */
export function setVif(ctx: MockContext, vifId: string, settings: VifSettings): string {
  const vif = getObject(ctx, vifId, 'VIF')
  const network = settings.network === undefined ? undefined : getObject(ctx, settings.network, 'network')
  const networkChanged = network !== undefined && network.id !== vif.$network
  if (settings.lockingMode !== undefined) assertLockingMode(settings.lockingMode)
  if (settings.mac !== undefined) assertMac(settings.mac)
  const ipv4 = settings.allowedIpv4Addresses ?? (networkChanged ? [] : asStrings(vif.allowedIpv4Addresses))
  const ipv6 = settings.allowedIpv6Addresses ?? (networkChanged ? [] : asStrings(vif.allowedIpv6Addresses))
  const lockingMode = settings.lockingMode ?? (networkChanged ? 'network_default' : str(vif, 'lockingMode'))
  const rateLimit = settings.rateLimit === undefined ? (typeof vif.rateLimit === 'number' ? vif.rateLimit : undefined) : (settings.rateLimit ?? undefined)
  const otherConfig = asStringRecord(vif.other_config)
  if (settings.txChecksumming !== undefined) otherConfig['ethtool-tx'] = String(settings.txChecksumming)

  if (settings.mac !== undefined && settings.mac.toLowerCase() !== String(vif.MAC).toLowerCase()) {
    const vm = vmOfVif(ctx, vif)
    const attached = settings.attached ?? vif.attached === true
    deleteVif(ctx, vif.id)
    return createVif(ctx, vm.id, network?.id ?? (vif.$network as string), {
      device: str(vif, 'device'),
      mac: settings.mac,
      mtu: network === undefined ? (typeof vif.MTU === 'number' ? vif.MTU : undefined) : undefined,
      lockingMode,
      allowedIpv4Addresses: ipv4,
      allowedIpv6Addresses: ipv6,
      attached,
      rateLimit,
      txChecksumming: settings.txChecksumming ?? (vif.txChecksumming === false ? false : undefined),
    })
  }

  ctx.store.update(
    vif.id,
    defined({
      $network: networkChanged ? network.id : undefined,
      allowedIpv4Addresses: ipv4,
      allowedIpv6Addresses: ipv6,
      lockingMode,
      other_config: otherConfig,
      txChecksumming: settings.txChecksumming,
    }),
  )
  if (settings.rateLimit !== undefined) ctx.store.update(vif.id, { rateLimit: settings.rateLimit ?? undefined })
  return vif.id
}
