/**
 * Builders of NEW XO objects (VM from a template, VM/VDI snapshots, VDI, VBD, VIF, SR, PBD) with the
 * full shapes of `xapi-object-to-xo.mjs` and realistic defaults taken from the reference objects.
 * Builders only compute objects; the domain operations add them to the store.
 */
import type { MockContext } from '../context.js'
import { cloneJson } from '../inventory/freeze.js'
import {
  asRecord,
  asString,
  asStringRecord,
  asStrings,
  defined,
  GiB,
  isoNow,
  MiB,
  nowSeconds,
  num,
  type Obj,
  str,
} from './vm-common.js'

/** The device lists of a new VM-family object (the caller then creates its VBDs, VIFs, …). */
const noDevices = () => ({ $VBDs: [], VIFs: [], snapshots: [], VTPMs: [], VGPUs: [], $VGPUs: [] })

type Fields = Record<string, unknown>

/** A new object, ready for `store.add`. */
export interface NewObject {
  id: string
  type: string
  [key: string]: unknown
}

const asNew = (fields: Fields): NewObject => fields as NewObject

/** `id`, `uuid`, `$pool`, `$poolId`, `_xapiRef` of a new XAPI object (XO puts them last). */
export function xapiIdentity(ctx: MockContext, poolId: string, uuid = ctx.ids.uuid()): Fields {
  return { id: uuid, uuid, $pool: poolId, $poolId: poolId, _xapiRef: ctx.ids.opaqueRef() }
}

/** Keys of a VM that only exist while it runs (guest metrics, metrics), or describe one XAPI record. */
export const VM_RUNTIME_KEYS = [
  'mainIpAddress',
  'managementAgentDetected',
  'pvDriversDetected',
  'pvDriversVersion',
  'pvDriversUpToDate',
  'xenTools',
] as const

/** Keys a copy of a VM never inherits (identity, links, lifecycle). */
const VM_RECORD_KEYS = [
  'id',
  'uuid',
  '_xapiRef',
  'type',
  '$VBDs',
  'VIFs',
  'snapshots',
  'VTPMs',
  'VGPUs',
  '$VGPUs',
  'current_operations',
  'parent',
  'snapshot_time',
  '$snapshot_of',
  'suspendVdi',
  'isDefaultTemplate',
  'template_info',
  ...VM_RUNTIME_KEYS,
] as const

const VM_DEFAULTS: Fields = {
  addresses: {},
  auto_poweron: false,
  bios_strings: {},
  blockedOperations: {},
  boot: { firmware: 'bios', order: 'cd' },
  CPUs: { max: 1, number: 1 },
  current_operations: {},
  expNestedHvm: false,
  isNestedVirtEnabled: false,
  viridian: false,
  high_availability: '',
  isFirmwareSupported: true,
  memory: { dynamic: [GiB, GiB], static: [GiB / 2, GiB], size: GiB },
  installTime: null,
  name_description: '',
  name_label: '',
  needsVtpm: false,
  other: {},
  os_version: null,
  power_state: 'Halted',
  hasVendorDevice: false,
  snapshots: [],
  startDelay: 0,
  startTime: null,
  secureBoot: false,
  tags: [],
  VIFs: [],
  VTPMs: [],
  virtualizationMode: 'hvm',
  $VBDs: [],
  VGPUs: [],
  $VGPUs: [],
  xenStoreData: {},
}

/** A copy of the configuration of `source` (a VM, template or snapshot) without record/runtime keys. */
function vmConfiguration(source: Obj): Fields {
  const fields: Fields = { ...cloneJson(VM_DEFAULTS) }
  for (const [key, value] of Object.entries(source)) fields[key] = cloneJson(value)
  for (const key of VM_RECORD_KEYS) delete fields[key]
  const memory = asRecord(fields.memory)
  delete memory.usage
  const dynamic = Array.isArray(memory.dynamic) ? (memory.dynamic as number[]) : [GiB, GiB]
  memory.size = dynamic[1] ?? GiB
  fields.memory = memory
  fields.addresses = {}
  fields.os_version = null
  fields.startTime = null
  if (fields.virtualizationMode === 'hvm') {
    fields.vga ??= 'cirrus'
    fields.videoram ??= 4
  } else {
    fields.PV_args ??= ''
  }
  return fields
}

