import { readFile, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Change } from '../../src/index.js'
import { signedInClient, type RawClient } from '../rpc/helpers.js'
import {
  blobIds,
  download,
  eventually,
  MiB,
  qemuCompare,
  run,
  sha256,
  SR,
  startTransferMock,
  tempDir,
  VDI1,
  VDI1_SIZE,
  VM,
  VM_RUNNING,
  type TransferMock,
} from './helpers.js'

let mock: TransferMock
let client: RawClient
let dir: Awaited<ReturnType<typeof tempDir>>

beforeAll(async () => {
  mock = await startTransferMock()
  client = await signedInClient(mock)
  dir = await tempDir()
})
afterAll(async () => {
  client.close()
  await mock.close()
  await dir.remove()
})

const TOKEN_PATH = /^\/api\/[A-Za-z0-9_-]{43}/

/** A download of a `$getFrom` path with no credentials: possessing the URL is the authorization. */
function get(path: string, file: string) {
  return download(mock, path, dir.file(file), {})
}

async function post(path: string, body: Buffer | FormData, headers: Record<string, string> = {}): Promise<{ status: number; json(): Promise<any>; text(): Promise<string> }> {
  return fetch(new URL(path, mock.url), { method: 'POST', body, headers, duplex: 'half' } as RequestInit)
}

describe('downloads ($getFrom)', () => {
  it('disk.exportContent: a one-shot VHD download without Content-Length', async () => {
    const { $getFrom } = await client.call('disk.exportContent', { id: VDI1 })
    expect($getFrom).toMatch(new RegExp(`${TOKEN_PATH.source}/web%20system\\.vhd$`))
    const vhd = await get($getFrom, 'rpc.vhd')
    expect(vhd.status).toBe(200)
    expect(vhd.headers['content-length']).toBeUndefined()
    expect(vhd.headers['content-type']).toBe('application/octet-stream')
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('rest.raw'))
    await qemuCompare(vhd.file, 'vpc', dir.file('rest.raw'), 'raw')
    // one-shot
    expect((await fetch(new URL($getFrom, mock.url))).status).toBe(404)
  })

  it('disk.exportContent: other formats are not implemented', async () => {
    await expect(client.call('disk.exportContent', { id: VDI1, format: 'qcow2' })).rejects.toMatchObject({ code: 0, message: 'not implemented' })
  })

  it('vm.export: an XVA named after the date and the VM, compress zstd', async () => {
    const { $getFrom } = await client.call('vm.export', { vm: VM, compress: 'zstd' })
    expect($getFrom).toMatch(new RegExp(`${TOKEN_PATH.source}/2026-01-01T00_00_00\\.000Z%20-%20web\\.xva$`))
    const xva = await get($getFrom, 'rpc.xva')
    expect(xva.status).toBe(200)
    expect(xva.headers['content-length']).toBeUndefined()
    expect(xva.headers['content-disposition']).toBe('attachment')
    await run('zstd', ['-t', '-q', xva.file])
    const { stdout } = await run('tar', ['--zstd', '-tf', xva.file])
    expect(stdout.split('\n')[0]).toBe('ova.xml')
  })

  it('vm.export: compress true is gzip, a running VM goes through a snapshot taken at download time', async () => {
    const changes: Change[] = []
    const unsubscribe = mock.inventory.subscribe((change) => changes.push(change))
    try {
      const { $getFrom } = await client.call('vm.export', { vm: VM_RUNNING, compress: true })
      expect(changes.filter((change) => change.type === 'VM-snapshot')).toEqual([])
      const xva = await get($getFrom, 'running.xva.gz')
      expect((await readFile(xva.file)).subarray(0, 2).toString('hex')).toBe('1f8b')
      await eventually(() => changes.some((change) => change.kind === 'remove' && change.type === 'VM-snapshot'))
      expect(changes.find((change) => change.kind === 'add' && change.type === 'VM-snapshot')?.object.name_label).toBe('[XO Export] db')
    } finally {
      unsubscribe()
    }
  })
})

