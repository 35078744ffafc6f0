/**
 * Transfers of disk content (issue "Transfers", formats.md §1.7 and §2.4): VDI exports as VHD or raw,
 * VM exports as XVA (plain, gzip or zstd), VDI imports (new VDI on an SR, or new content of an existing
 * VDI) and XVA imports. REST and JSON-RPC adapters call these; each only translates its protocol.
 *
 * Imports stream the upload into a temporary store of the blob store, validating as they go, and only
 * then create the inventory objects (one change per object) — so a corrupt, truncated or aborted upload
 * creates nothing and leaves nothing behind.
 */
import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'

import type { MockContext } from '../context.js'
import {
  allocatedIndexes,
  createRawStream,
  createVhdStream,
  createXvaStream,
  importRaw,
  importVhd,
  importXva,
  DiskFormatError,
  type ByteSource,
  type ImportedXva,
  type LengthReadable,
  type XvaDisk,
  type XvaObject,
  type XvaVif,
  type XvaVm,
} from '../disks/index.js'
import { VHD_MAX_SIZE } from '../disks/vhd-format.js'
import { commitVdiContent, contentUsage, vdiContent } from './disk-content.js'
import { incorrectState, PlainError } from './errors.js'
import { buildVbd, buildVif, buildVmCopy, type NewObject } from './factories.js'
import { isResident } from './power.js'
import { adjustSrUsage } from './sr.js'
import { createVdi, destroyVdi } from './vdi.js'
import { snapshotVm } from './vm-copy.js'
import { deleteVm } from './vm-delete.js'
import {
  asNumber,
  asRecord,
  asString,
  asStringRecord,
  asStrings,
  findObject,
  getObject,
  isoNow,
  num,
  type Obj,
  str,
  vbdsOf,
  vifsOf,
} from './vm-common.js'

export type VdiFormat = 'vhd' | 'raw'
export type XvaCompression = 'zstd' | 'gzip'

const VDI_EXPORT_TYPES = ['VDI', 'VDI-snapshot'] as const
const VM_EXPORT_TYPES = ['VM', 'VM-snapshot', 'VM-template'] as const
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const NIL_UUID = '00000000-0000-0000-0000-000000000000'

/** XO's message when an import has no Content-Length (`@xen-orchestra/xapi` `VDI_importContent`). */
export const MISSING_LENGTH_MESSAGE = 'Trying to import a VDI without a length field. Please report this error to Xen Orchestra.'

function tempBlobId(kind: string): string {
  return `tmp-${kind}-${randomUUID()}`
}

// ---------------------------------------------------------------------------------------------
// Exports

/**
 * A VDI's (or VDI-snapshot's) content as a dynamic VHD or raw bytes; the stream's `length` is exact.
 * A disk too large for VHD: XO's 422 (`a VDI of <size> bytes is too large to be exported as VHD`).
 */
export async function exportVdi(ctx: MockContext, vdiId: string, format: VdiFormat): Promise<LengthReadable> {
  const vdi = getObject(ctx, vdiId, VDI_EXPORT_TYPES)
  if (format === 'vhd') {
    const size = num(vdi, 'size')
    if (size > VHD_MAX_SIZE) {
      throw new TransferError(`a VDI of ${size} bytes is too large to be exported as VHD`, 422, { maxSize: VHD_MAX_SIZE, size })
    }
  }
  const content = await vdiContent(ctx, vdi.id)
  if (format === 'raw') return createRawStream(content)
  const uuid = str(vdi, 'uuid') ?? vdi.id
  return createVhdStream(content, { uuid: UUID_RE.test(uuid) ? uuid : NIL_UUID, timestamp: ctx.clock.now() })
}

/** An error with an HTTP status of its own (REST); JSON-RPC sees a plain error. */
export class TransferError extends PlainError {
  constructor(
    message: string,
    readonly status: number,
    readonly data?: Record<string, unknown>,
  ) {
    super(message)
    this.name = 'TransferError'
  }
}

