import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'

import { beforeAll, describe, expect, it } from 'vitest'

import {
  SyntheticContent,
  createBlobStore,
  createRawStream,
  createVhdStream,
  importVhd,
  parseVhdFooter,
  vhdStreamLength,
  type DiskContent,
} from '../../src/disks/index.js'
import { UUIDS, T0, collect, contentHash, runOk, sha256, toFile, withTmpDir } from './helpers.js'
import { requireTool } from './helpers.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

const CASES: { name: string; content: DiskContent; compare: boolean }[] = [
  { name: '10 MiB, 60% allocated', content: new SyntheticContent({ seed: 'ten', virtualSize: 10 * MiB, allocation: 0.6 }), compare: true },
  { name: '1 GiB sparse', content: new SyntheticContent({ seed: 'one-gig', virtualSize: GiB, blockCount: 24 }), compare: true },
  {
    // not a multiple of 2 MiB nor of 1 MiB, and its partial last block is allocated
    name: 'odd size (37 MiB + 3 sectors)',
    content: new SyntheticContent({ seed: 'odd', virtualSize: 37 * MiB + 1536, blocks: [0, 5, 17, 18] }),
    compare: true,
  },
  { name: '2040 GiB nearly empty', content: new SyntheticContent({ seed: 'huge', virtualSize: 2040 * GiB, blockCount: 3 }), compare: false },
]

describe('VHD export', () => {
  beforeAll(() => requireTool('qemu-img'))

  for (const { name, content, compare } of CASES) {
    it(`${name}: qemu-img reads it with the exact size${compare ? ' and the same content as raw' : ''}`, async () => {
      await withTmpDir(async dir => {
        const vhd = join(dir, 'disk.vhd')
        const stream = createVhdStream(content, { uuid: UUIDS.disk, timestamp: T0 })
        expect(stream.length).toBe(vhdStreamLength(content))
        await toFile(stream, vhd)
        expect((await stat(vhd)).size).toBe(stream.length)

        const info = JSON.parse(await runOk('qemu-img', ['info', '-f', 'vpc', '--output=json', vhd]))
        expect(info.format).toBe('vpc')
        expect(info['virtual-size']).toBe(content.virtualSize)

        // qemu's view of the allocation: exactly our allocated blocks hold data
        const map = JSON.parse(await runOk('qemu-img', ['map', '-f', 'vpc', '--output=json', vhd])) as {
          start: number
          length: number
          data: boolean
        }[]
        const dataBlocks = new Set<number>()
        for (const extent of map.filter(e => e.data)) {
          for (let at = extent.start; at < extent.start + extent.length; at += 2 * MiB) dataBlocks.add(Math.floor(at / (2 * MiB)))
        }
        expect([...dataBlocks].sort((a, b) => a - b)).toEqual(content.allocatedBlocks())

        if (compare) {
          const raw = join(dir, 'disk.raw')
          await toFile(createRawStream(content), raw)
          const result = await runOk('qemu-img', ['compare', '-f', 'vpc', '-F', 'raw', vhd, raw])
          expect(result).toContain('Images are identical')
        }

        // both footers parse (checksums re-verified) and are identical
        const handle = await open(vhd, 'r')
        const first = Buffer.alloc(512)
        const last = Buffer.alloc(512)
        await handle.read(first, 0, 512, 0)
        await handle.read(last, 0, 512, stream.length - 512)
        await handle.close()
        expect(first.equals(last)).toBe(true)
        const footer = parseVhdFooter(first)
        expect(footer.currentSize).toBe(content.virtualSize)
        expect(footer.uuid).toBe(UUIDS.disk)
        expect(footer.creatorApplication).toBe('tap\0')
        expect(footer.timestamp).toBe(Math.floor(T0 / 1000) - 946684800)

        // round trip: our parser accepts it (footer/header checksums, BAT, trailing footer), same content
        const blobs = createBlobStore()
        const { store, virtualSize } = await importVhd(createReadStream(vhd), { blobStore: blobs, id: 'rt', expectedLength: stream.length })
        expect(virtualSize).toBe(content.virtualSize)
        expect(store.allocatedBlocks()).toEqual(content.allocatedBlocks())
        const again = await sha256(createVhdStream(store, { uuid: UUIDS.disk, timestamp: T0 }))
        expect(again).toEqual(await sha256(createReadStream(vhd)))
        if (content.virtualSize <= 100 * MiB) expect(await contentHash(store)).toBe(await contentHash(content))
      })
    })
  }

  it('computes the documented sizes (empty 100 GiB disk: 206 848 bytes)', () => {
    expect(vhdStreamLength(new SyntheticContent({ seed: 'x', virtualSize: 100 * GiB, blockCount: 0 }))).toBe(206848)
    expect(vhdStreamLength(new SyntheticContent({ seed: 'x', virtualSize: 2040 * GiB, blockCount: 0 }))).toBe(4179968)
    const ten = new SyntheticContent({ seed: 'x', virtualSize: 10 * MiB, blocks: [0, 2, 4] })
    expect(vhdStreamLength(ten)).toBe(6295552)
  })

  it('is byte-identical to qemu-img convert -O vpc (force_size) except the footer fields qemu fills differently', async () => {
    const content = new SyntheticContent({ seed: 'cross', virtualSize: 10 * MiB, blocks: [0, 2, 4] })
    await withTmpDir(async dir => {
      await toFile(createRawStream(content), join(dir, 'in.raw'))
      await runOk('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', join(dir, 'in.raw'), join(dir, 'q.vhd')])
      const ours = await collect(createVhdStream(content, { uuid: UUIDS.disk, timestamp: T0 }))
      const theirs = await collect(createReadStream(join(dir, 'q.vhd')))
      expect(ours.length).toBe(theirs.length)
      const differing: number[] = []
      for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differing.push(i)
      // only inside the two footers (timestamp, creator, geometry, checksum, uuid)
      expect(differing.every(i => i < 512 || i >= ours.length - 512)).toBe(true)
    })
  })

  it('imports a VHD written by qemu-img (dynamic)', async () => {
    const content = new SyntheticContent({ seed: 'qemu-made', virtualSize: 24 * MiB, allocation: 0.5 })
    await withTmpDir(async dir => {
      await toFile(createRawStream(content), join(dir, 'in.raw'))
      await runOk('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', join(dir, 'in.raw'), join(dir, 'q.vhd')])
      const { size } = await stat(join(dir, 'q.vhd'))
      const { store } = await importVhd(createReadStream(join(dir, 'q.vhd')), { blobStore: createBlobStore(), id: 'q', expectedLength: size })
      expect(await contentHash(store)).toBe(await contentHash(content))
    })
  })
})
