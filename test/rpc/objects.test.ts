import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import type { ManualClock } from '../../src/inventory/clock.js'
import { transportMethods } from '../../src/rpc/methods/index.js'
import { registerDownload, registerUpload } from '../../src/rpc/transfers.js'
import {
  HOST,
  NETWORK,
  POOL,
  RawClient,
  SR,
  TEMPLATE,
  VBD,
  VDI,
  VM1,
  VM2,
  signedInClient,
  sleep,
  startMock,
  startRpcServer,
  wsUrl,
  type CustomServer,
} from './helpers.js'

const XAPI_IDS = [POOL, HOST, VM1, VM2, TEMPLATE, SR, VDI, VBD, NETWORK]

describe('xo.getAllObjects', () => {
  let mock: XoMock
  let client: RawClient
  beforeAll(async () => {
    mock = await startMock()
    client = await signedInClient(mock)
  })
  afterAll(async () => {
    client.close()
    await mock.close()
  })

  it('returns every XAPI object keyed by id, in insertion order, without XO-side records', async () => {
    const all = await client.call('xo.getAllObjects')
    expect(Object.keys(all)).toEqual(XAPI_IDS)
    expect(all[VM1]).toMatchObject({ id: VM1, type: 'VM', name_label: 'web1', _xapiRef: `OpaqueRef:${VM1}` })
    expect(Object.values(all).some((object: any) => ['user', 'token', 'acl'].includes(object.type))).toBe(false)
  })

  it('object filters are exact, partial and subset-matching (lodash _.matches)', async () => {
    expect(Object.keys(await client.call('xo.getAllObjects', { filter: { type: 'VM' } }))).toEqual([VM1, VM2])
    expect(Object.keys(await client.call('xo.getAllObjects', { filter: { CPUs: { number: 2 } } }))).toEqual([VM1])
    expect(Object.keys(await client.call('xo.getAllObjects', { filter: { tags: ['web'] } }))).toEqual([VM1])
    expect(Object.keys(await client.call('xo.getAllObjects', { filter: { type: 'VM', tags: [] } }))).toEqual([VM1, VM2])
    expect(Object.keys(await client.call('xo.getAllObjects', { filter: {} }))).toEqual(XAPI_IDS)
  })

  it('string filters use complex-matcher syntax', async () => {
    expect(Object.keys(await client.call('xo.getAllObjects', { filter: 'type:VM' }))).toEqual([VM1, VM2, TEMPLATE])
    expect(Object.keys(await client.call('xo.getAllObjects', { filter: 'type:/^VM$/' }))).toEqual([VM1, VM2])
    expect(Object.keys(await client.call('xo.getAllObjects', { filter: 'type:VM power_state:running' }))).toEqual([VM1])
    expect((await client.request('xo.getAllObjects', { filter: '' })).json.error.code).toBe(10)
  })

  it('limit keeps the first matching objects', async () => {
    expect(Object.keys(await client.call('xo.getAllObjects', { filter: { type: 'VM' }, limit: 1 }))).toEqual([VM1])
    expect(await client.call('xo.getAllObjects', { limit: 0 })).toEqual({})
  })

  it('ndjson: true answers a one-shot $getFrom URL streaming one object per line', async () => {
    const { $getFrom } = await client.call('xo.getAllObjects', { filter: { type: 'VM' }, ndjson: true })
    expect($getFrom).toMatch(/^\/api\/[A-Za-z0-9_-]{43}$/)
    const response = await fetch(new URL($getFrom, mock.url))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(response.headers.get('content-length')).toBeNull()
    const lines = (await response.text()).split('\n')
    expect(lines.pop()).toBe('')
    expect(lines.map((line) => JSON.parse(line).id)).toEqual([VM1, VM2])
    // one-shot
    expect((await fetch(new URL($getFrom, mock.url))).status).toBe(404)
  })
})