/** XO stores its own data in `other_config['xo:<first 8 chars of the uuid>']` (`@xen-orchestra/xapi/xoData.mjs`). */
export function xoDataKey(uuid: string): string {
  return `xo:${uuid.slice(0, 8)}`
}

/**
 * A halted VM cloned from a template (XAPI `VM.clone` + `VM.provision`): the template's settings,
 * a new identity, no devices yet (the caller creates VBDs/VIFs), `creation` recorded as XO does.
 */
export function buildVmFromTemplate(
  ctx: MockContext,
  template: Obj,
  options: { name_label: string; user: string | undefined },
): NewObject {
  const identity = xapiIdentity(ctx, template.$pool as string)
  const uuid = identity.uuid as string
  const creation = defined({ date: isoNow(ctx), template: str(template, 'uuid') ?? template.id, user: options.user })
  const config = vmConfiguration(template)
  const other = asStringRecord(config.other)
  delete other.default_template
  delete other.disks
  delete other.import_task
  other.mac_seed = ctx.ids.uuid()
  other.base_template_name ??= str(template, 'name_label') ?? ''
  other[xoDataKey(uuid)] = JSON.stringify({ creation })
  return asNew({
    type: 'VM',
    ...config,
    name_label: options.name_label,
    other,
    creation,
    installTime: nowSeconds(ctx),
    power_state: 'Halted',
    current_operations: {},
    vulnerabilities: { xsa468: false },
    $container: template.$pool,
    ...noDevices(),
    ...identity,
  })
}

/** A copy of a VM (clone / copy): same configuration, new identity, halted, no devices yet. */
export function buildVmCopy(ctx: MockContext, source: Obj, options: { name_label: string; type: 'VM' | 'VM-template'; poolId?: string }): NewObject {
  const poolId = options.poolId ?? (source.$pool as string)
  const config = vmConfiguration(source)
  const other = asStringRecord(config.other)
  other.mac_seed = ctx.ids.uuid()
  delete other.default_template
  const fields: Fields = {
    type: options.type,
    ...config,
    name_label: options.name_label,
    other,
    power_state: 'Halted',
    current_operations: {},
    $container: poolId,
    ...noDevices(),
    ...xapiIdentity(ctx, poolId),
  }
  if (options.type === 'VM-template') Object.assign(fields, templateFields(fields))
  return asNew(fields)
}

/** The fields a VM-template adds (`isDefaultTemplate`, `template_info`). */
export function templateFields(vm: Fields | Obj): Fields {
  const other = asStringRecord(vm.other)
  const methods = other['install-methods']
  return asNew({
    isDefaultTemplate: false,
    template_info: defined({
      arch: other['install-arch'],
      disks: [],
      install_methods: methods === undefined || methods === '' ? [] : methods.split(','),
      install_repository: other['install-repository'],
    }),
  })
}

/** A VM-snapshot of `vm` (XAPI `VM.snapshot` / `VM.checkpoint`), without devices yet. */
export function buildVmSnapshot(
  ctx: MockContext,
  vm: Obj,
  options: { name_label: string; name_description?: string; checkpoint: boolean },
): NewObject {
  const config = vmConfiguration(vm)
  delete config.vulnerabilities
  return asNew({
    type: 'VM-snapshot',
    ...config,
    name_label: options.name_label,
    name_description: options.name_description ?? str(vm, 'name_description') ?? '',
    power_state: options.checkpoint ? 'Suspended' : 'Halted',
    current_operations: {},
    $container: vm.$pool,
    ...noDevices(),
    snapshot_time: nowSeconds(ctx),
    $snapshot_of: vm.id,
    ...xapiIdentity(ctx, vm.$pool as string),
  })
}

