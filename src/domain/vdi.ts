/**
 * VDI operations (`api/vdi.mjs`, `api/disk.mjs`, `@xen-orchestra/xapi/vdi.mjs`): create, edit,
 * resize, destroy (in-use rules), snapshot, copy and move between SRs. Every change keeps the SR's
 * `usage` / `physical_usage` in step.
 */
import type { MockContext } from '../context.js'
import { forgetVdiContent, shareVdiContent, startEmptyContent } from './disk-content.js'
import { invalidParameters, vdiInUse } from './errors.js'
import { allocationOf, buildVdi, buildVdiCopy, buildVdiSnapshot, newVdiUsage } from './factories.js'
import { adjustSrUsage, assertSrCanHoldVdi } from './sr.js'
import { createVbd } from './vbd.js'
import { defined, findObject, getObject, num, objectsOf, type Obj, parseSize, str, VDI_TYPES } from './vm-common.js'

export interface CreateVdiOptions {
  readonly name_label?: string
  readonly name_description?: string
  /** Bytes, or a human-readable size (`"10 GiB"`). */
  readonly size: number | string
  readonly VDI_type?: string
  readonly other_config?: Record<string, string>
  readonly tags?: readonly string[]
}

/** XAPI `VDI.create` on an SR: returns the new VDI id. */
export function createVdi(ctx: MockContext, srId: string, options: CreateVdiOptions): string {
  const sr = getObject(ctx, srId, 'SR')
  const size = parseSize(options.size)
  if (!(size >= 0)) throw invalidParameters(`invalid size: ${String(options.size)}`)
  const usage = newVdiUsage(sr, size)
  assertSrCanHoldVdi(sr, usage, allocationOf(sr))
  const vdi = buildVdi(ctx, { ...options, sr, size, usage })
  ctx.store.add(vdi)
  startEmptyContent(ctx, vdi.id)
  adjustSrUsage(ctx, sr.id, size, usage)
  return vdi.id
}

export interface CreateDiskOptions {
  readonly name: string
  readonly size: number | string
  readonly sr: string
  readonly vm?: string
  readonly bootable?: boolean
  readonly mode?: string
  readonly position?: string
}

/** `disk.create`: a new VDI on an SR, attached to `vm` when given (plugged if the VM runs). Returns the VDI id. */
export function createDisk(ctx: MockContext, options: CreateDiskOptions): string {
  const vm = options.vm === undefined ? undefined : getObject(ctx, options.vm, 'VM')
  const vdiId = createVdi(ctx, options.sr, { name_label: options.name, size: options.size })
  if (vm !== undefined) {
    createVbd(ctx, vm.id, { vdi: vdiId, bootable: options.bootable, mode: options.mode, userdevice: options.position })
  }
  return vdiId
}

export interface VdiSettings {
  readonly name_label?: string
  readonly name_description?: string
  readonly size?: number | string
  readonly cbt?: boolean
}

/** `vdi.set`: resize (never shrink: code 10), rename, toggle CBT. */
export function setVdi(ctx: MockContext, vdiId: string, settings: VdiSettings): void {
  const vdi = getObject(ctx, vdiId, ['VDI', 'VDI-snapshot'])
  if (settings.size !== undefined) resizeVdi(ctx, vdi.id, settings.size)
  ctx.store.update(
    vdi.id,
    defined({
      name_label: settings.name_label,
      name_description: settings.name_description,
      cbt_enabled: settings.cbt,
    }),
  )
}

/** `VDI.resize`: grows a VDI (code 10 when shrinking, code 17 while plugged). */
export function resizeVdi(ctx: MockContext, vdiId: string, newSize: number | string): void {
  const vdi = getObject(ctx, vdiId, VDI_TYPES)
  const size = parseSize(newSize)
  const current = num(vdi, 'size')
  if (size < current) throw invalidParameters(`cannot set new size (${size}) below the current size (${current})`)
  if (size === current) return
  if (isVdiAttached(ctx, vdi)) throw vdiInUse(vdi.id, 'resize')
  const sr = findObject(ctx, vdi.$SR)
  const thick = sr !== undefined && allocationOf(sr) === 'thick'
  const physicalDelta = thick ? size - current : 0
  const usage = num(vdi, 'usage') + physicalDelta
  ctx.store.update(vdi.id, { size, usage, chainPhysicalUsage: usage })
  adjustSrUsage(ctx, vdi.$SR, size - current, physicalDelta)
}

/** Whether a VDI is plugged in a VM (a VBD on it is attached). */
export function isVdiAttached(ctx: MockContext, vdi: Obj): boolean {
  return objectsOf(ctx, vdi.$VBDs).some((vbd) => vbd.attached === true)
}

