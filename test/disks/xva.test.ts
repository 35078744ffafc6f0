import { createReadStream } from 'node:fs'
import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { beforeAll, describe, expect, it } from 'vitest'

import {
  SyntheticContent,
  createBlobStore,
  createRawStream,
  createXvaStream,
  importXva,
  type DiskContent,
  type XvaObject,
  type XvaVm,
} from '../../src/disks/index.js'
import { isZero } from '../../src/disks/constants.js'
import { parseXmlRpc, type XmlRpcStruct } from '../../src/disks/xmlrpc.js'
import { T0, collect, contentHash, requireTool, runOk, sha256, toFile, withTmpDir } from './helpers.js'
import { buildTar, chunkEntries, ovaFor, sampleVm } from './xva-fixtures.js'

const MiB = 1024 * 1024

/** The chunk entries a disk must produce: non-zero 1 MiB chunks, plus the first and the last. */
async function expectedChunks(ref: string, content: DiskContent): Promise<string[]> {
  const raw = await collect(createRawStream(content))
  const count = Math.ceil(raw.length / MiB)
  const names: string[] = []
  for (let n = 0; n < count; n++) {
    if (n === 0 || n === count - 1 || !isZero(raw.subarray(n * MiB, (n + 1) * MiB))) {
      const name = `${ref}/${String(n).padStart(8, '0')}`
      names.push(name, `${name}.xxhash`)
    }
  }
  return names
}

function storeStruct(ova: XmlRpcStruct): XvaObject[] {
  return (ova.objects as XmlRpcStruct[]).map(o => ({ class: o.class as string, id: o.id as string, snapshot: o.snapshot as XmlRpcStruct }))
}

