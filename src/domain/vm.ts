/**
 * VM settings and devices (`api/vm.mjs` set/attachDisk/createInterface/insertCd/…, the VM editor of
 * `xapi/mixins/vm.mjs`): every settable property with XO's rules, CD drive, disks, interfaces, boot
 * order, PCI passthrough, cloud-init config drive.
 */
import type { MockContext } from '../context.js'
import { invalidParameters, PlainError, unauthorized, vmBadPowerState } from './errors.js'
import { xoDataKey } from './factories.js'
import { assertPowerState, getRunnableVm, powerStateOf, xapiPowerState } from './power.js'
import { createVbd } from './vbd.js'
import { createVdi } from './vdi.js'
import { createVif } from './vif.js'
import {
  asNumber,
  asRecord,
  asString,
  asStringRecord,
  asStrings,
  disksOf,
  findObject,
  getObject,
  getXapiObject,
  MiB,
  type Obj,
  parseSize,
  VM_TYPES,
  vbdsOf,
} from './vm-common.js'
import { resumeVm, startVm, stopVm, suspendVm } from './vm-lifecycle.js'

// ---------------------------------------------------------------------------------------------
// vm.set

/** The settable properties of `vm.set` (and the extra `vm.create` keys passed to XO's VM editor). */
export interface VmSettings {
  readonly name_label?: string
  readonly name_description?: string
  readonly notes?: string | null
  readonly auto_poweron?: boolean
  readonly high_availability?: string
  readonly CPUs?: number
  readonly cpusMax?: number | string
  readonly memory?: number | string
  readonly memoryMin?: number | string
  readonly memoryMax?: number | string
  readonly memoryStaticMax?: number | string
  readonly PV_args?: string
  readonly cpuMask?: readonly number[] | null
  readonly cpuWeight?: number | null
  readonly cpuCap?: number | null
  readonly affinityHost?: string | null
  readonly vga?: string
  readonly videoram?: number
  readonly coresPerSocket?: string | number | null
  readonly hasVendorDevice?: boolean
  readonly expNestedHvm?: boolean
  readonly nestedVirt?: boolean
  readonly resourceSet?: string | null
  readonly share?: boolean
  readonly startDelay?: number
  readonly secureBoot?: boolean
  readonly nicType?: string | null
  readonly hvmBootFirmware?: string | null
  readonly virtualizationMode?: string
  readonly viridian?: boolean
  readonly blockedOperations?: Readonly<Record<string, boolean | string | null>>
  readonly creation?: { readonly user?: string }
  readonly suspendSr?: string | null
  readonly uefiMode?: string
  readonly xenStoreData?: Readonly<Record<string, string | null>>
  readonly tags?: readonly string[]
}

export interface SetVmOptions {
  /** Whether the caller is an admin (`resourceSet` needs it, as in XO). Default true. */
  readonly admin?: boolean
}

const VGA_VALUES = ['std', 'cirrus']
const VIDEORAM_VALUES = [1, 2, 4, 8, 16]
export const HA_VALUES = ['best-effort', 'restart', '']

/** `vm.getHaValues`. */
export function getHaValues(): string[] {
  return [...HA_VALUES]
}

function xapiValueError(field: string, value: unknown, reason: string): PlainError {
  return new PlainError(`VALUE_NOT_SUPPORTED(${field}, ${String(value)}, ${reason})`)
}

/** Computes CPUs {max, number} with XO's constraints (`cpus ≤ cpusStaticMax`, the other one moves first). */
function cpusPatch(vm: Obj, settings: VmSettings, halted: boolean): Record<string, unknown> | undefined {
  if (settings.CPUs === undefined && settings.cpusMax === undefined) return undefined
  const current = asRecord(vm.CPUs)
  const currentMax = asNumber(current.max, 1)
  const currentNumber = asNumber(current.number, 1)
  const newMax = settings.cpusMax === undefined ? undefined : Number(settings.cpusMax)
  const newNumber = settings.CPUs
  if (newMax !== undefined && !Number.isInteger(newMax)) throw xapiValueError('VCPUs_max', settings.cpusMax, 'value must be an integer')
  let max = newMax ?? currentMax
  let number = newNumber ?? currentNumber
  if (newNumber !== undefined && newMax === undefined && newNumber > currentMax) max = newNumber
  if (newMax !== undefined && newNumber === undefined && currentNumber > newMax) number = newMax
  if (max !== currentMax && !halted) throw vmBadPowerState(vm.id, 'halted', xapiPowerState(vm.power_state))
  if (number < 1 || number > max) throw xapiValueError('VCPUs_at_startup', number, `value must be in [1, ${max}]`)
  if (max === currentMax && number === currentNumber) return undefined
  return { ...current, max, number }
}

