import { BLOCK_SIZE, ZERO_BLOCK, blockCountOf, blockLengthOf, isZero } from './constants.js'
import { assertBlockIndex, assertVirtualSize, type DiskContent } from './content.js'

/**
 * Writable sparse storage of one disk's content (an imported or written VDI). Only non-zero blocks
 * are kept. Implementations: MemoryBlockStore and DirectoryBlockStore (see dir-block-store.ts).
 */
export interface SparseBlockStore extends DiskContent {
  readonly id: string
  readonly virtualSize: number
  /**
   * Stores block `index` (`data` is exactly BLOCK_SIZE bytes). An all-zero block is discarded.
   * Bytes past the end of the disk are zeroed by the store.
   *
   * Resolves to true when the store kept a reference to `data` (the caller must then never modify it
   * again), false when it did not (the caller may reuse the buffer).
   */
  writeBlock(index: number, data: Buffer): Promise<boolean>
  /**
   * Stores block `index` from a list of buffers holding its first bytes (at most BLOCK_SIZE in all;
   * the rest of the block reads as zeros), without copying them where the store keeps data in memory:
   * the store takes the buffers over and the caller must never modify them again. An all-zero block is
   * discarded; bytes past the end of the disk read as zeros.
   */
  writeParts(index: number, parts: readonly Buffer[]): Promise<void>
  /** Makes block `index` read as zeros. */
  discardBlock(index: number): Promise<void>
  /** Changes the virtual size; blocks past the new end are discarded, and the new tail reads as zeros. */
  resize(virtualSize: number): Promise<void>
  /** Bytes held by allocated blocks (BLOCK_SIZE each). */
  allocatedBytes(): number
  getBlock(index: number): Buffer | Promise<Buffer>
}

/** A stored block: buffers nobody mutates, BLOCK_SIZE bytes in all. */
export type BlockParts = readonly Buffer[]

/**
 * Block store kept in memory. A block is kept as the list of buffers it was written from (e.g. the
 * slices of an upload's socket chunks, see writeParts), joined into one buffer the first time
 * getBlock asks for it. Stored buffers and lists are never mutated once stored (a rewrite replaces
 * the reference), so getBlock / getBlockParts hand them out to exporters without copying.
 */
export class MemoryBlockStore implements SparseBlockStore {
  readonly id: string
  #virtualSize: number
  readonly #blocks: Map<number, BlockParts>
  #sorted: number[] | undefined

  constructor(id: string, virtualSize: number, blocks: Map<number, BlockParts> = new Map()) {
    assertVirtualSize(virtualSize)
    this.id = id
    this.#virtualSize = virtualSize
    this.#blocks = blocks
  }

  get virtualSize(): number {
    return this.#virtualSize
  }

  /** The block map, for handing the same data to a store with another id (BlobStore.replace). */
  takeBlocks(): Map<number, BlockParts> {
    return this.#blocks
  }

  allocatedBlocks(): number[] {
    this.#sorted ??= [...this.#blocks.keys()].sort((a, b) => a - b)
    return this.#sorted.slice()
  }

  allocatedBytes(): number {
    return this.#blocks.size * BLOCK_SIZE
  }

  getBlock(index: number): Buffer {
    assertBlockIndex(this.#virtualSize, index)
    const parts = this.#blocks.get(index)
    if (parts === undefined) return ZERO_BLOCK
    if (parts.length === 1) return parts[0]
    // joined once, lazily: exports of contiguous blocks (XVA chunks, copies) then reuse it
    const joined = joinParts(parts)
    this.#blocks.set(index, [joined])
    return joined
  }

  /** Block `index` as the buffers it is kept in (BLOCK_SIZE bytes in all; never mutated). */
  getBlockParts(index: number): BlockParts {
    assertBlockIndex(this.#virtualSize, index)
    return this.#blocks.get(index) ?? [ZERO_BLOCK]
  }

  readBlock(index: number, target: Buffer): void {
    assertBlockIndex(this.#virtualSize, index)
    let at = 0
    for (const part of this.#blocks.get(index) ?? [ZERO_BLOCK]) at += part.copy(target, at)
  }

  async writeBlock(index: number, data: Buffer): Promise<boolean> {
    assertBlockIndex(this.#virtualSize, index)
    assertBlockBuffer(data)
    zeroTail(this.#virtualSize, index, data)
    this.#set(index, [data])
    return this.#blocks.has(index)
  }

  async writeParts(index: number, parts: readonly Buffer[]): Promise<void> {
    assertBlockIndex(this.#virtualSize, index)
    this.#set(index, fitParts(parts, blockLengthOf(this.#virtualSize, index)))
  }

  /** Stores `parts` (exactly BLOCK_SIZE bytes), or drops the block when they are all zeros. */
  #set(index: number, parts: BlockParts): void {
    if (parts.every(part => isZero(part))) {
      this.#delete(index)
      return
    }
    if (!this.#blocks.has(index)) this.#sorted = undefined
    this.#blocks.set(index, parts)
  }

  async discardBlock(index: number): Promise<void> {
    assertBlockIndex(this.#virtualSize, index)
    this.#delete(index)
  }

  async resize(virtualSize: number): Promise<void> {
    assertVirtualSize(virtualSize)
    const count = blockCountOf(virtualSize)
    for (const index of [...this.#blocks.keys()]) if (index >= count) this.#delete(index)
    this.#virtualSize = virtualSize
    const last = count - 1
    const block = this.#blocks.get(last)
    // new parts: the stored ones may be in flight in an export
    if (block !== undefined && blockLengthOf(virtualSize, last) < BLOCK_SIZE) this.#set(last, fitParts(block, blockLengthOf(virtualSize, last)))
  }

  #delete(index: number): void {
    if (this.#blocks.delete(index)) this.#sorted = undefined
  }
}

/** Byte count of a list of buffers. */
export function partsLength(parts: readonly Buffer[]): number {
  let length = 0
  for (const part of parts) length += part.length
  return length
}

/**
 * The first `length` bytes of `parts` (which must hold at most BLOCK_SIZE bytes), followed by zeros up
 * to BLOCK_SIZE (a view of the shared zero buffer). The buffers are not copied.
 */
export function fitParts(parts: readonly Buffer[], length: number): Buffer[] {
  const total = partsLength(parts)
  if (total > BLOCK_SIZE) throw new RangeError(`block parts must hold at most ${BLOCK_SIZE} bytes, got ${total}`)
  const fitted: Buffer[] = []
  let at = 0
  for (const part of parts) {
    if (at >= length) break
    const n = Math.min(part.length, length - at)
    if (n > 0) fitted.push(n === part.length ? part : part.subarray(0, n))
    at += n
  }
  if (at < BLOCK_SIZE) fitted.push(ZERO_BLOCK.subarray(0, BLOCK_SIZE - at))
  return fitted
}

/** One new buffer holding `parts` one after the other. */
export function joinParts(parts: readonly Buffer[]): Buffer {
  const joined = Buffer.allocUnsafeSlow(partsLength(parts))
  let at = 0
  for (const part of parts) at += part.copy(joined, at)
  return joined
}

export function assertBlockBuffer(data: Buffer): void {
  if (data.length !== BLOCK_SIZE) throw new RangeError(`block buffer must be ${BLOCK_SIZE} bytes, got ${data.length}`)
}

/** Zeroes the part of block `index` that lies past the end of the disk. */
export function zeroTail(virtualSize: number, index: number, data: Buffer): void {
  const length = blockLengthOf(virtualSize, index)
  if (length < BLOCK_SIZE) data.fill(0, Math.max(0, length))
}