describe('XVA export', () => {
  const vm = sampleVm()
  beforeAll(() => {
    for (const tool of ['tar', 'xxhsum', 'zstd', 'gzip']) requireTool(tool)
  })

  it('is a ustar archive: ova.xml first, chunks with matching xxhsum, end marker', async () => {
    await withTmpDir(async dir => {
      const file = join(dir, 'vm.xva')
      await toFile(createXvaStream(vm, { timestamp: T0 }), file)

      const listing = (await runOk('tar', ['-tvf', file])).trim().split('\n')
      expect(listing[0]).toMatch(/^-rw-r--r-- 0\/0 +\d+ 2026-01-02 \d\d:\d\d ova\.xml$/)
      const names = (await runOk('tar', ['-tf', file])).trim().split('\n')
      const ova = parseXmlRpc(await runOk('tar', ['-xOf', file, 'ova.xml'])) as XmlRpcStruct
      const objects = storeStruct(ova)
      const vdiRefs = objects.filter(o => o.class === 'VDI').map(o => o.id)
      expect(vdiRefs).toEqual(['Ref:002', 'Ref:004'])
      expect(names).toEqual([
        'ova.xml',
        ...(await expectedChunks('Ref:002', vm.disks[0].content)),
        ...(await expectedChunks('Ref:004', vm.disks[1].content)),
      ])

      const data = await readFile(file)
      expect(data.length % 512).toBe(0)
      expect(isZero(data.subarray(data.length - 1024))).toBe(true)
      expect(data.toString('latin1', 257, 265)).toBe('ustar\x0000') // POSIX ustar, like XO's tar-stream

      const out = join(dir, 'x')
      await runOk('mkdir', [out])
      await runOk('tar', ['-xf', file, '-C', out])
      const chunkFiles = names.filter(n => /\/\d{8}$/.test(n))
      const sums = (await runOk('xxhsum', ['-H1', ...chunkFiles], { cwd: out })).trim().split('\n')
      expect(sums).toHaveLength(chunkFiles.length)
      for (const line of sums) {
        const [hash, name] = line.split(/\s+/)
        const stated = await readFile(join(out, `${name}.xxhash`), 'latin1')
        expect(stated).toMatch(/^[0-9A-F]{16}$/)
        expect(stated.toLowerCase()).toBe(hash)
      }

      // Rebuild each disk from the extracted chunks (XAPI's placement rule) and compare.
      for (const [index, ref] of vdiRefs.entries()) {
        const content = vm.disks[index].content
        const raw = Buffer.alloc(content.virtualSize)
        for (const name of await readdir(join(out, ref))) {
          if (!/^\d{8}$/.test(name)) continue
          const chunk = await readFile(join(out, ref, name))
          chunk.copy(raw, Number(name) * MiB)
        }
        const last = (await readdir(join(out, ref))).filter(n => /^\d{8}$/.test(n)).sort().at(-1) as string
        expect((await stat(join(out, ref, last))).size).toBe(content.virtualSize - Number(last) * MiB)
        expect((await sha256([raw])).hash).toBe(await contentHash(content))
      }

      // ova.xml records
      const vmRecord = objects.find(o => o.class === 'VM')?.snapshot as XmlRpcStruct
      expect(vmRecord.name_label).toBe('web & db <prod>')
      expect(vmRecord.name_description).toBe('it\'s "quoted"')
      expect(vmRecord.memory_static_max).toBe(String(2 * 1024 ** 3))
      expect(vmRecord.VBDs).toEqual(['Ref:003', 'Ref:005'])
      expect(vmRecord.VIFs).toEqual(['Ref:007'])
      const vdi = objects.find(o => o.id === 'Ref:002')?.snapshot as XmlRpcStruct
      expect(vdi).toMatchObject({ uuid: vm.disks[0].vdi.uuid, virtual_size: String(9 * MiB + 1536), SR: 'Ref:001', VBDs: ['Ref:003'] })
      expect((ova.version as XmlRpcStruct).export_vsn).toBe('2')
      expect((ova.version as XmlRpcStruct).date).toBe('2026-01-02')
    })
  })

  it('zstd: the whole tar compressed, valid for zstd -t, same bytes once decompressed', async () => {
    await withTmpDir(async dir => {
      await toFile(createXvaStream(vm, { timestamp: T0 }), join(dir, 'plain.xva'))
      await toFile(createXvaStream(vm, { timestamp: T0, compress: 'zstd' }), join(dir, 'vm.xva'))
      const head = (await readFile(join(dir, 'vm.xva'))).subarray(0, 4)
      expect(head.toString('hex')).toBe('28b52ffd')
      await runOk('zstd', ['-q', '-t', join(dir, 'vm.xva')])
      await runOk('zstd', ['-q', '-d', '-c', join(dir, 'vm.xva'), '-o', join(dir, 'unz.xva')])
      expect((await sha256(createReadStream(join(dir, 'unz.xva')))).hash).toBe((await sha256(createReadStream(join(dir, 'plain.xva')))).hash)
      const names = (await runOk('tar', ['--zstd', '-tf', join(dir, 'vm.xva')])).trim().split('\n')
      expect(names[0]).toBe('ova.xml')
    })
  })

  it('gzip: valid for gzip -t, same bytes once decompressed', async () => {
    await withTmpDir(async dir => {
      await toFile(createXvaStream(vm, { timestamp: T0 }), join(dir, 'plain.xva'))
      await toFile(createXvaStream(vm, { timestamp: T0, compress: 'gzip' }), join(dir, 'vm.xva'))
      await runOk('gzip', ['-t', join(dir, 'vm.xva')])
      const unz = await runOk('sh', ['-c', `gzip -dc '${join(dir, 'vm.xva')}' | sha256sum`])
      expect(unz.split(' ')[0]).toBe((await sha256(createReadStream(join(dir, 'plain.xva')))).hash)
    })
  })

  it('a disk of one chunk, an empty disk and a 2 TiB nearly empty disk', async () => {
    const small: XvaVm = {
      vm: { uuid: vm.vm.uuid, name_label: 'tiny' },
      disks: [
        { content: new SyntheticContent({ seed: 'one', virtualSize: 4096 }), vdi: { uuid: vm.disks[0].vdi.uuid, name_label: 'a' }, vbd: { uuid: vm.disks[0].vbd.uuid, userdevice: 0 } },
        { content: new SyntheticContent({ seed: 'z', virtualSize: 3 * MiB, blockCount: 0 }), vdi: { uuid: vm.disks[1].vdi.uuid, name_label: 'b' }, vbd: { uuid: vm.disks[1].vbd.uuid, userdevice: 1 } },
        {
          content: new SyntheticContent({ seed: 'huge', virtualSize: 2048 * 1024 * MiB, blocks: [7] }),
          vdi: { uuid: '11111111-2222-3333-4444-555555555555', name_label: 'c' },
          vbd: { uuid: '11111111-2222-3333-4444-555555555556', userdevice: 2 },
        },
      ],
    }
    await withTmpDir(async dir => {
      const file = join(dir, 'small.xva')
      await toFile(createXvaStream(small), file)
      const names = (await runOk('tar', ['-tf', file])).trim().split('\n').filter(n => !n.endsWith('.xxhash'))
      const last = String(2048 * 1024 - 1).padStart(8, '0')
      expect(names.slice(0, 4)).toEqual(['ova.xml', 'Ref:002/00000000', 'Ref:004/00000000', 'Ref:004/00000002'])
      expect(names[4]).toBe('Ref:006/00000000')
      expect(names.at(-1)).toBe(`Ref:006/${last}`)
      const block7 = small.disks[2].content.getBlock!(7) as Buffer
      const hugeData = ['00000014', '00000015'].filter((_n, half) => !isZero(block7.subarray(half * MiB, (half + 1) * MiB)))
      expect(hugeData.length).toBeGreaterThan(0)
      expect(names.slice(5, -1)).toEqual(hugeData.map(n => `Ref:006/${n}`))
      const { size } = await stat(file)
      expect(size).toBeLessThan(8 * MiB)
      const blobStore = createBlobStore()
      let n = 0
      const imported = await importXva(createReadStream(file), { blobStore, storeId: () => `s${n++}` })
      expect(imported.disks.map(d => d.virtualSize)).toEqual([4096, 3 * MiB, 2048 * 1024 * MiB])
      expect(imported.disks[1].store.allocatedBlocks()).toEqual([])
      expect(imported.disks[2].store.allocatedBlocks()).toEqual([7])
      expect(await contentHash(imported.disks[0].store)).toBe(await contentHash(small.disks[0].content))
    })
  })
})

