import { join } from 'node:path'
import { readdir } from 'node:fs/promises'

import { describe, expect, it } from 'vitest'

import { DiskFormatError, SyntheticContent, createBlobStore, createRawStream, importRaw } from '../../src/disks/index.js'
import { chunked, collect, contentHash, failingAfter, sha256, withTmpDir } from './helpers.js'

const MiB = 1024 * 1024

describe('raw export / import', () => {
  it('exports exactly virtualSize bytes, with length, and round-trips byte-identically', async () => {
    const content = new SyntheticContent({ seed: 'raw', virtualSize: 21 * MiB + 512, allocation: 0.5 })
    const stream = createRawStream(content)
    expect(stream.length).toBe(content.virtualSize)
    const bytes = await collect(stream)
    expect(bytes.length).toBe(content.virtualSize)
    expect((await sha256(chunked(bytes))).hash).toBe(await contentHash(content))

    for (const dataDir of [undefined, 'dir']) {
      await withTmpDir(async dir => {
        const blobStore = createBlobStore({ dataDir: dataDir === undefined ? undefined : join(dir, dataDir) })
        const { store, virtualSize } = await importRaw(chunked(bytes, 12345), { blobStore, id: 'raw', length: bytes.length })
        expect(virtualSize).toBe(content.virtualSize)
        // zero blocks are not stored
        const nonZero = content.allocatedBlocks().filter(i => content.getBlock(i).some(b => b !== 0))
        expect(store.allocatedBlocks()).toEqual(nonZero)
        expect((await collect(createRawStream(store))).equals(bytes)).toBe(true)
      })
    }
  })

  it('sizes the disk from the length (rounded up to a sector) or from the target disk', async () => {
    const blobStore = createBlobStore()
    const data = Buffer.alloc(1000, 1)
    expect((await importRaw(chunked(data), { blobStore, id: 'a', length: 1000 })).virtualSize).toBe(1024)
    const { store } = await importRaw(chunked(data), { blobStore, id: 'b', length: 1000, virtualSize: 4 * MiB })
    expect(store.virtualSize).toBe(4 * MiB)
    await expect(importRaw(chunked(data), { blobStore, id: 'c', length: 1000, virtualSize: 512 })).rejects.toThrow(/larger than the disk/)
  })

  it('rejects truncated and over-long uploads, leaving nothing behind', async () => {
    const data = Buffer.alloc(5 * MiB, 3)
    const blobStore = createBlobStore()
    const short = importRaw(chunked(data.subarray(0, 3 * MiB)), { blobStore, id: 't', length: data.length })
    await expect(short).rejects.toThrow(/unexpected end of input at byte 3145728 while reading raw disk data \(block 1\)/)
    await expect(short).rejects.toBeInstanceOf(DiskFormatError)
    await expect(importRaw(chunked(data), { blobStore, id: 't', length: data.length - 512 })).rejects.toThrow(/longer than the expected length/)
    expect(await blobStore.list()).toEqual([])
  })

  it('aborted upload leaves nothing (memory and directory)', async () => {
    await withTmpDir(async dir => {
      for (const blobStore of [createBlobStore(), createBlobStore({ dataDir: join(dir, 'b') })]) {
        const error = new Error('socket hang up')
        await expect(importRaw(failingAfter(Buffer.alloc(5 * MiB, 1), error), { blobStore, id: 'x', length: 10 * MiB })).rejects.toBe(error)
        expect(await blobStore.list()).toEqual([])
      }
      expect(await readdir(join(dir, 'b'))).toEqual([])
    })
  })
})
