/**
 * Whole-stream compression of XVA (formats.md §2.4): detection by magic bytes, pull-based
 * decompressors (never expanding more than one output buffer ahead of the reader, so a tiny
 * compressed upload of a huge zero disk cannot blow up memory), and compressor streams.
 */
import type { Transform } from 'node:stream'
import { createGunzip, createGzip } from 'node:zlib'

import { CompressStream } from 'zstd-napi'
import zstdBinding from 'zstd-napi/binding.js'

import { DiskFormatError } from './errors.js'

export type Compression = 'none' | 'gzip' | 'zstd'

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b])
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd])

export function detectCompression(head: Buffer): Compression {
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip'
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd'
  return 'none'
}

/**
 * A compressor Transform: zstd (zstd-napi, default level 3, with the content checksum the zstd CLI
 * that XAPI pipes through writes by default) or gzip (zlib, default level 1).
 */
export function createCompressor(kind: 'zstd' | 'gzip', level?: number): Transform {
  // one zstd worker thread: compression runs beside the tar/xxhash work of the main thread; it takes
  // one job of input ahead of the consumer (bounded: a few MiB), see test/disks/streaming.test.ts
  if (kind === 'zstd') return new CompressStream({ compressionLevel: level ?? 3, checksumFlag: true, nbWorkers: 1 })
  return createGzip({ level: level ?? 1 })
}

export function decompress(source: AsyncIterable<Buffer>, kind: Compression): AsyncIterable<Buffer> {
  if (kind === 'zstd') return zstdChunks(source)
  if (kind === 'gzip') return gunzipChunks(source)
  return source
}

/**
 * zstd decompression with zstd-napi's native context. Yields views of one reused output buffer:
 * consumers must copy what they keep before asking for the next chunk (ByteReader does).
 */
async function* zstdChunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  const context = new zstdBinding.DCtx()
  const output = Buffer.allocUnsafe(Math.max(zstdBinding.dStreamOutSize(), 256 * 1024))
  let inFrame = false
  let seen = false
  for await (const chunk of source) {
    let input = chunk
    seen ||= input.length > 0
    for (;;) {
      let result: [number, number, number]
      try {
        result = context.decompressStream(output, input)
      } catch (error) {
        throw new DiskFormatError('BAD_COMPRESSION', `invalid zstd data: ${(error as Error).message}`, { cause: error })
      }
      const [remaining, produced, consumed] = result
      input = input.subarray(consumed)
      if (produced > 0) yield output.subarray(0, produced)
      if (input.length === 0 && (produced < output.length || remaining === 0)) {
        inFrame = remaining !== 0
        break
      }
    }
  }
  if (inFrame || !seen) throw new DiskFormatError('TRUNCATED', 'truncated zstd stream: input ended inside a frame')
}

function isZlibError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' && code.startsWith('Z_')
}

function waitWritable(stream: Transform): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
}

/** gzip decompression through zlib, fed with backpressure and read on demand. */
async function* gunzipChunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  const gunzip = createGunzip()
  const input = source[Symbol.asyncIterator]()
  let stopped = false
  const feeding = (async () => {
    try {
      for (;;) {
        const result = await input.next()
        if (stopped) return
        if (result.done === true) {
          gunzip.end()
          return
        }
        if (!gunzip.write(result.value)) await waitWritable(gunzip)
        if (stopped) return
      }
    } catch (error) {
      gunzip.destroy(error as Error)
    }
  })()
  try {
    for await (const chunk of gunzip) yield chunk as Buffer
  } catch (error) {
    if (isZlibError(error)) {
      const message = (error as Error).message
      const code = message === 'unexpected end of file' ? 'TRUNCATED' : 'BAD_COMPRESSION'
      throw new DiskFormatError(code, `invalid gzip data: ${message}`, { cause: error })
    }
    throw error
  } finally {
    stopped = true
    gunzip.destroy()
    void feeding.finally(() => input.return?.())
  }
}
