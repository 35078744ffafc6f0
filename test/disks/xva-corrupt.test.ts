import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

import { beforeAll, describe, expect, it } from 'vitest'
import { compress as zstdCompress } from 'zstd-napi'

import { DiskFormatError, createBlobStore, createXvaStream, importXva, type BlobStore } from '../../src/disks/index.js'
import { encodeTarHeader } from '../../src/disks/tar.js'
import { chunked, collect, failingAfter, withTmpDir } from './helpers.js'
import { buildTar, chunkEntries, ovaFor, sampleVm } from './xva-fixtures.js'

const MiB = 1024 * 1024
let good: Buffer

beforeAll(async () => {
  good = await collect(createXvaStream(sampleVm()))
})

/** Offset of the tar header of entry `name` in `xva`. */
function entryOffset(xva: Buffer, name: string): number {
  const at = xva.indexOf(Buffer.concat([Buffer.from(name), Buffer.alloc(1)]))
  expect(at % 512).toBe(0)
  return at
}

async function expectRejected(data: Buffer, pattern: RegExp, code: string, blobStore: BlobStore = createBlobStore()): Promise<void> {
  let n = 0
  const promise = importXva(chunked(data, 200_000), { blobStore, storeId: () => `s${n++}` })
  await expect(promise).rejects.toThrow(pattern)
  const error = await promise.catch(e => e)
  expect(error).toBeInstanceOf(DiskFormatError)
  expect(error.code).toBe(code)
  expect(await blobStore.list()).toEqual([])
}

