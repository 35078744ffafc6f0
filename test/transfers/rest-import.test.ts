import { readFile, writeFile } from 'node:fs/promises'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { snapshotVm } from '../../src/domain/vm-copy.js'
import type { Change } from '../../src/index.js'
import {
  abortedUpload,
  blobIds,
  download,
  eventually,
  MiB,
  NETWORK,
  POOL,
  POOL2,
  qemuCompare,
  qemuInfo,
  run,
  send,
  sha256,
  SR,
  SR_ISO,
  SR_THICK,
  startTransferMock,
  tempDir,
  VDI1,
  VDI1_SIZE,
  VM,
  type TransferMock,
} from './helpers.js'

let mock: TransferMock
let dir: Awaited<ReturnType<typeof tempDir>>
/** A qemu-made dynamic VHD (8 MiB, written at 0, 3 MiB and the last sector) and the same disk raw. */
let qemuVhd: Buffer
let qemuRaw: Buffer

beforeAll(async () => {
  dir = await tempDir()
  const raw = Buffer.alloc(8 * MiB)
  for (let i = 0; i < 4096; i++) raw[i] = (i * 7) & 0xff
  raw.fill(0xab, 3 * MiB, 3 * MiB + 65536)
  raw.fill(0x5c, raw.length - 512)
  await writeFile(dir.file('disk.raw'), raw)
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', dir.file('disk.raw'), dir.file('disk.vhd')])
  qemuVhd = await readFile(dir.file('disk.vhd'))
  qemuRaw = raw
})
afterAll(async () => {
  await dir.remove()
})
beforeEach(async () => {
  mock = await startTransferMock()
})
afterEach(async () => {
  await mock.close()
})

/** The store and the blob store, to check that a failed import left nothing. */
async function snapshotState(): Promise<{ version: number; count: number; blobs: string[] }> {
  return { version: mock.inventory.version, count: mock.inventory.size, blobs: await blobIds(mock) }
}

