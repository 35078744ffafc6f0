import { join } from 'node:path'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'

import { beforeAll, describe, expect, it } from 'vitest'

import { DiskFormatError, SyntheticContent, createBlobStore, createRawStream, createVhdStream, importVhd, type BlobStore } from '../../src/disks/index.js'
import { fixChecksum } from '../../src/disks/vhd-format.js'
import { T0, UUIDS, chunked, collect, failingAfter, requireTool, runOk, toFile, withTmpDir } from './helpers.js'

const MiB = 1024 * 1024
const BAT = 1536
const FULL_BLOCK = 2 * MiB + 512

/** 9 MiB disk, blocks 0, 2 and 4 (partial) allocated: footer, header, BAT (1 sector), 3 blocks, footer. */
const content = new SyntheticContent({ seed: 'corrupt', virtualSize: 9 * MiB, blocks: [0, 2, 4] })
let good: Buffer

beforeAll(async () => {
  good = await collect(createVhdStream(content, { uuid: UUIDS.disk, timestamp: T0 }))
  expect(good.length).toBe(2048 + 3 * FULL_BLOCK + 512)
})

function variant(mutate: (buf: Buffer) => Buffer | void): Buffer {
  const copy = Buffer.from(good)
  return mutate(copy) ?? copy
}

async function expectRejected(
  data: Buffer,
  pattern: RegExp,
  code: string,
  options: { expectedLength?: number | null; expectedVirtualSize?: number } = {},
): Promise<void> {
  {
    const blobStore = createBlobStore()
    const expectedLength = options.expectedLength === null ? undefined : (options.expectedLength ?? data.length)
    const promise = importVhd(chunked(data, 100_000), { blobStore, id: 'upload', expectedLength, expectedVirtualSize: options.expectedVirtualSize })
    await expect(promise).rejects.toThrow(pattern)
    await promise.catch(error => {
      expect(error).toBeInstanceOf(DiskFormatError)
      expect(error.code).toBe(code)
    })
    expect(await blobStore.list()).toEqual([])
  }
}

