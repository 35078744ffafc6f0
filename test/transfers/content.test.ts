import { readdir, writeFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { contentSettled, describeVdiContent, resetDiskContent, vdiContent } from '../../src/domain/disk-content.js'
import { exportVdi, importVdiIntoSr, replaceVdiContent, uploadSource } from '../../src/domain/transfer.js'
import { copyVdi, createVdi, deleteVdi, resizeVdi, snapshotVdi } from '../../src/domain/vdi.js'
import { deleteVm } from '../../src/domain/vm-delete.js'
import type { XoObject } from '../../src/index.js'
import {
  blobIds,
  download,
  MiB,
  qemuCompare,
  run,
  send,
  SR,
  startTransferMock,
  tempDir,
  TOKEN,
  transferInventory,
  VDI1,
  VDI1_SIZE,
  VDI2,
  VDI_SNAPSHOT,
  VM,
  type TransferMock,
} from './helpers.js'

let dir: Awaited<ReturnType<typeof tempDir>>
const mocks: TransferMock[] = []

async function start(...args: Parameters<typeof startTransferMock>): Promise<TransferMock> {
  const mock = await startTransferMock(...args)
  mocks.push(mock)
  return mock
}

beforeAll(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  for (const mock of mocks.splice(0)) await mock.close()
})
afterAll(async () => {
  await dir.remove()
})