describe('POST /srs/{id}/vdis', () => {
  it('imports a VHD: 201 + Location, the VDI appears sized right, SR usage follows, re-exports identical', async () => {
    const changes: Change[] = []
    mock.inventory.subscribe((change) => changes.push(change))
    const srBefore = mock.inventory.get(SR)!
    const reply = await send(mock, `/rest/v0/srs/${SR}/vdis?name_label=imported&name_description=from%20qemu`, {
      method: 'POST',
      body: qemuVhd,
      headers: { 'content-type': 'application/octet-stream' },
    })
    expect(reply.status).toBe(201)
    const { id } = reply.json()
    expect(reply.headers.location).toBe(`/rest/v0/vdis/${id}`)
    expect(reply.text()).toBe(JSON.stringify({ id }, null, 2))
    const vdi = mock.inventory.get(id)!
    expect(vdi).toMatchObject({ type: 'VDI', name_label: 'imported', name_description: 'from qemu', size: 8 * MiB, $SR: SR })
    expect(changes.some((change) => change.kind === 'add' && change.id === id)).toBe(true)
    const srAfter = mock.inventory.get(SR)!
    expect(srAfter.usage).toBe((srBefore.usage as number) + 8 * MiB)
    // thin SR: the physical usage grows by the VHD's allocated size (3 blocks written)
    expect((srAfter.physical_usage as number) - (srBefore.physical_usage as number)).toBe(vdi.usage)
    expect(vdi.usage).toBe(512 + 1024 + 512 + 3 * (2 * MiB + 512))

    const raw = await download(mock, `/rest/v0/vdis/${id}.raw`, dir.file('reexport.raw'))
    expect((await readFile(raw.file)).equals(qemuRaw)).toBe(true)
    const vhd = await download(mock, `/rest/v0/vdis/${id}.vhd`, dir.file('reexport.vhd'))
    await qemuCompare(vhd.file, 'vpc', dir.file('disk.vhd'), 'vpc')
  })

  it('imports raw bytes with a bare ?raw or raw=true, sized by Content-Length', async () => {
    for (const query of ['raw', 'raw=true', 'raw=TRUE']) {
      const reply = await send(mock, `/rest/v0/srs/${SR_THICK}/vdis?${query}&name_label=raw-${query}`, { method: 'POST', body: qemuRaw })
      expect(reply.status).toBe(201)
      const { id } = reply.json()
      expect(mock.inventory.get(id)).toMatchObject({ name_label: `raw-${query}`, size: qemuRaw.length, $SR: SR_THICK, usage: qemuRaw.length })
      const raw = await download(mock, `/rest/v0/vdis/${id}.raw`, dir.file('raw.raw'))
      expect(await sha256(raw.file)).toBe(await sha256(dir.file('disk.raw')))
    }
  })

  it('names the VDI like XO when no name is given', async () => {
    const reply = await send(mock, `/rest/v0/srs/${SR}/vdis?raw=true`, { method: 'POST', body: Buffer.alloc(MiB, 1) })
    expect(mock.inventory.get(reply.json().id)).toMatchObject({ name_label: '[XO] Imported disk - 2026-01-01T00:00:00.000Z', name_description: '' })
  })

  it('an exported VHD imports back to the same content', async () => {
    const exported = await download(mock, `/rest/v0/vdis/${VDI1}.vhd`, dir.file('vdi1.vhd'))
    const reply = await send(mock, `/rest/v0/srs/${SR}/vdis`, { method: 'POST', body: await readFile(exported.file) })
    expect(reply.status).toBe(201)
    const { id } = reply.json()
    expect(mock.inventory.get(id)!.size).toBe(VDI1_SIZE)
    await download(mock, `/rest/v0/vdis/${id}.raw`, dir.file('a.raw'))
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('b.raw'))
    expect(await sha256(dir.file('a.raw'))).toBe(await sha256(dir.file('b.raw')))
  })

  const corrupt: [string, () => { path?: string; body: Buffer; chunked?: boolean; length?: number }, number, RegExp | string][] = [
    [
      'bad footer checksum',
      () => {
        const body = Buffer.from(qemuVhd)
        body[64] ^= 0xff
        return { body }
      },
      500,
      /^invalid footer checksum \d+, expected \d+$/,
    ],
    ['bad cookie', () => ({ body: Buffer.concat([Buffer.from('notavhd!'), qemuVhd.subarray(8)]) }), 500, /cookie|checksum/],
    ['truncated body', () => ({ body: qemuVhd.subarray(0, qemuVhd.length - 4096) }), 500, /./],
    [
      'trailing footer differs',
      () => {
        const body = Buffer.from(qemuVhd)
        body[body.length - 512 + 20] ^= 0x01
        return { body }
      },
      500,
      /footer/,
    ],
    ['a raw disk without ?raw (fixed VHD)', () => ({ body: qemuRaw }), 500, /invalid footer checksum|cookie/],
    ['VHD without Content-Length', () => ({ body: qemuVhd, chunked: true }), 500, 'Trying to import a VDI without a length field. Please report this error to Xen Orchestra.'],
    ['raw without Content-Length', () => ({ path: `/rest/v0/srs/${SR}/vdis?raw`, body: qemuRaw, chunked: true }), 500, 'undefined != undefined'],
    ['raw=yes', () => ({ path: `/rest/v0/srs/${SR}/vdis?raw=yes`, body: qemuRaw }), 422, ''],
    ['an ISO SR', () => ({ path: `/rest/v0/srs/${SR_ISO}/vdis`, body: qemuVhd }), 500, /SR_OPERATION_NOT_SUPPORTED/],
  ]
  for (const [name, make, status, message] of corrupt) {
    it(`refuses ${name}, creating nothing`, async () => {
      const before = await snapshotState()
      const { path = `/rest/v0/srs/${SR}/vdis`, body, chunked } = make()
      const reply = await send(mock, path, { method: 'POST', body, chunked })
      expect(reply.status).toBe(status)
      if (status === 422) expect(reply.json()).toEqual({ error: { raw: { message: 'invalid boolean value', value: 'yes' } }, data: {} })
      else {
        expect(Object.keys(reply.json())).toEqual(['error'])
        if (typeof message === 'string') expect(reply.json().error).toBe(message)
        else expect(reply.json().error).toMatch(message)
      }
      expect(await snapshotState()).toEqual(before)
    })
  }

  it('an upload the client aborts leaves nothing behind', async () => {
    const before = await snapshotState()
    const body = Buffer.alloc(6 * MiB, 0x42)
    await abortedUpload(mock, `/rest/v0/srs/${SR}/vdis?raw`, 'POST', body, 64 * MiB)
    await eventually(async () => (await blobIds(mock)).length === before.blobs.length)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await snapshotState()).toEqual(before)
    // the server still works
    expect((await send(mock, `/rest/v0/vdis/${VDI1}`)).status).toBe(200)
  })

  it('unknown SR: 404', async () => {
    const reply = await send(mock, `/rest/v0/srs/ffffffff-0000-4000-8000-000000000000/vdis?raw`, { method: 'POST', body: qemuRaw })
    expect(reply.status).toBe(404)
    expect(reply.json().error).toBe('no such SR ffffffff-0000-4000-8000-000000000000')
  })
})

