// A small inventory for the VM / storage domain tests: two pools, hosts, SRs, networks, templates and
// VMs in every power state, built directly in a store (no fixture loader).
import { makeContext, type MockContext } from '../../src/context.js'
import { ManualClock } from '../../src/inventory/clock.js'
import { IdGenerator } from '../../src/inventory/ids.js'
import { type Change, ObjectStore } from '../../src/inventory/store.js'
import type { XoObject } from '../../src/inventory/types.js'

export const GiB = 1024 ** 3

export const ids = {
  pool: '11111111-0000-4000-8000-000000000001',
  pool2: '11111111-0000-4000-8000-000000000002',
  host1: '22222222-0000-4000-8000-000000000001',
  host2: '22222222-0000-4000-8000-000000000002',
  host3: '22222222-0000-4000-8000-000000000003',
  hostOff: '22222222-0000-4000-8000-000000000004',
  sr: '33333333-0000-4000-8000-000000000001',
  localSr: '33333333-0000-4000-8000-000000000002',
  isoSr: '33333333-0000-4000-8000-000000000003',
  sr2: '33333333-0000-4000-8000-000000000004',
  network: '44444444-0000-4000-8000-000000000001',
  network2: '44444444-0000-4000-8000-000000000002',
  networkB: '44444444-0000-4000-8000-000000000003',
  template: '55555555-0000-4000-8000-000000000001',
  defaultTemplate: '11111111-0000-4000-8000-000000000001-55555555-0000-4000-8000-000000000002',
  halted: '66666666-0000-4000-8000-000000000001',
  running: '66666666-0000-4000-8000-000000000002',
  paused: '66666666-0000-4000-8000-000000000003',
  suspended: '66666666-0000-4000-8000-000000000004',
  noTools: '66666666-0000-4000-8000-000000000005',
  dom0: '66666666-0000-4000-8000-000000000006',
  iso: '77777777-0000-4000-8000-000000000001',
  templateDisk: '77777777-0000-4000-8000-000000000002',
  haltedDisk: '77777777-0000-4000-8000-000000000003',
  runningDisk: '77777777-0000-4000-8000-000000000004',
  pausedDisk: '77777777-0000-4000-8000-000000000005',
  suspendedDisk: '77777777-0000-4000-8000-000000000006',
  noToolsDisk: '77777777-0000-4000-8000-000000000007',
  spareDisk: '77777777-0000-4000-8000-000000000008',
  templateVbd: '88888888-0000-4000-8000-000000000001',
  templateCd: '88888888-0000-4000-8000-000000000002',
  haltedVbd: '88888888-0000-4000-8000-000000000003',
  haltedCd: '88888888-0000-4000-8000-000000000004',
  runningVbd: '88888888-0000-4000-8000-000000000005',
  pausedVbd: '88888888-0000-4000-8000-000000000006',
  suspendedVbd: '88888888-0000-4000-8000-000000000007',
  noToolsVbd: '88888888-0000-4000-8000-000000000008',
  haltedVif: '99999999-0000-4000-8000-000000000001',
  runningVif: '99999999-0000-4000-8000-000000000002',
  pausedVif: '99999999-0000-4000-8000-000000000003',
  noToolsVif: '99999999-0000-4000-8000-000000000004',
  pif1: 'aaaaaaaa-0000-4000-8000-000000000001',
  pif3: 'aaaaaaaa-0000-4000-8000-000000000003',
  pbd1: 'bbbbbbbb-0000-4000-8000-000000000001',
  pbd2: 'bbbbbbbb-0000-4000-8000-000000000002',
  pbdLocal: 'bbbbbbbb-0000-4000-8000-000000000003',
  pbdIso: 'bbbbbbbb-0000-4000-8000-000000000004',
  pbd3: 'bbbbbbbb-0000-4000-8000-000000000005',
  pci: 'cccccccc-0000-4000-8000-000000000001',
} as const

let refs = 0
function xapi(id: string, type: string, pool: string, uuid = id): { id: string; type: string; [key: string]: unknown } {
  return { id, type, uuid, $pool: pool, $poolId: pool, _xapiRef: `OpaqueRef:${String(++refs).padStart(8, '0')}-fixture` }
}

