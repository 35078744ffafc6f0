import http from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { XoObject } from '../../src/inventory/types.js'
import {
  ADMIN,
  HOST,
  MESSAGE,
  POOL,
  SR,
  VM_HALTED,
  VM_WEB1,
  VM_WEB2,
  adminCookie,
  bobCookie,
  openSse,
  startMapMock,
  type MapMock,
  type SseClient,
} from './helpers.js'

const PING = 1000
let mock: MapMock
const clients: SseClient[] = []

beforeAll(async () => {
  mock = await startMapMock({ ssePingInterval: PING })
})
afterAll(async () => {
  await mock.close()
})
afterEach(() => {
  for (const client of clients.splice(0)) client.close()
})

async function connect(cookie = adminCookie): Promise<{ client: SseClient; id: string }> {
  const client = await openSse(mock, { cookie })
  clients.push(client)
  const init = await client.next()
  expect(init.event).toBe('init')
  return { client, id: init.data.id as string }
}

async function subscribe(id: string, body: unknown, cookie = adminCookie) {
  return mock.app.inject({ method: 'POST', url: `/rest/v0/events/${id}/subscriptions`, headers: { cookie, 'content-type': 'application/json' }, payload: JSON.stringify(body) })
}

/** A change every subscriber of `VM` sees, to prove nothing was sent before it. */
let marker = 0
function touchMarker(): string {
  const label = `marker-${++marker}`
  mock.inventory.update(VM_WEB1, { name_label: label })
  return label
}

