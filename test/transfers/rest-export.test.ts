import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Change } from '../../src/index.js'
import {
  abortedDownload,
  download,
  eventually,
  qemuCompare,
  qemuInfo,
  run,
  send,
  startTransferMock,
  tempDir,
  TEMPLATE,
  VDI1,
  VDI1_SIZE,
  VDI2,
  VDI2_SIZE,
  VDI_BIG,
  VDI_BIG_SIZE,
  VDI_EMPTY,
  VDI_SNAPSHOT,
  VM,
  VM_RUNNING,
  VM_SNAPSHOT,
  type TransferMock,
} from './helpers.js'

let mock: TransferMock
let dir: Awaited<ReturnType<typeof tempDir>>

beforeAll(async () => {
  mock = await startTransferMock()
  dir = await tempDir()
})
afterAll(async () => {
  await mock.close()
  await dir.remove()
})

/** `{"error": …}` bodies are XO's pretty-printed JSON. */
function expectJsonBody(reply: { text(): string; headers: Record<string, unknown> }, expected: unknown): void {
  expect(reply.headers['content-type']).toBe('application/json; charset=utf-8')
  expect(reply.text()).toBe(JSON.stringify(expected, null, 2))
}

describe('VDI export', () => {
  it('serves a dynamic VHD, chunked, that qemu-img reads at the exact size', async () => {
    const vhd = await download(mock, `/rest/v0/vdis/${VDI1}.vhd`, dir.file('vdi1.vhd'))
    expect(vhd.status).toBe(200)
    expect(vhd.headers['content-type']).toBe('application/octet-stream')
    expect(vhd.headers['content-disposition']).toBe(`attachment; filename=${VDI1}.vhd`)
    expect(vhd.headers['content-length']).toBeUndefined()
    expect(vhd.headers['transfer-encoding']).toBe('chunked')
    const info = await qemuInfo(vhd.file)
    expect(info.format).toBe('vpc')
    expect(info['virtual-size']).toBe(VDI1_SIZE)
    // 'xo-mock:allocation' 0.5: about half of the 32 blocks hold data
    const blocks = ((await stat(vhd.file)).size - 512 * 3 - 1024) / (2 * 1024 * 1024 + 512)
    expect(Math.floor(blocks)).toBeGreaterThan(8)
    expect(Math.floor(blocks)).toBeLessThan(24)
  })

  it('serves raw bytes with a Content-Length, identical to the VHD content', async () => {
    const raw = await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('vdi1.raw'))
    expect(raw.status).toBe(200)
    expect(raw.headers['content-type']).toBe('application/octet-stream')
    expect(raw.headers['content-disposition']).toBe(`attachment; filename=${VDI1}.raw`)
    expect(raw.headers['content-length']).toBe(String(VDI1_SIZE))
    expect((await stat(raw.file)).size).toBe(VDI1_SIZE)
    await download(mock, `/rest/v0/vdis/${VDI1}.vhd`, dir.file('vdi1-again.vhd'))
    await qemuCompare(dir.file('vdi1-again.vhd'), 'vpc', raw.file, 'raw')
  })

  it('is deterministic: the same fixture gives the same bytes on another server', async () => {
    const other = await startTransferMock()
    try {
      await download(other, `/rest/v0/vdis/${VDI1}.raw`, dir.file('vdi1-other.raw'))
    } finally {
      await other.close()
    }
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('vdi1-same.raw'))
    expect((await readFile(dir.file('vdi1-other.raw'))).equals(await readFile(dir.file('vdi1-same.raw')))).toBe(true)
  })

  it('handles a size that is not a multiple of the block size', async () => {
    const vhd = await download(mock, `/rest/v0/vdis/${VDI2}.vhd`, dir.file('vdi2.vhd'))
    const raw = await download(mock, `/rest/v0/vdis/${VDI2}.raw`, dir.file('vdi2.raw'))
    expect((await qemuInfo(vhd.file))['virtual-size']).toBe(VDI2_SIZE)
    expect((await stat(raw.file)).size).toBe(VDI2_SIZE)
    await qemuCompare(vhd.file, 'vpc', raw.file, 'raw')
  })

  it('exports VDI-snapshots too', async () => {
    const vhd = await download(mock, `/rest/v0/vdi-snapshots/${VDI_SNAPSHOT}.vhd`, dir.file('snap.vhd'))
    expect(vhd.status).toBe(200)
    expect(vhd.headers['content-disposition']).toBe(`attachment; filename=${VDI_SNAPSHOT}.vhd`)
    const raw = await download(mock, `/rest/v0/vdi-snapshots/${VDI_SNAPSHOT}.raw`, dir.file('snap.raw'))
    await qemuCompare(vhd.file, 'vpc', raw.file, 'raw')
    // a VDI id under vdi-snapshots is unknown there
    expect((await send(mock, `/rest/v0/vdi-snapshots/${VDI1}.vhd`)).status).toBe(404)
  })

  it('a VDI whose fixture usage says empty exports as an empty VHD', async () => {
    const vhd = await download(mock, `/rest/v0/vdis/${VDI_EMPTY}.vhd`, dir.file('empty.vhd'))
    expect((await stat(vhd.file)).size).toBe(512 + 1024 + 512 + 512)
    expect((await qemuInfo(vhd.file))['virtual-size']).toBe(16 * 1024 * 1024)
  })

  it('a 2 TiB disk with a handful of blocks costs almost nothing', async () => {
    const started = Date.now()
    const vhd = await download(mock, `/rest/v0/vdis/${VDI_BIG}.vhd`, dir.file('big.vhd'))
    expect(Date.now() - started).toBeLessThan(3000)
    const info = await qemuInfo(vhd.file)
    expect(info['virtual-size']).toBe(VDI_BIG_SIZE)
    // footer + header + BAT (4 bytes per 2 MiB block) + 4 blocks + footer
    const bat = Math.ceil((VDI_BIG_SIZE / (2 * 1024 * 1024)) * 4 / 512) * 512
    expect((await stat(vhd.file)).size).toBe(512 + 1024 + bat + 4 * (2 * 1024 * 1024 + 512) + 512)
    // HEAD of the raw export: the length, no body, no work
    const head = await send(mock, `/rest/v0/vdis/${VDI_BIG}.raw`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe(String(VDI_BIG_SIZE))
    expect(head.body.length).toBe(0)
  })

  it('an unknown format is a 422 in tsoa shape', async () => {
    const reply = await send(mock, `/rest/v0/vdis/${VDI1}.qcow2`)
    expect(reply.status).toBe(422)
    expectJsonBody(reply, { error: { format: { message: 'Value does not match any allowed schema', value: 'qcow2' } }, data: {} })
  })

  it('an unknown id is a 404, checked before the format', async () => {
    const unknown = 'ffffffff-0000-4000-8000-000000000000'
    for (const format of ['vhd', 'foo']) {
      const reply = await send(mock, `/rest/v0/vdis/${unknown}.${format}`)
      expect(reply.status).toBe(404)
      expectJsonBody(reply, { error: `no such VDI ${unknown}`, data: { id: unknown, type: 'VDI' } })
    }
  })

  it('needs authentication; /vdis/<id> still serves the object', async () => {
    expect((await send(mock, `/rest/v0/vdis/${VDI1}.vhd`, { headers: { cookie: '' } })).status).toBe(401)
    const object = await send(mock, `/rest/v0/vdis/${VDI1}`)
    expect(object.status).toBe(200)
    expect(object.json().id).toBe(VDI1)
  })
})