/** Computes `memory` with XO's editor rules (`static_min ≤ dynamic_min ≤ dynamic_max ≤ static_max`). */
function memoryPatch(vm: Obj, settings: VmSettings, halted: boolean): Record<string, unknown> | undefined {
  if (settings.memory === undefined && settings.memoryMin === undefined && settings.memoryMax === undefined && settings.memoryStaticMax === undefined) {
    return undefined
  }
  const memory = asRecord(vm.memory)
  const dynamic = Array.isArray(memory.dynamic) ? (memory.dynamic as number[]) : []
  const stat = Array.isArray(memory.static) ? (memory.static as number[]) : []
  let [dmin = 0, dmax = 0] = dynamic
  let [smin = 0, smax = 0] = stat
  const actual = xapiPowerState(vm.power_state)
  const staticChange = () => {
    if (!halted) throw vmBadPowerState(vm.id, 'halted', actual)
  }
  const setDynamicMax = (value: number) => {
    if (!halted) {
      if (value > smax) throw new PlainError('Cannot change memory on running VM')
      dmin = Math.min(dmin, value)
      dmax = value
      return
    }
    smin = Math.min(smin, value)
    smax = Math.max(value, smax)
    dmin = Math.min(dmin, value)
    dmax = value
  }
  const memoryMax = settings.memoryMax === undefined ? undefined : parseSize(settings.memoryMax)
  if (settings.memoryStaticMax !== undefined) {
    const value = parseSize(settings.memoryStaticMax)
    if (value !== smax) {
      staticChange()
      if (!(dmax <= value)) setDynamicMax(memoryMax ?? value)
      smax = value
      if (dmax > smax) dmax = smax
    }
  }
  if (settings.memory !== undefined) {
    const value = parseSize(settings.memory)
    const useDmc = dmin !== dmax || dmin !== smax
    if (useDmc) setDynamicMax(value)
    else if (value !== dmax) {
      staticChange()
      smax = dmin = dmax = value
      smin = Math.min(smin, value)
    }
  }
  if (memoryMax !== undefined && memoryMax !== dmax) setDynamicMax(memoryMax)
  if (settings.memoryMin !== undefined) {
    const value = parseSize(settings.memoryMin)
    if (!(dmax >= value)) setDynamicMax(memoryMax ?? value)
    dmin = value
  }
  if (!(smin <= dmin && dmin <= dmax && dmax <= smax) || dmin <= 0) {
    throw new PlainError(`MEMORY_CONSTRAINT_VIOLATION(Memory limits must satisfy: static_min ≤ dynamic_min ≤ dynamic_max ≤ static_max)`)
  }
  const patch: Record<string, unknown> = { ...memory, dynamic: [dmin, dmax], static: [smin, smax], size: dmax }
  if (typeof memory.usage === 'number') patch.usage = Math.min(memory.usage, dmax)
  return patch
}

interface ComputedSettings {
  readonly patch: Record<string, unknown>
  /** `auto_poweron: true` also turns it on for the pool. */
  readonly poolAutoPoweron: boolean
}