/** `vdi.delete` (XAPI `VDI.destroy`): code 17 while plugged; its (unplugged) VBDs go with it. */
export function deleteVdi(ctx: MockContext, vdiId: string): void {
  const vdi = getObject(ctx, vdiId, VDI_TYPES)
  if (isVdiAttached(ctx, vdi)) throw vdiInUse(vdi.id, 'destroy')
  destroyVdi(ctx, vdi.id)
}

/**
 * Removes a VDI, its VBDs, and the link of its snapshots to it; releases its space on the SR. No
 * in-use check (callers do it).
 */
export function destroyVdi(ctx: MockContext, vdiId: string): void {
  const vdi = ctx.store.get(vdiId)
  if (vdi === undefined) return
  // its stored content goes too (the VDIs sharing it get their own copy first)
  void forgetVdiContent(ctx, vdi.id)
  for (const vbd of objectsOf(ctx, vdi.$VBDs)) if (ctx.store.has(vbd.id)) ctx.store.remove(vbd.id)
  for (const snapshot of objectsOf(ctx, vdi.snapshots)) {
    if (snapshot.$snapshot_of === vdi.id) ctx.store.update(snapshot.id, { $snapshot_of: undefined })
  }
  ctx.store.remove(vdi.id)
  adjustSrUsage(ctx, vdi.$SR, -num(vdi, 'size'), -num(vdi, 'usage'))
}

/** XAPI `VDI.snapshot`: a VDI-snapshot on the same SR. Returns its id. */
export function snapshotVdi(ctx: MockContext, vdiId: string): string {
  const vdi = getObject(ctx, vdiId, ['VDI'])
  const snapshot = buildVdiSnapshot(ctx, vdi)
  ctx.store.add(snapshot)
  shareVdiContent(ctx, vdi.id, snapshot.id)
  adjustSrUsage(ctx, vdi.$SR, num(vdi, 'size'), num(vdi, 'usage'))
  return snapshot.id
}

/** XAPI `VDI.clone` (fast, same SR) or `VDI.copy` (full, to `srId`): a new VDI. Returns its id. */
export function copyVdi(ctx: MockContext, vdiId: string, options: { srId?: string; fast: boolean; name_label?: string }): string {
  const vdi = getObject(ctx, vdiId, VDI_TYPES)
  const sr = getObject(ctx, options.srId ?? (vdi.$SR as string), 'SR')
  const copy = buildVdiCopy(ctx, vdi, sr, { fast: options.fast && sr.id === vdi.$SR, name_label: options.name_label })
  ctx.store.add(copy)
  shareVdiContent(ctx, vdi.id, copy.id)
  adjustSrUsage(ctx, sr.id, num(copy, 'size'), num(copy, 'usage'))
  return copy.id
}

/**
 * Moves a VDI to another SR in place (same id): used by VM migration with storage motion, where
 * the VM keeps its disks.
 */
export function relocateVdi(ctx: MockContext, vdiId: string, srId: string): void {
  const vdi = getObject(ctx, vdiId, VDI_TYPES)
  const sr = getObject(ctx, srId, 'SR')
  if (vdi.$SR === sr.id) return
  const size = num(vdi, 'size')
  const usage = allocationOf(sr) === 'thick' ? Math.max(size, num(vdi, 'usage')) : num(vdi, 'usage')
  adjustSrUsage(ctx, vdi.$SR, -size, -num(vdi, 'usage'))
  ctx.store.update(vdi.id, { $SR: sr.id, usage, chainPhysicalUsage: usage, $pool: sr.$pool, $poolId: sr.$pool })
  adjustSrUsage(ctx, sr.id, size, usage)
}

/**
 * `vdi.migrate` (XAPI `VDI.pool_migrate`): a new VDI on the destination SR replaces the old one in
 * every VBD, the old one is destroyed. Returns the new VDI id (the same one when already on that SR).
 */
export function migrateVdi(ctx: MockContext, vdiId: string, srId: string): string {
  const vdi = getObject(ctx, vdiId, VDI_TYPES)
  const sr = getObject(ctx, srId, 'SR')
  if (vdi.$SR === sr.id) return vdi.id
  if (vdi.type !== 'VDI') {
    relocateVdi(ctx, vdi.id, sr.id)
    return vdi.id
  }
  const newId = copyVdi(ctx, vdi.id, { srId: sr.id, fast: false })
  ctx.store.update(newId, {
    name_label: str(vdi, 'name_label') ?? '',
    other_config: vdi.other_config ?? {},
    cbt_enabled: false,
  })
  for (const vbd of objectsOf(ctx, vdi.$VBDs)) ctx.store.update(vbd.id, { VDI: newId })
  for (const snapshot of objectsOf(ctx, vdi.snapshots)) {
    if (snapshot.$snapshot_of === vdi.id) ctx.store.update(snapshot.id, { $snapshot_of: newId })
  }
  destroyVdi(ctx, vdi.id)
  return newId
}