describe('PUT /vdis/{id}.vhd|raw', () => {
  it('replaces the content (204); a snapshot taken before keeps the old content', async () => {
    const snapshotId = snapshotVm(mock.context, VM, { name: 'before PUT' })
    const snapshotVdi = [...mock.inventory.ofType('VDI-snapshot')].find((vdi) => vdi.$snapshot_of === VDI1 && vdi.id !== undefined && vdi.name_label === 'web system' && (mock.inventory.get(snapshotId)!.$VBDs as string[]).some((vbd) => mock.inventory.get(vbd)!.VDI === vdi.id))!
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('old.raw'))

    const fresh = Buffer.alloc(VDI1_SIZE)
    fresh.fill(0x11, 0, MiB)
    fresh.fill(0x22, 40 * MiB, 41 * MiB)
    const reply = await send(mock, `/rest/v0/vdis/${VDI1}.raw`, { method: 'PUT', body: fresh })
    expect(reply.status).toBe(204)
    expect(reply.body.length).toBe(0)
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('new.raw'))
    expect((await readFile(dir.file('new.raw'))).equals(fresh)).toBe(true)
    // thin SR: usage follows the two allocated blocks
    expect(mock.inventory.get(VDI1)!.usage).toBe(512 + 1024 + 512 + 2 * (2 * MiB + 512))

    await download(mock, `/rest/v0/vdi-snapshots/${snapshotVdi.id}.raw`, dir.file('snap.raw'))
    expect(await sha256(dir.file('snap.raw'))).toBe(await sha256(dir.file('old.raw')))

    // and a VHD of the right size
    const vhd = await download(mock, `/rest/v0/vdis/${VDI1}.vhd`, dir.file('new.vhd'))
    expect((await send(mock, `/rest/v0/vdis/${VDI1}.vhd`, { method: 'PUT', body: await readFile(vhd.file) })).status).toBe(204)
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('new2.raw'))
    expect((await readFile(dir.file('new2.raw'))).equals(fresh)).toBe(true)
  })

  it('refuses a size mismatch, a missing length, a bad format; the content stays', async () => {
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('keep.raw'))
    const before = await snapshotState()
    const tooShort = await send(mock, `/rest/v0/vdis/${VDI1}.raw`, { method: 'PUT', body: Buffer.alloc(MiB) })
    expect(tooShort.status).toBe(500)
    expect(tooShort.json()).toEqual({
      error: `raw upload of ${MiB} bytes does not match the size of VDI ${VDI1} (${VDI1_SIZE} bytes)`,
      info: 'This is a XenServer/XCP-ng error, not an XO error',
    })
    const wrongVhd = await send(mock, `/rest/v0/vdis/${VDI1}.vhd`, { method: 'PUT', body: qemuVhd })
    expect(wrongVhd.status).toBe(500)
    expect(wrongVhd.json().error).toBe(`VHD virtual size ${8 * MiB} does not match the disk size ${VDI1_SIZE}`)
    const chunked = await send(mock, `/rest/v0/vdis/${VDI1}.vhd`, { method: 'PUT', body: qemuVhd, chunked: true })
    expect(chunked.status).toBe(500)
    expect(chunked.json().error).toBe('Trying to import a VDI without a length field. Please report this error to Xen Orchestra.')
    const format = await send(mock, `/rest/v0/vdis/${VDI1}.qcow2`, { method: 'PUT', body: qemuVhd })
    expect(format.status).toBe(422)
    expect((await send(mock, `/rest/v0/vdis/ffffffff-0000-4000-8000-000000000000.qcow2`, { method: 'PUT', body: qemuVhd })).status).toBe(404)
    expect(await snapshotState()).toEqual(before)
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('kept.raw'))
    expect(await sha256(dir.file('kept.raw'))).toBe(await sha256(dir.file('keep.raw')))
  })

  it('an aborted replacement leaves the old content and nothing else', async () => {
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('keep2.raw'))
    const before = await snapshotState()
    await abortedUpload(mock, `/rest/v0/vdis/${VDI1}.raw`, 'PUT', Buffer.alloc(4 * MiB, 7), VDI1_SIZE)
    await new Promise((resolve) => setTimeout(resolve, 100))
    await eventually(async () => (await blobIds(mock)).length === before.blobs.length)
    expect(await snapshotState()).toEqual(before)
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('kept2.raw'))
    expect(await sha256(dir.file('kept2.raw'))).toBe(await sha256(dir.file('keep2.raw')))
  })
})