/** Validates `settings` against the VM and computes one store patch (nothing is changed yet). */
export function computeVmSettings(ctx: MockContext, vm: Obj, settings: VmSettings, options: SetVmOptions = {}): ComputedSettings {
  const halted = vm.type !== 'VM' || powerStateOf(vm) === 'Halted'
  const patch: Record<string, unknown> = {}
  const other = asStringRecord(vm.other)
  let otherChanged = false
  const hvm = (settings.virtualizationMode ?? vm.virtualizationMode) === 'hvm'

  if (settings.virtualizationMode !== undefined && settings.virtualizationMode !== vm.virtualizationMode) {
    if (settings.virtualizationMode !== 'pv' && settings.virtualizationMode !== 'hvm') throw new PlainError(`The virtualization mode must be 'pv' or 'hvm'`)
    patch.virtualizationMode = settings.virtualizationMode
    if (hvm) {
      patch.vga = asString(vm.vga) ?? 'cirrus'
      patch.videoram = typeof vm.videoram === 'number' ? vm.videoram : 4
      patch.PV_args = undefined
    } else {
      patch.vga = undefined
      patch.videoram = undefined
      patch.PV_args = asString(vm.PV_args) ?? ''
    }
  }
  if (settings.vga !== undefined) {
    if (!VGA_VALUES.includes(settings.vga)) throw new PlainError(`The different values that the VGA can take are: ${VGA_VALUES.join(',')}`)
    if (hvm) patch.vga = settings.vga
  }
  if (settings.videoram !== undefined) {
    if (!VIDEORAM_VALUES.includes(settings.videoram)) {
      throw new PlainError(`The different values that the video RAM can take are: ${VIDEORAM_VALUES.join(',')}`)
    }
    if (hvm) patch.videoram = settings.videoram
  }
  if (settings.high_availability !== undefined) {
    if (!HA_VALUES.includes(settings.high_availability)) throw new PlainError(`INVALID_VALUE(ha_restart_priority, ${settings.high_availability})`)
    patch.high_availability = settings.high_availability
  }
  if (settings.affinityHost !== undefined) {
    if (settings.affinityHost === null) patch.affinityHost = undefined
    else {
      const host = getXapiObject(ctx, settings.affinityHost, 'host')
      if (host.$pool !== vm.$pool) throw new PlainError(`no object with UUID or opaque ref: ${settings.affinityHost}`)
      patch.affinityHost = host.id
    }
  }
  if (settings.suspendSr !== undefined) {
    patch.suspendSr = settings.suspendSr === null ? undefined : getObject(ctx, settings.suspendSr, 'SR').id
  }
  if (settings.resourceSet !== undefined) {
    if (options.admin === false) throw unauthorized()
    patch.resourceSet = settings.resourceSet ?? undefined
    if (settings.resourceSet === null) delete other['xo:resource_set']
    else other['xo:resource_set'] = JSON.stringify(settings.resourceSet)
    otherChanged = true
  }

  const cpus = cpusPatch(vm, settings, halted)
  if (cpus !== undefined) patch.CPUs = cpus
  const memory = memoryPatch(vm, settings, halted)
  if (memory !== undefined) patch.memory = memory

  for (const key of ['name_label', 'name_description', 'hasVendorDevice', 'expNestedHvm', 'secureBoot', 'viridian', 'startDelay'] as const) {
    if (settings[key] !== undefined) patch[key] = settings[key]
  }
  if (settings.nestedVirt !== undefined) patch.isNestedVirtEnabled = settings.nestedVirt
  if (settings.tags !== undefined) patch.tags = [...new Set(settings.tags)]
  if (settings.PV_args !== undefined && !hvm) patch.PV_args = settings.PV_args
  if (settings.notes !== undefined) {
    patch.notes = settings.notes ?? undefined
    if (settings.notes === null) delete other['xo:notes']
    else other['xo:notes'] = settings.notes
    otherChanged = true
  }
  if (settings.auto_poweron !== undefined) {
    patch.auto_poweron = settings.auto_poweron
    if (settings.auto_poweron) other.auto_poweron = 'true'
    else delete other.auto_poweron
    otherChanged = true
  }
  if (settings.cpuMask !== undefined) patch.cpuMask = settings.cpuMask === null || settings.cpuMask.length === 0 ? undefined : [...settings.cpuMask]
  if (settings.cpuWeight !== undefined) patch.cpuWeight = settings.cpuWeight ?? undefined
  if (settings.cpuCap !== undefined) patch.cpuCap = settings.cpuCap ?? undefined
  if (settings.coresPerSocket !== undefined) {
    if (settings.coresPerSocket === null) patch.coresPerSocket = undefined
    else {
      const value = Number(settings.coresPerSocket)
      if (!Number.isInteger(value) || value < 1) throw new PlainError(`INVALID_VALUE(platform:cores-per-socket, ${String(settings.coresPerSocket)})`)
      patch.coresPerSocket = value
    }
  }
  if (settings.nicType !== undefined) patch.nicType = settings.nicType ?? undefined
  if (settings.hvmBootFirmware !== undefined) {
    const boot = asRecord(vm.boot)
    if (settings.hvmBootFirmware === null) delete boot.firmware
    else boot.firmware = settings.hvmBootFirmware
    patch.boot = boot
  }
  if (settings.blockedOperations !== undefined) {
    const blocked = asStringRecord(vm.blockedOperations)
    for (const [operation, value] of Object.entries(settings.blockedOperations)) {
      if (typeof value === 'string') blocked[operation] = value
      else if (value === true) blocked[operation] = 'true'
      else delete blocked[operation]
    }
    patch.blockedOperations = blocked
  }
  if (settings.xenStoreData !== undefined) {
    const data = asStringRecord(vm.xenStoreData)
    for (const [key, value] of Object.entries(settings.xenStoreData)) {
      const prefixed = key.startsWith('vm-data/') ? key : `vm-data/${key}`
      if (value === null) delete data[prefixed]
      else data[prefixed] = value
    }
    patch.xenStoreData = data
  }
  if (settings.creation !== undefined) {
    const creation = { ...asRecord(vm.creation), ...settings.creation }
    patch.creation = creation
    const key = xoDataKey(asString(vm.uuid) ?? vm.id)
    let data: Record<string, unknown> = {}
    try {
      data = asRecord(JSON.parse(other[key] ?? '{}'))
    } catch {
      data = {}
    }
    other[key] = JSON.stringify({ ...data, creation })
    otherChanged = true
  }
  if (otherChanged) patch.other = other
  return { patch, poolAutoPoweron: settings.auto_poweron === true }
}

