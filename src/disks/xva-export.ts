import { pipeline, type Readable } from 'node:stream'

import { XVA_CHUNK_SIZE, ZERO_BLOCK, isZero } from './constants.js'
import { allocatedIndexes, fetchBlock, type DiskContent } from './content.js'
import { createCompressor } from './compression.js'
import { buildOvaXml } from './ova-xml.js'
import { readableFromGenerator } from './readable.js'
import { TAR_BLOCK, TAR_END, encodeTarHeader, tarPadding } from './tar.js'
import { ZERO_CHUNK_XXH64, loadXxhash, xxh64Hex } from './xxhash.js'
import type { XvaExportOptions, XvaVm } from './xva-types.js'

/**
 * Streams a VM as an XVA (formats.md §2): a ustar archive with ova.xml first, then for each disk (in
 * VDI ref order) its 1 MiB chunks `Ref:NNN/%08d`, each followed by `.xxhash` (XXH64, 16 upper-case hex
 * digits). All-zero chunks are skipped except the first and the last, which is the real remaining
 * length (XAPI's behaviour; VDI.virtual_size is exact). With `compress`, the whole archive goes
 * through zstd or gzip. No length is known up front (XO and XAPI answer chunked too).
 */
export function createXvaStream(vm: XvaVm, options: XvaExportOptions = {}): Readable {
  const { xml, disks } = buildOvaXml(vm, options)
  const mtime = Math.floor((options.timestamp ?? 0) / 1000)
  const tar = readableFromGenerator(signal => xvaParts(xml, disks, mtime, signal), options)
  if (options.compress === undefined || options.compress === false) return tar
  const compressor = createCompressor(options.compress, options.compressionLevel)
  // pipeline propagates errors and destruction both ways, but only from the next tick on; destroying
  // the tar generator synchronously with the compressor stops block reads at once.
  const destroyCompressor = compressor._destroy.bind(compressor)
  compressor._destroy = (error, callback) => {
    tar.destroy()
    destroyCompressor(error, callback)
  }
  return pipeline(tar, compressor, () => {})
}

async function* xvaParts(
  xml: Buffer,
  disks: { ref: string; content: DiskContent }[],
  mtime: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer, void, undefined> {
  yield encodeTarHeader('ova.xml', xml.length, mtime)
  yield xml
  yield tarPadding(xml.length)
  const hasher = await loadXxhash()
  if (signal.aborted) return

  for (const { ref, content } of disks) {
    const size = content.virtualSize
    const chunkCount = Math.ceil(size / XVA_CHUNK_SIZE)
    if (chunkCount === 0) continue
    const lastChunk = chunkCount - 1
    const allocated = allocatedIndexes(content)

    /** Emits chunk `n` (data: a view of an immutable buffer) unless it is a skippable zero chunk. */
    const chunkParts = function* (n: number, data: Buffer, knownZero: boolean): Generator<Buffer, void, undefined> {
      const zero = knownZero || isZero(data)
      if (zero && n !== 0 && n !== lastChunk) return
      const name = `${ref}/${String(n).padStart(8, '0')}`
      yield encodeTarHeader(name, data.length, mtime)
      yield data
      yield tarPadding(data.length)
      const hash = zero && data.length === XVA_CHUNK_SIZE ? ZERO_CHUNK_XXH64 : xxh64Hex(hasher, data)
      const entry = Buffer.alloc(2 * TAR_BLOCK)
      encodeTarHeader(`${name}.xxhash`, hash.length, mtime, entry)
      entry.write(hash, TAR_BLOCK, 'latin1')
      yield entry
    }
    const chunkLength = (n: number): number => Math.min(XVA_CHUNK_SIZE, size - n * XVA_CHUNK_SIZE)

    let next = 0 // first chunk not yet emitted
    for (const block of allocated) {
      const first = block * 2
      if (next === 0 && first > 0) {
        yield* chunkParts(0, ZERO_BLOCK.subarray(0, chunkLength(0)), true)
        next = 1
      }
      let data = fetchBlock(content, block)
      if (data instanceof Promise) {
        data = await data
        if (signal.aborted) return
      }
      for (let n = first; n < first + 2 && n < chunkCount; n++) {
        const offset = (n - first) * XVA_CHUNK_SIZE
        yield* chunkParts(n, data.subarray(offset, offset + chunkLength(n)), false)
      }
      next = Math.min(first + 2, chunkCount)
    }
    if (next === 0) {
      yield* chunkParts(0, ZERO_BLOCK.subarray(0, chunkLength(0)), true)
      next = 1
    }
    if (next <= lastChunk) yield* chunkParts(lastChunk, ZERO_BLOCK.subarray(0, chunkLength(lastChunk)), true)
  }
  yield TAR_END
}