function vm(id: string, name: string, power: string, container: string, extra: Record<string, unknown> = {}): XoObject {
  return {
    ...xapi(id, 'VM', ids.pool),
    addresses: {},
    auto_poweron: false,
    bios_strings: {},
    blockedOperations: {},
    boot: { firmware: 'bios', order: 'cd' },
    CPUs: { max: 4, number: 2 },
    current_operations: {},
    expNestedHvm: false,
    high_availability: '',
    memory: { dynamic: [2 * GiB, 2 * GiB], static: [GiB, 4 * GiB], size: 2 * GiB },
    name_description: '',
    name_label: name,
    other: {},
    os_version: null,
    power_state: power,
    snapshots: [],
    startTime: null,
    secureBoot: false,
    tags: [],
    VIFs: [],
    virtualizationMode: 'hvm',
    vga: 'cirrus',
    videoram: 4,
    xenStoreData: {},
    $container: container,
    $VBDs: [],
    ...extra,
  }
}

const tools = (ip: string) => ({
  addresses: { '0/ipv4/0': ip },
  mainIpAddress: ip,
  os_version: { distro: 'debian', name: 'Debian 12' },
  managementAgentDetected: true,
  pvDriversDetected: true,
  pvDriversVersion: '8.4.0-1',
  pvDriversUpToDate: true,
  xenTools: { major: 8, minor: 4, version: 8.4 },
  startTime: 1767000000,
})

function vdi(id: string, name: string, sr: string, size: number, extra: Record<string, unknown> = {}): XoObject {
  return {
    ...xapi(id, 'VDI', ids.pool),
    cbt_enabled: false,
    missing: false,
    name_description: '',
    name_label: name,
    size,
    snapshots: [],
    tags: [],
    usage: size / 4,
    VDI_type: 'user',
    current_operations: {},
    other_config: {},
    $SR: sr,
    $VBDs: [],
    ...extra,
  }
}

function vbd(id: string, vmId: string, vdiId: string | undefined, position: string, extra: Record<string, unknown> = {}): XoObject {
  const object: { id: string; type: string; [key: string]: unknown } = {
    ...xapi(id, 'VBD', ids.pool),
    attached: false,
    bootable: position === '0',
    device: null,
    is_cd_drive: false,
    position,
    read_only: false,
    VM: vmId,
    ...extra,
  }
  if (vdiId !== undefined) object.VDI = vdiId
  return object
}

function vif(id: string, vmId: string, mac: string, attached: boolean, network: string = ids.network): XoObject {
  return {
    ...xapi(id, 'VIF', ids.pool),
    allowedIpv4Addresses: [],
    allowedIpv6Addresses: [],
    attached,
    device: '0',
    lockingMode: 'network_default',
    MAC: mac,
    MTU: 1500,
    other_config: {},
    txChecksumming: true,
    $network: network,
    $VM: vmId,
  }
}

function host(id: string, name: string, pool: string, extra: Record<string, unknown> = {}): XoObject {
  return {
    ...xapi(id, 'host', pool),
    name_label: name,
    enabled: true,
    power_state: 'Running',
    memory: { usage: 4 * GiB, size: 64 * GiB },
    residentVms: [],
    $PBDs: [],
    PIFs: [],
    $PIFs: [],
    ...extra,
  }
}

function sr(id: string, name: string, pool: string, extra: Record<string, unknown> = {}): XoObject {
  return {
    ...xapi(id, 'SR', pool),
    content_type: 'user',
    physical_usage: 100 * GiB,
    allocationStrategy: 'thin',
    current_operations: {},
    inMaintenanceMode: false,
    name_description: '',
    name_label: name,
    size: 1000 * GiB,
    shared: true,
    SR_type: 'nfs',
    tags: [],
    usage: 200 * GiB,
    VDIs: [],
    other_config: {},
    sm_config: {},
    $container: pool,
    $PBDs: [],
    ...extra,
  }
}

