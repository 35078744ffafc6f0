/**
 * Builds XVA's ova.xml (formats.md §2.3) from an XvaVm: version header, then VM, SR, one VDI + VBD
 * per disk, networks and VIFs, with `Ref:NNN` ids cross-referencing each other. Record defaults follow
 * XO's XVA writer templates.
 */
import type { DiskContent } from './content.js'
import { toXmlRpc, type XmlRpcStruct, type XmlRpcValue } from './xmlrpc.js'
import type { XvaObject, XvaVm } from './xva-types.js'

const NULL_REF = 'OpaqueRef:NULL'
const NIL_UUID = '00000000-0000-0000-0000-000000000000'

export interface OvaXmlResult {
  xml: Buffer
  objects: XvaObject[]
  /** Disks with their VDI ref (the chunk folder name), sorted by ref as XAPI streams them. */
  disks: { ref: string; content: DiskContent }[]
}

function defined(record: Record<string, XmlRpcValue | undefined>): XmlRpcStruct {
  const result: XmlRpcStruct = {}
  for (const [key, value] of Object.entries(record)) if (value !== undefined) result[key] = value
  return result
}

export function buildOvaXml(input: XvaVm, options: { timestamp?: number; hostname?: string } = {}): OvaXmlResult {
  let counter = 0
  const nextRef = (): string => `Ref:${String(counter++).padStart(3, '0')}`
  const timestamp = options.timestamp ?? 0
  const { vm } = input
  const memory = vm.memory ?? 1024 ** 3
  const vcpus = vm.VCPUs_max ?? 1

  const vmRef = nextRef()
  const srRef = nextRef()
  const objects: XvaObject[] = []
  const vbdRefs: string[] = []
  const vifRefs: string[] = []
  const vdiRefs: string[] = []
  const disks: OvaXmlResult['disks'] = []

  const vmObject: XvaObject = {
    class: 'VM',
    id: vmRef,
    snapshot: defined({
      uuid: vm.uuid,
      name_label: vm.name_label,
      name_description: vm.name_description ?? '',
      power_state: vm.power_state ?? 'Halted',
      user_version: 1,
      is_a_template: vm.is_a_template ?? false,
      is_default_template: false,
      is_a_snapshot: vm.is_a_snapshot ?? false,
      is_control_domain: false,
      snapshot_of: NULL_REF,
      snapshots: [],
      snapshot_time: new Date(0),
      transportable_snapshot_id: '',
      parent: NULL_REF,
      children: [],
      memory_overhead: 11534336,
      memory_target: 0,
      memory_static_max: memory,
      memory_dynamic_max: memory,
      memory_dynamic_min: memory,
      memory_static_min: memory,
      VCPUs_params: {},
      VCPUs_max: vcpus,
      VCPUs_at_startup: vm.VCPUs_at_startup ?? vcpus,
      actions_after_shutdown: 'destroy',
      actions_after_reboot: 'restart',
      actions_after_crash: 'restart',
      consoles: [],
      VIFs: vifRefs,
      VBDs: vbdRefs,
      VUSBs: [],
      crash_dumps: [],
      VTPMs: [],
      VGPUs: [],
      attached_PCIs: [],
      PV_bootloader: '',
      PV_kernel: '',
      PV_ramdisk: '',
      PV_args: '',
      PV_bootloader_args: '',
      PV_legacy_args: '',
      HVM_boot_policy: vm.HVM_boot_policy ?? 'BIOS order',
      HVM_boot_params: vm.HVM_boot_params ?? { order: 'cd', firmware: 'bios' },
      HVM_shadow_multiplier: 1.0,
      platform: vm.platform ?? { timeoffset: '0', 'device-model': 'qemu-upstream-compat', nx: 'true', acpi: '1', apic: 'true', pae: 'true', viridian: 'true' },
      PCI_bus: '',
      other_config: vm.other_config ?? {},
      domid: -1,
      domarch: '',
      last_boot_CPU_flags: {},
      resident_on: NULL_REF,
      affinity: NULL_REF,
      metrics: NULL_REF,
      guest_metrics: NULL_REF,
      suspend_VDI: NULL_REF,
      suspend_SR: NULL_REF,
      last_booted_record: '',
      recommendations: '',
      xenstore_data: {},
      ha_always_run: false,
      ha_restart_priority: '',
      tags: vm.tags ?? [],
      blocked_operations: {},
      allowed_operations: [],
      current_operations: {},
      snapshot_info: {},
      snapshot_metadata: '',
      blobs: {},
      order: 0,
      start_delay: 0,
      shutdown_delay: 0,
      generation_id: '',
      hardware_platform_version: 0,
      has_vendor_device: false,
      requires_reboot: false,
      reference_label: '',
      domain_type: vm.domain_type ?? 'hvm',
      NVRAM: {},
      ...vm.extra,
    }),
  }
  objects.push(vmObject)

  const sr = input.sr ?? { uuid: NIL_UUID, name_label: 'Local storage' }
  objects.push({
    class: 'SR',
    id: srRef,
    snapshot: { uuid: sr.uuid, name_label: sr.name_label, name_description: '', VDIs: vdiRefs, ...sr.extra },
  })

  input.disks.forEach((disk, position) => {
    const vdiRef = nextRef()
    const vbdRef = nextRef()
    vdiRefs.push(vdiRef)
    vbdRefs.push(vbdRef)
    disks.push({ ref: vdiRef, content: disk.content })
    const { vdi, vbd } = disk
    objects.push({
      class: 'VDI',
      id: vdiRef,
      snapshot: {
        uuid: vdi.uuid,
        name_label: vdi.name_label,
        name_description: vdi.name_description ?? '',
        SR: srRef,
        VBDs: [vbdRef],
        crash_dumps: [],
        virtual_size: String(disk.content.virtualSize),
        physical_utilisation: String(disk.content.allocatedBlocks().length * 2 * 1024 * 1024),
        type: vdi.type ?? 'user',
        sharable: vdi.sharable ?? false,
        read_only: vdi.read_only ?? false,
        other_config: vdi.other_config ?? {},
        storage_lock: false,
        location: vdi.uuid,
        managed: true,
        missing: false,
        parent: NULL_REF,
        xenstore_data: {},
        sm_config: {},
        is_a_snapshot: false,
        snapshot_of: NULL_REF,
        snapshots: [],
        snapshot_time: new Date(0),
        tags: vdi.tags ?? [],
        allow_caching: false,
        on_boot: 'persist',
        metadata_of_pool: NULL_REF,
        metadata_latest: false,
        is_tools_iso: false,
        cbt_enabled: false,
        ...vdi.extra,
      },
    })
    objects.push({
      class: 'VBD',
      id: vbdRef,
      snapshot: {
        uuid: vbd.uuid,
        VM: vmRef,
        VDI: vdiRef,
        device: vbd.device ?? `xvd${String.fromCharCode(97 + position)}`,
        userdevice: String(vbd.userdevice),
        bootable: vbd.bootable ?? position === 0,
        mode: vbd.mode ?? 'RW',
        type: 'Disk',
        unpluggable: false,
        storage_lock: false,
        empty: false,
        other_config: {},
        currently_attached: false,
        status_code: 0,
        status_detail: '',
        runtime_properties: {},
        qos_algorithm_type: '',
        qos_algorithm_params: {},
        qos_supported_algorithms: [],
        metrics: NULL_REF,
        allowed_operations: [],
        current_operations: {},
        ...vbd.extra,
      },
    })
  })

  const networks = new Map<string, { ref: string; vifs: string[] }>()
  for (const vif of input.vifs ?? []) {
    let network = networks.get(vif.network.uuid)
    if (network === undefined) {
      network = { ref: nextRef(), vifs: [] }
      networks.set(vif.network.uuid, network)
      const n = vif.network
      objects.push({
        class: 'network',
        id: network.ref,
        snapshot: {
          uuid: n.uuid,
          name_label: n.name_label,
          name_description: n.name_description ?? '',
          bridge: n.bridge ?? '',
          MTU: String(n.MTU ?? 1500),
          VIFs: network.vifs,
          other_config: {},
          tags: [],
          ...n.extra,
        },
      })
    }
    const vifRef = nextRef()
    network.vifs.push(vifRef)
    vifRefs.push(vifRef)
    objects.push({
      class: 'VIF',
      id: vifRef,
      snapshot: {
        uuid: vif.uuid,
        device: String(vif.device),
        network: network.ref,
        VM: vmRef,
        MAC: vif.MAC,
        MAC_autogenerated: false,
        MTU: String(vif.MTU ?? 1500),
        currently_attached: false,
        status_code: 0,
        status_detail: '',
        runtime_properties: {},
        other_config: {},
        qos_algorithm_type: '',
        qos_algorithm_params: {},
        qos_supported_algorithms: [],
        locking_mode: 'network_default',
        ipv4_allowed: [],
        ipv6_allowed: [],
        ipv4_configuration_mode: 'None',
        ipv4_addresses: [],
        ipv4_gateway: '',
        ipv6_configuration_mode: 'None',
        ipv6_addresses: [],
        ipv6_gateway: '',
        metrics: NULL_REF,
        allowed_operations: [],
        current_operations: {},
        ...vif.extra,
      },
    })
  }

  const version: XmlRpcStruct = {
    hostname: options.hostname ?? 'xo-mock',
    date: new Date(timestamp).toISOString().slice(0, 10),
    product_version: '8.2.1',
    product_brand: 'XCP-ng',
    build_number: 'release/yangtze/master/58',
    xapi_major: 1,
    xapi_minor: 20,
    export_vsn: 2,
  }
  const document: XmlRpcStruct = {
    version,
    objects: objects.map(object => ({ class: object.class, id: object.id, snapshot: object.snapshot })),
  }
  disks.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0))
  return { xml: Buffer.from(toXmlRpc(document), 'utf8'), objects, disks }
}
