import { BLOCK_SIZE, SECTOR_SIZE, blockCountOf, roundUp } from './constants.js'
import { ByteReader, type ByteSource } from './byte-reader.js'
import { DiskFormatError } from './errors.js'
import { withCleanup, type DiskImportResult, type ImportTarget } from './import-target.js'

export interface RawImportOptions extends ImportTarget {
  /** The upload's Content-Length: exactly this many bytes are read (fewer → error, more → error). */
  length: number
  /**
   * Size of the disk to create (default: `length` rounded up to 512). When importing into an existing
   * VDI, its size: `length` must not exceed it, and the bytes past `length` read as zeros.
   */
  virtualSize?: number
}

/** Reads raw disk bytes into a new block store; all-zero blocks are not stored. */
export async function importRaw(source: ByteSource, options: RawImportOptions): Promise<DiskImportResult> {
  const { blobStore, id, length, signal } = options
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid raw length ${length}`)
  const virtualSize = options.virtualSize ?? roundUp(length, SECTOR_SIZE)
  if (length > virtualSize) {
    throw new DiskFormatError('SIZE_MISMATCH', `raw upload of ${length} bytes is larger than the disk (${virtualSize} bytes)`)
  }
  const reader = new ByteReader(source, { signal })
  try {
    return await withCleanup(blobStore, async track => {
      const store = await blobStore.create(id, virtualSize)
      track(id)
      const blocks = blockCountOf(length)
      for (let index = 0; index < blocks; index++) {
        const n = Math.min(BLOCK_SIZE, length - index * BLOCK_SIZE)
        // zero-copy: the store keeps the slices of the source's chunks (memory) or writes them out
        await store.writeParts(index, await reader.readParts(n, `raw disk data (block ${index})`))
      }
      if (!(await reader.atEnd())) throw new DiskFormatError('TOO_LONG', `raw upload is longer than the expected length ${length}`)
      return { virtualSize, store }
    })
  } finally {
    await reader.close()
  }
}
