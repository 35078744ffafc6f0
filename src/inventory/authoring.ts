/**
 * The human authoring format of inventories (`fixtures/*.json`, documented in `fixtures/FORMAT.md`):
 * authors write only what matters, the builder (`builder.ts`) derives every other field of the real
 * XO shapes. This file holds the TypeScript types of the format and its schema.
 */
import { CPU_MODEL_NAMES, OS_NAMES, SR_TYPES } from './defaults.js'
import { s, type Schema } from './validate.js'

/** Bytes, or a string such as `"20 GiB"`. */
export type Size = number | string
/** Seconds since the epoch, an ISO 8601 date, or a negative duration relative to now (`"-2h"`). */
export type Time = number | string

export type VmPowerState = 'Running' | 'Halted' | 'Paused' | 'Suspended'

export interface AuthoringDocument {
  xoMock: 1
  $comment?: string
  pools?: PoolSpec[]
  hosts?: HostSpec[]
  srs?: SrSpec[]
  networks?: NetworkSpec[]
  templates?: TemplateSpec[]
  vms?: VmSpec[]
  messages?: MessageSpec[]
  users?: UserSpec[]
  groups?: GroupSpec[]
  servers?: ServerSpec[]
}

export interface PoolSpec {
  id?: string
  name_label: string
  name_description?: string
  master?: string
  default_SR?: string
  crashDumpSr?: string
  suspendSr?: string
  HA_enabled?: boolean
  auto_poweron?: boolean
  tags?: string[]
  otherConfig?: Record<string, string>
  platform_version?: string
  zstdSupported?: boolean
  vtpmSupported?: boolean
}

export interface HostSpec {
  id?: string
  pool?: string
  name_label: string
  name_description?: string
  hostname?: string
  address?: string
  power_state?: 'Running' | 'Halted'
  enabled?: boolean
  productBrand?: string
  version?: string
  build?: string
  cpu?: string
  cores?: number
  sockets?: number
  memory?: Size
  tags?: string[]
  otherConfig?: Record<string, string>
  startTime?: Time
  rebootRequired?: boolean
  iscsiIqn?: string
  multipathing?: boolean
  pifs?: PifSpec[]
  pcis?: PciSpec[]
  pgpus?: PgpuSpec[]
  controlDomain?: { memory?: Size; CPUs?: number }
}

export interface PifSpec {
  id?: string
  network: string
  device?: string
  deviceName?: string
  ip?: string
  netmask?: string
  gateway?: string
  dns?: string
  mac?: string
  management?: boolean
  mode?: 'None' | 'DHCP' | 'Static'
  vlan?: number
  mtu?: number
  speed?: number
  attached?: boolean
  carrier?: boolean
}

export interface PciSpec {
  id?: string
  class_name: string
  device_name: string
  pci_id: string
}

export interface PgpuSpec {
  id?: string
  /** Alias of one of the host's `pcis`, or its `pci_id`. */
  pci: string
  dom0Access?: string
  isSystemDisplayDevice?: boolean
  /** Name of the GPU group (one gpuGroup object per name and pool). */
  gpuGroup?: string
}

export interface VdiSpec {
  id?: string
  name_label: string
  name_description?: string
  size: Size
  usage?: Size
  tags?: string[]
  VDI_type?: string
  other_config?: Record<string, string>
  cbt_enabled?: boolean
}

export interface SrSpec {
  id?: string
  name_label: string
  name_description?: string
  SR_type?: string
  host?: string
  shared?: boolean
  pool?: string
  size?: Size
  usage?: Size
  physical_usage?: Size
  content_type?: string
  tags?: string[]
  other_config?: Record<string, string>
  sm_config?: Record<string, string>
  device_config?: Record<string, string>
  inMaintenanceMode?: boolean
  vdis?: VdiSpec[]
}

export interface NetworkSpec {
  id?: string
  pool?: string
  name_label: string
  name_description?: string
  bridge?: string
  MTU?: number
  automatic?: boolean
  defaultIsLocked?: boolean
  nbd?: boolean
  insecureNbd?: boolean
  tags?: string[]
  other_config?: Record<string, string>
  /** Physical device: every host of the pool gets a PIF on this network for it. */
  device?: string
  vlan?: number
  /** The PIFs of this network are the hosts' management interfaces. */
  management?: boolean
  /** IPv4 subnet (`10.1.0.0/16`) from which host and VM addresses are allocated. */
  subnet?: string
  gateway?: string
}