/** The plain-data description of a VM (or snapshot, or template) that the XVA writer needs. */
export async function buildXvaVm(ctx: MockContext, vm: Obj): Promise<XvaVm> {
  const memory = asRecord(vm.memory)
  const dynamic = Array.isArray(memory.dynamic) ? (memory.dynamic as number[]) : []
  const statics = Array.isArray(memory.static) ? (memory.static as number[]) : []
  const size = typeof memory.size === 'number' ? memory.size : (dynamic[1] ?? 1024 ** 3)
  const cpus = asRecord(vm.CPUs)
  const boot = asRecord(vm.boot)
  const mode = asString(vm.virtualizationMode) ?? 'hvm'
  const extra: Record<string, string | number | boolean> = {
    memory_dynamic_min: dynamic[0] ?? size,
    memory_dynamic_max: dynamic[1] ?? size,
    memory_static_min: statics[0] ?? size,
    memory_static_max: statics[1] ?? size,
  }
  if (typeof vm.PV_args === 'string') extra.PV_args = vm.PV_args

  const disks: XvaDisk[] = []
  let sr: XvaVm['sr']
  for (const vbd of vbdsOf(ctx, vm)) {
    if (vbd.is_cd_drive === true) continue
    const vdi = findObject(ctx, vbd.VDI)
    if (vdi === undefined) continue
    const vdiSr = findObject(ctx, vdi.$SR)
    sr ??= vdiSr === undefined ? undefined : { uuid: uuidOf(vdiSr), name_label: str(vdiSr, 'name_label') ?? '' }
    disks.push({
      content: await vdiContent(ctx, vdi.id),
      vdi: {
        uuid: uuidOf(vdi),
        name_label: str(vdi, 'name_label') ?? '',
        name_description: str(vdi, 'name_description') ?? '',
        type: str(vdi, 'VDI_type') ?? 'user',
        tags: asStrings(vdi.tags),
        // the mock's own fixture settings stay out of the archive
        other_config: stringRecord(vdi.other_config),
      },
      vbd: {
        uuid: uuidOf(vbd),
        userdevice: str(vbd, 'position') ?? String(disks.length),
        device: str(vbd, 'device'),
        bootable: vbd.bootable === true,
        mode: vbd.read_only === true ? 'RO' : 'RW',
      },
    })
  }
  const vifs: XvaVif[] = []
  for (const vif of vifsOf(ctx, vm)) {
    const network = findObject(ctx, vif.$network)
    if (network === undefined) continue
    vifs.push({
      uuid: uuidOf(vif),
      device: str(vif, 'device') ?? String(vifs.length),
      MAC: str(vif, 'MAC') ?? '',
      MTU: num(vif, 'MTU', 1500),
      network: {
        uuid: uuidOf(network),
        name_label: str(network, 'name_label') ?? '',
        name_description: str(network, 'name_description') ?? '',
        bridge: str(network, 'bridge'),
        MTU: num(network, 'MTU', 1500),
      },
    })
  }
  return {
    vm: {
      uuid: uuidOf(vm),
      name_label: str(vm, 'name_label') ?? '',
      name_description: str(vm, 'name_description') ?? '',
      memory: size,
      VCPUs_max: asNumber(cpus.max, 1),
      VCPUs_at_startup: asNumber(cpus.number, asNumber(cpus.max, 1)),
      power_state: 'Halted',
      is_a_template: vm.type === 'VM-template',
      is_a_snapshot: vm.type === 'VM-snapshot',
      tags: asStrings(vm.tags),
      other_config: asStringRecord(vm.other),
      HVM_boot_policy: mode === 'hvm' ? 'BIOS order' : '',
      HVM_boot_params: mode === 'hvm' ? { order: asString(boot.order) ?? 'cd', firmware: asString(boot.firmware) ?? 'bios' } : {},
      domain_type: mode,
      extra,
    },
    disks,
    vifs,
    sr,
  }
}

function uuidOf(object: Obj): string {
  const uuid = str(object, 'uuid') ?? object.id
  return UUID_RE.test(uuid) ? uuid : NIL_UUID
}