describe('XVA import', () => {
  const vm = sampleVm()

  for (const compress of [false, 'gzip', 'zstd'] as const) {
    it(`round-trips export → import → export (${compress || 'plain'})`, async () => {
      await withTmpDir(async dir => {
        const file = join(dir, 'vm.xva')
        await toFile(createXvaStream(vm, { timestamp: T0, compress }), file)
        for (const dataDir of [undefined, join(dir, 'blobs')]) {
          const blobStore = createBlobStore({ dataDir })
          const imported = await importXva(createReadStream(file, { highWaterMark: 100_000 }), {
            blobStore,
            storeId: (vdi, index) => `${vdi.snapshot.uuid as string}-${index}`,
          })
          expect(imported.compression).toBe(compress || 'none')
          expect(imported.vm.snapshot.name_label).toBe('web & db <prod>')
          expect(imported.vdis.map(v => v.snapshot.uuid)).toEqual([vm.disks[0].vdi.uuid, vm.disks[1].vdi.uuid])
          expect(imported.vifs[0].snapshot.MAC).toBe('12:34:56:78:9a:bc')
          expect(imported.networks[0].snapshot.bridge).toBe('xenbr0')
          expect(imported.disks.map(d => d.vbds.map(v => v.id))).toEqual([['Ref:003'], ['Ref:005']])
          expect(await blobStore.list()).toEqual([`${vm.disks[0].vdi.uuid}-0`, `${vm.disks[1].vdi.uuid}-1`])
          for (const [i, disk] of imported.disks.entries()) {
            expect(disk.virtualSize).toBe(vm.disks[i].content.virtualSize)
            expect(await contentHash(disk.store)).toBe(await contentHash(vm.disks[i].content))
          }
          // export again from the imported data: the same archive, byte for byte, but for ova.xml's
          // physical_utilisation (the import did not keep blocks that are all zeros)
          const again: XvaVm = { ...vm, disks: vm.disks.map((d, i) => ({ ...d, content: imported.disks[i].store })) }
          const first = await collect(createXvaStream(vm, { timestamp: T0 }))
          const second = await collect(createXvaStream(again, { timestamp: T0 }))
          const ovaEnd = (xva: Buffer) => 512 + Math.ceil(parseInt(xva.toString('latin1', 124, 135), 8) / 512) * 512
          expect(second.subarray(ovaEnd(second)).equals(first.subarray(ovaEnd(first)))).toBe(true)
        }
      })
    })
  }

  it('reads archives re-packed by GNU tar in V7 (XAPI) and GNU formats', async () => {
    requireTool('tar')
    await withTmpDir(async dir => {
      const file = join(dir, 'vm.xva')
      await toFile(createXvaStream(vm, { timestamp: T0 }), file)
      const out = join(dir, 'x')
      await runOk('mkdir', [out])
      await runOk('tar', ['-xf', file, '-C', out])
      const names = (await runOk('tar', ['-tf', file])).trim().split('\n')
      for (const format of ['v7', 'gnu', 'pax']) {
        const repacked = join(dir, `${format}.xva`)
        await runOk('tar', [`--format=${format}`, '-cf', repacked, '-C', out, '--no-recursion', ...names])
        const imported = await importXva(createReadStream(repacked), { blobStore: createBlobStore(), storeId: (_v, i) => `d${i}` })
        for (const [i, disk] of imported.disks.entries()) expect(await contentHash(disk.store)).toBe(await contentHash(vm.disks[i].content))
      }
    })
  })

  it('follows XAPI: legacy SHA-1 .checksum, gaps as first-chunk lengths, zero-length keep-alive chunks', async () => {
    const size = 6 * MiB
    const { xml, ref } = ovaFor(size)
    const a = Buffer.alloc(MiB, 0xa1)
    const b = Buffer.alloc(MiB, 0xb2)
    const c = Buffer.alloc(MiB, 0xc3)
    const entries = [
      { name: 'ova.xml', data: xml },
      ...(await chunkEntries(
        ref,
        [
          { n: 0, data: a }, // [0, 1 MiB)
          { n: 2, data: b }, // gap of one chunk → [2, 3 MiB)
          { n: 3, data: Buffer.alloc(0) }, // keep-alive: no data, numbering shifts by one
          { n: 5, data: c }, // gap of one chunk after the keep-alive → [4, 5 MiB)
          { n: 6, data: Buffer.alloc(MiB) }, // last chunk → [5, 6 MiB)
        ],
        'checksum',
      )),
    ]
    const imported = await importXva([buildTar(entries)], { blobStore: createBlobStore(), storeId: () => 'hand' })
    const raw = await collect(createRawStream(imported.disks[0].store))
    expect(raw.length).toBe(size)
    expect(raw.subarray(0, MiB).equals(a)).toBe(true)
    expect(isZero(raw.subarray(MiB, 2 * MiB))).toBe(true)
    expect(raw.subarray(2 * MiB, 3 * MiB).equals(b)).toBe(true)
    expect(isZero(raw.subarray(3 * MiB, 4 * MiB))).toBe(true)
    expect(raw.subarray(4 * MiB, 5 * MiB).equals(c)).toBe(true)
    expect(isZero(raw.subarray(5 * MiB))).toBe(true)
  })

  it('accepts a last chunk padded past the virtual size (XO writer style) and ignores unknown entries', async () => {
    const { xml, ref } = ovaFor(MiB + 4096)
    const entries = [
      { name: 'ova.xml', data: xml },
      { name: 'README', data: Buffer.from('hello') },
      ...(await chunkEntries(ref, [
        { n: 0, data: Buffer.alloc(MiB, 1) },
        { n: 1, data: Buffer.alloc(MiB, 2) },
      ])),
    ]
    const imported = await importXva([buildTar(entries)], { blobStore: createBlobStore(), storeId: () => 'x' })
    const raw = await collect(createRawStream(imported.disks[0].store))
    expect(raw.length).toBe(MiB + 4096)
    expect(raw.subarray(0, MiB).every(b => b === 1)).toBe(true)
    expect(raw.subarray(MiB).every(b => b === 2)).toBe(true)
  })

  it('writes through the directory backend', async () => {
    await withTmpDir(async dir => {
      const file = join(dir, 'vm.xva')
      await toFile(createXvaStream(vm, { compress: 'zstd' }), file)
      const blobStore = createBlobStore({ dataDir: join(dir, 'blobs') })
      await importXva(createReadStream(file), { blobStore, storeId: (_v, i) => `vdi-${i}` })
      const reopened = await createBlobStore({ dataDir: join(dir, 'blobs') }).open('vdi-1')
      expect(await contentHash(reopened!)).toBe(await contentHash(vm.disks[1].content))
      await writeFile(join(dir, 'done'), '')
    })
  })
})
