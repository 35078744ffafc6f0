/**
 * The content of every VDI (and VDI-snapshot) of one mock, as a `DiskContent` the exporters stream.
 *
 * Where the bytes come from, first match wins:
 * 1. **Stored content** — the blob store (`ctx.blobs`, memory or `--data-dir`) holds a store under the
 *    VDI's id: what an import or a `PUT …/vdis/{id}.vhd|raw` wrote.
 * 2. **Shared content** — a VDI created by snapshotting, cloning or copying another one reads the
 *    content its source had at that moment (see "Snapshots and copies" below).
 * 3. **Fixture content** — any other VDI of the inventory (boot fixture, or an inventory loaded later):
 *    deterministic synthetic content (same bytes on every run), or a file, as `other_config` says:
 *    - `xo-mock:content`: path of a raw image or a dynamic VHD (`.vhd`), absolute or relative to the
 *      server's working directory; read (and validated) once, on first use;
 *    - `xo-mock:allocation`: how much of the disk holds data — a ratio `0`..`1` (`"0.25"`), a
 *      percentage (`"25%"`) or a byte size (`"64 MiB"`, `"1073741824"`, rounded up to 2 MiB blocks);
 *      default: what the VDI's `usage` says (`usage` minus the empty-VHD overhead, over `size`), so
 *      thin-provisioned fixtures look as full as their SR usage says and an empty one is empty;
 *    - `xo-mock:seed`: seed of the synthetic bytes (default: the VDI id; a fixture VDI-snapshot
 *      defaults to the id of the VDI it is a snapshot of, so both share their bytes where both are
 *      allocated).
 * A VDI created at run time (`createVdi`: `disk.create`, `POST /vdis`, new disks of `vm.create`, …)
 * reads as zeros until something is written to it.
 *
 * The content always has the VDI's current `size` (a grown VDI reads zeros past its old end).
 *
 * **Snapshots and copies.** `snapshotVdi` / `copyVdi` (domain/vdi.ts) call `shareVdiContent`: the new
 * VDI is *linked* to the root of its source's content (the source itself, or what the source is
 * linked to) — nothing is copied. Before a root's content changes (`commitVdiContent`) or the root is
 * destroyed (`forgetVdiContent`), every VDI linked to it gets its own copy (memory: the same immutable
 * block buffers; directory: copied block files), or — for fixture content, which never changes — keeps
 * a frozen description of it. So a snapshot always reads what its VDI held when it was taken, at the
 * cost of a copy only when the VDI is later rewritten.
 *
 * Mutations of content (commits, copies on write, deletions) run one at a time per mock; reads wait
 * for the pending ones, so a download started after an upload returned sees the upload.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { resolve as resolvePath } from 'node:path'

import type { MockContext } from '../context.js'
import {
  BLOCK_SIZE,
  EmptyContent,
  SECTOR_SIZE,
  SyntheticContent,
  allocatedIndexes,
  blockCountOf,
  fetchBlock,
  importRaw,
  importVhd,
  type DiskContent,
  type SparseBlockStore,
} from '../disks/index.js'
import { ZERO_BLOCK } from '../disks/constants.js'
import type { XoObject } from '../inventory/types.js'
import { PlainError } from './errors.js'
import { allocationOf, emptyVhdUsage } from './factories.js'
import { asStringRecord, asStrings, num, parseSize } from './vm-common.js'

/** `other_config` keys a fixture may set on a VDI. */
export const CONTENT_FILE_KEY = 'xo-mock:content'
export const ALLOCATION_KEY = 'xo-mock:allocation'
export const SEED_KEY = 'xo-mock:seed'

type Allocation = { readonly allocation: number } | { readonly blockCount: number }

/** A description of content that never changes. */
type ContentSpec =
  | { readonly kind: 'empty'; readonly virtualSize: number }
  | { readonly kind: 'synthetic'; readonly seed: string; readonly virtualSize: number; readonly allocation: Allocation }
  | { readonly kind: 'file'; readonly path: string; readonly format: 'vhd' | 'raw' }

/** A VDI reading the content of `root` (while it exists and has stored content), else `spec`. */
interface Link {
  root: string | undefined
  readonly spec: ContentSpec
}

interface ContentState {
  readonly links: Map<string, Link>
  /** The last queued mutation (never rejects). */
  tail: Promise<void>
  /** Imported fixture files, by blob id. */
  readonly files: Map<string, Promise<SparseBlockStore>>
}

const states = new WeakMap<object, ContentState>()