async function bytesOf(mock: TransferMock, id: string): Promise<Buffer> {
  const stream = await exportVdi(mock.context, id, 'raw')
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function pattern(size: number, seed: number): Buffer {
  const buffer = Buffer.alloc(size)
  for (let at = 0; at < size; at += 4096) buffer.writeUInt32BE((seed * 2654435761 + at) >>> 0, at)
  return buffer
}

describe('fixture content', () => {
  it('allocation as a ratio, a percentage or a size; default from usage', async () => {
    const objects = transferInventory().objects.map((object): XoObject => {
      const other: Record<string, Record<string, string>> = {
        [VDI1]: { 'xo-mock:allocation': '25%' },
        [VDI2]: { 'xo-mock:allocation': '3 MiB' },
      }
      return other[object.id] === undefined ? object : { ...object, other_config: other[object.id] }
    })
    const usage = 'c0000000-0000-4000-8000-0000000000a0'
    objects.push({ ...objects.find((object) => object.id === VDI1)!, id: usage, uuid: usage, _xapiRef: 'OpaqueRef:usage', other_config: {}, usage: 512 + 1024 + 512 + 8 * (2 * MiB) })
    const mock = await start({ inventory: { objects } })
    const quarter = (await vdiContent(mock.context, VDI1)).allocatedBlocks().length
    expect(quarter).toBeGreaterThan(2)
    expect(quarter).toBeLessThan(16)
    expect((await vdiContent(mock.context, VDI2)).allocatedBlocks()).toHaveLength(2)
    const fromUsage = (await vdiContent(mock.context, usage)).allocatedBlocks().length
    expect(fromUsage).toBeGreaterThan(2)
    expect(fromUsage).toBeLessThan(16)
  })

  it('an invalid allocation is an error naming the VDI and the key', async () => {
    const objects = transferInventory().objects.map((object) => (object.id === VDI1 ? { ...object, other_config: { 'xo-mock:allocation': 'lots' } } : object))
    const mock = await start({ inventory: { objects } })
    await expect(vdiContent(mock.context, VDI1)).rejects.toThrow(`VDI ${VDI1}: invalid other_config['xo-mock:allocation'] "lots"`)
    const reply = await send(mock, `/rest/v0/vdis/${VDI1}.raw`)
    expect(reply.status).toBe(500)
  })

  it('a fixture may point at a raw or VHD file', async () => {
    const raw = pattern(6 * MiB, 3)
    raw.fill(0, 2 * MiB, 4 * MiB)
    await writeFile(dir.file('fixture.raw'), raw)
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', dir.file('fixture.raw'), dir.file('fixture.vhd')])
    const objects = transferInventory().objects.map((object) => {
      if (object.id === VDI1) return { ...object, size: raw.length, other_config: { 'xo-mock:content': dir.file('fixture.raw') } }
      if (object.id === VDI2) return { ...object, size: raw.length, other_config: { 'xo-mock:content': dir.file('fixture.vhd') } }
      return object
    })
    const mock = await start({ inventory: { objects } })
    expect((await bytesOf(mock, VDI1)).equals(raw)).toBe(true)
    expect((await bytesOf(mock, VDI2)).equals(raw)).toBe(true)
    expect(await describeVdiContent(mock.context, VDI2)).toBe(`file:${dir.file('fixture.vhd')}`)
    // block 1 is all zeros: not stored
    expect((await vdiContent(mock.context, VDI1)).allocatedBlocks()).toEqual([0, 2])
  })

  it('a fixture VDI-snapshot shares the seed of its VDI: same bytes where both hold data', async () => {
    const mock = await start()
    const vdi = await vdiContent(mock.context, VDI1)
    const snapshot = await vdiContent(mock.context, VDI_SNAPSHOT)
    const both = snapshot.allocatedBlocks().filter((index) => vdi.allocatedBlocks().includes(index))
    expect(both.length).toBeGreaterThan(0)
    for (const index of both) expect((await vdi.getBlock!(index)).equals(await snapshot.getBlock!(index))).toBe(true)
  })
})

describe('fixture snapshots', () => {
  it('a fixture VDI-snapshot keeps its bytes when its VDI is deleted', async () => {
    const mock = await start()
    const before = await bytesOf(mock, VDI_SNAPSHOT)
    deleteVdi(mock.context, VDI1)
    expect(mock.inventory.get(VDI_SNAPSHOT)!.$snapshot_of).toBeUndefined()
    expect((await bytesOf(mock, VDI_SNAPSHOT)).equals(before)).toBe(true)
  })
})

describe('content of VDIs created at run time', () => {
  it('a new VDI reads as zeros; a grown VDI keeps its content and reads zeros past it', async () => {
    const mock = await start()
    const id = createVdi(mock.context, SR, { name_label: 'new', size: 4 * MiB })
    expect((await bytesOf(mock, id)).equals(Buffer.alloc(4 * MiB))).toBe(true)
    expect(await describeVdiContent(mock.context, id)).toBe('empty')

    const data = pattern(4 * MiB, 1)
    await replaceVdiContent(mock.context, id, data, { format: 'raw', length: data.length })
    resizeVdi(mock.context, id, 6 * MiB)
    expect((await bytesOf(mock, id)).equals(Buffer.concat([data, Buffer.alloc(2 * MiB)]))).toBe(true)
  })

  it('a VHD too large for the format: XO 422 (maxSize, size)', async () => {
    const mock = await start()
    const id = createVdi(mock.context, SR, { name_label: 'too big', size: 2 * 1024 ** 4 })
    const reply = await send(mock, `/rest/v0/vdis/${id}.vhd`)
    expect(reply.status).toBe(422)
    expect(reply.json()).toEqual({ error: `a VDI of ${2 * 1024 ** 4} bytes is too large to be exported as VHD`, data: { maxSize: 2 * 1024 ** 4 - 8 * 1024, size: 2 * 1024 ** 4 } })
  })
})

describe('snapshots, copies and deletions', () => {
  it('snapshots and copies read the content of their source at that moment, whatever happens to it later', async () => {
    const mock = await start()
    const ctx = mock.context
    const original = await bytesOf(mock, VDI1)
    const snapshot = snapshotVdi(ctx, VDI1)
    const copy = copyVdi(ctx, VDI1, { fast: false })
    expect((await bytesOf(mock, snapshot)).equals(original)).toBe(true)
    expect(await describeVdiContent(ctx, snapshot)).toBe('fixture')

    const first = pattern(VDI1_SIZE, 7)
    await replaceVdiContent(ctx, VDI1, first, { format: 'raw', length: first.length })
    const second = snapshotVdi(ctx, VDI1)
    expect(await describeVdiContent(ctx, second)).toBe(`shared:${VDI1}`)
    const clone = copyVdi(ctx, second, { fast: true })
    expect(await describeVdiContent(ctx, clone)).toBe(`shared:${VDI1}`)

    const third = pattern(VDI1_SIZE, 8)
    await replaceVdiContent(ctx, VDI1, third, { format: 'raw', length: third.length })
    expect((await bytesOf(mock, snapshot)).equals(original)).toBe(true)
    expect((await bytesOf(mock, copy)).equals(original)).toBe(true)
    expect((await bytesOf(mock, second)).equals(first)).toBe(true)
    expect((await bytesOf(mock, clone)).equals(first)).toBe(true)
    expect(await describeVdiContent(ctx, second)).toBe('stored')
    expect((await bytesOf(mock, VDI1)).equals(third)).toBe(true)

    // a snapshot of the rewritten disk, then the disk goes: the snapshot keeps its bytes
    const fourth = snapshotVdi(ctx, VDI1)
    deleteVdi(ctx, VDI1)
    await contentSettled(ctx)
    expect(await blobIds(mock)).not.toContain(VDI1)
    expect((await bytesOf(mock, fourth)).equals(third)).toBe(true)
  })

  it('deleting a VDI, or a VM with its disks, deletes their stored content', async () => {
    const mock = await start()
    const ctx = mock.context
    for (const id of [VDI1, VDI2]) {
      const size = ctx.store.get(id)!.size as number
      await replaceVdiContent(ctx, id, pattern(size, 1), { format: 'raw', length: size })
    }
    const imported = await importVdiIntoSr(ctx, SR, pattern(2 * MiB, 2), { raw: true, length: 2 * MiB })
    expect((await blobIds(mock)).sort()).toEqual([VDI1, VDI2, imported].sort())
    deleteVdi(ctx, imported)
    deleteVm(ctx, VM, { deleteDisks: true })
    await contentSettled(ctx)
    expect(await blobIds(mock)).toEqual([])
  })

  it('resetDiskContent forgets stored contents and links', async () => {
    const mock = await start()
    const ctx = mock.context
    const original = await bytesOf(mock, VDI1)
    await replaceVdiContent(ctx, VDI1, pattern(VDI1_SIZE, 3), { format: 'raw', length: VDI1_SIZE })
    await resetDiskContent(ctx)
    expect(await blobIds(mock)).toEqual([])
    expect((await bytesOf(mock, VDI1)).equals(original)).toBe(true)
  })
})

describe('--data-dir', () => {
  it('keeps imported content in the directory, sparsely, and deletes it with its VDI', async () => {
    const dataDir = dir.file('data')
    const mock = await start({ dataDir })
    const data = Buffer.concat([pattern(2 * MiB, 4), Buffer.alloc(8 * MiB), pattern(2 * MiB, 5)])
    const reply = await send(mock, `/rest/v0/srs/${SR}/vdis?raw`, { method: 'POST', body: data })
    expect(reply.status).toBe(201)
    const { id } = reply.json()
    const files = await readdir(`${dataDir}/${id}`)
    expect(files.sort()).toEqual(['0.blk', '5.blk', 'disk.json'])
    const raw = await download(mock, `/rest/v0/vdis/${id}.raw`, dir.file('dd.raw'))
    const vhd = await download(mock, `/rest/v0/vdis/${id}.vhd`, dir.file('dd.vhd'))
    await qemuCompare(vhd.file, 'vpc', raw.file, 'raw')
    deleteVdi(mock.context, id)
    await contentSettled(mock.context)
    expect(await readdir(dataDir)).toEqual([])
  })
})

describe('uploadSource', () => {
  it('reads a stream with read-ahead and leaves it paused, listeners removed, when stopped early', async () => {
    const stream = Readable.from((function* () {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(64 * 1024, i)
    })(), { objectMode: false })
    const source = uploadSource(stream, 256 * 1024)
    let seen = 0
    for await (const chunk of source) {
      seen += chunk.length
      if (seen >= MiB) break
    }
    expect(stream.listenerCount('data')).toBe(0)
    expect(stream.isPaused()).toBe(true)
    let rest = 0
    for await (const chunk of stream) rest += (chunk as Buffer).length
    expect(seen + rest).toBeLessThanOrEqual(4 * MiB)
    expect(seen + rest).toBeGreaterThan(MiB)
  })
})

describe('legacy profile and permissions', () => {
  it('legacy: Content-Disposition without file name, imports answer 200 with the bare uuid', async () => {
    const mock = await start({ apiProfile: 'legacy' })
    const head = await send(mock, `/rest/v0/vdis/${VDI1}.raw`, { method: 'HEAD' })
    expect(head.headers['content-disposition']).toBe('attachment')
    const legacyCompress = await send(mock, `/rest/v0/vms/${VM}.xva?compress=true`, { method: 'HEAD' })
    expect(legacyCompress.status).toBe(200)
    const reply = await send(mock, `/rest/v0/srs/${SR}/vdis?raw`, { method: 'POST', body: pattern(MiB, 1) })
    expect(reply.status).toBe(200)
    expect(reply.text()).toMatch(/^[0-9a-f-]{36}$/)
    expect(mock.inventory.get(reply.text())?.type).toBe('VDI')
  })

  it('a user without an ACL on the object gets 403 naming the action', async () => {
    const bob = 'd0000000-0000-4000-8000-0000000000b0'
    const bobToken = 'bob-token-0123456789abcdefghijklmnopqrstuvw'
    const { objects } = transferInventory()
    objects.push(
      { id: bob, type: 'user', email: 'bob@example.org', name: 'bob', permission: 'none', groups: [], preferences: {}, password: 'bob' },
      { id: bobToken, type: 'token', user_id: bob, created_at: 0, expiration: 8e15 },
      { id: 'acl-bob-vm', type: 'acl', subject: bob, object: VM, action: 'operator' },
    )
    const mock = await start({ inventory: { objects }, token: TOKEN })
    const headers = { cookie: `authenticationToken=${bobToken}` }
    expect((await send(mock, `/rest/v0/vms/${VM}.xva`, { method: 'HEAD', headers })).status).toBe(200)
    const denied = await send(mock, `/rest/v0/vdis/${VDI1}.vhd`, { headers })
    expect(denied.status).toBe(403)
    expect(denied.json()).toEqual({ error: 'not enough privileges', data: { missingPrivileges: [{ objectId: VDI1, action: 'export-content', resource: 'vdi' }] } })
    const unknown = await send(mock, `/rest/v0/vdis/ffffffff-0000-4000-8000-000000000000.vhd`, { headers })
    expect(unknown.status).toBe(404)
  })
})