export interface DiskSpec {
  id?: string
  sr?: string
  size: Size
  name_label?: string
  name_description?: string
  usage?: Size
  bootable?: boolean
  read_only?: boolean
  position?: string
  tags?: string[]
  VDI_type?: string
  other_config?: Record<string, string>
  cbt_enabled?: boolean
}

export interface VifSpec {
  id?: string
  network: string
  mac?: string
  ip?: string | string[]
  device?: string
  MTU?: number
  lockingMode?: string
  attached?: boolean
  rateLimit?: number
  allowedIpv4Addresses?: string[]
  allowedIpv6Addresses?: string[]
  txChecksumming?: boolean
}

export interface SnapshotSpec {
  id?: string
  name_label: string
  name_description?: string
  time?: Time
}

export interface MemorySpec {
  dynamic?: [Size, Size]
  static?: [Size, Size]
  size?: Size
  usage?: Size
}

export interface VmLikeSpec {
  id?: string
  /** Required on VMs; templates default to the name of their `os`'s template. */
  name_label?: string
  name_description?: string
  os?: string
  CPUs?: number | { max: number; number: number }
  coresPerSocket?: number
  memory?: Size | MemorySpec
  tags?: string[]
  virtualizationMode?: 'hvm' | 'pv' | 'pvh'
  firmware?: 'bios' | 'uefi'
  secureBoot?: boolean
  auto_poweron?: boolean
  high_availability?: string
  other?: Record<string, string>
  xenStoreData?: Record<string, string>
  blockedOperations?: Record<string, string>
  viridian?: boolean
  hasVendorDevice?: boolean
  expNestedHvm?: boolean
  isNestedVirtEnabled?: boolean
  needsVtpm?: boolean
  startDelay?: number
  vga?: string
  videoram?: number
  PV_args?: string
  vifs?: VifSpec[]
}

export interface TemplateDiskSpec extends DiskSpec {
  device?: string
  type?: string
}

export interface TemplateSpec extends VmLikeSpec {
  uuid?: string
  pool?: string
  default?: boolean
  disks?: TemplateDiskSpec[]
  install_methods?: string[]
  arch?: string
}

export interface VmSpec extends VmLikeSpec {
  name_label: string
  power_state?: VmPowerState
  $container?: string
  template?: string
  os_version?: Record<string, string> | null
  tools?: boolean | string
  notes?: string
  affinityHost?: string
  startTime?: Time
  installTime?: Time
  creation?: { date?: Time; user?: string }
  addresses?: Record<string, string>
  disks?: DiskSpec[]
  cdrom?: null | false | { vdi?: string | null }
  snapshots?: SnapshotSpec[]
  cpuCap?: number
  cpuWeight?: number
  nicType?: string
  current_operations?: Record<string, string>
}

export interface AlarmSpec {
  metric: string
  /** The measured value as a ratio (0.95 for 95 %). */
  value: number
  level?: number
  period?: number
}

export interface MessageSpec {
  id?: string
  name?: string
  body?: string
  time?: Time
  $object: string
  alarm?: AlarmSpec
}

export interface UserSpec {
  id?: string
  email: string
  password: string
  permission?: 'none' | 'read' | 'write' | 'admin'
  name?: string
  preferences?: Record<string, unknown>
}

export interface GroupSpec {
  id?: string
  name: string
  users?: string[]
  aclRoleIds?: string[]
}

export interface ServerSpec {
  id?: string
  pool?: string
  host?: string
  label?: string
  username?: string
  status?: 'connected' | 'disconnected' | 'connecting'
  enabled?: boolean
  readOnly?: boolean
  allowUnauthorized?: boolean
  error?: Record<string, unknown>
}

// ---------------------------------------------------------------------------------------------
// Schema

const id = s.string({ nonEmpty: true })
const ref = s.string({ nonEmpty: true })
const text = s.string()
const tags = s.array(s.string())
const strings = s.record(s.string())
const bool = s.boolean()
const posInt = s.integer(1)
const nonNegInt = s.integer(0)

const vdiFields = {
  id,
  name_label: text,
  name_description: text,
  size: s.size(),
  usage: s.size(),
  tags,
  VDI_type: s.string({ enum: ['user', 'system', 'ephemeral', 'suspend', 'crashdump', 'ha_statefile', 'metadata', 'redo_log', 'rrd', 'pvs_cache', 'cbt_metadata'] }),
  other_config: strings,
  cbt_enabled: bool,
}

