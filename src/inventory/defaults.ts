/**
 * Realistic default values of XO objects, taken from the reference objects (`rest-api.md` §12) and
 * `xapi-object-to-xo.mjs`. Values shared by many objects are frozen and shared (never cloned): the
 * store freezes objects anyway and its `deepFreeze` skips frozen values, so a 100k-VM inventory keeps
 * one `bios_strings`, one `license_params`, … in memory.
 */
import { deepFreeze } from './freeze.js'

const frozen = <T>(value: T): T => deepFreeze(value)

export const EMPTY_OBJECT: Readonly<Record<string, never>> = frozen({})
export const EMPTY_ARRAY: readonly never[] = frozen([])

// ---------------------------------------------------------------------------------------------
// VMs

export const VM_BIOS_STRINGS = frozen({
  'bios-vendor': 'Xen',
  'bios-version': '',
  'system-manufacturer': 'Xen',
  'system-product-name': 'HVM domU',
  'system-version': '',
  'system-serial-number': '',
  'hp-rombios': '',
  'oem-1': 'Xen',
  'oem-2': 'MS_VM_CERT/SHA1/bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d',
})

export const HVM_XENSTORE_DATA = frozen({ 'vm-data/mmio-hole-size': '268435456', 'vm-data': '' })
export const VM_VULNERABILITIES = frozen({ xsa468: false })

const BOOT: Record<string, Readonly<Record<string, string>>> = {
  bios: frozen({ firmware: 'bios', order: 'cd' }),
  uefi: frozen({ firmware: 'uefi', order: 'cd' }),
}
const TEMPLATE_BOOT: Record<string, Readonly<Record<string, string>>> = {
  bios: frozen({ firmware: 'bios', order: 'cdn' }),
  uefi: frozen({ firmware: 'uefi', order: 'cdn' }),
}

export function bootOf(firmware: string, template = false): Readonly<Record<string, string>> {
  return (template ? TEMPLATE_BOOT : BOOT)[firmware] ?? frozen({ firmware, order: template ? 'cdn' : 'cd' })
}

/** The perfmon configuration XAPI puts in the other_config of control domains. */
export const DOM0_PERFMON =
  '<config><variable><name value="fs_usage"/><alarm_trigger_level value="0.9"/><alarm_trigger_period value="60"/><alarm_auto_inhibit_period value="3600"/></variable><variable><name value="mem_usage"/><alarm_trigger_level value="0.95"/><alarm_trigger_period value="60"/><alarm_auto_inhibit_period value="3600"/></variable><variable><name value="log_fs_usage"/><alarm_trigger_level value="0.9"/><alarm_trigger_period value="60"/><alarm_auto_inhibit_period value="3600"/></variable></config>'

export interface OsInfo {
  /** `os_version` as the guest agent reports it. */
  readonly osVersion: Readonly<Record<string, string>>
  /** Name of the XCP-ng default template for this OS. */
  readonly template: string
  readonly windows: boolean
  readonly firmware: 'bios' | 'uefi'
  /** `PV_drivers_version` of the guest agent, `major.minor.micro-build`. */
  readonly tools: string
}

function linux(distro: string, name: string, uname: string, major: string, minor: string, template: string, firmware: 'bios' | 'uefi' = 'bios'): OsInfo {
  return frozen({ osVersion: { distro, major, minor, name, uname }, template, windows: false, firmware, tools: '8.4.0-1' })
}

function windows(name: string, major: string, minor: string, build: string, template: string): OsInfo {
  return frozen({
    osVersion: { distro: 'windows', major, minor, name: `${name}|C:\\Windows|\\Device\\Harddisk0\\Partition2`, spmajor: '0', spminor: '0', uname: build },
    template,
    windows: true,
    firmware: 'uefi',
    tools: '9.4.0-146',
  })
}

