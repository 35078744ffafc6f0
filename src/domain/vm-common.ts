/**
 * Helpers shared by the VM / storage domain operations (vm*, vbd, vif, vdi, sr): typed lookups that
 * throw XO errors, loose field accessors for frozen JSON objects, time, sizes and XAPI device
 * allocation rules.
 */
import type { MockContext } from '../context.js'
import type { ObjectStore } from '../inventory/store.js'
import type { XoObject } from '../inventory/types.js'
import { noSuchObject, PlainError } from './errors.js'

/** A stored object seen as a plain record. */
export type Obj = XoObject

export const VM_TYPES = ['VM', 'VM-template', 'VM-snapshot', 'VM-controller'] as const
export const VDI_TYPES = ['VDI', 'VDI-snapshot', 'VDI-unmanaged'] as const

// ---------------------------------------------------------------------------------------------
// Lookups

/** The object with this id (or XAPI ref) and one of these types, else XO's `no such <type>` (code 1). */
export function getObject(ctx: MockContext, id: string, types: string | readonly string[]): Obj {
  const object = ctx.store.resolve(id)
  const list = typeof types === 'string' ? [types] : types
  if (object === undefined || !list.includes(object.type)) throw noSuchObject(id, types)
  return object
}

/** Like `getObject` but the error is the XAPI one (`no object with UUID or opaque ref: <id>`, plain -32000). */
export function getXapiObject(ctx: MockContext, id: string, types: string | readonly string[]): Obj {
  const object = ctx.store.resolve(id)
  const list = typeof types === 'string' ? [types] : types
  if (object === undefined || !list.includes(object.type)) throw new PlainError(`no object with UUID or opaque ref: ${id}`)
  return object
}

export function findObject(ctx: MockContext, id: unknown): Obj | undefined {
  return typeof id === 'string' ? ctx.store.get(id) : undefined
}

/** Objects whose ids are listed, skipping dangling ones. */
export function objectsOf(ctx: MockContext, ids: unknown): Obj[] {
  const out: Obj[] = []
  for (const id of asStrings(ids)) {
    const object = ctx.store.get(id)
    if (object !== undefined) out.push(object)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Loose accessors (objects are frozen JSON)

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {}
}

export function asStringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, entry] of Object.entries(asRecord(value))) if (typeof entry === 'string') out[key] = entry
  return out
}

export function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

export function asNumber(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}

export function str(object: Obj, key: string): string | undefined {
  return asString(object[key])
}

export function num(object: Obj, key: string, fallback = 0): number {
  return asNumber(object[key], fallback)
}

/** Removes the keys whose value is undefined (store patches use `undefined` to delete keys, data objects must not). */
export function defined<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key]
  return object
}

// ---------------------------------------------------------------------------------------------
// Time

/** Seconds since the epoch (XO timestamps: `startTime`, `snapshot_time`, …). */
export function nowSeconds(ctx: MockContext): number {
  return Math.floor(ctx.clock.now() / 1000)
}

export function isoNow(ctx: MockContext): string {
  return new Date(ctx.clock.now()).toISOString()
}

// ---------------------------------------------------------------------------------------------
// Sizes

const BINARY: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 }

/**
 * XO's `parseSize`: an integer, or a human-readable size. Binary prefixes (`Ki`, `Mi`, `Gi`, …) are
 * powers of 1024, SI prefixes (`k`, `M`, `G`, …) powers of 1000, the unit `B` is optional.
 */
export function parseSize(size: unknown): number {
  if (typeof size === 'number' && Number.isFinite(size)) return Math.floor(size)
  if (typeof size === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtTpPeE]?)(i?)B?\s*$/.exec(size)
    if (match !== null && !(match[2] === '' && match[3] === 'i')) {
      const value = Number(match[1])
      const prefix = match[2]!.toLowerCase()
      if (prefix === '') return Math.floor(value)
      const power = BINARY[prefix]!
      return Math.floor(value * (match[3] === 'i' ? 1024 ** power : 1000 ** power))
    }
  }
  throw new PlainError(`invalid size: ${String(size)}`)
}