export interface ExportVmOptions {
  readonly compress?: XvaCompression
}

/**
 * A VM, VM-snapshot or VM-template as an XVA stream (no length). A running (or paused) VM is exported
 * through a temporary snapshot `[XO Export] <name_label>` (a real `snapshotVm`, so it shows in the
 * change feed), deleted as soon as the stream closes — finished, failed or abandoned by the client.
 */
export async function exportVm(ctx: MockContext, vmId: string, options: ExportVmOptions = {}): Promise<Readable> {
  const vm = getObject(ctx, vmId, VM_EXPORT_TYPES)
  let exported = vm
  let temporary: string | undefined
  if (vm.type === 'VM' && isResident(vm)) {
    temporary = snapshotVm(ctx, vm.id, { name: `[XO Export] ${str(vm, 'name_label') ?? ''}` })
    exported = getObject(ctx, temporary, 'VM-snapshot')
  }
  const removeTemporary = () => {
    if (temporary === undefined || !ctx.store.has(temporary)) return
    try {
      deleteVm(ctx, temporary, { deleteDisks: true, forceBlockedOperation: true })
    } catch {
      // already gone or blocked: nothing more to do
    }
  }
  let stream: Readable
  try {
    const xva = await buildXvaVm(ctx, exported)
    stream = createXvaStream(xva, { compress: options.compress, timestamp: ctx.clock.now() })
  } catch (error) {
    removeTemporary()
    throw error
  }
  if (temporary !== undefined) stream.once('close', removeTemporary)
  return stream
}

// ---------------------------------------------------------------------------------------------
// Imports

/** Read-ahead of `uploadSource` (bytes buffered while the importer is busy). */
export const UPLOAD_READ_AHEAD = 8 * 1024 * 1024

/**
 * An HTTP request body as an import source that keeps the socket flowing: chunks are queued (up to
 * `limit` bytes, then the request is paused until the importer caught up), instead of the pull-mode
 * reads of a stream iterator that stop the socket every 16 KiB. When the importer stops early (bad
 * data), the request is left paused with its listeners removed: the caller answers, then drains it.
 */
