import { BLOCK_SIZE, FULL_BITMAP_SECTOR, SECTOR_SIZE } from './constants.js'
import { allocatedIndexes, assertVirtualSize, blockPrefix, fetchBlockParts, type DiskContent } from './content.js'
import { DiskFormatError } from './errors.js'
import { readableFromGenerator, type LengthReadable, type ProducerOptions } from './readable.js'
import {
  BAT_OFFSET,
  FULL_BLOCK_SIZE,
  VHD_MAX_SIZE,
  batEntriesOf,
  batSizeOf,
  encodeFooter,
  encodeHeader,
  vhdLengthOf,
} from './vhd-format.js'

export interface VhdExportOptions extends ProducerOptions {
  /** Written in the footer's unique id. */
  uuid: string
  /** Milliseconds since the Unix epoch (from the injected clock), written in the footer. */
  timestamp: number
}

/**
 * Byte length of the VHD createVhdStream writes for this content:
 * 512 + 1024 + BAT + allocated × (512 + 2 MiB) + 512.
 */
export function vhdStreamLength(content: DiskContent): number {
  return vhdLengthOf(content.virtualSize, allocatedIndexes(content).length)
}

/**
 * Streams the content as a dynamic VHD, laid out like XO's writers (formats.md §1.5): footer copy,
 * header, BAT, the allocated blocks (full 0xFF bitmap sector + 2 MiB data) contiguous in BAT order,
 * and the footer again. The allocation is snapshotted when the stream is created; `length` is exact.
 */
export function createVhdStream(content: DiskContent, options: VhdExportOptions): LengthReadable {
  const virtualSize = content.virtualSize
  assertVirtualSize(virtualSize)
  if (virtualSize > VHD_MAX_SIZE) {
    throw new DiskFormatError('UNSUPPORTED', `disk of ${virtualSize} bytes is too large for VHD (max ${VHD_MAX_SIZE})`)
  }
  const allocated = allocatedIndexes(content)
  const footer = encodeFooter({ virtualSize, uuid: options.uuid, timestamp: options.timestamp })
  const length = vhdLengthOf(virtualSize, allocated.length)
  if ((length - FULL_BLOCK_SIZE) / SECTOR_SIZE >= 0xffffffff) {
    throw new DiskFormatError('UNSUPPORTED', `VHD of ${length} bytes cannot be addressed by a 32-bit BAT`)
  }
  const stream = readableFromGenerator(signal => vhdParts(content, allocated, footer, signal), options)
  return Object.assign(stream, { length })
}

async function* vhdParts(
  content: DiskContent,
  allocated: number[],
  footer: Buffer,
  signal: AbortSignal,
): AsyncGenerator<Buffer, void, undefined> {
  const entries = batEntriesOf(content.virtualSize)
  const batSize = batSizeOf(entries)
  yield footer
  yield encodeHeader(entries)
  yield buildBat(entries, batSize, allocated)
  for (const index of allocated) {
    let parts = fetchBlockParts(content, index)
    if (parts instanceof Promise) {
      parts = await parts
      if (signal.aborted) return
    }
    yield FULL_BITMAP_SECTOR
    for (const part of blockPrefix(parts, BLOCK_SIZE, index)) yield part
  }
  yield footer
}

/** BAT: one sector number per block, allocated blocks laid out contiguously right after the BAT. */
function buildBat(entries: number, batSize: number, allocated: readonly number[]): Buffer {
  const bat = Buffer.alloc(batSize, 0xff)
  let sector = (BAT_OFFSET + batSize) / SECTOR_SIZE
  const sectorsPerBlock = FULL_BLOCK_SIZE / SECTOR_SIZE
  for (const index of allocated) {
    if (index < entries) bat.writeUInt32BE(sector, index * 4)
    sector += sectorsPerBlock
  }
  return bat
}
