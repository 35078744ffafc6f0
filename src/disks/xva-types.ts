import type { DiskContent } from './content.js'
import type { XmlRpcStruct } from './xmlrpc.js'

/**
 * What an XVA export needs to know about a VM, as plain data (plus each disk's content). Every record
 * accepts `extra`: more snapshot fields, written as given and overriding the defaults.
 */
export interface XvaVm {
  vm: XvaVmRecord
  /** Disks in VBD order; each becomes a VDI + VBD and a `Ref:<id>/` chunk folder. */
  disks: XvaDisk[]
  vifs?: XvaVif[]
  /** The SR the VDIs are listed in (default: a "Local storage" SR with a nil UUID). */
  sr?: { uuid: string; name_label: string; extra?: XmlRpcStruct }
}

export interface XvaVmRecord {
  uuid: string
  name_label: string
  name_description?: string
  /** Bytes; sets the four memory_* fields (default 1 GiB). */
  memory?: number
  VCPUs_max?: number
  VCPUs_at_startup?: number
  /** XAPI power state (default 'Halted'). */
  power_state?: string
  is_a_template?: boolean
  is_a_snapshot?: boolean
  tags?: string[]
  other_config?: Record<string, string>
  platform?: Record<string, string>
  HVM_boot_policy?: string
  HVM_boot_params?: Record<string, string>
  /** 'hvm' (default), 'pv' or 'pvh'. */
  domain_type?: string
  extra?: XmlRpcStruct
}

export interface XvaDisk {
  content: DiskContent
  vdi: {
    uuid: string
    name_label: string
    name_description?: string
    /** XAPI VDI type (default 'user'). */
    type?: string
    read_only?: boolean
    sharable?: boolean
    tags?: string[]
    other_config?: Record<string, string>
    extra?: XmlRpcStruct
  }
  vbd: {
    uuid: string
    /** '0', '1', … */
    userdevice: string | number
    /** Default xvda, xvdb, … from the disk's position. */
    device?: string
    bootable?: boolean
    mode?: 'RW' | 'RO'
    extra?: XmlRpcStruct
  }
}

export interface XvaVif {
  uuid: string
  device: string | number
  MAC: string
  MTU?: number
  network: { uuid: string; name_label: string; name_description?: string; bridge?: string; MTU?: number; extra?: XmlRpcStruct }
  extra?: XmlRpcStruct
}

/** An object of ova.xml: its class, its `Ref:` id and its record. */
export interface XvaObject {
  class: string
  id: string
  snapshot: XmlRpcStruct
}

export interface XvaExportOptions {
  /** Compress the whole tar (XAPI's use_compression); default none. */
  compress?: 'zstd' | 'gzip' | false
  /** zstd level (default 3) or gzip level (default 1, like XAPI's gzip --fast). */
  compressionLevel?: number
  /** Milliseconds since the epoch (from the injected clock): tar mtimes and ova.xml's date. Default 0. */
  timestamp?: number
  /** ova.xml `version.hostname` (default 'xo-mock'). */
  hostname?: string
  highWaterMark?: number
}