describe('uploads ($sendTo)', () => {
  it('vm.import: POST the XVA, JSON-RPC answer with id 0', async () => {
    const xva = await download(mock, `/rest/v0/vms/${VM}.xva?compress=gzip`, dir.file('import.xva'))
    const { $sendTo } = await client.call('vm.import', { sr: SR })
    expect($sendTo).toMatch(new RegExp(`${TOKEN_PATH.source}$`))
    const response = await post($sendTo, await readFile(xva.file))
    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body).toMatchObject({ id: 0, jsonrpc: '2.0' })
    const vm = mock.inventory.get(body.result)!
    expect(vm).toMatchObject({ type: 'VM', name_label: 'web' })
    expect((vm.$VBDs as string[]).length).toBe(2)
  })

  it('vm.import: a corrupt XVA is a JSON-RPC error (HTTP 500), nothing created', async () => {
    const before = { count: mock.inventory.size, blobs: await blobIds(mock) }
    const { $sendTo } = await client.call('vm.import', { sr: SR })
    const response = await post($sendTo, Buffer.from('this is not an XVA archive at all, not even a tar'.repeat(20)))
    expect(response.status).toBe(500)
    const body = await response.json()
    expect(body).toMatchObject({ id: 0, jsonrpc: '2.0', error: { code: -32000 } })
    expect(body.error.message).toMatch(/tar|XVA/)
    expect({ count: mock.inventory.size, blobs: await blobIds(mock) }).toEqual(before)
  })

  it('disk.import: a multipart form with a `file` part (vhd, then raw)', async () => {
    const vhd = await download(mock, `/rest/v0/vdis/${VDI1}.vhd`, dir.file('upload.vhd'))
    const { $sendTo } = await client.call('disk.import', { sr: SR, name: 'uploaded', description: 'via rpc', type: 'vhd' })
    const form = new FormData()
    form.append('name', 'ignored field before the file')
    form.append('file', new Blob([await readFile(vhd.file)]), 'disk.vhd')
    const response = await post($sendTo, form)
    expect(response.status).toBe(200)
    const { result } = await response.json()
    expect(mock.inventory.get(result)).toMatchObject({ type: 'VDI', name_label: 'uploaded', name_description: 'via rpc', size: VDI1_SIZE, $SR: SR })
    await download(mock, `/rest/v0/vdis/${result}.raw`, dir.file('uploaded.raw'))
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('vdi1.raw'))
    expect(await sha256(dir.file('uploaded.raw'))).toBe(await sha256(dir.file('vdi1.raw')))

    const raw = Buffer.alloc(3 * MiB, 9)
    const second = await client.call('disk.import', { sr: SR, name: 'raw one', type: 'raw' })
    const rawForm = new FormData()
    rawForm.append('file', new Blob([raw]), 'disk.raw')
    const rawResponse = await post(second.$sendTo, rawForm)
    expect(rawResponse.status).toBe(200)
    const rawId = (await rawResponse.json()).result
    expect(mock.inventory.get(rawId)).toMatchObject({ name_label: 'raw one', size: raw.length })
    await download(mock, `/rest/v0/vdis/${rawId}.raw`, dir.file('raw-one.raw'))
    expect((await readFile(dir.file('raw-one.raw'))).equals(raw)).toBe(true)
  })

  it('disk.import: a body that is not multipart fails, creating nothing', async () => {
    const before = { count: mock.inventory.size, blobs: await blobIds(mock) }
    const { $sendTo } = await client.call('disk.import', { sr: SR, name: 'nope', type: 'vhd' })
    const response = await post($sendTo, Buffer.alloc(4096), { 'content-type': 'application/octet-stream' })
    expect(response.status).toBe(500)
    expect((await response.json()).error.message).toMatch(/multipart/)
    expect({ count: mock.inventory.size, blobs: await blobIds(mock) }).toEqual(before)
  })

  it('disk.importContent: replaces the content, then answers 500 `unknown error` like XO', async () => {
    const fresh = Buffer.alloc(VDI1_SIZE)
    fresh.fill(0x33, 10 * MiB, 12 * MiB)
    await writeFile(dir.file('fresh.raw'), fresh)
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', dir.file('fresh.raw'), dir.file('fresh.vhd')])
    const { $sendTo } = await client.call('disk.importContent', { id: VDI1 })
    const body = await readFile(dir.file('fresh.vhd'))
    const response = await post($sendTo, body, { 'content-length': String(body.length) })
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('unknown error')
    await download(mock, `/rest/v0/vdis/${VDI1}.raw`, dir.file('after.raw'))
    expect((await readFile(dir.file('after.raw'))).equals(fresh)).toBe(true)
  })
})
