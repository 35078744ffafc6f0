/**
 * Sizes shared by every disk format, and a few immutable buffers reused by all streams.
 *
 * The buffers below are allocated once per process and are never written to: streams push views of
 * them (zeros, the all-ones VHD sector bitmap) repeatedly, which is what keeps the hot paths cheap.
 * Nothing in this folder may mutate them.
 */

export const SECTOR_SIZE = 512
/** VHD block size, and the granularity of DiskContent. */
export const BLOCK_SIZE = 2 * 1024 * 1024
/** XVA chunk size. */
export const XVA_CHUNK_SIZE = 1024 * 1024

/** 2 MiB of zeros. Never mutated. */
export const ZERO_BLOCK: Buffer = Buffer.alloc(BLOCK_SIZE)

/** One 512-byte sector with every bit set: the bitmap of a fully present VHD block. Never mutated. */
export const FULL_BITMAP_SECTOR: Buffer = Buffer.alloc(SECTOR_SIZE, 0xff)

/** Number of 2 MiB blocks needed to hold `virtualSize` bytes. */
export function blockCountOf(virtualSize: number): number {
  return Math.ceil(virtualSize / BLOCK_SIZE)
}

/** Number of bytes of block `index` that lie inside the disk (BLOCK_SIZE except for a partial last block). */
export function blockLengthOf(virtualSize: number, index: number): number {
  return Math.min(BLOCK_SIZE, virtualSize - index * BLOCK_SIZE)
}

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple
}

/** True when every byte of `buf` is zero (memcmp against the shared zero buffer, no per-byte JS). */
export function isZero(buf: Uint8Array): boolean {
  let offset = 0
  while (offset < buf.length) {
    const n = Math.min(ZERO_BLOCK.length, buf.length - offset)
    if (Buffer.compare(buf.subarray(offset, offset + n), ZERO_BLOCK.subarray(0, n)) !== 0) return false
    offset += n
  }
  return true
}