export async function* uploadSource(stream: Readable, limit = UPLOAD_READ_AHEAD): AsyncGenerator<Buffer, void, undefined> {
  const queue: Buffer[] = []
  let queued = 0
  let ended = false
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const notify = () => {
    const resolve = wake
    wake = undefined
    resolve?.()
  }
  const onData = (chunk: Buffer) => {
    queue.push(chunk)
    queued += chunk.length
    if (queued >= limit) stream.pause()
    notify()
  }
  const onEnd = () => {
    ended = true
    notify()
  }
  const onError = (error: Error) => {
    failure = error
    notify()
  }
  const onClose = () => {
    if (!ended) failure ??= new Error('the upload was interrupted')
    notify()
  }
  stream.on('data', onData)
  stream.once('end', onEnd)
  stream.once('error', onError)
  stream.once('close', onClose)
  try {
    for (;;) {
      const chunk = queue.shift()
      if (chunk !== undefined) {
        queued -= chunk.length
        if (queued < limit / 2 && stream.isPaused() && !ended) stream.resume()
        yield chunk
        continue
      }
      if (failure !== undefined) throw failure
      if (ended) return
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    stream.off('data', onData)
    stream.off('end', onEnd)
    stream.off('error', onError)
    stream.off('close', onClose)
    if (!ended) stream.pause()
  }
}

export interface ImportOptions {
  /** Aborts the import (client gone): nothing is created, the temporary content is deleted. */
  readonly signal?: AbortSignal
}

export interface ImportVdiOptions extends ImportOptions {
  /** Raw bytes (sized by `length`) instead of a dynamic VHD. */
  readonly raw: boolean
  /** The upload's Content-Length. */
  readonly length: number | undefined
  /** Refuse a VHD without `length` (XO's REST route; default true). */
  readonly lengthRequired?: boolean
  readonly name_label?: string
  readonly name_description?: string
}

function assertSrAcceptsImports(sr: Obj): void {
  if (sr.content_type === 'iso') throw new PlainError(`SR_OPERATION_NOT_SUPPORTED(${String(sr._xapiRef)})`)
}

/** Brings an imported VDI's `usage` (and its SR's physical usage) in line with its stored content. */
function settleUsage(ctx: MockContext, vdiId: string, allocatedBlocks: number): void {
  const vdi = ctx.store.get(vdiId)
  if (vdi === undefined) return
  const sr = findObject(ctx, vdi.$SR)
  const usage = contentUsage(sr, num(vdi, 'size'), allocatedBlocks)
  const delta = usage - num(vdi, 'usage')
  if (delta === 0) return
  ctx.store.update(vdi.id, { usage, chainPhysicalUsage: usage })
  adjustSrUsage(ctx, vdi.$SR, 0, delta)
}

/**
 * `POST /srs/{id}/vdis` (XO `SR.importVdi`): a new VDI on the SR holding the upload — a dynamic VHD
 * (validated; the VDI's size is the footer's current size) or, with `raw`, raw bytes (the size is the
 * length). Default name `[XO] Imported disk - <ISO date>`. Returns the new VDI id.
 */
export async function importVdiIntoSr(ctx: MockContext, srId: string, source: ByteSource, options: ImportVdiOptions): Promise<string> {
  const sr = getObject(ctx, srId, 'SR')
  assertSrAcceptsImports(sr)
  const { length, raw, signal } = options
  // XO's own checks: `assert.notEqual(virtual_size, undefined)` for raw, VDI_importContent's for VHD
  if (length === undefined && (raw || options.lengthRequired !== false)) {
    throw new PlainError(raw ? 'undefined != undefined' : MISSING_LENGTH_MESSAGE)
  }
  const tempId = tempBlobId('vdi')
  const { virtualSize, store } = raw
    ? await importRaw(source, { blobStore: ctx.blobs, id: tempId, length: length as number, signal })
    : await importVhd(source, { blobStore: ctx.blobs, id: tempId, expectedLength: length, signal })
  const allocated = allocatedIndexes(store).length
  let vdiId: string
  try {
    vdiId = createVdi(ctx, sr.id, {
      name_label: options.name_label ?? `[XO] Imported disk - ${isoNow(ctx)}`,
      name_description: options.name_description ?? '',
      size: virtualSize,
    })
  } catch (error) {
    await ctx.blobs.delete(tempId)
    throw error
  }
  // queued right away: a download of the new VDI waits for it
  const committed = commitVdiContent(ctx, vdiId, tempId)
  settleUsage(ctx, vdiId, allocated)
  try {
    await committed
  } catch (error) {
    if (ctx.store.has(vdiId)) destroyVdi(ctx, vdiId)
    throw error
  }
  return vdiId
}

export interface ReplaceVdiOptions extends ImportOptions {
  readonly format: VdiFormat
  /** The upload's Content-Length (required, as XO). */
  readonly length: number | undefined
}

/**
 * `PUT /vdis/{id}.vhd|raw` (XO `VDI_importContent`): the upload becomes the VDI's whole content. A VHD
 * must have the VDI's size; a raw upload must be exactly the VDI's size. The VDI-snapshots and copies
 * sharing the old content keep it.
 */
export async function replaceVdiContent(ctx: MockContext, vdiId: string, source: ByteSource, options: ReplaceVdiOptions): Promise<void> {
  const vdi = getObject(ctx, vdiId, ['VDI'])
  const { length, signal } = options
  if (length === undefined) throw new PlainError(MISSING_LENGTH_MESSAGE)
  const size = num(vdi, 'size')
  if (options.format === 'raw' && length !== size) {
    throw new DiskFormatError('SIZE_MISMATCH', `raw upload of ${length} bytes does not match the size of VDI ${vdi.id} (${size} bytes)`)
  }
  const tempId = tempBlobId('content')
  const { store } =
    options.format === 'raw'
      ? await importRaw(source, { blobStore: ctx.blobs, id: tempId, length, virtualSize: size, signal })
      : await importVhd(source, { blobStore: ctx.blobs, id: tempId, expectedLength: length, expectedVirtualSize: size, signal })
  const allocated = allocatedIndexes(store).length
  await commitVdiContent(ctx, vdi.id, tempId)
  settleUsage(ctx, vdi.id, allocated)
}

/**
 * The SR an XVA goes to: `srId`, else the pool's default SR; neither → XO's 409 `incorrect state`.
 */
export function importTargetSr(ctx: MockContext, poolId: string, srId: string | undefined): Obj {
  const pool = getObject(ctx, poolId, 'pool')
  if (srId !== undefined) return getObject(ctx, srId, 'SR')
  const defaultSr = findObject(ctx, pool.default_SR)
  if (defaultSr === undefined || defaultSr.type !== 'SR') {
    throw incorrectState({ actual: asString(pool.default_SR), expected: 'an SR', object: pool.id, property: 'default_SR' })
  }
  return defaultSr
}

/**
 * `POST /pools/{id}/vms[?sr=]` / `vm.import` (XAPI `/import/`): reads an XVA (plain, gzip or zstd),
 * verifying every chunk checksum, then creates the VM (halted; a template stays a template) with its
 * VDIs on the SR (holding the uploaded content), its VBDs and the VIFs whose network resolves in the
 * pool (same uuid, else same bridge, else same name). Returns the new VM id.
 */
export async function importVm(ctx: MockContext, target: { poolId: string; srId?: string }, source: ByteSource, options: ImportOptions = {}): Promise<string> {
  const sr = importTargetSr(ctx, target.poolId, target.srId)
  assertSrAcceptsImports(sr)
  const prefix = tempBlobId('xva')
  const imported = await importXva(source, { blobStore: ctx.blobs, storeId: (_vdi, index) => `${prefix}-${index}`, signal: options.signal })
  const tempIds = imported.disks.map((disk) => disk.store.id)
  const created: { vm?: string; vdis: string[] } = { vdis: [] }
  const commits: Promise<unknown>[] = []
  try {
    const vmId = createImportedObjects(ctx, imported, sr, created, (vdiId, tempId, allocated) => {
      commits.push(commitVdiContent(ctx, vdiId, tempId))
      settleUsage(ctx, vdiId, allocated)
    })
    await Promise.all(commits)
    return vmId
  } catch (error) {
    await Promise.allSettled(commits)
    if (created.vm !== undefined && ctx.store.has(created.vm)) deleteVm(ctx, created.vm, { deleteDisks: true, force: true })
    for (const vdiId of created.vdis) if (ctx.store.has(vdiId)) destroyVdi(ctx, vdiId)
    await Promise.allSettled(tempIds.map((id) => ctx.blobs.delete(id)))
    throw error
  }
}

function numberOf(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN
  return Number.isFinite(n) ? n : fallback
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, entry] of Object.entries(asRecord(value))) if (typeof entry === 'string' && !key.startsWith('xo-mock:')) out[key] = entry
  return out
}