export const GiB = 1024 ** 3
export const MiB = 1024 ** 2

// ---------------------------------------------------------------------------------------------
// Devices

/** XAPI userdevices a VM may use for VBDs (`VM.get_allowed_VBD_devices`). */
const VBD_DEVICES = Array.from({ length: 16 }, (_, i) => String(i))
/** XAPI devices a VM may use for VIFs (`VM.get_allowed_VIF_devices`, HVM guests). */
const VIF_DEVICES = Array.from({ length: 7 }, (_, i) => String(i))

/** The VBDs of a VM (from its `$VBDs` back-references). */
export function vbdsOf(ctx: MockContext, vm: Obj): Obj[] {
  return objectsOf(ctx, vm.$VBDs).filter((vbd) => vbd.type === 'VBD')
}

/** The VIFs of a VM (from its `VIFs` back-references). */
export function vifsOf(ctx: MockContext, vm: Obj): Obj[] {
  return objectsOf(ctx, vm.VIFs).filter((vif) => vif.type === 'VIF')
}

/** The VDIs of a VM's disk VBDs (CD drives excluded), in VBD order, without duplicates. */
export function disksOf(ctx: MockContext, vm: Obj): Obj[] {
  const seen = new Set<string>()
  const out: Obj[] = []
  for (const vbd of vbdsOf(ctx, vm)) {
    if (vbd.is_cd_drive === true) continue
    const vdi = findObject(ctx, vbd.VDI)
    if (vdi !== undefined && !seen.has(vdi.id)) {
      seen.add(vdi.id)
      out.push(vdi)
    }
  }
  return out
}

/** The userdevice of a new VBD: `3` for a CD when free, else the first free one (avoiding `3` for disks). */
export function allocateVbdUserdevice(ctx: MockContext, vm: Obj, cd = false): string {
  const used = new Set(vbdsOf(ctx, vm).map((vbd) => String(vbd.position)))
  const allowed = VBD_DEVICES.filter((device) => !used.has(device))
  if (allowed.length === 0) throw new PlainError('no allowed VBD devices')
  if (cd) return allowed.includes('3') ? '3' : allowed[0]!
  return allowed[0] === '3' && allowed.length > 1 ? allowed[1]! : allowed[0]!
}

export function assertFreeVbdUserdevice(ctx: MockContext, vm: Obj, userdevice: string): void {
  if (vbdsOf(ctx, vm).some((vbd) => String(vbd.position) === userdevice)) throw new PlainError(`DEVICE_ALREADY_EXISTS(${userdevice})`)
}

export function allocateVifDevice(ctx: MockContext, vm: Obj): string {
  const used = new Set(vifsOf(ctx, vm).map((vif) => String(vif.device)))
  const device = VIF_DEVICES.find((candidate) => !used.has(candidate))
  if (device === undefined) throw new PlainError('could not find an allowed VIF device')
  return device
}

/** The Linux device name of a plugged VBD (`xvda`, `xvdb`, …). */
export function vbdDeviceName(userdevice: string): string {
  const n = Number.parseInt(userdevice, 10)
  return Number.isInteger(n) && n >= 0 && n < 26 ? `xvd${String.fromCharCode(97 + n)}` : `xvd${userdevice}`
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i

export function assertMac(mac: string): void {
  if (!MAC_RE.test(mac)) throw new PlainError(`MAC_INVALID(${mac})`)
}

// ---------------------------------------------------------------------------------------------
// Mock-only state that XO keeps in XAPI fields it does not expose

interface HiddenState {
  /** VMs whose guest agent is known to be absent (recorded while they are not running). */
  readonly noGuestTools: Set<string>
  /** XAPI `snapshot_info['power-state-at-snapshot']` of the snapshots created by the mock. */
  readonly powerStateAtSnapshot: Map<string, string>
}

const hidden = new WeakMap<ObjectStore, HiddenState>()

export function hiddenState(ctx: MockContext): HiddenState {
  let state = hidden.get(ctx.store)
  if (state === undefined) hidden.set(ctx.store, (state = { noGuestTools: new Set(), powerStateAtSnapshot: new Map() }))
  return state
}
