/**
 * XO object types held by the inventory.
 *
 * XAPI-backed objects (VM, host, SR, …) follow `packages/xo-server/src/xapi-object-to-xo.mjs`: every one
 * has `id`, `type`, `uuid`, `$pool`, `$poolId` and `_xapiRef`. XO-side records (users, groups, servers,
 * tasks, tokens, …) live in the same store under their own types but are never part of
 * `xo.getAllObjects` nor of the `all` notifications.
 */

export const XAPI_TYPES = [
  'pool',
  'host',
  'VM',
  'VM-template',
  'VM-snapshot',
  'VM-controller',
  'SR',
  'VDI',
  'VDI-snapshot',
  'VDI-unmanaged',
  'VBD',
  'VIF',
  'network',
  'PIF',
  'PBD',
  'PCI',
  'PGPU',
  'SM',
  'message',
  'VTPM',
  'vgpu',
  'vgpuType',
  'gpuGroup',
  'bond',
] as const

export const XO_TYPES = [
  'user',
  'group',
  'server',
  'task',
  'token',
  'acl',
  'schedule',
  'job',
  'remote',
  'proxy',
  'backupLog',
  'restoreLog',
  'backupArchive',
  'aclRole',
  'aclPrivilege',
  'cloudConfig',
  'resourceSet',
] as const

export type XapiType = (typeof XAPI_TYPES)[number]
export type XoSideType = (typeof XO_TYPES)[number]
export type ObjectType = XapiType | XoSideType

const xapiTypeSet: ReadonlySet<string> = new Set(XAPI_TYPES)
const allTypeSet: ReadonlySet<string> = new Set([...XAPI_TYPES, ...XO_TYPES])

export function isXapiType(type: string): type is XapiType {
  return xapiTypeSet.has(type)
}

export function isKnownType(type: string): type is ObjectType {
  return allTypeSet.has(type)
}

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** An object as stored: a frozen plain JSON record with an id and a type. */
export interface XoObject {
  readonly id: string
  readonly type: string
  readonly [key: string]: unknown
}

export interface XapiObject extends XoObject {
  readonly uuid: string
  readonly $pool: string
  readonly $poolId: string
  readonly _xapiRef: string
}

export type PowerState = 'Running' | 'Halted' | 'Paused' | 'Suspended'

export interface VmObject extends XapiObject {
  readonly name_label: string
  readonly name_description: string
  readonly power_state: PowerState
  readonly $container: string
  readonly $VBDs: readonly string[]
  readonly VIFs: readonly string[]
  readonly snapshots: readonly string[]
  readonly tags: readonly string[]
  readonly CPUs: { readonly max: number; readonly number: number }
  readonly memory: {
    readonly dynamic: readonly [number, number]
    readonly static: readonly [number, number]
    readonly size: number
    readonly usage?: number
  }
}

export interface HostObject extends XapiObject {
  readonly name_label: string
  readonly power_state: 'Running' | 'Halted' | 'Unknown'
  readonly enabled: boolean
  readonly residentVms: readonly string[]
  readonly controlDomain?: string
}

export interface SrObject extends XapiObject {
  readonly name_label: string
  readonly SR_type: string
  readonly VDIs: readonly string[]
  readonly $PBDs: readonly string[]
  readonly $container: string
  readonly size: number
  readonly usage: number
  readonly physical_usage: number
  readonly shared: boolean
}

export interface VdiObject extends XapiObject {
  readonly name_label: string
  readonly size: number
  readonly usage: number
  readonly $SR: string
  readonly $VBDs: readonly string[]
}

export interface VbdObject extends XapiObject {
  readonly VM: string
  readonly VDI?: string
  readonly attached: boolean
  readonly is_cd_drive: boolean
  readonly device: string | null
  readonly position: string
}

export interface VifObject extends XapiObject {
  readonly $VM: string
  readonly $network: string
  readonly MAC: string
  readonly device: string
}

export interface UserObject extends XoObject {
  readonly email: string
  readonly name: string
  readonly permission: 'none' | 'admin' | 'read' | 'write'
  readonly groups: readonly string[]
  readonly preferences: Record<string, unknown>
  /** Plain-text password of a mock user; never served (XO serves `pw_hash: "***obfuscated***"`). */
  readonly password?: string
}

export interface TokenObject extends XoObject {
  readonly user_id: string
  readonly created_at: number
  readonly expiration: number
  readonly description?: string
  readonly client?: { readonly id?: string }
}