/** The XO-shaped configuration of the VM record of an ova.xml (what buildVmCopy copies). */
function vmSourceOf(record: XvaObject['snapshot'], poolId: string): Obj {
  const size = numberOf(record.memory_dynamic_max, numberOf(record.memory_static_max, 1024 ** 3))
  const bootParams = asStringRecord(record.HVM_boot_params)
  const domainType = asString(record.domain_type)
  const mode = domainType === 'hvm' || domainType === 'pv' || domainType === 'pvh' ? domainType : asString(record.HVM_boot_policy) === '' ? 'pv' : 'hvm'
  const source: Record<string, unknown> = {
    id: '',
    type: 'VM',
    name_label: asString(record.name_label) ?? '',
    name_description: asString(record.name_description) ?? '',
    CPUs: { max: numberOf(record.VCPUs_max, 1), number: numberOf(record.VCPUs_at_startup, numberOf(record.VCPUs_max, 1)) },
    memory: {
      dynamic: [numberOf(record.memory_dynamic_min, size), size],
      static: [numberOf(record.memory_static_min, size), numberOf(record.memory_static_max, size)],
      size,
    },
    tags: asStrings(record.tags),
    other: stringRecord(record.other_config),
    virtualizationMode: mode,
    boot: { firmware: bootParams.firmware ?? 'bios', order: bootParams.order ?? 'cd' },
    $pool: poolId,
  }
  if (mode !== 'hvm') source.PV_args = asString(record.PV_args) ?? ''
  return source as Obj
}