const diskFields = { ...vdiFields, sr: ref, bootable: bool, read_only: bool, position: s.string({ nonEmpty: true }) }
const diskSchema = s.object(diskFields, ['sr', 'size'])
/** Disks of templates: provisioning entries of default templates (`template_info.disks`), real disks of custom ones. */
const templateDiskSchema = s.object({ ...diskFields, device: s.string({ nonEmpty: true }), type: s.string({ nonEmpty: true }) }, ['size'])

const vifSchema = s.object(
  {
    id,
    network: ref,
    mac: s.string({ nonEmpty: true }),
    ip: s.alt('an IP address or an array of IP addresses', { string: s.string({ nonEmpty: true }), array: s.array(s.string({ nonEmpty: true })) }),
    device: s.string({ nonEmpty: true }),
    MTU: posInt,
    lockingMode: s.string({ enum: ['network_default', 'locked', 'unlocked', 'disabled'] }),
    attached: bool,
    rateLimit: s.number({ min: 0 }),
    allowedIpv4Addresses: s.array(s.string()),
    allowedIpv6Addresses: s.array(s.string()),
    txChecksumming: bool,
  },
  ['network'],
)

const memorySchema = s.alt('a size or a memory object', {
  number: s.size(),
  string: s.size(),
  object: s.object({ dynamic: s.array(s.size()), static: s.array(s.size()), size: s.size(), usage: s.size() }),
})

const cpusSchema = s.alt('a number of vCPUs or {max, number}', {
  number: posInt,
  object: s.object({ max: posInt, number: posInt }, ['max', 'number']),
})

const vmLikeFields: Record<string, Schema> = {
  id,
  name_label: text,
  name_description: text,
  os: s.string({ enum: OS_NAMES }),
  CPUs: cpusSchema,
  coresPerSocket: posInt,
  memory: memorySchema,
  tags,
  virtualizationMode: s.string({ enum: ['hvm', 'pv', 'pvh'] }),
  firmware: s.string({ enum: ['bios', 'uefi'] }),
  secureBoot: bool,
  auto_poweron: bool,
  high_availability: s.string({ enum: ['', 'restart', 'best-effort'] }),
  other: strings,
  xenStoreData: strings,
  blockedOperations: strings,
  viridian: bool,
  hasVendorDevice: bool,
  expNestedHvm: bool,
  isNestedVirtEnabled: bool,
  needsVtpm: bool,
  startDelay: nonNegInt,
  vga: s.string({ enum: ['std', 'cirrus'] }),
  videoram: posInt,
  PV_args: text,
  vifs: s.array(vifSchema),
}

const pifSchema = s.object(
  {
    id,
    network: ref,
    device: s.string({ nonEmpty: true }),
    deviceName: text,
    ip: text,
    netmask: text,
    gateway: text,
    dns: text,
    mac: s.string({ nonEmpty: true }),
    management: bool,
    mode: s.string({ enum: ['None', 'DHCP', 'Static'] }),
    vlan: s.integer(-1, 4094),
    mtu: posInt,
    speed: nonNegInt,
    attached: bool,
    carrier: bool,
  },
  ['network'],
)

