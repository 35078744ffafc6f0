import { BLOCK_SIZE, SECTOR_SIZE, ZERO_BLOCK, blockCountOf } from './constants.js'

/**
 * The content of a virtual disk, sparse at the granularity of 2 MiB blocks (the VHD block size).
 *
 * Unallocated blocks read as zeros. Allocated blocks may still contain zeros (formats skip zero
 * regions by checking them, which is a cheap memcmp).
 */
export interface DiskContent {
  /** Bytes, a multiple of 512. */
  readonly virtualSize: number
  /** Sorted indexes of the blocks that may hold non-zero data. */
  allocatedBlocks(): number[]
  /**
   * Fills `target` (BLOCK_SIZE bytes) with block `index`. Bytes past the end of the disk (partial last
   * block) are zero.
   */
  readBlock(index: number, target: Buffer): void | Promise<void>
  /**
   * Optional zero-copy accessor: returns the BLOCK_SIZE bytes of block `index` in a buffer that will
   * never be mutated afterwards (neither by the content nor by the caller), so exporters can push it
   * as is. When absent, exporters read each block into a fresh buffer.
   */
  getBlock?(index: number): Buffer | Promise<Buffer>
  /**
   * Optional zero-copy accessor: block `index` as a list of buffers (BLOCK_SIZE bytes in all) that
   * will never be mutated afterwards, for exporters that can push a block in several pieces (raw,
   * VHD). Memory stores keep uploaded blocks so.
   */
  getBlockParts?(index: number): readonly Buffer[] | Promise<readonly Buffer[]>
}

/** Checks that a size can be a virtual disk size. */
export function assertVirtualSize(virtualSize: number): void {
  if (!Number.isSafeInteger(virtualSize) || virtualSize < 0 || virtualSize % SECTOR_SIZE !== 0) {
    throw new RangeError(`invalid virtual size ${virtualSize}: must be a non-negative multiple of 512`)
  }
}

/**
 * Returns block `index` as a buffer the caller owns or that is immutable: the content's zero-copy
 * accessor when it has one, else a fresh buffer filled by readBlock. Synchronous when the content is.
 */
export function fetchBlock(content: DiskContent, index: number): Buffer | Promise<Buffer> {
  if (content.getBlock !== undefined) return content.getBlock(index)
  const target = Buffer.allocUnsafe(BLOCK_SIZE)
  const pending = content.readBlock(index, target)
  return pending === undefined ? target : pending.then(() => target)
}

/**
 * Returns block `index` as immutable buffers (BLOCK_SIZE bytes in all): the content's getBlockParts
 * when it has one, else the single buffer of fetchBlock. Synchronous when the content is.
 */
export function fetchBlockParts(content: DiskContent, index: number): readonly Buffer[] | Promise<readonly Buffer[]> {
  if (content.getBlockParts !== undefined) return content.getBlockParts(index)
  const block = fetchBlock(content, index)
  return block instanceof Promise ? block.then(data => [data]) : [block]
}

/**
 * Yields the first `length` bytes of a block given as parts, as the parts themselves (an uploaded block
 * is the slices of its socket chunks: nothing is copied). Throws when the parts hold fewer bytes.
 */
export function* blockPrefix(parts: readonly Buffer[], length: number, index: number): Generator<Buffer, void, undefined> {
  let at = 0
  for (const part of parts) {
    if (at >= length) break
    const n = Math.min(part.length, length - at)
    yield n === part.length ? part : part.subarray(0, n)
    at += n
  }
  if (at < length) throw new RangeError(`block ${index} holds ${at} bytes, expected ${length}`)
}

/** A disk full of zeros: what a freshly created VDI holds. */
export class EmptyContent implements DiskContent {
  readonly virtualSize: number

  constructor(virtualSize: number) {
    assertVirtualSize(virtualSize)
    this.virtualSize = virtualSize
  }

  allocatedBlocks(): number[] {
    return []
  }

  readBlock(_index: number, target: Buffer): void {
    target.fill(0, 0, BLOCK_SIZE)
  }

  getBlock(): Buffer {
    return ZERO_BLOCK
  }
}

/** Checks a block index against a disk size (for implementations). */
export function assertBlockIndex(virtualSize: number, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= blockCountOf(virtualSize)) {
    throw new RangeError(`block index ${index} out of range for a disk of ${virtualSize} bytes`)
  }
}

/**
 * The content's allocated block indexes, sorted, deduplicated and in range (defensive against sloppy
 * DiskContent implementations). Exporters snapshot this once per stream.
 */
export function allocatedIndexes(content: DiskContent): number[] {
  const count = blockCountOf(content.virtualSize)
  const allocated = content.allocatedBlocks()
  let sorted = true
  for (let i = 1; i < allocated.length; i++) if (allocated[i] < allocated[i - 1]) sorted = false
  const source = sorted ? allocated : [...allocated].sort((a, b) => a - b)
  const result: number[] = []
  let previous = -1
  for (const index of source) {
    if (Number.isInteger(index) && index >= 0 && index < count && index !== previous) result.push(index)
    previous = index
  }
  return result
}
