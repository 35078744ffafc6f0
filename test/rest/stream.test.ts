import http from 'node:http'
import { Writable } from 'node:stream'
import { setImmediate as tick } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import type { XoObject } from '../../src/inventory/types.js'
import { ndjsonStream } from '../../src/rest/stream.js'
import { POOL, adminCookie, buildObjects, get, startMock } from './helpers.js'

function counted(total: number) {
  const state = { pulled: 0, finished: false }
  function* items() {
    try {
      for (let i = 0; i < total; i++) {
        state.pulled++
        yield { i, name: `item-${i}` }
      }
    } finally {
      state.finished = true
    }
  }
  return { state, items: items() }
}

describe('ndjsonStream', () => {
  it('writes every item as a terminated line', async () => {
    const chunks: string[] = []
    for await (const chunk of ndjsonStream([1, 'a', { b: [2] }])) chunks.push(String(chunk))
    expect(chunks.join('')).toBe('1\n"a"\n{"b":[2]}\n')
  })

  it('pulls items only as fast as the consumer reads', async () => {
    const { state, items } = counted(1_000_000)
    const stalled = new Writable({ highWaterMark: 1024, write: () => {} })
    const stream = ndjsonStream(items)
    stream.pipe(stalled)
    for (let i = 0; i < 20; i++) await tick()
    expect(state.pulled).toBeGreaterThan(0)
    // a few 16 KiB chunks at most, nowhere near the million items
    expect(state.pulled).toBeLessThan(5000)
    stream.destroy()
    await tick()
    expect(state.finished).toBe(true)
  })

  it('stops iterating when destroyed', async () => {
    const { state, items } = counted(1_000_000)
    const stream = ndjsonStream(items)
    await new Promise((resolve) => stream.once('readable', resolve))
    const first = String(stream.read())
    expect(first.startsWith('{"i":0,"name":"item-0"}\n')).toBe(true)
    stream.destroy()
    await tick()
    expect(state.finished).toBe(true)
    expect(state.pulled).toBeLessThan(5000)
  })
})

describe('NDJSON over HTTP on a large inventory', () => {
  const COUNT = 20_000
  let mock: XoMock

  beforeAll(async () => {
    const base = buildObjects()
    const template = base.find((object) => object.type === 'VM')!
    const objects: XoObject[] = base.filter((object) => object.type !== 'VM')
    for (let i = 0; i < COUNT; i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
      objects.push({ ...template, id, uuid: id, _xapiRef: `OpaqueRef:${id}`, name_label: `vm-${i}`, power_state: i % 2 === 0 ? 'Running' : 'Halted', $container: POOL })
    }
    mock = await startMock(objects)
  }, 60_000)
  afterAll(async () => {
    await mock.close()
  })

  it('streams every line', async () => {
    const reply = await get(mock, '/rest/v0/vms?ndjson=true&fields=name_label&filter=power_state:Running')
    const lines = reply.text.split('\n')
    expect(lines).toHaveLength(COUNT / 2 + 1)
    expect(lines.at(-1)).toBe('')
    expect(JSON.parse(lines[0]!)).toEqual({ name_label: 'vm-0', href: '/rest/v0/vms/00000000-0000-4000-8000-000000000000' })
  })

  it('stops reading the store when the client goes away', async () => {
    const store = mock.inventory
    const original = store.ofType.bind(store)
    const state = { pulled: 0, finished: false }
    store.ofType = function* <T extends XoObject>(type: string): Generator<T> {
      try {
        for (const object of original<T>(type)) {
          if (type === 'VM') state.pulled++
          yield object
        }
      } finally {
        if (type === 'VM') state.finished = true
      }
    } as typeof store.ofType
    try {
      const firstChunk = await new Promise<string>((resolve, reject) => {
        const req = http.get(`${mock.url}/rest/v0/vms?ndjson=true&fields=*`, { headers: { cookie: adminCookie } }, (res) => {
          res.once('data', (chunk: Buffer) => {
            req.destroy()
            resolve(chunk.toString())
          })
        })
        req.on('error', (error) => (error.message.includes('socket hang up') ? undefined : reject(error)))
      })
      expect(firstChunk.startsWith('{')).toBe(true)
      for (let i = 0; i < 200 && !state.finished; i++) await new Promise((resolve) => setTimeout(resolve, 5))
      expect(state.finished).toBe(true)
      expect(state.pulled).toBeLessThan(COUNT)
    } finally {
      store.ofType = original
    }
  })

  it('answers the benchmark request and serves repeats from the body cache', async () => {
    const url = '/rest/v0/vms?fields=name_label,power_state&filter=power_state:Running'
    const first = await get(mock, url)
    expect(first.status).toBe(200)
    expect((first.json() as unknown[]).length).toBe(COUNT / 2)
    const store = mock.inventory
    const original = store.ofType.bind(store)
    let scans = 0
    store.ofType = ((type: string) => {
      scans++
      return original(type)
    }) as typeof store.ofType
    try {
      for (let i = 0; i < 5; i++) expect((await get(mock, url)).text).toBe(first.text)
      expect(scans).toBe(0)
      // a change of the store invalidates it
      store.update('00000000-0000-4000-8000-000000000001', { power_state: 'Running' })
      expect(((await get(mock, url)).json() as unknown[]).length).toBe(COUNT / 2 + 1)
      expect(scans).toBe(1)
    } finally {
      store.ofType = original
    }
  })
})