// ---------------------------------------------------------------------------------------------
// Storage

const ALLOCATION_BY_TYPE: Readonly<Record<string, string>> = {
  ext: 'thin',
  file: 'thin',
  hba: 'thick',
  iscsi: 'thick',
  lvhd: 'thick',
  lvhdofcoe: 'thick',
  lvhdohba: 'thick',
  lvhdoiscsi: 'thick',
  lvm: 'thick',
  lvmofcoe: 'thick',
  lvmohba: 'thick',
  lvmoiscsi: 'thick',
  nfs: 'thin',
  smb: 'thin',
  udev: 'thick',
  xosan: 'thin',
  zfs: 'thin',
}

export function allocationOf(sr: Obj | Fields): string {
  return asString(sr.allocationStrategy) ?? ALLOCATION_BY_TYPE[asString(sr.SR_type) ?? ''] ?? 'thin'
}

/** Physical size of an empty dynamic VHD of `size` bytes: footer + header + BAT (2 MiB blocks). */
export function emptyVhdUsage(size: number): number {
  const bat = Math.ceil(Math.ceil(size / (2 * MiB)) * 4 / 512) * 512
  return 512 + 1024 + bat
}

/** Physical utilisation of a new empty VDI: the whole size on thick SRs, an empty VHD on thin ones. */
export function newVdiUsage(sr: Obj, size: number): number {
  return allocationOf(sr) === 'thick' ? size : emptyVhdUsage(size)
}

export interface NewVdi {
  readonly sr: Obj
  readonly name_label?: string
  readonly name_description?: string
  readonly size: number
  readonly usage?: number
  readonly VDI_type?: string
  readonly other_config?: Record<string, string>
  readonly tags?: readonly string[]
}

export function buildVdi(ctx: MockContext, options: NewVdi): NewObject {
  const usage = options.usage ?? newVdiUsage(options.sr, options.size)
  return asNew({
    type: 'VDI',
    cbt_enabled: false,
    missing: false,
    name_description: options.name_description ?? '',
    name_label: options.name_label ?? '',
    size: options.size,
    snapshots: [],
    tags: [...(options.tags ?? [])],
    usage,
    // usage of the VDI and of its parent VHDs (XO PR #9708): no VHD chains are modelled
    chainPhysicalUsage: usage,
    VDI_type: options.VDI_type ?? 'user',
    current_operations: {},
    other_config: { ...(options.other_config ?? {}) },
    $SR: options.sr.id,
    $VBDs: [],
    ...xapiIdentity(ctx, options.sr.$pool as string),
  })
}

/** A copy of a VDI on `sr` (fast clone when `fast`: a small differencing VHD on thin SRs). */
export function buildVdiCopy(ctx: MockContext, vdi: Obj, sr: Obj, options: { fast: boolean; name_label?: string }): NewObject {
  const size = num(vdi, 'size')
  return buildVdi(ctx, {
    sr,
    name_label: options.name_label ?? str(vdi, 'name_label'),
    name_description: str(vdi, 'name_description'),
    size,
    usage: options.fast ? newVdiUsage(sr, size) : num(vdi, 'usage', newVdiUsage(sr, size)),
    VDI_type: str(vdi, 'VDI_type'),
    tags: asStrings(vdi.tags),
  })
}

/** A VDI-snapshot of `vdi` (same SR, same content). */
export function buildVdiSnapshot(ctx: MockContext, vdi: Obj): NewObject {
  return asNew({
    type: 'VDI-snapshot',
    cbt_enabled: vdi.cbt_enabled === true,
    missing: false,
    name_description: str(vdi, 'name_description') ?? '',
    name_label: str(vdi, 'name_label') ?? '',
    size: num(vdi, 'size'),
    snapshots: [],
    tags: asStrings(vdi.tags),
    usage: num(vdi, 'usage'),
    VDI_type: str(vdi, 'VDI_type') ?? 'user',
    current_operations: {},
    other_config: { ...asStringRecord(vdi.other_config), content_id: ctx.ids.uuid() },
    $SR: vdi.$SR,
    $VBDs: [],
    snapshot_time: nowSeconds(ctx),
    $snapshot_of: vdi.id,
    ...xapiIdentity(ctx, vdi.$pool as string),
  })
}