describe('VHD import validation', () => {
  it('accepts the good stream, with or without an expected length', async () => {
    for (const expectedLength of [good.length, undefined]) {
      const blobStore = createBlobStore()
      const { virtualSize, store } = await importVhd(chunked(good, 777), { blobStore, id: 'ok', expectedLength })
      expect(virtualSize).toBe(9 * MiB)
      expect(store.allocatedBlocks()).toEqual([0, 2, 4])
    }
  })

  it('rejects a bad footer checksum with vhd-lib wording', async () => {
    await expectRejected(
      variant(buf => void (buf[100] ^= 1)),
      /^invalid footer checksum \d+, expected \d+$/,
      'BAD_CHECKSUM',
    )
  })

  it('rejects a bad footer cookie', async () => {
    await expectRejected(
      variant(buf => {
        buf.write('conectiX', 0, 'latin1')
        fixChecksum(buf.subarray(0, 512), 'footer')
      }),
      /invalid footer cookie "conectiX", expected "conectix"/,
      'BAD_COOKIE',
    )
  })

  it('rejects a bad header checksum', async () => {
    await expectRejected(variant(buf => void (buf[512 + 800] ^= 1)), /^invalid header checksum \d+, expected \d+$/, 'BAD_CHECKSUM')
  })

  it('rejects a bad header cookie', async () => {
    await expectRejected(
      variant(buf => {
        buf.write('cxsparsX', 512, 'latin1')
        fixChecksum(buf.subarray(512, 1536), 'header')
      }),
      /invalid header cookie/,
      'BAD_COOKIE',
    )
  })

  it('rejects an unsupported footer version and data offset', async () => {
    const setFooter = (write: (footer: Buffer) => void) =>
      variant(buf => {
        write(buf.subarray(0, 512))
        fixChecksum(buf.subarray(0, 512), 'footer')
        buf.subarray(0, 512).copy(buf, buf.length - 512)
      })
    await expectRejected(setFooter(f => void f.writeUInt32BE(0x00020000, 12)), /unsupported VHD file format version 0x00020000/, 'UNSUPPORTED')
    await expectRejected(setFooter(f => void f.writeBigUInt64BE(1024n, 16)), /invalid footer data offset 1024, expected 512/, 'BAD_FIELD')
    await expectRejected(setFooter(f => void f.writeBigUInt64BE(BigInt(10 * MiB), 40)), /original size .* is larger than current size/, 'BAD_FIELD')
    await expectRejected(setFooter(f => void f.writeUInt32BE(5, 60)), /unsupported VHD disk type 5/, 'UNSUPPORTED')
    await expectRejected(setFooter(f => void f.writeBigUInt64BE(BigInt(9 * MiB + 100), 48)), /not a multiple of 512/, 'BAD_FIELD')
  })

  it('rejects a truncated stream (declared length, or none)', async () => {
    const cut = good.subarray(0, BAT + 512 + FULL_BLOCK + 1000)
    await expectRejected(cut, /unexpected end of input at byte \d+ while reading VHD block 2/, 'TRUNCATED', { expectedLength: good.length })
    await expectRejected(cut, /unexpected end of input .* VHD block 2/, 'TRUNCATED', { expectedLength: null })
    await expectRejected(good.subarray(0, 300), /while reading VHD footer/, 'TRUNCATED', { expectedLength: null })
    await expectRejected(good.subarray(0, good.length - 100), /VHD trailing footer/, 'TRUNCATED', { expectedLength: good.length })
  })

  it('rejects a body whose length differs from the expected length', async () => {
    // longer than announced
    await expectRejected(Buffer.concat([good, Buffer.alloc(512)]), /longer than the expected length/, 'TOO_LONG', { expectedLength: good.length })
    // shorter than announced
    await expectRejected(good, /VHD trailing footer/, 'TRUNCATED', { expectedLength: good.length + 512 })
    // announced length cuts into the blocks
    await expectRejected(good, /block ends past the body/, 'BAD_LAYOUT', { expectedLength: good.length - 1024 })
    // too short for the metadata
    await expectRejected(good.subarray(0, 1024), /too short/, 'SIZE_MISMATCH', { expectedLength: 1024 })
  })

  it('rejects a VHD whose size differs from the target disk', async () => {
    await expectRejected(good, /virtual size 9437184 does not match the disk size 10485760/, 'SIZE_MISMATCH', { expectedVirtualSize: 10 * MiB })
  })

  it('rejects BAT entries out of range or overlapping', async () => {
    const setBat = (index: number, sector: number) => variant(buf => void buf.writeUInt32BE(sector, BAT + index * 4))
    await expectRejected(setBat(2, 1), /BAT entry 2 points to byte 512, before the end of the BAT/, 'BAD_LAYOUT')
    await expectRejected(setBat(2, 100_000), /BAT entry 2 points to byte 51200000, block ends past the body/, 'BAD_LAYOUT')
    const firstBlockSector = (BAT + 512) / 512
    await expectRejected(setBat(2, firstBlockSector + 8), /VHD blocks 0 and 2 overlap/, 'BAD_LAYOUT')
  })

  it('rejects a trailing footer that differs from the first', async () => {
    await expectRejected(variant(buf => void (buf[buf.length - 200] ^= 1)), /footer1 !== footer2/, 'BAD_LAYOUT')
    await expectRejected(variant(buf => void (buf[buf.length - 200] ^= 1)), /footer1 !== footer2/, 'BAD_LAYOUT', { expectedLength: null })
  })

  it('tolerates gaps between blocks and before the BAT', async () => {
    // Move the BAT one sector later and leave a 4 KiB gap before block 2.
    const header = Buffer.from(good.subarray(512, 1536))
    header.writeBigUInt64BE(BigInt(BAT + 512), 16)
    fixChecksum(header, 'header')
    const bat = Buffer.from(good.subarray(BAT, BAT + 512))
    const sectors = [bat.readUInt32BE(0), bat.readUInt32BE(8), bat.readUInt32BE(16)]
    bat.writeUInt32BE(sectors[0] + 1, 0)
    bat.writeUInt32BE(sectors[1] + 1 + 8, 8)
    bat.writeUInt32BE(sectors[2] + 1 + 8, 16)
    const blocks = good.subarray(BAT + 512, good.length - 512)
    const data = Buffer.concat([
      good.subarray(0, 512),
      header,
      Buffer.alloc(512, 0x55),
      bat,
      blocks.subarray(0, FULL_BLOCK),
      Buffer.alloc(4096, 0x66),
      blocks.subarray(FULL_BLOCK),
      Buffer.alloc(1024, 0x77), // padding before the final footer
      good.subarray(good.length - 512),
    ])
    const { store } = await importVhd(chunked(data), { blobStore: createBlobStore(), id: 'gaps', expectedLength: data.length })
    expect(store.allocatedBlocks()).toEqual([0, 2, 4])
    for (const i of [0, 2, 4]) expect((await store.getBlock(i)).equals(content.getBlock(i))).toBe(true)
  })

  it('rejects a fixed VHD: made by qemu-img (raw data at offset 0) or a fixed footer at offset 0', async () => {
    requireTool('qemu-img')
    await withTmpDir(async dir => {
      await toFile(createRawStream(content), join(dir, 'in.raw'))
      await runOk('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed', join(dir, 'in.raw'), join(dir, 'fixed.vhd')])
      const { size } = await stat(join(dir, 'fixed.vhd'))
      const blobStore = createBlobStore()
      await expect(importVhd(createReadStream(join(dir, 'fixed.vhd')), { blobStore, id: 'f', expectedLength: size })).rejects.toThrow(
        /^invalid footer checksum \d+, expected \d+$/,
      )
      expect(await blobStore.list()).toEqual([])
    })
    await expectRejected(
      variant(buf => {
        buf.writeUInt32BE(2, 60)
        buf.writeBigUInt64BE(0xffffffffffffffffn, 16)
        fixChecksum(buf.subarray(0, 512), 'footer')
      }),
      /fixed VHD is not supported/,
      'UNSUPPORTED',
    )
  })
})