export const DOCUMENT_SCHEMA: Schema = s.object(
  {
    xoMock: s.literal(1),
    $comment: s.json(),
    pools: s.array(
      s.object(
        {
          id,
          name_label: text,
          name_description: text,
          master: ref,
          default_SR: ref,
          crashDumpSr: ref,
          suspendSr: ref,
          HA_enabled: bool,
          auto_poweron: bool,
          tags,
          otherConfig: strings,
          platform_version: text,
          zstdSupported: bool,
          vtpmSupported: bool,
        },
        ['name_label'],
      ),
    ),
    hosts: s.array(
      s.object(
        {
          id,
          pool: ref,
          name_label: text,
          name_description: text,
          hostname: s.string({ nonEmpty: true }),
          address: s.string({ nonEmpty: true }),
          power_state: s.string({ enum: ['Running', 'Halted'] }),
          enabled: bool,
          productBrand: text,
          version: text,
          build: text,
          cpu: s.string({ enum: CPU_MODEL_NAMES }),
          cores: posInt,
          sockets: posInt,
          memory: s.size(),
          tags,
          otherConfig: strings,
          startTime: s.time(),
          rebootRequired: bool,
          iscsiIqn: text,
          multipathing: bool,
          pifs: s.array(pifSchema),
          pcis: s.array(s.object({ id, class_name: text, device_name: text, pci_id: s.string({ nonEmpty: true }) }, ['class_name', 'device_name', 'pci_id'])),
          pgpus: s.array(
            s.object({ id, pci: ref, dom0Access: s.string({ enum: ['enabled', 'disable_on_reboot', 'disabled', 'enable_on_reboot'] }), isSystemDisplayDevice: bool, gpuGroup: s.string({ nonEmpty: true }) }, ['pci']),
          ),
          controlDomain: s.object({ memory: s.size(), CPUs: posInt }),
        },
        ['name_label'],
      ),
    ),
    srs: s.array(
      s.object(
        {
          id,
          name_label: text,
          name_description: text,
          SR_type: s.string({ enum: SR_TYPES }),
          host: ref,
          shared: bool,
          pool: ref,
          size: s.size(),
          usage: s.size(),
          physical_usage: s.size(),
          content_type: text,
          tags,
          other_config: strings,
          sm_config: strings,
          device_config: strings,
          inMaintenanceMode: bool,
          vdis: s.array(s.object(vdiFields, ['name_label', 'size'])),
        },
        ['name_label'],
      ),
    ),
    networks: s.array(
      s.object(
        {
          id,
          pool: ref,
          name_label: text,
          name_description: text,
          bridge: s.string({ nonEmpty: true }),
          MTU: posInt,
          automatic: bool,
          defaultIsLocked: bool,
          nbd: bool,
          insecureNbd: bool,
          tags,
          other_config: strings,
          device: s.string({ nonEmpty: true }),
          vlan: s.integer(0, 4094),
          management: bool,
          subnet: s.string({ nonEmpty: true }),
          gateway: s.string({ nonEmpty: true }),
        },
        ['name_label'],
      ),
    ),
    templates: s.array(
      s.object(
        {
          ...vmLikeFields,
          uuid: s.string({ nonEmpty: true }),
          pool: ref,
          default: bool,
          disks: s.array(templateDiskSchema),
          install_methods: s.array(s.string()),
          arch: text,
        },
        [],
      ),
    ),
    vms: s.array(
      s.object(
        {
          ...vmLikeFields,
          power_state: s.string({ enum: ['Running', 'Halted', 'Paused', 'Suspended'] }),
          $container: ref,
          template: ref,
          os_version: s.nullable(strings),
          tools: s.alt('a boolean or a tools version string', { boolean: bool, string: s.string({ nonEmpty: true }) }),
          notes: text,
          affinityHost: ref,
          startTime: s.time(),
          installTime: s.time(),
          creation: s.object({ date: s.time(), user: ref }),
          addresses: strings,
          disks: s.array(diskSchema),
          cdrom: s.alt('null (an empty CD drive), false (no CD drive) or {vdi}', {
            null: { kind: 'null' },
            boolean: s.literal(false),
            object: s.object({ vdi: s.nullable(ref) }),
          }),
          snapshots: s.array(s.object({ id, name_label: text, name_description: text, time: s.time() }, ['name_label'])),
          cpuCap: nonNegInt,
          cpuWeight: nonNegInt,
          nicType: text,
          current_operations: strings,
        },
        ['name_label'],
      ),
    ),
    messages: s.array(
      s.object(
        {
          id,
          name: s.string({ nonEmpty: true }),
          body: text,
          time: s.time(),
          $object: ref,
          alarm: s.object(
            { metric: s.string({ nonEmpty: true }), value: s.number({ min: 0 }), level: s.number({ min: 0 }), period: posInt },
            ['metric', 'value'],
          ),
        },
        ['$object'],
      ),
    ),
    users: s.array(
      s.object(
        {
          id,
          email: s.string({ nonEmpty: true }),
          password: s.string({ nonEmpty: true }),
          permission: s.string({ enum: ['none', 'read', 'write', 'admin'] }),
          name: text,
          preferences: s.record(s.json()),
        },
        ['email', 'password'],
      ),
    ),
    groups: s.array(s.object({ id, name: s.string({ nonEmpty: true }), users: s.array(ref), aclRoleIds: s.array(s.string()) }, ['name'])),
    servers: s.array(
      s.object({
        id,
        pool: ref,
        host: s.string({ nonEmpty: true }),
        label: text,
        username: s.string({ nonEmpty: true }),
        status: s.string({ enum: ['connected', 'disconnected', 'connecting'] }),
        enabled: bool,
        readOnly: bool,
        allowUnauthorized: bool,
        error: s.record(s.json()),
      }),
    ),
  },
  ['xoMock'],
)
