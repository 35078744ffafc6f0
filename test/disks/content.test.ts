import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { BLOCK_SIZE, EmptyContent, SyntheticContent, createBlobStore, type BlobStore } from '../../src/disks/index.js'
import { isZero } from '../../src/disks/constants.js'
import { contentHash, withTmpDir } from './helpers.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

describe('SyntheticContent', () => {
  it('is deterministic from its seed', async () => {
    const a = new SyntheticContent({ seed: 'vdi-1', virtualSize: 64 * MiB, allocation: 0.5 })
    const b = new SyntheticContent({ seed: 'vdi-1', virtualSize: 64 * MiB, allocation: 0.5 })
    const c = new SyntheticContent({ seed: 'vdi-2', virtualSize: 64 * MiB, allocation: 0.5 })
    expect(a.allocatedBlocks()).toEqual(b.allocatedBlocks())
    expect(await contentHash(a)).toBe(await contentHash(b))
    expect(await contentHash(a)).not.toBe(await contentHash(c))
  })

  it('allocates about the requested ratio, exact counts, or given blocks', () => {
    const ratio = new SyntheticContent({ seed: 's', virtualSize: 2 * GiB, allocation: 0.25 })
    const n = ratio.allocatedBlocks().length
    expect(n).toBeGreaterThan(1024 * 0.2)
    expect(n).toBeLessThan(1024 * 0.3)
    expect(new SyntheticContent({ seed: 's', virtualSize: 2 * GiB, blockCount: 17 }).allocatedBlocks()).toHaveLength(17)
    expect(new SyntheticContent({ seed: 's', virtualSize: 2 * GiB, blockCount: 1000 }).allocatedBlocks()).toHaveLength(1000)
    expect(new SyntheticContent({ seed: 's', virtualSize: 2 * GiB, blocks: [9, 3, 3] }).allocatedBlocks()).toEqual([3, 9])
    expect(new SyntheticContent({ seed: 's', virtualSize: 8 * MiB }).allocatedBlocks()).toEqual([0, 1, 2, 3])
    expect(() => new SyntheticContent({ seed: 's', virtualSize: 1000 })).toThrow(/multiple of 512/)
  })

  it('makes a 2 TiB disk with a few blocks almost free', () => {
    const start = performance.now()
    const content = new SyntheticContent({ seed: 'big', virtualSize: 2040 * GiB, blockCount: 5 })
    expect(content.allocatedBlocks()).toHaveLength(5)
    for (const index of content.allocatedBlocks()) expect(content.getBlock(index)).toHaveLength(BLOCK_SIZE)
    expect(performance.now() - start).toBeLessThan(500)
  })

  it('blocks differ from each other, some have a zero half, unallocated and tail bytes are zero', () => {
    const size = 200 * MiB + 4096
    const content = new SyntheticContent({ seed: 'mix', virtualSize: size })
    const blocks = content.allocatedBlocks()
    const hashes = new Set(blocks.map(i => content.getBlock(i).subarray(0, 64).toString('hex')))
    // one in four blocks is a half-data block (two fixed variants), the others are distinct windows
    expect(hashes.size).toBeGreaterThan(blocks.length * 0.6)
    const halves = blocks.filter(i => isZero(content.getBlock(i).subarray(0, MiB)) || isZero(content.getBlock(i).subarray(MiB)))
    expect(halves.length).toBeGreaterThan(0)
    const last = content.getBlock(blocks.at(-1) as number)
    expect(isZero(last.subarray(4096))).toBe(true)
    const sparse = new SyntheticContent({ seed: 'mix', virtualSize: size, blocks: [1] })
    expect(isZero(sparse.getBlock(0))).toBe(true)
    const target = Buffer.alloc(BLOCK_SIZE, 7)
    sparse.readBlock(0, target)
    expect(isZero(target)).toBe(true)
  })
})

async function exerciseStore(blobs: BlobStore): Promise<void> {
  const store = await blobs.create('vdi-a', 5 * MiB)
  await expect(blobs.create('vdi-a', MiB)).rejects.toThrow(/already exists/)
  expect(store.allocatedBlocks()).toEqual([])

  const data = Buffer.alloc(BLOCK_SIZE, 0xab)
  await store.writeBlock(1, data)
  const zero = Buffer.alloc(BLOCK_SIZE)
  expect(await store.writeBlock(0, zero)).toBe(false)
  const last = Buffer.alloc(BLOCK_SIZE, 0xcd)
  await store.writeBlock(2, last)
  expect(store.allocatedBlocks()).toEqual([1, 2])
  const read = Buffer.alloc(BLOCK_SIZE)
  await store.readBlock(2, read)
  expect(read.subarray(0, MiB).every(b => b === 0xcd)).toBe(true)
  expect(isZero(read.subarray(MiB))).toBe(true) // past the 5 MiB end
  expect((await store.getBlock(1)).equals(Buffer.alloc(BLOCK_SIZE, 0xab))).toBe(true)
  await store.writeBlock(1, Buffer.alloc(BLOCK_SIZE))
  expect(store.allocatedBlocks()).toEqual([2])

  await store.writeBlock(1, Buffer.alloc(BLOCK_SIZE, 1))
  await store.resize(3 * MiB)
  expect(store.allocatedBlocks()).toEqual([1])
  await store.readBlock(1, read)
  expect(read.subarray(0, MiB).every(b => b === 1)).toBe(true)
  expect(isZero(read.subarray(MiB))).toBe(true)

  const moved = await blobs.replace('vdi-a', 'vdi-b')
  expect(moved.id).toBe('vdi-b')
  expect(moved.virtualSize).toBe(3 * MiB)
  expect(moved.allocatedBlocks()).toEqual([1])
  expect(await blobs.list()).toEqual(['vdi-b'])
  await blobs.create('weird/id ü', MiB)
  expect(await blobs.list()).toEqual(['vdi-b', 'weird/id ü'])
  expect(await blobs.delete('vdi-b')).toBe(true)
  expect(await blobs.delete('vdi-b')).toBe(false)
  expect(await blobs.open('vdi-b')).toBeUndefined()
}

describe('block stores', () => {
  it('memory backend', async () => {
    await exerciseStore(createBlobStore())
  })

  it('directory backend, persisted across BlobStore instances', async () => {
    await withTmpDir(async dir => {
      const dataDir = join(dir, 'blobs')
      await exerciseStore(createBlobStore({ dataDir }))
      const first = createBlobStore({ dataDir })
      const store = await first.create('persist', 7 * MiB)
      await store.writeBlock(3, Buffer.alloc(BLOCK_SIZE, 9))
      const files = await readdir(join(dataDir, 'persist'))
      expect(files.sort()).toEqual(['3.blk', 'disk.json'])
      const reopened = await createBlobStore({ dataDir }).open('persist')
      expect(reopened?.virtualSize).toBe(7 * MiB)
      expect(reopened?.allocatedBlocks()).toEqual([3])
      const block = await reopened!.getBlock(3)
      expect(block.subarray(0, MiB).every(b => b === 9)).toBe(true)
      expect(isZero(block.subarray(MiB))).toBe(true)
    })
  })

  it('two blob stores never share state', async () => {
    const a = createBlobStore()
    const b = createBlobStore()
    await a.create('x', MiB)
    expect(await b.list()).toEqual([])
  })

  it('EmptyContent reads zeros', () => {
    const empty = new EmptyContent(10 * MiB)
    expect(empty.allocatedBlocks()).toEqual([])
    expect(isZero(empty.getBlock())).toBe(true)
  })
})