describe('all notifications', () => {
  let mock: XoMock
  beforeEach(async () => {
    mock = await startMock()
  })
  afterEach(async () => {
    await mock.close()
  })

  it('sends enter (full objects) then exit (0) per tick to signed-in connections only', async () => {
    const signed = await signedInClient(mock)
    const other = await signedInClient(mock, { token: mock.token })
    const anonymous = await RawClient.open(wsUrl(mock))
    mock.inventory.update(VM1, { power_state: 'Halted' })
    mock.inventory.update(VM1, { name_label: 'renamed' })
    mock.inventory.add({ id: 'new-vif', type: 'VIF', uuid: 'new-vif', $pool: POOL, $poolId: POOL, _xapiRef: 'OpaqueRef:new-vif', $VM: VM2, $network: NETWORK, MAC: '02:00:00:00:00:01', device: '0' })
    mock.inventory.remove(VBD)
    await signed.waitFor(() => (signed.notifications().length >= 2 ? true : undefined))
    const [enter, exit] = signed.notifications()
    expect(enter.type).toBe('enter')
    expect(enter.items[VM1]).toMatchObject({ id: VM1, power_state: 'Halted', name_label: 'renamed' })
    expect(enter.items['new-vif']).toMatchObject({ type: 'VIF', $VM: VM2 })
    // back-references updated by the store are full objects too
    expect(enter.items[VM2].VIFs).toContain('new-vif')
    expect(exit).toEqual({ type: 'exit', items: { [VBD]: 0 } })
    const raw = signed.messages.find((message) => message.json?.method === 'all')!.raw
    expect(raw.startsWith('{"jsonrpc":"2.0","method":"all","params":{"type":"enter","items":{')).toBe(true)
    await other.waitFor(() => (other.notifications().length >= 2 ? true : undefined))
    expect(other.notifications()).toEqual(signed.notifications())
    await sleep(50)
    expect(anonymous.notifications()).toEqual([])
    for (const client of [signed, other, anonymous]) client.close()
  })

  it('cancels add+remove within a tick, keeps add+update as one enter, ignores XO-side objects', async () => {
    const client = await signedInClient(mock)
    mock.inventory.add({ id: 'tmp', type: 'network', uuid: 'tmp', $pool: POOL, $poolId: POOL, _xapiRef: 'OpaqueRef:tmp', name_label: 'tmp' })
    mock.inventory.remove('tmp')
    mock.inventory.add({ id: 'kept', type: 'network', uuid: 'kept', $pool: POOL, $poolId: POOL, _xapiRef: 'OpaqueRef:kept', name_label: 'a' })
    mock.inventory.update('kept', { name_label: 'b' })
    mock.inventory.add({ id: 'some-acl', type: 'acl', subject: 'x', object: VM1, action: 'viewer' })
    await client.waitFor(() => (client.notifications().length >= 1 ? true : undefined))
    await sleep(30)
    expect(client.notifications()).toEqual([{ type: 'enter', items: { kept: expect.objectContaining({ name_label: 'b' }) } }])
    client.close()
  })

  it('flushes the changes of a call before its response, stops after signOut', async () => {
    const client = await signedInClient(mock)
    // the admin's token.create changes a non-XAPI object: no notification
    await client.call('token.create', {})
    mock.inventory.update(VM2, { power_state: 'Running' })
    expect(await client.call('session.signOut')).toBe(true)
    // the VM2 change was flushed before the signOut response
    const index = client.messages.findIndex((message) => message.json?.method === 'all')
    const signOutIndex = client.messages.findIndex((message) => message.json?.result === true)
    expect(index).toBeGreaterThan(-1)
    expect(index).toBeLessThan(signOutIndex)
    mock.inventory.update(VM2, { power_state: 'Halted' })
    await sleep(50)
    expect(client.notifications()).toHaveLength(1)
    client.close()
  })
})