/** Guest operating systems the authoring format knows by a short name (`"os": "debian12"`). */
export const OS_CATALOGUE: Readonly<Record<string, OsInfo>> = frozen({
  debian12: linux('debian', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-28-amd64', '12', '8', 'Debian Bookworm 12'),
  debian11: linux('debian', 'Debian GNU/Linux 11 (bullseye)', '5.10.0-33-amd64', '11', '11', 'Debian Bullseye 11'),
  ubuntu2404: linux('ubuntu', 'Ubuntu 24.04.1 LTS', '6.8.0-49-generic', '24', '04', 'Ubuntu Noble Numbat 24.04'),
  ubuntu2204: linux('ubuntu', 'Ubuntu 22.04.5 LTS', '5.15.0-126-generic', '22', '04', 'Ubuntu Jammy Jellyfish 22.04'),
  rocky9: linux('rocky', 'Rocky Linux 9.5 (Blue Onyx)', '5.14.0-503.14.1.el9_5.x86_64', '9', '5', 'Rocky Linux 9', 'uefi'),
  alma9: linux('almalinux', 'AlmaLinux 9.5 (Teal Serval)', '5.14.0-503.15.1.el9_5.x86_64', '9', '5', 'AlmaLinux 9', 'uefi'),
  rhel9: linux('rhel', 'Red Hat Enterprise Linux 9.4 (Plow)', '5.14.0-427.13.1.el9_4.x86_64', '9', '4', 'Red Hat Enterprise Linux 9', 'uefi'),
  centos7: linux('centos', 'CentOS Linux 7 (Core)', '3.10.0-1160.119.1.el7.x86_64', '7', '9', 'CentOS 7'),
  alpine: linux('alpine', 'Alpine Linux v3.20', '6.6.58-0-virt', '3', '20', 'Alpine Linux 3.20'),
  freebsd14: linux('freebsd', 'FreeBSD 14.1-RELEASE', '14.1-RELEASE', '14', '1', 'FreeBSD 14'),
  windows2022: windows('Microsoft Windows Server 2022 Standard', '10', '0', '20348', 'Windows Server 2022 (64-bit)'),
  windows2019: windows('Microsoft Windows Server 2019 Standard', '10', '0', '17763', 'Windows Server 2019 (64-bit)'),
  windows11: windows('Microsoft Windows 11 Pro', '10', '0', '22631', 'Windows 11'),
})

export const OS_NAMES: readonly string[] = Object.keys(OS_CATALOGUE)

/** The `xenTools` object of a VM whose guest agent reports `version` (`major.minor.micro-build`). */
export function xenToolsOf(version: string): { major: number; minor: number; version: number } {
  const [major = '0', minor = '0'] = version.split(/[.-]/)
  return { major: +major, minor: +minor, version: +`${major}.${minor}` }
}

// ---------------------------------------------------------------------------------------------
// Hosts

export const HOST_LICENSE_PARAMS = frozen({
  restrict_vswitch_controller: 'false',
  restrict_lab: 'false',
  restrict_stage: 'false',
  restrict_storagelink: 'false',
  restrict_storagelink_site_recovery: 'false',
  restrict_web_selfservice: 'false',
  restrict_web_selfservice_manager: 'false',
  restrict_hotfix_apply: 'false',
  restrict_export_resource_data: 'false',
  restrict_read_caching: 'false',
  restrict_cifs: 'false',
  restrict_health_check: 'false',
  restrict_xcm: 'false',
  restrict_vm_memory_introspection: 'false',
  restrict_batch_hotfix_apply: 'false',
  restrict_management_on_vlan: 'false',
  restrict_ws_proxy: 'false',
  restrict_cloud_management: 'false',
  restrict_vtpm: 'false',
  restrict_nrpe: 'false',
  restrict_vlan: 'false',
  restrict_qos: 'false',
  restrict_pool_attached_storage: 'false',
  restrict_netapp: 'false',
  restrict_equalogic: 'false',
  restrict_pooling: 'false',
  enable_xha: 'true',
  restrict_marathon: 'false',
  restrict_email_alerting: 'false',
  restrict_historical_performance: 'false',
  restrict_wlb: 'false',
  restrict_rbac: 'false',
  restrict_dmc: 'false',
  restrict_checkpoint: 'false',
  restrict_cpu_masking: 'false',
  restrict_connection: 'false',
  platform_filter: 'false',
  regular_nag_dialog: 'false',
  restrict_vmpr: 'false',
  restrict_vmss: 'false',
  restrict_intellicache: 'false',
  restrict_gpu: 'false',
  restrict_dr: 'false',
  restrict_vif_locking: 'false',
  restrict_storage_xen_motion: 'false',
  restrict_vgpu: 'false',
  restrict_integrated_gpu_passthrough: 'false',
  restrict_vss: 'false',
  restrict_guest_agent_auto_update: 'false',
  restrict_pci_device_for_auto_update: 'false',
  restrict_xen_motion: 'false',
  restrict_guest_ip_setting: 'false',
  restrict_ad: 'false',
  restrict_nested_virt: 'false',
  restrict_live_patching: 'false',
  restrict_set_vcpus_number_live: 'false',
  restrict_pvs_proxy: 'false',
  restrict_igmp_snooping: 'false',
  restrict_rpu: 'false',
  restrict_pool_size: 'false',
  restrict_cbt: 'false',
  restrict_usb_passthrough: 'false',
  restrict_network_sriov: 'false',
  restrict_corosync: 'true',
  restrict_zstd_export: 'false',
  restrict_pool_secret_rotation: 'false',
  restrict_certificate_verification: 'false',
  restrict_updates: 'false',
  restrict_internal_repo_access: 'false',
  restrict_vm_groups: 'false',
})

export const HOST_LICENSE_SERVER = frozen({ address: 'localhost', port: '27000' })
export const HOST_CHIPSET_INFO = frozen({ iommu: true })

const INTEL_FLAGS =
  'fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush acpi mmx fxsr sse sse2 ss ht syscall nx rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid pni pclmulqdq monitor est ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch cpuid_fault ssbd ibrs ibpb stibp fsgsbase bmi1 avx2 bmi2 erms rtm rdseed adx xsaveopt arch_capabilities'
const AMD_FLAGS =
  'fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm rep_good nopl cpuid extd_apicid aperfmperf pni pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch ibs topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb ibpb stibp fsgsbase bmi1 avx2 bmi2 erms rdseed adx clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 clzero xsaveerptr rdpru wbnoinvd arat umip rdpid'
const FEATURES = {
  features_pv:
    '1fc9cbf5-f6f83203-2991cbf5-00000123-00000001-000c0b39-00000000-00000100-00001000-ac000c00-00000000-00000000-00000000-00000000-00000000-00000000-1c020004-00000000-00000000-00000000-00000000-00000000',
  features_hvm:
    '1fcbfbff-f7fa3223-2d93fbff-00000523-00000001-001c0fbb-00000000-00000100-00101000-bc000c00-00000000-00000000-00000000-00000000-00000000-00000000-1c020004-00000000-00000000-00000000-00000000-00000000',
  features_hvm_host:
    '1fcbfbff-f7fa3203-2c100800-00000121-00000001-001c0fab-00000000-00000000-00101000-bc000400-00000000-00000000-00000000-00000000-00000000-00000000-0c000000-00000000-00000000-00000000-00000000-00000000',
  features_pv_host:
    '1fc9cbf5-f6d83203-28100800-00000121-00000001-000c0b29-00000000-00000000-00001000-ac000400-00000000-00000000-00000000-00000000-00000000-00000000-0c000000-00000000-00000000-00000000-00000000-00000000',
}

export interface CpuModel {
  readonly vendor: string
  readonly modelname: string
  readonly speed: string
  readonly family: string
  readonly model: string
  readonly stepping: string
  readonly flags: string
}

export const CPU_MODELS: Readonly<Record<string, CpuModel>> = frozen({
  'xeon-silver-4314': {
    vendor: 'GenuineIntel',
    modelname: 'Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz',
    speed: '2394.374',
    family: '6',
    model: '106',
    stepping: '6',
    flags: INTEL_FLAGS,
  },
  'xeon-gold-6338': {
    vendor: 'GenuineIntel',
    modelname: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
    speed: '1995.312',
    family: '6',
    model: '106',
    stepping: '6',
    flags: INTEL_FLAGS,
  },
  'xeon-d-1548': {
    vendor: 'GenuineIntel',
    modelname: 'Intel(R) Xeon(R) CPU D-1548 @ 2.00GHz',
    speed: '1995.380',
    family: '6',
    model: '86',
    stepping: '3',
    flags: INTEL_FLAGS,
  },
  'epyc-7313': {
    vendor: 'AuthenticAMD',
    modelname: 'AMD EPYC 7313 16-Core Processor',
    speed: '2999.998',
    family: '25',
    model: '1',
    stepping: '1',
    flags: AMD_FLAGS,
  },
})

export const CPU_MODEL_NAMES: readonly string[] = Object.keys(CPU_MODELS)

/** A host's `CPUs` (XAPI `cpu_info`, string values). */
export function cpuInfoOf(model: CpuModel, cores: number, sockets: number): Record<string, string> {
  return {
    cpu_count: String(cores),
    socket_count: String(sockets),
    threads_per_core: '2',
    vendor: model.vendor,
    speed: model.speed,
    modelname: model.modelname,
    family: model.family,
    model: model.model,
    stepping: model.stepping,
    flags: model.flags,
    ...FEATURES,
  }
}

export interface ServerVendor {
  readonly manufacturer: string
  readonly product: string
  readonly biosVendor: string
  readonly biosVersion: string
}

export const SERVER_VENDORS: readonly ServerVendor[] = frozen([
  { manufacturer: 'Dell Inc.', product: 'PowerEdge R650', biosVendor: 'Dell Inc.', biosVersion: '1.13.2' },
  { manufacturer: 'HPE', product: 'ProLiant DL360 Gen10 Plus', biosVendor: 'HPE', biosVersion: 'U46' },
  { manufacturer: 'Supermicro', product: 'SYS-1029U-TRT', biosVendor: 'American Megatrends Inc.', biosVersion: '3.4' },
])

export function hostBiosStrings(vendor: ServerVendor, serial: string): Record<string, string> {
  return {
    'bios-vendor': vendor.biosVendor,
    'bios-version': vendor.biosVersion,
    'system-manufacturer': vendor.manufacturer,
    'system-product-name': vendor.product,
    'system-version': '',
    'system-serial-number': serial,
    'baseboard-manufacturer': vendor.manufacturer,
    'baseboard-product-name': vendor.product,
    'baseboard-version': '',
    'baseboard-serial-number': serial,
    'oem-1': 'Xen',
    'oem-2': 'MS_VM_CERT/SHA1/bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d',
    'hp-rombios': '',
  }
}

/** PCI devices every host gets when it declares none. */
export const DEFAULT_PCIS: readonly { readonly class_name: string; readonly device_name: string; readonly pci_id: string }[] = frozen([
  { class_name: 'Host bridge', device_name: 'Ice Lake Memory Map/VT-d', pci_id: '0000:00:00.0' },
  { class_name: 'SATA controller', device_name: 'C620 Series Chipset Family SATA Controller [AHCI mode]', pci_id: '0000:00:17.0' },
  { class_name: 'Ethernet controller', device_name: 'Ethernet Controller X710 for 10GbE SFP+', pci_id: '0000:18:00.0' },
  { class_name: 'Ethernet controller', device_name: 'Ethernet Controller X710 for 10GbE SFP+', pci_id: '0000:18:00.1' },
  { class_name: 'Non-Volatile memory controller', device_name: 'NVMe SSD Controller PM9A3', pci_id: '0000:5e:00.0' },
])

export const NIC_MODEL = 'Ethernet Controller X710 for 10GbE SFP+'
/** OUI of Intel NICs, for realistic physical MAC addresses. */
export const NIC_OUI = '3c:fd:fe'

// ---------------------------------------------------------------------------------------------
// Storage

export const ALLOCATION_BY_TYPE: Readonly<Record<string, string>> = frozen({
  ext: 'thin',
  file: 'thin',
  hba: 'thick',
  iscsi: 'thick',
  lvhd: 'thick',
  lvhdoiscsi: 'thick',
  lvm: 'thick',
  lvmohba: 'thick',
  lvmoiscsi: 'thick',
  nfs: 'thin',
  smb: 'thin',
  udev: 'thick',
  zfs: 'thin',
})

interface SmInfo {
  readonly name_label: string
  readonly name_description: string
  readonly vendor: string
  readonly driver_filename: string
  readonly configuration: Readonly<Record<string, string>>
  readonly features: Readonly<Record<string, number>>
}

const VHD_FEATURES = {
  SR_PROBE: 1,
  SR_SUPPORTS_LOCAL_CACHING: 1,
  SR_UPDATE: 1,
  THIN_PROVISIONING: 1,
  VDI_ACTIVATE: 1,
  VDI_ATTACH: 1,
  VDI_CLONE: 1,
  VDI_CONFIG_CBT: 1,
  VDI_CREATE: 1,
  VDI_DEACTIVATE: 1,
  VDI_DELETE: 1,
  VDI_DETACH: 1,
  VDI_GENERATE_CONFIG: 1,
  VDI_MIRROR: 1,
  VDI_READ_CACHING: 1,
  VDI_RESET_ON_BOOT: 2,
  VDI_RESIZE: 1,
  VDI_SNAPSHOT: 1,
  VDI_UPDATE: 1,
}

/** One SM (storage manager plugin) per SR type. */
export const SM_CATALOGUE: Readonly<Record<string, SmInfo>> = frozen({
  ext: {
    name_label: 'Local EXT4 VHD and QCOW2',
    name_description: 'SR plugin which represents disks as VHD and QCOW2 files stored on a local EXT4 filesystem, created inside an LVM volume',
    vendor: 'Citrix Systems Inc',
    driver_filename: '/opt/xensource/sm/EXTSR',
    configuration: { device: 'local device path (required) (e.g. /dev/sda3)' },
    features: VHD_FEATURES,
  },
  lvm: {
    name_label: 'Local LVHD',
    name_description: 'SR plugin which represents disks as VHD volumes on a local Logical Volume Manager',
    vendor: 'Citrix Systems Inc',
    driver_filename: '/opt/xensource/sm/LVMSR',
    configuration: { device: 'local device path (required) (e.g. /dev/sda3)' },
    features: { ...VHD_FEATURES, THIN_PROVISIONING: 0 },
  },
  nfs: {
    name_label: 'NFS VHD and QCOW2',
    name_description: 'SR plugin which stores disks as VHD and QCOW2 files on a remote NFS filesystem',
    vendor: 'Citrix Systems Inc',
    driver_filename: '/opt/xensource/sm/NFSSR',
    configuration: { server: 'hostname or IP address', serverpath: 'path on remote server', options: 'extra options to pass to mount', nfsversion: 'NFS version' },
    features: VHD_FEATURES,
  },
  lvmoiscsi: {
    name_label: 'LVHD over iSCSI',
    name_description: 'SR plugin which represents disks as Logical Volumes within a Volume Group created on an iSCSI LUN',
    vendor: 'Citrix Systems Inc',
    driver_filename: '/opt/xensource/sm/LVMoISCSISR',
    configuration: { target: 'IP address or hostname of the iSCSI target', targetIQN: 'The IQN of the target LUN group to be attached', SCSIid: 'The scsi_id of the destination LUN' },
    features: { ...VHD_FEATURES, THIN_PROVISIONING: 0 },
  },
  smb: {
    name_label: 'SMB VHD and QCOW2',
    name_description: 'SR plugin which stores disks as VHD and QCOW2 files on a remote SMB filesystem',
    vendor: 'Citrix Systems Inc',
    driver_filename: '/opt/xensource/sm/SMBSR',
    configuration: { server: 'Full path to share root on SMB server', username: 'The username to be used during SMB authentication', password: 'The password to be used during SMB authentication' },
    features: VHD_FEATURES,
  },
  iso: {
    name_label: 'ISO',
    name_description: 'Handles CD images stored as files in iso format',
    vendor: 'Citrix Systems Inc',
    driver_filename: '/opt/xensource/sm/ISOSR',
    configuration: { location: 'path to mount (required)', type: 'cifs or nfs_iso', nfsversion: 'specifies the version of NFS to use' },
    features: { VDI_CREATE: 1, VDI_DELETE: 1, VDI_ATTACH: 1, VDI_DETACH: 1, SR_SCAN: 1, SR_ATTACH: 1, SR_DETACH: 1 },
  },
  udev: {
    name_label: 'Local Removable Media',
    name_description: 'SR plugin which represents removable devices as VDIs',
    vendor: 'Citrix Systems Inc',
    driver_filename: '/opt/xensource/sm/udevSR',
    configuration: { location: 'path to mount (required)' },
    features: { VDI_INTRODUCE: 1, VDI_ATTACH: 1, VDI_DETACH: 1, VDI_UPDATE: 1, SR_UPDATE: 1 },
  },
  zfs: {
    name_label: 'Local ZFS',
    name_description: 'SR plugin which represents disks as VHD files stored on a ZFS dataset',
    vendor: 'Vates SAS',
    driver_filename: '/opt/xensource/sm/ZFSSR',
    configuration: { location: 'local ZFS dataset mount point (required)' },
    features: VHD_FEATURES,
  },
  file: {
    name_label: 'Local Path',
    name_description: 'SR plugin which represents disks as VHD files stored on a local path',
    vendor: 'Citrix Systems Inc',
    driver_filename: '/opt/xensource/sm/FileSR',
    configuration: { location: 'local path (required) (e.g. /srv/sr)' },
    features: VHD_FEATURES,
  },
})

export const SR_TYPES: readonly string[] = Object.keys(SM_CATALOGUE)