/** Matches a network of the XVA to a network of the pool. */
function resolveNetwork(ctx: MockContext, poolId: string, record: XvaObject['snapshot']): Obj | undefined {
  const networks = [...ctx.store.ofType('network')].filter((network) => network.$pool === poolId)
  const uuid = asString(record.uuid)
  const bridge = asString(record.bridge)
  const name = asString(record.name_label)
  return (
    networks.find((network) => uuid !== undefined && network.uuid === uuid) ??
    networks.find((network) => bridge !== undefined && bridge !== '' && network.bridge === bridge) ??
    networks.find((network) => name !== undefined && network.name_label === name)
  )
}

function createImportedObjects(
  ctx: MockContext,
  imported: ImportedXva,
  sr: Obj,
  created: { vm?: string; vdis: string[] },
  onVdi: (vdiId: string, tempId: string, allocated: number) => void,
): string {
  const poolId = sr.$pool as string
  const record = imported.vm.snapshot
  const type = record.is_a_template === true ? 'VM-template' : 'VM'
  const vm: NewObject = buildVmCopy(ctx, vmSourceOf(record, poolId), { name_label: asString(record.name_label) ?? '', type, poolId })
  ctx.store.add(vm)
  created.vm = vm.id

  const vdiIds = new Map<string, string>()
  for (const disk of imported.disks) {
    const vdi = disk.vdi.snapshot
    const vdiId = createVdi(ctx, sr.id, {
      name_label: asString(vdi.name_label) ?? '',
      name_description: asString(vdi.name_description) ?? '',
      size: disk.virtualSize,
      VDI_type: asString(vdi.type) ?? 'user',
      other_config: stringRecord(vdi.other_config),
      tags: asStrings(vdi.tags),
    })
    created.vdis.push(vdiId)
    vdiIds.set(disk.ref, vdiId)
    onVdi(vdiId, disk.store.id, allocatedIndexes(disk.store).length)
  }

  const vmRef = imported.vm.id
  for (const vbd of imported.vbds) {
    const fields = vbd.snapshot
    if (fields.VM !== undefined && fields.VM !== vmRef) continue
    const cd = String(fields.type).toLowerCase() === 'cd'
    const vdiId = typeof fields.VDI === 'string' ? vdiIds.get(fields.VDI) : undefined
    if (!cd && vdiId === undefined) continue
    ctx.store.add(
      buildVbd(ctx, {
        vm,
        vdi: vdiId,
        userdevice: asString(fields.userdevice) ?? String(numberOf(fields.userdevice, 0)),
        bootable: fields.bootable === true,
        cd,
        readOnly: cd || asString(fields.mode) === 'RO',
      }),
    )
  }

  const networksByRef = new Map(imported.networks.map((network) => [network.id, network.snapshot]))
  for (const vif of imported.vifs) {
    const fields = vif.snapshot
    if (fields.VM !== undefined && fields.VM !== vmRef) continue
    const networkRecord = typeof fields.network === 'string' ? networksByRef.get(fields.network) : undefined
    const network = networkRecord === undefined ? undefined : resolveNetwork(ctx, poolId, networkRecord)
    if (network === undefined) continue
    const mac = asString(fields.MAC)
    ctx.store.add(
      buildVif(ctx, {
        vm,
        network,
        device: asString(fields.device) ?? '0',
        mac: mac === undefined || mac === '' || fields.MAC_autogenerated === true ? ctx.ids.mac() : mac,
        mtu: numberOf(fields.MTU, num(network, 'MTU', 1500)),
      }),
    )
  }
  return vm.id
}