describe('aborted VHD uploads leave nothing behind', () => {
  async function check(blobStore: BlobStore): Promise<void> {
    // source errors after the first block
    const error = new Error('client went away')
    await expect(
      importVhd(failingAfter(good.subarray(0, BAT + 512 + FULL_BLOCK + 4096), error), { blobStore, id: 'a1', expectedLength: good.length }),
    ).rejects.toBe(error)
    // signal aborted midway
    const controller = new AbortController()
    let sent = 0
    const slow = (async function* () {
      for (let at = 0; at < good.length; at += 65536) {
        if (at > BAT + FULL_BLOCK) controller.abort(new Error('aborted by caller'))
        sent += 1
        yield good.subarray(at, at + 65536)
      }
    })()
    await expect(importVhd(slow, { blobStore, id: 'a2', expectedLength: good.length, signal: controller.signal })).rejects.toThrow(
      'aborted by caller',
    )
    expect(sent).toBeLessThan(good.length / 65536)
    expect(await blobStore.list()).toEqual([])
  }

  it('memory backend', async () => {
    await check(createBlobStore())
  })

  it('directory backend', async () => {
    await withTmpDir(async dir => {
      const blobStore = createBlobStore({ dataDir: join(dir, 'blobs') })
      await check(blobStore)
      const { readdir } = await import('node:fs/promises')
      expect(await readdir(join(dir, 'blobs'))).toEqual([])
    })
  })
})