export function inventory(): XoObject[] {
  refs = 0
  return [
    { ...xapi(ids.pool, 'pool', ids.pool), name_label: 'Lab', master: ids.host1, default_SR: ids.sr, auto_poweron: false, otherConfig: {}, current_operations: {} },
    { ...xapi(ids.pool2, 'pool', ids.pool2), name_label: 'DR', master: ids.host3, default_SR: ids.sr2, auto_poweron: false, otherConfig: {}, current_operations: {} },
    host(ids.host1, 'host1', ids.pool),
    host(ids.host2, 'host2', ids.pool),
    host(ids.hostOff, 'host-off', ids.pool, { power_state: 'Halted' }),
    host(ids.host3, 'host3', ids.pool2),
    sr(ids.sr, 'NFS', ids.pool),
    sr(ids.localSr, 'Local LVM', ids.pool, { shared: false, SR_type: 'lvm', allocationStrategy: 'thick', $container: ids.host1, size: 500 * GiB, physical_usage: 50 * GiB, usage: 50 * GiB }),
    sr(ids.isoSr, 'ISOs', ids.pool, { content_type: 'iso', SR_type: 'iso', size: 10 * GiB, physical_usage: GiB, usage: GiB }),
    sr(ids.sr2, 'DR NFS', ids.pool2),
    { ...xapi(ids.pbd1, 'PBD', ids.pool), attached: true, host: ids.host1, SR: ids.sr, device_config: {}, otherConfig: {} },
    { ...xapi(ids.pbd2, 'PBD', ids.pool), attached: true, host: ids.host2, SR: ids.sr, device_config: {}, otherConfig: {} },
    { ...xapi(ids.pbdLocal, 'PBD', ids.pool), attached: true, host: ids.host1, SR: ids.localSr, device_config: {}, otherConfig: {} },
    { ...xapi(ids.pbdIso, 'PBD', ids.pool), attached: true, host: ids.host1, SR: ids.isoSr, device_config: {}, otherConfig: {} },
    { ...xapi(ids.pbd3, 'PBD', ids.pool2), attached: true, host: ids.host3, SR: ids.sr2, device_config: { server: 'nas', serverpath: '/dr' }, otherConfig: {} },
    { ...xapi(ids.network, 'network', ids.pool), name_label: 'Pool-wide network', MTU: 1500, PIFs: [], VIFs: [], tags: [] },
    { ...xapi(ids.networkB, 'network', ids.pool), name_label: 'Backend', MTU: 9000, PIFs: [], VIFs: [], tags: [] },
    { ...xapi(ids.network2, 'network', ids.pool2), name_label: 'Pool-wide network', MTU: 1500, PIFs: [], VIFs: [], tags: [] },
    { ...xapi(ids.pif1, 'PIF', ids.pool), $host: ids.host1, $network: ids.network, management: true, device: 'eth0' },
    { ...xapi(ids.pif3, 'PIF', ids.pool2), $host: ids.host3, $network: ids.network2, management: true, device: 'eth0' },
    { ...xapi(ids.pci, 'PCI', ids.pool), $host: ids.host1, pci_id: '0000:18:00.0', class_name: 'Ethernet controller', device_name: 'X710' },

    // templates
    {
      ...vm(ids.template, 'Debian 12 Cloud', 'Halted', ids.pool, { CPUs: { max: 1, number: 1 }, boot: { firmware: 'bios', order: 'cdn' } }),
      type: 'VM-template',
      isDefaultTemplate: false,
      template_info: { disks: [], install_methods: ['cdrom'] },
      other: { 'install-methods': 'cdrom', linux_template: 'true' },
    },
    {
      ...vm(ids.defaultTemplate, 'Other install media', 'Halted', ids.pool),
      uuid: '55555555-0000-4000-8000-000000000002',
      type: 'VM-template',
      isDefaultTemplate: true,
      template_info: { disks: [{ bootable: true, device: '0', size: 10 * GiB, type: 'system', SR: '' }], install_methods: ['cdrom'] },
      other: { default_template: 'true', disks: '<provision/>' },
    },
    vdi(ids.templateDisk, 'debian root', ids.sr, 20 * GiB),
    vbd(ids.templateVbd, ids.template, ids.templateDisk, '0'),
    vbd(ids.templateCd, ids.template, undefined, '3', { is_cd_drive: true, read_only: true, bootable: false }),
    vdi(ids.iso, 'debian-12.iso', ids.isoSr, 600 * 1024 ** 2, { VDI_type: 'user' }),

    // VMs
    vm(ids.halted, 'halted', 'Halted', ids.pool),
    vdi(ids.haltedDisk, 'halted root', ids.sr, 10 * GiB),
    vbd(ids.haltedVbd, ids.halted, ids.haltedDisk, '0', { device: 'xvda' }),
    vbd(ids.haltedCd, ids.halted, undefined, '3', { is_cd_drive: true, read_only: true, bootable: false }),
    vif(ids.haltedVif, ids.halted, '02:00:00:00:00:01', false),

    vm(ids.running, 'running', 'Running', ids.host1, tools('10.0.0.2')),
    vdi(ids.runningDisk, 'running root', ids.sr, 10 * GiB),
    vbd(ids.runningVbd, ids.running, ids.runningDisk, '0', { attached: true, device: 'xvda' }),
    vif(ids.runningVif, ids.running, '02:00:00:00:00:02', true),

    vm(ids.paused, 'paused', 'Paused', ids.host2, tools('10.0.0.3')),
    vdi(ids.pausedDisk, 'paused root', ids.sr, 10 * GiB),
    vbd(ids.pausedVbd, ids.paused, ids.pausedDisk, '0', { attached: true, device: 'xvda' }),
    vif(ids.pausedVif, ids.paused, '02:00:00:00:00:03', true),

    vm(ids.suspended, 'suspended', 'Suspended', ids.pool),
    vdi(ids.suspendedDisk, 'suspended root', ids.sr, 10 * GiB),
    vbd(ids.suspendedVbd, ids.suspended, ids.suspendedDisk, '0', { attached: true, device: 'xvda' }),

    vm(ids.noTools, 'no tools', 'Running', ids.host1, { startTime: 1767000000, managementAgentDetected: false, pvDriversDetected: false, xenTools: false }),
    vdi(ids.noToolsDisk, 'no tools root', ids.localSr, 10 * GiB),
    vbd(ids.noToolsVbd, ids.noTools, ids.noToolsDisk, '0', { attached: true, device: 'xvda' }),
    vif(ids.noToolsVif, ids.noTools, '02:00:00:00:00:04', true),

    { ...vm(ids.dom0, 'Control domain on host: host1', 'Running', ids.host1), type: 'VM-controller' },
    vdi(ids.spareDisk, 'spare', ids.sr, 5 * GiB),
  ]
}