function stateOf(ctx: MockContext): ContentState {
  let state = states.get(ctx.blobs)
  if (state === undefined) {
    state = { links: new Map(), tail: Promise.resolve(), files: new Map() }
    states.set(ctx.blobs, state)
  }
  return state
}

/** Runs content mutations one at a time; the returned promise settles with `run`'s outcome. */
function enqueue<T>(ctx: MockContext, run: () => Promise<T>): Promise<T> {
  const state = stateOf(ctx)
  const result = state.tail.then(run)
  state.tail = result.then(
    () => undefined,
    () => undefined,
  )
  return result
}

/** Resolves once every content mutation queued so far is done. */
export function contentSettled(ctx: MockContext): Promise<void> {
  return stateOf(ctx).tail
}

// ---------------------------------------------------------------------------------------------
// Fixture content

function parseAllocation(vdi: XoObject, text: string): Allocation {
  const fail = (): never => {
    throw new PlainError(
      `VDI ${vdi.id}: invalid other_config['${ALLOCATION_KEY}'] ${JSON.stringify(text)} (expected a ratio 0..1, a percentage or a size)`,
    )
  }
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text)
  if (percent !== null) {
    const ratio = Number(percent[1]) / 100
    return ratio <= 1 ? { allocation: ratio } : fail()
  }
  if (/^\s*(?:0|1|0?\.\d+|1\.0*)\s*$/.test(text)) return { allocation: Number(text) }
  let bytes: number
  try {
    bytes = parseSize(text)
  } catch {
    return fail()
  }
  const count = blockCountOf(roundSize(num(vdi, 'size')))
  return { blockCount: Math.min(count, Math.ceil(bytes / BLOCK_SIZE)) }
}

/** Allocated share implied by `usage`: what a dynamic VHD of that physical size would hold. */
function allocationFromUsage(vdi: XoObject, size: number): Allocation {
  if (size === 0) return { allocation: 0 }
  const usage = num(vdi, 'usage')
  const data = usage >= size ? size : Math.max(0, usage - emptyVhdUsage(size))
  return { allocation: Math.min(1, data / size) }
}

function roundSize(size: number): number {
  return Math.ceil(Math.max(0, size) / SECTOR_SIZE) * SECTOR_SIZE
}

/** The content the inventory gives a VDI (see the module comment). */
function naturalSpec(ctx: MockContext, vdi: XoObject): ContentSpec {
  const size = roundSize(num(vdi, 'size'))
  const config = asStringRecord(vdi.other_config)
  const file = config[CONTENT_FILE_KEY]
  if (file !== undefined && file !== '') {
    return { kind: 'file', path: resolvePath(file), format: /\.vhd$/i.test(file) ? 'vhd' : 'raw' }
  }
  const source = vdi.type === 'VDI-snapshot' && typeof vdi.$snapshot_of === 'string' ? vdi.$snapshot_of : undefined
  const sourceSeed = source === undefined ? undefined : asStringRecord(ctx.store.get(source)?.other_config)[SEED_KEY]
  const seedKey = config[SEED_KEY] ?? sourceSeed ?? source ?? vdi.id
  const allocationText = config[ALLOCATION_KEY]
  const allocation = allocationText === undefined ? allocationFromUsage(vdi, size) : parseAllocation(vdi, allocationText)
  return { kind: 'synthetic', seed: `xo-mock:${seedKey}`, virtualSize: size, allocation }
}

async function specContent(ctx: MockContext, spec: ContentSpec): Promise<DiskContent> {
  switch (spec.kind) {
    case 'empty':
      return new EmptyContent(spec.virtualSize)
    case 'synthetic':
      return new SyntheticContent({ seed: spec.seed, virtualSize: spec.virtualSize, ...spec.allocation })
    case 'file':
      return fileContent(ctx, spec.path, spec.format)
  }
}

