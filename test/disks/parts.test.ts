import { randomFillSync } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { ByteReader } from '../../src/disks/byte-reader.js'
import { DirectoryBlockStore } from '../../src/disks/dir-block-store.js'
import {
  BLOCK_SIZE,
  MemoryBlockStore,
  createBlobStore,
  createRawStream,
  createVhdStream,
  createXvaStream,
  importRaw,
  importVhd,
} from '../../src/disks/index.js'
import { collect, T0, UUIDS, withTmpDir } from './helpers.js'

const MiB = 1024 * 1024
const KiB = 1024

/** Fresh chunks of `size` bytes (each its own allocation, like socket reads), copied from `data`. */
async function* fresh(data: Buffer, size = 64 * KiB): AsyncGenerator<Buffer, void, undefined> {
  for (let at = 0; at < data.length; at += size) {
    const chunk = Buffer.allocUnsafeSlow(Math.min(size, data.length - at))
    data.copy(chunk, 0, at)
    yield chunk
  }
}

function random(length: number): Buffer {
  return randomFillSync(Buffer.allocUnsafe(length))
}

describe('zero-copy block parts', () => {
  it('readParts keeps views of large owned chunks and copies small or wasteful pieces together', async () => {
    const data = random(3 * MiB)
    const chunks: Buffer[] = []
    for await (const chunk of fresh(data)) chunks.push(chunk)
    const reader = new ByteReader(chunks)
    const parts = await reader.readParts(2 * MiB + 100, 'test')
    expect(Buffer.concat(parts).equals(data.subarray(0, 2 * MiB + 100))).toBe(true)
    // 32 whole chunks kept as they are; the 100-byte piece of the 33rd is copied
    expect(parts.slice(0, 32).every((part, i) => part.buffer === chunks[i].buffer)).toBe(true)
    expect(parts[32].buffer).not.toBe(chunks[32].buffer)
    expect(reader.position).toBe(2 * MiB + 100)

    // tiny chunks: coalesced into few staging buffers
    const small = new ByteReader(fresh(data, 1000))
    const coalesced = await small.readParts(MiB, 'test')
    expect(Buffer.concat(coalesced).equals(data.subarray(0, MiB))).toBe(true)
    expect(coalesced.length).toBeLessThanOrEqual(4)

    // views of a big shared buffer (< 1/4 of it) are copied, so a block never pins a huge parent
    const shared = new ByteReader((async function* () {
      for (let at = 0; at < data.length; at += 64 * KiB) yield data.subarray(at, at + 64 * KiB)
    })())
    const copied = await shared.readParts(MiB, 'test')
    expect(copied.every(part => part.buffer !== data.buffer)).toBe(true)
    expect(Buffer.concat(copied).equals(data.subarray(0, MiB))).toBe(true)

    // a Buffer source is the caller's: always copied
    const whole = new ByteReader(data)
    expect((await whole.readParts(MiB, 'test')).every(part => part.buffer !== data.buffer)).toBe(true)
    await expect(whole.readParts(3 * MiB, 'the rest')).rejects.toThrow(/while reading the rest/)
  })

  it('memory store: keeps written parts, joins them once on getBlock, drops zero blocks, zeroes past the end', async () => {
    const store = new MemoryBlockStore('m', 5 * MiB)
    const a = random(MiB)
    const b = random(MiB)
    await store.writeParts(0, [a, b])
    const kept = store.getBlockParts(0)
    expect(kept.length === 2 && kept[0] === a && kept[1] === b).toBe(true)
    expect(store.allocatedBlocks()).toEqual([0])
    const target = Buffer.alloc(BLOCK_SIZE)
    store.readBlock(0, target)
    expect(target.equals(Buffer.concat([a, b]))).toBe(true)
    const joined = store.getBlock(0)
    expect(joined.equals(Buffer.concat([a, b]))).toBe(true)
    expect(store.getBlock(0)).toBe(joined)
    expect(store.getBlockParts(0).length === 1 && store.getBlockParts(0)[0] === joined).toBe(true)

    // fewer bytes than a block: the rest reads as zeros
    await store.writeParts(1, [a.subarray(0, 1000)])
    expect(store.getBlock(1).equals(Buffer.concat([a.subarray(0, 1000), Buffer.alloc(BLOCK_SIZE - 1000)]))).toBe(true)

    // all zeros: not stored
    await store.writeParts(1, [Buffer.alloc(MiB), Buffer.alloc(MiB)])
    expect(store.allocatedBlocks()).toEqual([0])

    // last block of a 5 MiB disk: only its first MiB is inside the disk
    await store.writeParts(2, [b, a])
    expect(store.getBlock(2).equals(Buffer.concat([b, Buffer.alloc(MiB)]))).toBe(true)
    await store.writeParts(2, [Buffer.alloc(MiB), a])
    expect(store.allocatedBlocks()).toEqual([0])

    await store.writeParts(2, [b, b])
    await store.resize(4 * MiB + 512)
    expect(store.getBlock(2).equals(Buffer.concat([b.subarray(0, 512), Buffer.alloc(BLOCK_SIZE - 512)]))).toBe(true)

    await expect(store.writeParts(0, [random(BLOCK_SIZE), a])).rejects.toThrow(RangeError)
  })

  it('directory store: writes parts into block files', async () => {
    await withTmpDir(async dir => {
      const store = await DirectoryBlockStore.create('d', join(dir, 'd'), 3 * MiB)
      const a = random(MiB)
      const parts = [a.subarray(0, 3000), a.subarray(3000), random(MiB)]
      await store.writeParts(0, parts)
      const expected = Buffer.concat(parts)
      expect((await readFile(join(dir, 'd', '0.blk'))).equals(expected)).toBe(true)
      expect((await store.getBlock(0)).equals(expected)).toBe(true)
      // last block: 1 MiB inside the disk
      await store.writeParts(1, [random(MiB), a])
      expect((await readFile(join(dir, 'd', '1.blk'))).subarray(MiB).equals(Buffer.alloc(MiB))).toBe(true)
      await store.writeParts(1, [Buffer.alloc(MiB), a])
      expect(store.allocatedBlocks()).toEqual([0])
    })
  })

  it('uploads stored as socket-chunk slices export byte-identically (raw, VHD, XVA)', async () => {
    const size = 9 * MiB + 512
    const data = random(size)
    data.fill(0, 2 * MiB, 4 * MiB) // one zero block
    const blobStore = createBlobStore()
    const { store } = await importRaw(fresh(data, 65_000), { blobStore, id: 'raw', length: size })
    expect(store.allocatedBlocks()).toEqual([0, 2, 3, 4])
    expect((await collect(createRawStream(store))).equals(data)).toBe(true)

    const vhd = await collect(createVhdStream(store, { uuid: UUIDS.disk, timestamp: T0 }))
    const { store: back } = await importVhd(fresh(vhd, 100_000), { blobStore, id: 'vhd', expectedLength: vhd.length })
    expect((await collect(createRawStream(back))).equals(data)).toBe(true)

    const xva = await collect(createXvaStream({
      vm: { uuid: UUIDS.vm, name_label: 'v' },
      disks: [{ content: back, vdi: { uuid: UUIDS.vdi, name_label: 'd' }, vbd: { uuid: UUIDS.vbd, userdevice: 0 } }],
    }))
    expect(xva.includes(data.subarray(MiB, MiB + 4096))).toBe(true)
    // the source's chunks are not modified (no reuse) and the store still reads the same afterwards
    expect((await collect(createRawStream(store))).equals(data)).toBe(true)
  })
})