export interface TestContext {
  readonly ctx: MockContext & { readonly clock: ManualClock }
  readonly store: ObjectStore
  readonly changes: Change[]
  /** Objects as plain records (for field access in assertions). */
  get(id: string): Record<string, any>
}

export function setup(): TestContext {
  const store = new ObjectStore()
  store.replaceAll(inventory(), { deriveBackReferences: true })
  const clock = new ManualClock()
  const ctx = { ...makeContext({ store, clock, ids: new IdGenerator('t') }), clock }
  const changes: Change[] = []
  store.subscribe((change) => changes.push(change))
  return {
    ctx,
    store,
    changes,
    get: (id: string) => {
      const object = store.get(id)
      if (object === undefined) throw new Error(`no object ${id}`)
      return object as Record<string, any>
    },
  }
}

/** The sequence of changes of one object: `kind` and the listed fields of each version. */
export function trace(changes: readonly Change[], id: string, fields: readonly string[]): unknown[] {
  return changes
    .filter((change) => change.id === id)
    .map((change) => {
      const out: Record<string, unknown> = { kind: change.kind }
      for (const field of fields) out[field] = (change.object as Record<string, unknown>)[field]
      return out
    })
}

/** Catches the error a function throws (with its XO code and data). */
export function errorOf(fn: () => unknown): { code?: number; message: string; data?: any; name: string } {
  try {
    fn()
  } catch (error) {
    return error as { code?: number; message: string; data?: any; name: string }
  }
  throw new Error('expected an error')
}