describe('POST /pools/{id}/vms (XVA)', () => {
  for (const compress of ['', 'gzip', 'zstd']) {
    it(`imports a${compress === '' ? ' plain' : ` ${compress}`} XVA: VM, VBDs, VDIs, VIFs; export → import → export gives the same disks`, async () => {
      const query = compress === '' ? '' : `?compress=${compress}`
      const xva = await download(mock, `/rest/v0/vms/${VM}.xva${query}`, dir.file(`vm${compress}.xva`))
      const changes: Change[] = []
      mock.inventory.subscribe((change) => changes.push(change))
      const reply = await send(mock, `/rest/v0/pools/${POOL}/vms?sr=${SR_THICK}`, { method: 'POST', body: await readFile(xva.file) })
      expect(reply.status).toBe(201)
      const { id } = reply.json()
      expect(reply.headers.location).toBe(`/rest/v0/vms/${id}`)
      const vm = mock.inventory.get(id)!
      expect(vm).toMatchObject({
        type: 'VM',
        name_label: 'web',
        name_description: 'web description',
        power_state: 'Halted',
        CPUs: { max: 2, number: 2 },
        tags: ['transfer'],
        $pool: POOL,
      })
      expect((vm.memory as { size: number }).size).toBe(2 * 1024 * MiB)
      const vbds = (vm.$VBDs as string[]).map((vbdId) => mock.inventory.get(vbdId)!)
      expect(vbds.map((vbd) => [vbd.position, vbd.bootable, vbd.read_only]).sort()).toEqual([
        ['0', true, false],
        ['1', false, true],
      ])
      const vifs = (vm.VIFs as string[]).map((vifId) => mock.inventory.get(vifId)!)
      expect(vifs).toHaveLength(1)
      expect(vifs[0]).toMatchObject({ $network: NETWORK, MAC: '96:ef:a1:00:00:01', device: '0' })
      expect(changes.filter((change) => change.kind === 'add').map((change) => change.type).sort()).toEqual(['VBD', 'VBD', 'VDI', 'VDI', 'VIF', 'VM'])

      const original = (mock.inventory.get(VM)!.$VBDs as string[]).map((vbdId) => mock.inventory.get(vbdId)!).filter((vbd) => vbd.VDI !== undefined)
      for (const vbd of vbds) {
        const imported = mock.inventory.get(vbd.VDI as string)!
        expect(imported.$SR).toBe(SR_THICK)
        const source = original.find((candidate) => candidate.position === vbd.position)!
        await download(mock, `/rest/v0/vdis/${source.VDI}.raw`, dir.file('source.raw'))
        await download(mock, `/rest/v0/vdis/${imported.id}.raw`, dir.file('imported.raw'))
        expect(await sha256(dir.file('imported.raw'))).toBe(await sha256(dir.file('source.raw')))
      }
      // the imported VM exports again, same disks
      const again = await download(mock, `/rest/v0/vms/${id}.xva`, dir.file('again.xva'))
      expect(again.status).toBe(200)
      const reimported = await send(mock, `/rest/v0/pools/${POOL}/vms`, { method: 'POST', body: await readFile(again.file) })
      expect(reimported.status).toBe(201)
      const third = mock.inventory.get(reimported.json().id)!
      expect((third.$VBDs as string[]).map((vbdId) => mock.inventory.get(mock.inventory.get(vbdId)!.VDI as string)!.$SR)).toEqual([SR, SR])
    })
  }

  it('no sr and no default SR: 409 incorrect state', async () => {
    const xva = await download(mock, `/rest/v0/vms/${VM}.xva`, dir.file('vm409.xva'))
    const before = await snapshotState()
    const reply = await send(mock, `/rest/v0/pools/${POOL2}/vms`, { method: 'POST', body: await readFile(xva.file) })
    expect(reply.status).toBe(409)
    expect(reply.json()).toEqual({ error: 'incorrect state', data: { expected: 'an SR', object: POOL2, property: 'default_SR' } })
    expect(await snapshotState()).toEqual(before)
  })

  it('a corrupt XVA (chunk checksum) creates nothing', async () => {
    const xva = await download(mock, `/rest/v0/vms/${VM}.xva`, dir.file('corrupt.xva'))
    const body = await readFile(xva.file)
    // flip a byte inside the first data chunk (after ova.xml)
    const at = body.indexOf('Ref:')
    const data = body.indexOf(Buffer.from('00000000\0'), at)
    body[Math.min(body.length - 1, data + 2048)] ^= 0xff
    const before = await snapshotState()
    const reply = await send(mock, `/rest/v0/pools/${POOL}/vms`, { method: 'POST', body })
    expect(reply.status).toBe(500)
    expect(reply.json().error).toMatch(/invalid XVA|checksum|xxhash/)
    expect(reply.json().info).toBe('This is a XenServer/XCP-ng error, not an XO error')
    expect(await snapshotState()).toEqual(before)
  })

  it('an aborted XVA upload leaves nothing behind', async () => {
    const xva = await download(mock, `/rest/v0/vms/${VM}.xva`, dir.file('aborted.xva'))
    const body = await readFile(xva.file)
    const before = await snapshotState()
    await abortedUpload(mock, `/rest/v0/pools/${POOL}/vms`, 'POST', body.subarray(0, Math.floor(body.length / 2)), body.length)
    await new Promise((resolve) => setTimeout(resolve, 100))
    await eventually(async () => (await blobIds(mock)).length === before.blobs.length)
    expect(await snapshotState()).toEqual(before)
  })
})

describe('qemu-img sees imported disks', () => {
  it('an imported raw disk exports as a VHD qemu-img reads', async () => {
    const reply = await send(mock, `/rest/v0/srs/${SR}/vdis?raw`, { method: 'POST', body: qemuRaw })
    const vhd = await download(mock, `/rest/v0/vdis/${reply.json().id}.vhd`, dir.file('imported.vhd'))
    expect((await qemuInfo(vhd.file))['virtual-size']).toBe(qemuRaw.length)
    await qemuCompare(vhd.file, 'vpc', dir.file('disk.raw'), 'raw')
  })
})