describe('GET /events', () => {
  it('opens a text/event-stream and sends init with a UUID v4 connection id', async () => {
    let headers: http.IncomingHttpHeaders = {}
    const client = await openSse(mock, { cookie: adminCookie }, (response) => {
      headers = response.headers
      expect(response.statusCode).toBe(200)
    })
    clients.push(client)
    const init = await client.next()
    expect(headers['content-type']).toBe('text/event-stream')
    expect(headers['cache-control']).toBe('no-cache, no-transform')
    expect(headers.connection).toBe('keep-alive')
    expect(init.event).toBe('init')
    expect(init.data.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(init.raw).toBe(`event: init\ndata: {"id":"${String(init.data.id)}"}\n\n`)
  })

  it('requires authentication', async () => {
    const response = await mock.app.inject({ url: '/rest/v0/events' })
    expect(response.statusCode).toBe(401)
  })

  it('pings every ssePingInterval on the mock clock', async () => {
    const { client } = await connect()
    mock.clock.advance(PING - 1)
    mock.clock.advance(1)
    const ping = await client.next()
    expect(ping.event).toBe('ping')
    expect(ping.data).toEqual({ ping: mock.clock.now() })
    mock.clock.advance(PING)
    expect((await client.next()).data).toEqual({ ping: mock.clock.now() })
  })
})

describe('subscriptions', () => {
  it('POST → 201 {"id": collection}, pretty JSON', async () => {
    const { id } = await connect()
    const response = await subscribe(id, { collection: 'VM' })
    expect(response.statusCode).toBe(201)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.payload).toBe('{\n  "id": "VM"\n}')
  })

  it('rejects an unknown collection with tsoa 422 (before the connection lookup)', async () => {
    const response = await subscribe('nope', { collection: 'vms' })
    expect(response.statusCode).toBe(422)
    const body = response.json() as { error: Record<string, { message: string; value: unknown }>; data: unknown }
    expect(body.data).toEqual({})
    expect(body.error['body.collection']!.value).toBe('vms')
    expect(body.error['body.collection']!.message).toMatch(/^should be one of the following; \['pool','VBD',/)
    const missing = await subscribe('nope', {})
    expect(missing.statusCode).toBe(422)
    expect(missing.json()).toEqual({ error: { 'body.collection': { message: "'collection' is required" } }, data: {} })
    const extra = await subscribe('nope', { collection: 'VM', foo: 1 })
    expect(extra.statusCode).toBe(422)
    const fields = await subscribe('nope', { collection: 'VM', fields: 'name_label' })
    expect(Object.keys((fields.json() as { error: object }).error)).toEqual(['body.fields'])
    // only JSON bodies are read: anything else counts as {}
    const text = await mock.app.inject({ method: 'POST', url: '/rest/v0/events/nope/subscriptions', headers: { cookie: adminCookie, 'content-type': 'text/plain' }, payload: 'collection=VM' })
    expect(text.statusCode).toBe(422)
    const malformed = await mock.app.inject({ method: 'POST', url: '/rest/v0/events/nope/subscriptions', headers: { cookie: adminCookie, 'content-type': 'application/json' }, payload: '{' })
    expect(malformed.statusCode).toBe(500)
  })

  it('unknown connection → 404 no such event', async () => {
    const response = await subscribe('0d8b28c6-e9bf-4c9d-a382-3c9e0d7cfbff', { collection: 'VM' })
    expect(response.statusCode).toBe(404)
    expect(response.payload).toBe(
      JSON.stringify({ error: 'no such event 0d8b28c6-e9bf-4c9d-a382-3c9e0d7cfbff', data: { id: '0d8b28c6-e9bf-4c9d-a382-3c9e0d7cfbff', type: 'event' } }, null, 2),
    )
    const del = await mock.app.inject({ method: 'DELETE', url: '/rest/v0/events/nope/subscriptions/VM', headers: { cookie: adminCookie } })
    expect(del.statusCode).toBe(404)
  })

  it('streams add, update and remove with $subscription', async () => {
    const { client, id } = await connect()
    expect((await subscribe(id, { collection: 'network' })).statusCode).toBe(201)
    const network: XoObject = { id: 'net-sse', type: 'network', uuid: 'net-sse', name_label: 'sse', $pool: POOL, $poolId: POOL, PIFs: [], VIFs: [], tags: [] }
    mock.inventory.add(network)
    const add = await client.next()
    expect(add.event).toBe('add')
    expect(add.data).toEqual({ $subscription: 'network', ...network })
    expect(Object.keys(add.data)[0]).toBe('$subscription')
    mock.inventory.update('net-sse', { name_label: 'renamed' })
    const update = await client.next()
    expect(update.event).toBe('update')
    expect(update.data).toMatchObject({ $subscription: 'network', id: 'net-sse', name_label: 'renamed' })
    mock.inventory.remove('net-sse')
    const remove = await client.next()
    expect(remove.event).toBe('remove')
    expect(remove.data).toMatchObject({ $subscription: 'network', id: 'net-sse', name_label: 'renamed' })
  })

  it('projects fields and suppresses updates of unwatched fields', async () => {
    const { client, id } = await connect()
    await subscribe(id, { collection: 'VM', fields: ['name_label', 'CPUs.number'] })
    mock.inventory.update(VM_WEB2, { name_description: 'not watched' })
    mock.inventory.update(VM_WEB2, { CPUs: { max: 8, number: 6 } })
    const update = await client.next()
    expect(update.event).toBe('update')
    expect(update.data).toEqual({ $subscription: 'VM', name_label: 'web-2', CPUs: { number: 6 } })
    // re-subscribing replaces the fields
    await subscribe(id, { collection: 'VM', fields: ['power_state'] })
    mock.inventory.update(VM_WEB2, { name_label: 'web-2b' })
    mock.inventory.update(VM_WEB2, { power_state: 'Paused' })
    const next = await client.next()
    expect(next.data).toEqual({ $subscription: 'VM', power_state: 'Paused' })
    mock.inventory.update(VM_WEB2, { power_state: 'Running', name_label: 'web-2' })
    await client.next()
  })

  it('splits alarms (parsed) from messages', async () => {
    const { client, id } = await connect()
    await subscribe(id, { collection: 'alarm' })
    await subscribe(id, { collection: 'message', fields: ['name', '$object'] })
    mock.inventory.add({ id: 'msg-sse', type: 'message', uuid: 'msg-sse', name: 'VM_STARTED', time: 1767225600, $object: VM_WEB1, body: '', $pool: POOL, $poolId: POOL })
    const message = await client.next()
    expect(message).toMatchObject({ event: 'add', data: { $subscription: 'message', name: 'VM_STARTED', $object: VM_WEB1 } })
    mock.inventory.add({
      id: 'alarm-sse',
      type: 'message',
      uuid: 'alarm-sse',
      name: 'ALARM',
      time: 1767225600,
      $object: SR,
      body: 'value: 0.95\nconfig:\n<variable>\n<name value="physical_utilisation"/>\n</variable>',
      $pool: POOL,
      $poolId: POOL,
    })
    const alarm = await client.next()
    expect(alarm.event).toBe('add')
    expect(alarm.data).toMatchObject({
      $subscription: 'alarm',
      id: 'alarm-sse',
      body: { value: '95.0', name: 'physical_utilisation' },
      object: { type: 'SR', uuid: SR },
      time: 1767225600000,
    })
    expect(alarm.data.$object).toBeUndefined()
    mock.inventory.remove('alarm-sse')
    mock.inventory.remove('msg-sse')
    expect((await client.next()).event).toBe('remove')
    expect((await client.next()).data).toEqual({ $subscription: 'message', name: 'VM_STARTED', $object: VM_WEB1 })
    expect(mock.inventory.get(MESSAGE)).toBeDefined()
  })

  it('tasks only emit update and remove', async () => {
    const { client, id } = await connect()
    await subscribe(id, { collection: 'task', fields: ['status'] })
    mock.inventory.add({ id: 'task-sse', type: 'task', properties: { name: 'test', userId: ADMIN }, start: 1, status: 'pending', updatedAt: 1 })
    expect(await client.next()).toMatchObject({ event: 'update', data: { $subscription: 'task', status: 'pending' } })
    mock.inventory.update('task-sse', { updatedAt: 2 })
    mock.inventory.update('task-sse', { status: 'success', end: 3 })
    expect(await client.next()).toMatchObject({ event: 'update', data: { status: 'success' } })
    mock.inventory.remove('task-sse')
    expect(await client.next()).toMatchObject({ event: 'remove', data: { status: 'success' } })
  })

  it('DELETE → 204 stops the collection', async () => {
    const { client, id } = await connect()
    await subscribe(id, { collection: 'VM', fields: ['name_label'] })
    await subscribe(id, { collection: 'host', fields: ['name_label'] })
    const response = await mock.app.inject({ method: 'DELETE', url: `/rest/v0/events/${id}/subscriptions/VM`, headers: { cookie: adminCookie } })
    expect(response.statusCode).toBe(204)
    expect(response.payload).toBe('')
    const invalid = await mock.app.inject({ method: 'DELETE', url: `/rest/v0/events/${id}/subscriptions/vms`, headers: { cookie: adminCookie } })
    expect(invalid.statusCode).toBe(422)
    touchMarker()
    mock.inventory.update(HOST, { name_label: 'host-renamed' })
    expect((await client.next()).data).toEqual({ $subscription: 'host', name_label: 'host-renamed' })
  })

  it('non-admins only get the objects they may read, visibility changes as add/remove', async () => {
    const { client, id } = await connect(bobCookie)
    expect((await subscribe(id, { collection: 'VM', fields: ['id', 'name_label'] }, bobCookie)).statusCode).toBe(201)
    mock.inventory.update(VM_HALTED, { name_label: 'hidden change' })
    mock.inventory.update(VM_WEB2, { name_label: 'hidden change' })
    const label = touchMarker()
    expect(await client.next()).toMatchObject({ event: 'update', data: { id: VM_WEB1, name_label: label } })
    // bob may read what runs on HOST once he has an ACL on it
    mock.inventory.add({ id: 'acl-bob-host', type: 'acl', subject: '088124f3-41b6-4258-9653-6eedc7b46111', object: HOST, action: 'view' })
    mock.inventory.update(VM_WEB2, { $container: POOL, power_state: 'Halted' })
    // web-1 still runs on HOST: a harmless update, then web-2 leaves HOST (remove)
    expect(await client.next()).toMatchObject({ event: 'remove', data: { id: VM_WEB2 } })
    mock.inventory.update(VM_WEB2, { $container: HOST, power_state: 'Running' })
    expect(await client.next()).toMatchObject({ event: 'add', data: { id: VM_WEB2 } })
    mock.inventory.remove('acl-bob-host')
    mock.inventory.update(VM_WEB2, { name_label: 'web-2' })
    touchMarker()
    expect((await client.next()).data.id).toBe(VM_WEB1)
  })
})

describe('slow consumers', () => {
  it('cuts a connection whose buffer exceeds the bound instead of growing memory', async () => {
    Object.assign(mock.context.config, { sseMaxBufferBytes: 64 * 1024 })
    try {
      let paused: http.IncomingMessage | undefined
      const client = await openSse(mock, { cookie: adminCookie }, (response) => {
        paused = response
      })
      clients.push(client)
      const init = await client.next()
      paused!.pause()
      const id = init.data.id as string
      expect((await subscribe(id, { collection: 'VM', fields: ['name_description'] })).statusCode).toBe(201)
      const big = 'x'.repeat(100 * 1024)
      let cut = false
      for (let i = 0; i < 400 && !cut; i++) {
        mock.inventory.update(VM_WEB2, { name_description: `${i}${big}` })
        if (i % 20 === 19) {
          await new Promise((resolve) => setImmediate(resolve))
          cut = (await subscribe(id, { collection: 'VM' })).statusCode === 404
        }
      }
      expect(cut).toBe(true)
      paused!.resume()
      await client.waitClosed()
    } finally {
      Object.assign(mock.context.config, { sseMaxBufferBytes: undefined })
      mock.inventory.update(VM_WEB2, { name_description: '' })
    }
  })
})