/** A fixture file, imported once into the blob store (validated like an upload). */
function fileContent(ctx: MockContext, path: string, format: 'vhd' | 'raw'): Promise<SparseBlockStore> {
  const state = stateOf(ctx)
  const id = 'fixture-file-' + createHash('sha256').update(path).digest('hex').slice(0, 32)
  let pending = state.files.get(id)
  if (pending === undefined) {
    pending = (async () => {
      const existing = await ctx.blobs.open(id)
      if (existing !== undefined) return existing
      const { size } = await stat(path)
      const source = createReadStream(path)
      try {
        const result =
          format === 'vhd'
            ? await importVhd(source, { blobStore: ctx.blobs, id, expectedLength: size })
            : await importRaw(source, { blobStore: ctx.blobs, id, length: size })
        return result.store
      } finally {
        source.destroy()
      }
    })()
    state.files.set(id, pending)
    pending.catch(() => state.files.get(id) === pending && state.files.delete(id))
  }
  return pending
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Content seen at another size: blocks past the end dropped, zeros past the content's end. */
class ResizedContent implements DiskContent {
  readonly #inner: DiskContent
  readonly #innerBlocks: number
  readonly virtualSize: number

  constructor(inner: DiskContent, virtualSize: number) {
    this.#inner = inner
    this.#innerBlocks = blockCountOf(inner.virtualSize)
    this.virtualSize = virtualSize
  }

  allocatedBlocks(): number[] {
    const count = Math.min(blockCountOf(this.virtualSize), this.#innerBlocks)
    return allocatedIndexes(this.#inner).filter((index) => index < count)
  }

  readBlock(index: number, target: Buffer): void | Promise<void> {
    const block = this.getBlock(index)
    if (block instanceof Promise) return block.then((data) => void data.copy(target, 0, 0, BLOCK_SIZE))
    block.copy(target, 0, 0, BLOCK_SIZE)
  }

  getBlock(index: number): Buffer | Promise<Buffer> {
    if (index >= this.#innerBlocks) return ZERO_BLOCK
    const end = this.virtualSize - index * BLOCK_SIZE
    const block = fetchBlock(this.#inner, index)
    if (end >= BLOCK_SIZE) return block
    const cut = (data: Buffer): Buffer => {
      const copy = Buffer.from(data.subarray(0, BLOCK_SIZE))
      copy.fill(0, end)
      return copy
    }
    return block instanceof Promise ? block.then(cut) : cut(block)
  }
}

function fit(content: DiskContent, virtualSize: number): DiskContent {
  return content.virtualSize === virtualSize ? content : new ResizedContent(content, virtualSize)
}

/**
 * The content of a VDI or VDI-snapshot of the store, at its current size. Waits for the pending
 * content mutations first. Throws when the object does not exist.
 */
export async function vdiContent(ctx: MockContext, vdiId: string): Promise<DiskContent> {
  await contentSettled(ctx)
  const vdi = ctx.store.get(vdiId)
  if (vdi === undefined) throw new PlainError(`no VDI ${vdiId}`)
  const size = roundSize(num(vdi, 'size'))
  const own = await ctx.blobs.open(vdi.id)
  if (own !== undefined) return fit(own, size)
  const link = stateOf(ctx).links.get(vdi.id)
  if (link !== undefined) {
    if (link.root !== undefined) {
      const shared = await ctx.blobs.open(link.root)
      if (shared !== undefined) return fit(shared, size)
    }
    return fit(await specContent(ctx, link.spec), size)
  }
  return fit(await specContent(ctx, naturalSpec(ctx, vdi)), size)
}

/** Physical utilisation of a VDI holding `allocatedBlocks` blocks on this SR (VHD file on thin SRs). */
export function contentUsage(sr: XoObject | undefined, virtualSize: number, allocatedBlocks: number): number {
  if (sr !== undefined && allocationOf(sr) === 'thick') return virtualSize
  return emptyVhdUsage(virtualSize) + allocatedBlocks * (BLOCK_SIZE + SECTOR_SIZE)
}

// ---------------------------------------------------------------------------------------------
// Sharing and writing

/** Gives every VDI linked to `rootId` its own copy (or frozen description) of the root's content. */
async function detachDependents(ctx: MockContext, rootId: string): Promise<void> {
  const state = stateOf(ctx)
  const dependents = [...state.links].filter(([, link]) => link.root === rootId)
  if (dependents.length === 0) return
  const root = await ctx.blobs.open(rootId)
  for (const [id, link] of dependents) {
    if (root === undefined || !ctx.store.has(id)) {
      link.root = undefined
      if (!ctx.store.has(id)) state.links.delete(id)
      continue
    }
    await ctx.blobs.delete(id)
    const copy = await ctx.blobs.create(id, root.virtualSize)
    for (const index of allocatedIndexes(root)) {
      const block = await fetchBlock(root, index)
      // memory stores keep (and share) the immutable source buffer
      await copy.writeBlock(index, block)
    }
    state.links.delete(id)
  }
}

/** Called when a VDI is created at run time (`createVdi`): it reads as zeros. */
export function startEmptyContent(ctx: MockContext, vdiId: string): void {
  const vdi = ctx.store.get(vdiId)
  if (vdi === undefined) return
  stateOf(ctx).links.set(vdiId, { root: undefined, spec: { kind: 'empty', virtualSize: roundSize(num(vdi, 'size')) } })
}

/**
 * Called when `newId` is created as a snapshot, clone or copy of `sourceId`: `newId` reads what
 * `sourceId` holds now (shared until one of them is rewritten).
 */
export function shareVdiContent(ctx: MockContext, sourceId: string, newId: string): void {
  const state = stateOf(ctx)
  const source = ctx.store.get(sourceId)
  if (source === undefined || sourceId === newId) return
  const sourceLink = state.links.get(sourceId)
  state.links.set(
    newId,
    sourceLink !== undefined ? { root: sourceLink.root, spec: sourceLink.spec } : { root: sourceId, spec: naturalSpec(ctx, source) },
  )
}

/**
 * Called when a VDI leaves the store: the VDIs sharing its content get their own copy, then its stored
 * content is deleted. Asynchronous (queued); `contentSettled` resolves once done.
 */
export function forgetVdiContent(ctx: MockContext, vdiId: string): Promise<void> {
  const state = stateOf(ctx)
  // fixture snapshots are seeded by the VDI they are a snapshot of: describe them while it is known
  for (const snapshotId of asStrings(ctx.store.get(vdiId)?.snapshots)) {
    const snapshot = ctx.store.get(snapshotId)
    if (snapshot !== undefined && snapshot.$snapshot_of === vdiId && !state.links.has(snapshot.id)) {
      try {
        state.links.set(snapshot.id, { root: undefined, spec: naturalSpec(ctx, snapshot) })
      } catch {
        // an invalid fixture setting: reported when the snapshot is read
      }
    }
  }
  return enqueue(ctx, async () => {
    await detachDependents(ctx, vdiId)
    stateOf(ctx).links.delete(vdiId)
    await ctx.blobs.delete(vdiId)
  }).catch(() => {})
}

/**
 * Makes the stored content `tempId` (a finished, validated import) the content of `vdiId`: the VDIs
 * sharing the old content get their own copy first. Rejects (and deletes `tempId`) when the VDI no
 * longer exists.
 */
export function commitVdiContent(ctx: MockContext, vdiId: string, tempId: string): Promise<SparseBlockStore> {
  return enqueue(ctx, async () => {
    if (!ctx.store.has(vdiId)) {
      await ctx.blobs.delete(tempId)
      throw new PlainError(`VDI ${vdiId} was deleted during the import`)
    }
    await detachDependents(ctx, vdiId)
    stateOf(ctx).links.delete(vdiId)
    return ctx.blobs.replace(tempId, vdiId)
  })
}

/**
 * Makes `targetId` read what `sourceId` holds now (a revert to a snapshot): the VDIs sharing the
 * target's old content get their own copy first. Queued.
 */
export function revertVdiContent(ctx: MockContext, targetId: string, sourceId: string): Promise<void> {
  const state = stateOf(ctx)
  const source = ctx.store.get(sourceId)
  if (source === undefined || targetId === sourceId) return Promise.resolve()
  const sourceLink = state.links.get(sourceId)
  const link: Link = sourceLink !== undefined ? { root: sourceLink.root, spec: sourceLink.spec } : { root: sourceId, spec: naturalSpec(ctx, source) }
  return enqueue(ctx, async () => {
    await detachDependents(ctx, targetId)
    await ctx.blobs.delete(targetId)
    if (ctx.store.has(targetId)) state.links.set(targetId, link)
  }).catch(() => {})
}

/**
 * Forgets every stored content and link (a reset of the mock to its boot inventory). Fixture files
 * are kept.
 */
export function resetDiskContent(ctx: MockContext): Promise<void> {
  const state = stateOf(ctx)
  return enqueue(ctx, async () => {
    state.links.clear()
    const keep = new Set(state.files.keys())
    for (const id of await ctx.blobs.list()) if (!keep.has(id)) await ctx.blobs.delete(id)
  })
}

/** Name of the VDI's content source, for diagnostics: `stored`, `shared:<root>`, `fixture`, `empty`. */
export async function describeVdiContent(ctx: MockContext, vdiId: string): Promise<string> {
  await contentSettled(ctx)
  if (await ctx.blobs.has(vdiId)) return 'stored'
  const link = stateOf(ctx).links.get(vdiId)
  if (link?.root !== undefined && (await ctx.blobs.has(link.root))) return `shared:${link.root}`
  const vdi = ctx.store.get(vdiId)
  const spec = link?.spec ?? (vdi === undefined ? undefined : naturalSpec(ctx, vdi))
  return spec === undefined || spec.kind === 'empty' ? 'empty' : spec.kind === 'file' ? `file:${spec.path}` : 'fixture'
}