/** Applies computed settings: one update of the VM (one `enter`), then the pool's `auto_poweron`. */
export function applyVmSettings(ctx: MockContext, vmId: string, computed: ComputedSettings): void {
  if (Object.keys(computed.patch).length > 0) ctx.store.update(vmId, computed.patch)
  if (computed.poolAutoPoweron) {
    const vm = getObject(ctx, vmId, VM_TYPES)
    const pool = findObject(ctx, vm.$pool)
    if (pool !== undefined && pool.type === 'pool') {
      ctx.store.update(pool.id, (current) => ({
        auto_poweron: true,
        otherConfig: { ...asStringRecord(current.otherConfig), auto_poweron: 'true' },
      }))
    }
  }
}

/**
 * `vm.set`: edits a VM, template or snapshot. All settings are validated first, then applied in one
 * update. Rules: CPUs above the max raise the max (only when halted: code 13 otherwise), static memory
 * needs a halted VM (code 13), a running VM's dynamic max cannot exceed its static max, `vga` is
 * `std`/`cirrus`, `videoram` 1/2/4/8/16, `xenStoreData` keys get the `vm-data/` prefix (null deletes).
 */
export function setVm(ctx: MockContext, vmId: string, settings: VmSettings, options: SetVmOptions = {}): void {
  const vm = getObject(ctx, vmId, ['VM', 'VM-snapshot', 'VM-template'])
  applyVmSettings(ctx, vm.id, computeVmSettings(ctx, vm, settings, options))
}

/**
 * `vm.setAndRestart`: stops the VM (hard with `force`; code 13 when it does not run), applies the
 * settings, then starts it again (also when the settings fail, as XO's deferred start does).
 */