describe('backpressure', () => {
  it('closes a socket whose send buffer exceeds the bound (1013)', async () => {
    const server = await startRpcServer({ maxBufferedBytes: -1 })
    const client = await RawClient.open(wsUrl(server))
    client.send({ id: 1, jsonrpc: '2.0', method: 'system.getVersion' })
    expect(await client.waitClosed()).toBe(1013)
    await server.close()
  })
})

describe('transfer URLs ($getFrom / $sendTo)', () => {
  let server: CustomServer
  beforeAll(async () => {
    server = await startRpcServer({
      clock: 'manual',
      transferTtl: 60e3,
      handlers: {
        ...transportMethods,
        // downloads: a string body, a named file with headers, a failing handler
        'vm.export': ({ params, transfers }) =>
          params.format === 'ova'
            ? registerDownload(transfers, () => {
                throw new Error('boom')
              })
            : registerDownload(transfers, () => 'XVA-DATA', {
                suffix: '/2026-01-01 - web1.xva',
                headers: { 'content-disposition': 'attachment' },
              }),
        // uploads: raw body, JSON-RPC style answer
        'vm.import': ({ transfers }) =>
          registerUpload(
            transfers,
            async ({ body }) => {
              let size = 0
              for await (const chunk of body) size += (chunk as Buffer).length
              if (size === 0) throw new Error('empty upload')
              return `vm-of-${size}-bytes`
            },
            { respond: 'jsonrpc' },
          ),
        'xo.importConfig': ({ transfers }) => registerUpload(transfers, () => 'config successfully imported'),
      },
    })
  })
  afterAll(async () => {
    await server.close()
  })

  it('downloads once, chunked, with the registered headers and suffix', async () => {
    const client = await signedInClient(server)
    const { $getFrom } = await client.call('vm.export', { vm: VM1 })
    expect($getFrom).toMatch(/^\/api\/[A-Za-z0-9_-]{43}\/2026-01-01%20-%20web1\.xva$/)
    const response = await fetch(new URL($getFrom, server.url))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-length')).toBeNull()
    expect(response.headers.get('content-disposition')).toBe('attachment')
    expect(await response.text()).toBe('XVA-DATA')
    expect((await fetch(new URL($getFrom, server.url))).status).toBe(404)
    const failing = await client.call('vm.export', { vm: VM1, format: 'ova' })
    const error = await fetch(new URL(failing.$getFrom, server.url))
    expect(error.status).toBe(500)
    expect(await error.text()).toBe('unknown error')
    client.close()
  })

  it('uploads any content type, answers JSON-RPC style with id 0', async () => {
    const client = await signedInClient(server)
    const { $sendTo } = await client.call('vm.import', { sr: SR })
    const response = await fetch(new URL($sendTo, server.url), { method: 'POST', body: Buffer.alloc(1000, 1), headers: { 'content-type': 'text/plain;charset=UTF-8' } })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('{"id":0,"jsonrpc":"2.0","result":"vm-of-1000-bytes"}')
    const failing = await client.call('vm.import', { sr: SR })
    const error = await fetch(new URL(failing.$sendTo, server.url), { method: 'PUT' })
    expect(error.status).toBe(500)
    expect(await error.text()).toBe('{"error":{"code":-32000,"message":"empty upload"},"id":0,"jsonrpc":"2.0"}')
    const config = await client.call('xo.importConfig', {})
    const plain = await fetch(new URL(config.$sendTo, server.url), { method: 'POST', body: '{}' })
    expect(await plain.text()).toBe('config successfully imported')
    client.close()
  })

  it('expires unused URLs (context clock)', async () => {
    const client = await signedInClient(server)
    const { $getFrom } = await client.call('vm.export', { vm: VM1 })
    ;(server.ctx.clock as ManualClock).advance(60e3)
    expect((await fetch(new URL($getFrom, server.url))).status).toBe(404)
    expect(server.rpc.transfers.size).toBe(0)
    client.close()
  })
})
