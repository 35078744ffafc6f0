/**
 * The transfer methods through xo-lib 0.9.0 (reference jsonrpc-api.md §6): `{$getFrom}` downloads and
 * `{$sendTo}` uploads on one-shot URLs, resolved against the server URL and used with no cookie, as
 * xo-cli does (`@=file`). Round trips: a VM exported then imported, a disk exported then imported as a
 * new VDI and into an existing one. The imports' objects must reach the clients as `enter`
 * notifications.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { current, pick, trackMethodCases, useMock } from './harness.js'

trackMethodCases()
const t = useMock()

async function download(url: string, path: string): Promise<Buffer> {
  const response = await fetch(new URL(path, url))
  expect(response.status).toBe(200)
  // xo-cli crashes on a content-length: real exports are chunked
  expect(response.headers.get('content-length')).toBeNull()
  return Buffer.from(await response.arrayBuffer())
}

/** A `multipart/form-data` body with `file` as its last part (what xo-web sends to `disk.import`). */
function multipart(file: Buffer): { body: Buffer; contentType: string } {
  const boundary = '----xo-lib-test-boundary'
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="disk.vhd"\r\nContent-Type: application/octet-stream\r\n\r\n`
  return {
    body: Buffer.concat([Buffer.from(head), file, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  }
}

/** A VHD without the identity of its footer copies (checksum and unique id: bytes 64-83 of each). */
function vhdWithoutIdentity(vhd: Buffer): Buffer {
  const copy = Buffer.from(vhd)
  for (const footer of [0, copy.length - 512]) copy.fill(0, footer + 64, footer + 84)
  return copy
}

describe('transfers', () => {
  it('vm.export then vm.import: the imported VM and its disks enter', async () => {
    const { mock } = t
    // a small VM (the fixture's disks are tens of GiB of synthetic content)
    const template = pick(mock, 'VM-template', (tpl) => tpl.$VBDs.length === 0)
    const sr = pick(mock, 'SR', (candidate) => candidate.$pool === template.$pool && candidate.shared && candidate.content_type === 'user')
    const network = pick(mock, 'network', (net) => net.$pool === template.$pool && net.PIFs.length > 0)
    const client = await t.admin()
    const vmId = await client.call('vm.create', {
      name_label: 'to export',
      template: template.id,
      VDIs: [{ SR: sr.id, size: 4 * 1024 ** 2, type: 'user', name_label: 'small' }],
      VIFs: [{ network: network.id }],
    })
    const vm = current(mock, vmId)

    const exported = await client.call('vm.export', { vm: vm.id, compress: false })
    expect(exported).toEqual({ $getFrom: expect.stringMatching(/^\/api\/[\w-]{43}\/.+\.xva$/) })
    const xva = await download(mock.url, exported.$getFrom)
    expect(xva.length).toBeGreaterThan(1024)
    // an XVA is a tar archive whose first entry is ova.xml
    expect(xva.subarray(0, 7).toString()).toBe('ova.xml')
    // one-shot
    expect((await fetch(new URL(exported.$getFrom, mock.url))).status).toBe(404)

    const { $sendTo } = await client.call('vm.import', { sr: sr.id })
    expect($sendTo).toMatch(/^\/api\/[\w-]{43}$/)
    const mark = client.mark()
    const response = await fetch(new URL($sendTo, mock.url), { method: 'POST', body: xva })
    expect(response.status).toBe(200)
    const answer = (await response.json()) as { id: unknown; jsonrpc: string; result: string }
    expect(answer).toMatchObject({ id: 0, jsonrpc: '2.0', result: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    const imported = answer.result as string
    const changes = await client.waitFor(mark, (c) => imported in c.entered)
    expect(changes.entered[imported]).toMatchObject({ type: 'VM', name_label: vm.name_label, power_state: 'Halted' })
    await client.synced(mark)
    const disks = current(mock, imported).$VBDs.map((vbd: string) => current(mock, vbd)).filter((vbd: any) => !vbd.is_cd_drive)
    expect(disks.length).toBeGreaterThan(0)
    for (const vbd of disks) expect(current(mock, vbd.VDI)).toMatchObject({ $SR: sr.id })
    expect(await client.object(imported)).toMatchObject({ type: 'VM' })
  })

  it('disk.exportContent, disk.import and disk.importContent', async () => {
    const { mock } = t
    const sr = pick(mock, 'SR', (candidate) => candidate.shared && candidate.content_type === 'user')
    const client = await t.admin()
    const MiB = 1024 ** 2

    // disk.import of a raw image (multipart, `file` last): a new VDI with that content
    const raw = randomBytes(2 * MiB)
    const rawUpload = await client.call('disk.import', { sr: sr.id, name: 'raw import', type: 'raw' })
    expect(rawUpload.$sendTo).toMatch(/^\/api\/[\w-]{43}$/)
    let mark = client.mark()
    const rawBody = multipart(raw)
    let response = await fetch(new URL(rawUpload.$sendTo, mock.url), { method: 'POST', body: rawBody.body, headers: { 'content-type': rawBody.contentType } })
    expect(response.status).toBe(200)
    const source = ((await response.json()) as { result: string }).result
    let changes = await client.waitFor(mark, (c) => source in c.entered)
    expect(changes.entered[source]).toMatchObject({ type: 'VDI', name_label: 'raw import', $SR: sr.id, size: 2 * MiB })
    await client.synced(mark)

    // disk.exportContent: a VHD of it
    const { $getFrom } = await client.call('disk.exportContent', { id: source })
    expect($getFrom).toMatch(/^\/api\/[\w-]{43}\/raw%20import\.vhd$|^\/api\/[\w-]{43}\/raw import\.vhd$/)
    const vhd = await download(mock.url, $getFrom)
    // a dynamic VHD starts with its footer copy
    expect(vhd.subarray(0, 8).toString('latin1')).toBe('conectix')
    expect(vhd.includes(raw.subarray(0, 4096))).toBe(true)

    // disk.import of that VHD: another VDI
    const { $sendTo } = await client.call('disk.import', { sr: sr.id, name: 'vhd import', description: 'via xo-lib', type: 'vhd' })
    mark = client.mark()
    const vhdBody = multipart(vhd)
    response = await fetch(new URL($sendTo, mock.url), { method: 'POST', body: vhdBody.body, headers: { 'content-type': vhdBody.contentType } })
    expect(response.status).toBe(200)
    const copy = ((await response.json()) as { result: string }).result
    changes = await client.waitFor(mark, (c) => copy in c.entered)
    expect(changes.entered[copy]).toMatchObject({ type: 'VDI', name_label: 'vhd import', name_description: 'via xo-lib', $SR: sr.id, size: 2 * MiB })
    await client.synced(mark)

    // disk.importContent: the content of an existing empty VDI is replaced (XO answers 500 even on success)
    const target = await client.call('disk.create', { name: 'target', size: 2 * MiB, sr: sr.id })
    const before = await download(mock.url, (await client.call('disk.exportContent', { id: target })).$getFrom)
    expect(before.includes(raw.subarray(0, 4096))).toBe(false)
    const upload = await client.call('disk.importContent', { id: target })
    const replaced = await fetch(new URL(upload.$sendTo, mock.url), { method: 'POST', body: vhd })
    expect(replaced.status).toBe(500)
    for (const id of [target, copy]) {
      const exported = await download(mock.url, (await client.call('disk.exportContent', { id })).$getFrom)
      expect(vhdWithoutIdentity(exported).equals(vhdWithoutIdentity(vhd)), id).toBe(true)
    }
  })
})