export function setAndRestartVm(ctx: MockContext, vmId: string, settings: VmSettings, options: SetVmOptions & { force?: boolean } = {}): void {
  stopVm(ctx, vmId, { force: options.force })
  try {
    setVm(ctx, vmId, settings, options)
  } finally {
    startVm(ctx, vmId, { force: options.force })
  }
}

// ---------------------------------------------------------------------------------------------
// Devices

export interface AttachDiskOptions {
  readonly position?: string
  readonly mode?: string
  readonly bootable?: boolean
}

/** `vm.attachDisk`: a VBD for an existing VDI (plugged when the VM runs). Returns the VBD id. */
export function attachDisk(ctx: MockContext, vmId: string, vdiId: string, options: AttachDiskOptions = {}): string {
  const vm = getObject(ctx, vmId, 'VM')
  const vdi = getObject(ctx, vdiId, 'VDI')
  return createVbd(ctx, vm.id, { vdi: vdi.id, userdevice: options.position, mode: options.mode, bootable: options.bootable })
}

export interface CreateInterfaceOptions {
  readonly position?: number | string
  readonly mac?: string
  readonly allowedIpv4Addresses?: readonly string[]
  readonly allowedIpv6Addresses?: readonly string[]
}

/** `vm.createInterface`: a VIF on a network (plugged when the VM runs). Returns the VIF id. */
export function createInterface(ctx: MockContext, vmId: string, networkId: string, options: CreateInterfaceOptions = {}): string {
  const vm = getObject(ctx, vmId, 'VM')
  return createVif(ctx, vm.id, networkId, {
    device: options.position === undefined ? undefined : String(options.position),
    mac: options.mac,
    allowedIpv4Addresses: options.allowedIpv4Addresses,
    allowedIpv6Addresses: options.allowedIpv6Addresses,
  })
}

function cdDriveOf(ctx: MockContext, vm: Obj): Obj | undefined {
  return vbdsOf(ctx, vm).find((vbd) => vbd.is_cd_drive === true)
}

/**
 * `vm.insertCd`: puts an ISO VDI in the VM's CD drive (created at userdevice 3 when missing). A full
 * drive is emptied first when `force` (default), else XAPI's `VBD_NOT_EMPTY`. The drive ends not
 * bootable, as XO leaves it.
 */
export function insertCd(ctx: MockContext, vmId: string, cdId: string, options: { force?: boolean; bootable?: boolean } = {}): void {
  const vm = getObject(ctx, vmId, ['VM', 'VM-template'])
  const cd = getObject(ctx, cdId, 'VDI')
  const drive = cdDriveOf(ctx, vm)
  const bootable = options.bootable === true
  if (drive === undefined) {
    createVbd(ctx, vm.id, { vdi: cd.id, cd: true, bootable })
    return
  }
  if (drive.VDI !== undefined && drive.VDI !== null && options.force === false) throw new PlainError(`VBD_NOT_EMPTY(${String(drive._xapiRef)})`)
  ctx.store.update(drive.id, { VDI: cd.id, bootable })
}

/** `vm.ejectCd`: empties the CD drive (XAPI `VBD_IS_EMPTY` when already empty). */
export function ejectCd(ctx: MockContext, vmId: string): void {
  const vm = getObject(ctx, vmId, ['VM', 'VM-template'])
  const drive = cdDriveOf(ctx, vm)
  if (drive === undefined) return
  if (drive.VDI === undefined || drive.VDI === null) throw new PlainError(`VBD_IS_EMPTY(${String(drive._xapiRef)})`)
  ctx.store.update(drive.id, { VDI: undefined })
}

/** `vm.setBootOrder`: HVM guests only (code 10 otherwise). */
export function setBootOrder(ctx: MockContext, vmId: string, order: string): void {
  const vm = getObject(ctx, vmId, ['VM', 'VM-template'])
  if (vm.virtualizationMode !== 'hvm') throw invalidParameters('You can only set the boot order on a HVM guest')
  ctx.store.update(vm.id, { boot: { ...asRecord(vm.boot), order } })
}

function pciOtherConfig(pciIds: readonly string[]): string | undefined {
  return pciIds.length === 0 ? undefined : '0/' + pciIds.join(',0/')
}

