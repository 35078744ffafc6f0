import { BLOCK_SIZE, ZERO_BLOCK, blockCountOf, blockLengthOf } from './constants.js'
import { allocatedIndexes, blockPrefix, fetchBlockParts, type DiskContent } from './content.js'
import { readableFromGenerator, type LengthReadable, type ProducerOptions } from './readable.js'

/**
 * Streams the whole disk as raw bytes (exactly `virtualSize` bytes; unallocated blocks are pushed as
 * views of the shared zero buffer). The stream carries its `length`.
 */
export function createRawStream(content: DiskContent, options?: ProducerOptions): LengthReadable {
  const stream = readableFromGenerator(signal => rawParts(content, signal), options)
  return Object.assign(stream, { length: content.virtualSize })
}

async function* rawParts(content: DiskContent, signal: AbortSignal): AsyncGenerator<Buffer, void, undefined> {
  const size = content.virtualSize
  const count = blockCountOf(size)
  const allocated = allocatedIndexes(content)
  let position = 0
  for (let k = 0; k <= allocated.length; k++) {
    const index = k < allocated.length ? allocated[k] : count
    const zeroEnd = Math.min(index * BLOCK_SIZE, size)
    while (position < zeroEnd) {
      const n = Math.min(BLOCK_SIZE, zeroEnd - position)
      yield n === BLOCK_SIZE ? ZERO_BLOCK : ZERO_BLOCK.subarray(0, n)
      position += n
    }
    if (index >= count) break
    let parts = fetchBlockParts(content, index)
    if (parts instanceof Promise) {
      parts = await parts
      if (signal.aborted) return
    }
    const length = blockLengthOf(size, index)
    for (const part of blockPrefix(parts, length, index)) yield part
    position += length
  }
}