/** Checks an extracted XVA: ova.xml first, every chunk matches its .xxhash (xxhsum). */
async function checkXva(file: string, tarFlags: string[]): Promise<{ entries: string[]; disks: string[] }> {
  const { stdout } = await run('tar', [...tarFlags, '-tf', file])
  const entries = stdout.trim().split('\n')
  expect(entries[0]).toBe('ova.xml')
  const out = await tempDir()
  try {
    await run('tar', [...tarFlags, '-xf', file, '-C', out.path])
    const disks = (await readdir(out.path)).filter((name) => name.startsWith('Ref:')).sort()
    for (const disk of disks) {
      const names = (await readdir(join(out.path, disk))).filter((name) => /^\d{8}$/.test(name)).sort()
      expect(names[0]).toBe('00000000')
      const { stdout: sums } = await run('xxhsum', ['-H1', ...names], { cwd: join(out.path, disk) })
      for (const line of sums.trim().split('\n')) {
        const [hash, name] = line.split(/\s+/)
        const stated = (await readFile(join(out.path, disk, `${name}.xxhash`), 'latin1')).trim()
        expect(stated.toLowerCase()).toBe(hash!.toLowerCase())
      }
    }
    return { entries, disks }
  } finally {
    await out.remove()
  }
}

describe('VM export', () => {
  it('serves a plain XVA, chunked, whose chunks match their xxhash', async () => {
    const xva = await download(mock, `/rest/v0/vms/${VM}.xva`, dir.file('vm.xva'))
    expect(xva.status).toBe(200)
    expect(xva.headers['content-type']).toBe('application/octet-stream')
    expect(xva.headers['content-disposition']).toBe(`attachment; filename=${VM}.xva`)
    expect(xva.headers['content-length']).toBeUndefined()
    const { disks } = await checkXva(xva.file, [])
    expect(disks).toHaveLength(2)
  })

  it('compress=zstd: a zstd stream (zstd -t) of the tar', async () => {
    const xva = await download(mock, `/rest/v0/vms/${VM}.xva?compress=zstd`, dir.file('vm-zstd.xva'))
    expect(xva.headers['content-disposition']).toBe(`attachment; filename=${VM}.xva`)
    await run('zstd', ['-t', '-q', xva.file])
    await checkXva(xva.file, ['--zstd'])
  })

  it('compress=gzip and the deprecated compress=true give gzip; compress=false none', async () => {
    for (const [query, magic] of [
      ['gzip', '1f8b'],
      ['true', '1f8b'],
      ['false', '6f76'],
    ] as const) {
      // the template's small disk: gzip is the slow path
      const xva = await download(mock, `/rest/v0/vm-templates/${TEMPLATE}.xva?compress=${query}`, dir.file(`vm-${query}.xva`))
      expect(xva.status).toBe(200)
      expect((await readFile(xva.file)).subarray(0, 2).toString('hex')).toBe(magic)
      if (magic === '1f8b') {
        await run('gzip', ['-t', xva.file])
        await checkXva(xva.file, ['-z'])
      }
    }
  })

  it('exports VM-snapshots and VM-templates', async () => {
    for (const [collection, id] of [
      ['vm-snapshots', VM_SNAPSHOT],
      ['vm-templates', TEMPLATE],
    ]) {
      const xva = await download(mock, `/rest/v0/${collection}/${id}.xva`, dir.file(`${collection}.xva`))
      expect(xva.status).toBe(200)
      expect(xva.headers['content-disposition']).toBe(`attachment; filename=${id}.xva`)
      const { disks } = await checkXva(xva.file, [])
      expect(disks).toHaveLength(1)
    }
  })

  it('bad format or compress: 422 naming each bad field; unknown VM: 404 first', async () => {
    const format = await send(mock, `/rest/v0/vms/${VM}.zip`)
    expect(format.status).toBe(422)
    expectJsonBody(format, { error: { format: { message: 'Value does not match any allowed schema', value: 'zip' } }, data: {} })
    const compress = await send(mock, `/rest/v0/vms/${VM}.xva?compress=bzip2`)
    expect(compress.status).toBe(422)
    expectJsonBody(compress, { error: { compress: { message: 'Value does not match any allowed schema', value: 'bzip2' } }, data: {} })
    const both = await send(mock, `/rest/v0/vms/${VM}.zip?compress=TRUE`)
    expect(both.json()).toEqual({
      error: {
        format: { message: 'Value does not match any allowed schema', value: 'zip' },
        compress: { message: 'Value does not match any allowed schema', value: 'TRUE' },
      },
      data: {},
    })
    const unknown = 'ffffffff-0000-4000-8000-000000000001'
    const missing = await send(mock, `/rest/v0/vms/${unknown}.zip`)
    expect(missing.status).toBe(404)
    expectJsonBody(missing, { error: `no such VM ${unknown}`, data: { id: unknown, type: 'VM' } })
    // a snapshot is not under /vms
    expect((await send(mock, `/rest/v0/vms/${VM_SNAPSHOT}.xva`)).status).toBe(404)
    // OVA is a valid format the mock does not produce
    expect((await send(mock, `/rest/v0/vms/${VM}.ova`)).status).toBe(501)
  })

  it('a running VM is exported through a temporary [XO Export] snapshot, created and deleted through the domain', async () => {
    const changes: Change[] = []
    const unsubscribe = mock.inventory.subscribe((change) => changes.push(change))
    try {
      const xva = await download(mock, `/rest/v0/vms/${VM_RUNNING}.xva`, dir.file('running.xva'))
      expect(xva.status).toBe(200)
      await checkXva(xva.file, [])
      await eventually(() => changes.some((change) => change.kind === 'remove' && change.type === 'VM-snapshot'))
    } finally {
      unsubscribe()
    }
    const added = changes.find((change) => change.kind === 'add' && change.type === 'VM-snapshot')
    expect(added?.object.name_label).toBe('[XO Export] db')
    expect(added?.object.$snapshot_of).toBe(VM_RUNNING)
    expect(changes.some((change) => change.kind === 'add' && change.type === 'VDI-snapshot')).toBe(true)
    const snapshotId = added!.id
    expect(changes.some((change) => change.kind === 'remove' && change.id === snapshotId)).toBe(true)
    expect(changes.some((change) => change.kind === 'remove' && change.type === 'VDI-snapshot')).toBe(true)
    expect([...mock.inventory.ofType('VM-snapshot')].map((snapshot) => snapshot.id)).toEqual([VM_SNAPSHOT])
    // the XVA holds the snapshot's record
    const { stdout } = await run('tar', ['-xOf', dir.file('running.xva'), 'ova.xml'])
    expect(stdout).toContain('[XO Export] db')
  })

  it('a client that disconnects mid-stream stops the export at once (and the snapshot goes)', async () => {
    const before = mock.inventory.count('VM-snapshot')
    const headers = await abortedDownload(`${mock.url}/rest/v0/vms/${VM_RUNNING}.xva`, mock.headers, 64 * 1024)
    expect(headers['content-disposition']).toBe(`attachment; filename=${VM_RUNNING}.xva`)
    await eventually(() => mock.inventory.count('VM-snapshot') === before, 1000)
    expect(mock.inventory.count('VDI-snapshot')).toBe(1)
  })

  it('HEAD answers the headers without streaming', async () => {
    const head = await send(mock, `/rest/v0/vms/${VM}.xva?compress=zstd`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers['content-disposition']).toBe(`attachment; filename=${VM}.xva`)
    expect(head.body.length).toBe(0)
  })
})
