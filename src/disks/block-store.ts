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
  /** Makes block `index` read as zeros. */
  discardBlock(index: number): Promise<void>
  /** Changes the virtual size; blocks past the new end are discarded, and the new tail reads as zeros. */
  resize(virtualSize: number): Promise<void>
  /** Bytes held by allocated blocks (BLOCK_SIZE each). */
  allocatedBytes(): number
  getBlock(index: number): Buffer | Promise<Buffer>
}

/**
 * Block store kept in memory. Stored buffers are never mutated once stored (a rewrite replaces the
 * reference), so getBlock can hand them out to exporters without copying.
 */
export class MemoryBlockStore implements SparseBlockStore {
  readonly id: string
  #virtualSize: number
  readonly #blocks: Map<number, Buffer>
  #sorted: number[] | undefined

  constructor(id: string, virtualSize: number, blocks: Map<number, Buffer> = new Map()) {
    assertVirtualSize(virtualSize)
    this.id = id
    this.#virtualSize = virtualSize
    this.#blocks = blocks
  }

  get virtualSize(): number {
    return this.#virtualSize
  }

  /** The block map, for handing the same data to a store with another id (BlobStore.replace). */
  takeBlocks(): Map<number, Buffer> {
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
    return this.#blocks.get(index) ?? ZERO_BLOCK
  }

  readBlock(index: number, target: Buffer): void {
    this.getBlock(index).copy(target, 0, 0, BLOCK_SIZE)
  }

  async writeBlock(index: number, data: Buffer): Promise<boolean> {
    assertBlockIndex(this.#virtualSize, index)
    assertBlockBuffer(data)
    zeroTail(this.#virtualSize, index, data)
    if (isZero(data)) {
      this.#delete(index)
      return false
    }
    if (!this.#blocks.has(index)) this.#sorted = undefined
    this.#blocks.set(index, data)
    return true
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
    if (block !== undefined && blockLengthOf(virtualSize, last) < BLOCK_SIZE) {
      // Copy: the stored buffer may be in flight in an export.
      const copy = Buffer.from(block)
      zeroTail(virtualSize, last, copy)
      if (isZero(copy)) this.#delete(last)
      else this.#blocks.set(last, copy)
    }
  }

  #delete(index: number): void {
    if (this.#blocks.delete(index)) this.#sorted = undefined
  }
}

export function assertBlockBuffer(data: Buffer): void {
  if (data.length !== BLOCK_SIZE) throw new RangeError(`block buffer must be ${BLOCK_SIZE} bytes, got ${data.length}`)
}

/** Zeroes the part of block `index` that lies past the end of the disk. */
export function zeroTail(virtualSize: number, index: number, data: Buffer): void {
  const length = blockLengthOf(virtualSize, index)
  if (length < BLOCK_SIZE) data.fill(0, Math.max(0, length))
}