export interface NewVbd {
  readonly vm: Obj
  readonly vdi?: string
  readonly userdevice: string
  readonly bootable?: boolean
  readonly cd?: boolean
  readonly readOnly?: boolean
  readonly attached?: boolean
  readonly device?: string | null
}

export function buildVbd(ctx: MockContext, options: NewVbd): NewObject {
  const cd = options.cd === true
  return asNew(defined({
    type: 'VBD',
    attached: options.attached === true,
    bootable: options.bootable === true,
    device: options.device ?? null,
    is_cd_drive: cd,
    position: options.userdevice,
    read_only: options.readOnly ?? cd,
    VDI: options.vdi,
    VM: options.vm.id,
    ...xapiIdentity(ctx, options.vm.$pool as string),
  }))
}

export interface NewVif {
  readonly vm: Obj
  readonly network: Obj
  readonly device: string
  readonly mac: string
  readonly mtu?: number
  readonly lockingMode?: string
  readonly allowedIpv4Addresses?: readonly string[]
  readonly allowedIpv6Addresses?: readonly string[]
  readonly attached?: boolean
  readonly other_config?: Record<string, string>
  readonly txChecksumming?: boolean
  readonly rateLimit?: number
}

export function buildVif(ctx: MockContext, options: NewVif): NewObject {
  return asNew(defined({
    type: 'VIF',
    allowedIpv4Addresses: [...(options.allowedIpv4Addresses ?? [])],
    allowedIpv6Addresses: [...(options.allowedIpv6Addresses ?? [])],
    attached: options.attached === true,
    device: options.device,
    lockingMode: options.lockingMode ?? 'network_default',
    MAC: options.mac,
    MTU: options.mtu ?? num(options.network, 'MTU', 1500),
    other_config: { ...(options.other_config ?? {}) },
    txChecksumming: options.txChecksumming ?? true,
    rateLimit: options.rateLimit,
    $network: options.network.id,
    $VM: options.vm.id,
    ...xapiIdentity(ctx, options.vm.$pool as string),
  }))
}

export interface NewSr {
  readonly poolId: string
  readonly host: Obj
  readonly name_label: string
  readonly name_description: string
  readonly SR_type: string
  readonly content_type: string
  readonly shared: boolean
  readonly size: number
  readonly uuid?: string
}

export function buildSr(ctx: MockContext, options: NewSr): NewObject {
  return asNew({
    type: 'SR',
    content_type: options.content_type,
    physical_usage: 0,
    allocationStrategy: ALLOCATION_BY_TYPE[options.SR_type],
    current_operations: {},
    inMaintenanceMode: false,
    name_description: options.name_description,
    name_label: options.name_label,
    size: options.size,
    shared: options.shared,
    SR_type: options.SR_type,
    tags: [],
    usage: 0,
    VDIs: [],
    other_config: {},
    sm_config: {},
    $container: options.shared ? options.poolId : options.host.id,
    $PBDs: [],
    ...xapiIdentity(ctx, options.poolId, options.uuid),
  })
}

const SECRET_KEY_RE = /password|secret/i

export function buildPbd(ctx: MockContext, options: { sr: NewObject; host: Obj; deviceConfig: Record<string, string> }): NewObject {
  const deviceConfig: Record<string, string> = {}
  for (const [key, value] of Object.entries(options.deviceConfig)) deviceConfig[key] = SECRET_KEY_RE.test(key) ? '* obfuscated *' : value
  return asNew({
    type: 'PBD',
    attached: true,
    host: options.host.id,
    SR: options.sr.id,
    device_config: deviceConfig,
    otherConfig: {},
    ...xapiIdentity(ctx, options.sr.$pool as string),
  })
}