describe('XVA import validation', () => {
  it('rejects a chunk whose data does not match its .xxhash', async () => {
    const bad = Buffer.from(good)
    bad[entryOffset(bad, 'Ref:004/00000008') + 512 + 1000] ^= 0xff
    await expectRejected(bad, /invalid XVA: xxhash mismatch for chunk Ref:004\/00000008 \(archive says [0-9a-f]{16}, data hashes to [0-9a-f]{16}\)/, 'BAD_CHECKSUM')
  })

  it('rejects a truncated archive: mid-chunk, or without its end marker', async () => {
    const half = good.subarray(0, entryOffset(good, 'Ref:004/00000008') + 512 + 4096)
    await expectRejected(half, /unexpected end of input at byte \d+ while reading XVA chunk Ref:004\/00000008/, 'TRUNCATED')
    await expectRejected(good.subarray(0, good.length - 1024), /while reading a tar header \(archive truncated or missing its end marker\)/, 'TRUNCATED')
  })

  it('rejects a disk whose last chunk is missing, or a disk without data', async () => {
    const { xml, ref } = ovaFor(4 * MiB)
    const chunks = await chunkEntries(ref, [{ n: 0, data: Buffer.alloc(MiB, 1) }, { n: 1, data: Buffer.alloc(MiB, 2) }])
    await expectRejected(
      buildTar([{ name: 'ova.xml', data: xml }, ...chunks]),
      new RegExp(`data of ${ref} ends at byte 2097152, before its virtual size 4194304 \\(last chunk missing\\)`),
      'TRUNCATED',
    )
    await expectRejected(buildTar([{ name: 'ova.xml', data: xml }]), new RegExp(`no data for ${ref}`), 'TRUNCATED')
  })

  it('rejects chunks out of order, not starting at 0, or of an unknown VDI', async () => {
    const { xml, ref } = ovaFor(2 * MiB)
    const a = Buffer.alloc(MiB, 1)
    await expectRejected(
      buildTar([{ name: 'ova.xml', data: xml }, ...(await chunkEntries(ref, [{ n: 1, data: a }, { n: 0, data: a }]))]),
      /first chunk of Ref:002 is Ref:002\/00000001/,
      'BAD_XVA',
    )
    await expectRejected(
      buildTar([{ name: 'ova.xml', data: xml }, ...(await chunkEntries(ref, [{ n: 0, data: a }, { n: 0, data: a }]))]),
      /chunk Ref:002\/00000000 is out of order/,
      'BAD_XVA',
    )
    await expectRejected(
      buildTar([{ name: 'ova.xml', data: xml }, ...(await chunkEntries('Ref:999', [{ n: 0, data: a }]))]),
      /data for Ref:999, which is not a VDI of ova.xml/,
      'BAD_XVA',
    )
  })

  it('rejects a chunk without its checksum entry', async () => {
    const { xml, ref } = ovaFor(2 * MiB)
    const entries = await chunkEntries(ref, [{ n: 0, data: Buffer.alloc(MiB, 1) }, { n: 1, data: Buffer.alloc(MiB, 2) }])
    entries.splice(1, 1)
    await expectRejected(buildTar([{ name: 'ova.xml', data: xml }, ...entries]), /chunk Ref:002\/00000000 is not followed by its checksum/, 'BAD_XVA')
  })

  it('rejects a broken tar header, an archive not starting with ova.xml, a broken ova.xml', async () => {
    const bad = Buffer.from(good)
    bad[3] ^= 0x20 // inside the name of the ova.xml entry
    await expectRejected(bad, /invalid tar header at byte 0: checksum \d+ does not match \d+/, 'BAD_TAR')
    const { xml } = ovaFor(MiB)
    await expectRejected(buildTar([{ name: 'other', data: Buffer.from('x') }, { name: 'ova.xml', data: xml }]), /first entry must be ova.xml, found "other"/, 'BAD_XVA')
    await expectRejected(buildTar([{ name: 'ova.xml', data: xml.subarray(0, xml.length - 30) }]), /invalid ova.xml at character \d+/, 'BAD_XML')
    await expectRejected(buildTar([{ name: 'ova.xml', data: Buffer.from('<value><struct></struct></value>') }]), /ova.xml has no version struct/, 'BAD_XVA')
    await expectRejected(Buffer.from('this is not an archive at all'), /unexpected end of input/, 'TRUNCATED')
    const garbage = Buffer.alloc(1024, 0x41)
    await expectRejected(garbage, /invalid tar header at byte 0/, 'BAD_TAR')
    // a header with a valid checksum but a corrupt size field
    const header = encodeTarHeader('ova.xml', 10, 0)
    header.write('9999999999\0', 124, 'latin1')
    let sum = 0
    header.fill(0x20, 148, 156)
    for (const byte of header) sum += byte
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1')
    await expectRejected(Buffer.concat([header, Buffer.alloc(2048)]), /bad size field/, 'BAD_TAR')
  })

  it('rejects truncated or corrupt compressed archives', async () => {
    const zst = Buffer.from(zstdCompress(good))
    await expectRejected(zst.subarray(0, Math.floor(zst.length / 2)), /unexpected end of input|truncated zstd/, 'TRUNCATED')
    // corrupt compressed bytes: caught by zstd itself or by the checks on what comes out of it
    const badZst = Buffer.from(zst)
    badZst.fill(0x55, 100, 400)
    const blobStore = createBlobStore()
    await expect(importXva([badZst], { blobStore, storeId: () => 'x' })).rejects.toBeInstanceOf(DiskFormatError)
    expect(await blobStore.list()).toEqual([])
    const badFrame = Buffer.from(zst)
    badFrame[4] ^= 0xff // frame header descriptor
    await expectRejected(badFrame, /invalid zstd data/, 'BAD_COMPRESSION')
    const gz = gzipSync(good)
    await expectRejected(gz.subarray(0, Math.floor(gz.length / 2)), /unexpected end of (input|file)/, 'TRUNCATED')
    const badGz = Buffer.from(gz)
    badGz.fill(0x55, 50, 60)
    await expectRejected(badGz, /invalid gzip data/, 'BAD_COMPRESSION')
  })
})

describe('aborted XVA uploads leave nothing behind', () => {
  async function check(blobStore: BlobStore): Promise<void> {
    const error = new Error('connection reset')
    let n = 0
    const cut = good.subarray(0, entryOffset(good, 'Ref:004/00000008'))
    await expect(importXva(failingAfter(cut, error), { blobStore, storeId: () => `s${n++}` })).rejects.toBe(error)
    expect(n).toBe(2) // both disks had been started
    const gz = gzipSync(good)
    await expect(importXva(failingAfter(gz.subarray(0, gz.length - 100), error), { blobStore, storeId: () => `s${n++}` })).rejects.toBe(error)
    const controller = new AbortController()
    const aborting = (async function* () {
      for (let at = 0; at < good.length; at += 65536) {
        if (at > 4 * MiB) controller.abort(new Error('stop'))
        yield good.subarray(at, at + 65536)
      }
    })()
    await expect(importXva(aborting, { blobStore, storeId: () => `s${n++}`, signal: controller.signal })).rejects.toThrow('stop')
    expect(await blobStore.list()).toEqual([])
  }

  it('memory backend', async () => {
    await check(createBlobStore())
  })

  it('directory backend', async () => {
    await withTmpDir(async dir => {
      await check(createBlobStore({ dataDir: join(dir, 'blobs') }))
      expect(await readdir(join(dir, 'blobs'))).toEqual([])
    })
  })
})