function setAttachedPcis(ctx: MockContext, vm: Obj, pciIds: readonly string[]): void {
  const other = asStringRecord(vm.other)
  const value = pciOtherConfig(pciIds)
  if (value === undefined) delete other.pci
  else other.pci = value
  ctx.store.update(vm.id, { other, attachedPcis: pciIds.length === 0 ? undefined : [...pciIds] })
}

/** `vm.attachPcis`: PCI passthrough of host PCI devices (by PCI object id), kept in `other.pci`. */
export function attachPcis(ctx: MockContext, vmId: string, pciObjectIds: readonly string[]): void {
  const vm = getObject(ctx, vmId, 'VM')
  const pciIds = pciObjectIds.map((id) => asString(getObject(ctx, id, 'PCI').pci_id) ?? id)
  setAttachedPcis(ctx, vm, [...new Set([...asStrings(vm.attachedPcis), ...pciIds])])
}

/** `vm.detachPcis` (by PCI address, as listed in `attachedPcis`). */
export function detachPcis(ctx: MockContext, vmId: string, pciIds: readonly string[]): void {
  const vm = getObject(ctx, vmId, 'VM')
  setAttachedPcis(
    ctx,
    vm,
    asStrings(vm.attachedPcis).filter((id) => !pciIds.includes(id)),
  )
}

const CLOUD_CONFIG_DRIVE_SIZE = 10 * MiB

/**
 * XO's `createCloudInitConfigDrive`: a 10 MiB `XO CloudConfigDrive` VDI on the SR, attached to the VM.
 * Returns the VDI id.
 */
export function createCloudInitConfigDrive(ctx: MockContext, vmId: string, srId: string, _config: string, _networkConfig?: string): string {
  const vm = getObject(ctx, vmId, 'VM')
  const vdiId = createVdi(ctx, srId, { name_label: 'XO CloudConfigDrive', size: CLOUD_CONFIG_DRIVE_SIZE })
  createVbd(ctx, vm.id, { vdi: vdiId })
  return vdiId
}

/** XO's `VM_createCloudInitConfig`: the config drive goes on the SR of the VM's first disk. Returns the VDI id. */
export function createCloudInitConfig(ctx: MockContext, vmId: string, config: string, networkConfig?: string): string {
  const vm = getObject(ctx, vmId, 'VM')
  const disk = disksOf(ctx, vm)[0]
  if (disk === undefined) throw new PlainError("Can't create cloud init config drive for VM without disks")
  return createCloudInitConfigDrive(ctx, vm.id, disk.$SR as string, config, networkConfig)
}

/** `vm.getCloudInitConfig`: the default cloud-config of the xscontainer plugin. */
export function getCloudInitConfig(ctx: MockContext, templateId: string): string {
  getObject(ctx, templateId, 'VM-template')
  return '#cloud-config\n#hostname: {name}\n#ssh_authorized_keys:\n#  - ssh-rsa <key> user@host\n'
}

/** `vm.getSecurebootReadiness` (XAPI `VM.get_secureboot_readiness`). */
export function getSecurebootReadiness(ctx: MockContext, vmId: string): string {
  const vm = getObject(ctx, vmId, 'VM')
  return asRecord(vm.boot).firmware === 'uefi' ? 'ready' : 'not_supported'
}

/** `vm.addDataSource` / `vm.removeDataSource` (RRD data sources of a running VM): nothing to keep. */
export function recordVmDataSource(ctx: MockContext, vmId: string, _dataSource: string): void {
  assertPowerState(getObject(ctx, vmId, 'VM'), ['Running', 'Paused'])
}

/** `vm.coalesceLeaf`: a running VM is suspended then resumed around the leaf coalesce. */
export function coalesceLeaf(ctx: MockContext, vmId: string): void {
  const vm = getRunnableVm(ctx, vmId)
  const state = powerStateOf(vm)
  if (state === 'Halted' || state === 'Suspended') return
  suspendVm(ctx, vm.id)
  resumeVm(ctx, vm.id)
}
