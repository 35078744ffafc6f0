/**
 * Fault rules on JSON-RPC method calls (delay, error, drop, close, hang, filter) and on WebSocket
 * connections to /api/ (status, close, drop, hang, delay).
 */
import WebSocket from 'ws'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import { RawClient, startMock, tick, until, wsUrl } from './helpers.js'

let xo: XoMock
let halted: { id: string; name_label: string }[]
beforeAll(async () => {
  xo = await startMock({ seed: 'rpc-faults' })
  halted = [...xo.inventory.ofType<{ id: string; type: string; name_label: string; power_state: string }>('VM')].filter((vm) => vm.power_state === 'Halted')
})
afterAll(() => xo.close())
afterEach(() => {
  xo.control.reset()
})

async function client(): Promise<RawClient> {
  const raw = await RawClient.open(wsUrl(xo))
  await raw.call('session.signIn', { email: xo.email, password: xo.password })
  return raw
}

const powerState = (id: string) => xo.inventory.get(id)!.power_state

describe('fault effects on JSON-RPC calls', () => {
  it('delay: the reply waits for the mock clock', async () => {
    xo.control.addFault({ match: { rpc: 'vm.start' }, effect: { delay: 1000 } })
    const rpc = await client()
    const pending = rpc.request('vm.start', { id: halted[0]!.id })
    await tick()
    expect(powerState(halted[0]!.id)).toBe('Halted')
    xo.control.advanceClock(1000)
    const { json } = await pending
    expect(json.result).toBe(true)
    expect(powerState(halted[0]!.id)).toBe('Running')
    expect(xo.control.journal({ transport: 'rpc', method: 'vm.start' })[0]).toMatchObject({ delayMs: 1000, durationMs: 1000, params: { id: halted[0]!.id }, user: xo.email })
    rpc.close()
  })

  it('error: an XO error on the wire, the method does not run', async () => {
    xo.control.addFault({ match: { rpc: 'vm.start' }, effect: { error: { code: 13, message: 'VM state is halted but should be running', data: { expected: 'running' } } } })
    const rpc = await client()
    const { json } = await rpc.request('vm.start', { id: halted[0]!.id }, 7)
    // XO errors keep their wire key order: message, code, data
    expect(Object.keys(json.error)).toEqual(['message', 'code', 'data'])
    expect(json).toEqual({ jsonrpc: '2.0', id: 7, error: { message: 'VM state is halted but should be running', code: 13, data: { expected: 'running' } } })
    expect(powerState(halted[0]!.id)).toBe('Halted')
    expect(xo.control.journal({ method: 'vm.start' })[0]).toMatchObject({ error: 'VM state is halted but should be running', code: 13 })
    rpc.close()
  })

  it('drop: the method runs but its reply never comes; notifications still do', async () => {
    const fault = xo.control.addFault({ match: { rpc: 'vm.start' }, effect: { drop: true }, times: 1 })
    const rpc = await client()
    rpc.send({ jsonrpc: '2.0', id: 'lost', method: 'vm.start', params: { id: halted[0]!.id } })
    await until(() => powerState(halted[0]!.id) === 'Running')
    await until(() => rpc.notifications().some((params) => params.items[halted[0]!.id]?.power_state === 'Running'))
    await tick(50)
    expect(rpc.messages.some((message) => message.json?.id === 'lost')).toBe(false)
    expect(xo.control.journal({ method: 'vm.start' })[0]).toMatchObject({ fault: fault.id, error: 'reply dropped by a fault' })
    // times: 1, the next call is answered
    expect(await rpc.call('vm.stop', { id: halted[0]!.id, force: true })).toBe(true)
    rpc.close()
  })

  it('close: the socket is closed with the given code, without a reply', async () => {
    xo.control.addFault({ match: { rpc: 'vm.start' }, effect: { close: 1011, reason: 'xapi went away' } })
    const rpc = await client()
    rpc.send({ jsonrpc: '2.0', id: 1, method: 'vm.start', params: { id: halted[0]!.id } })
    expect(await rpc.waitClosed()).toBe(1011)
    expect(rpc.closeReason).toBe('xapi went away')
    expect(powerState(halted[0]!.id)).toBe('Halted')
  })

  it('hang: the call never runs nor answers, other calls still do', async () => {
    xo.control.addFault({ match: { rpc: 'vm.start' }, effect: { hang: true } })
    const rpc = await client()
    rpc.send({ jsonrpc: '2.0', id: 'hung', method: 'vm.start', params: { id: halted[0]!.id } })
    expect(await rpc.call('session.getUser').catch(() => 'answered')).toBeDefined()
    xo.control.advanceClock(3_600_000)
    await tick(50)
    expect(rpc.messages.some((message) => message.json?.id === 'hung')).toBe(false)
    expect(powerState(halted[0]!.id)).toBe('Halted')
    expect(xo.control.journal({ method: 'vm.start' })[0]).toMatchObject({ error: expect.stringContaining('hung') })
    rpc.close()
  })

  it('filter: only calls about objects matching the filter (ids in the params)', async () => {
    xo.control.addFault({ match: { rpc: ['vm.start', 'vm.stop'] }, filter: `name_label:"${halted[0]!.name_label}"`, effect: { error: { code: 5, message: 'forbidden operation' } } })
    const rpc = await client()
    await expect(rpc.call('vm.start', { id: halted[0]!.id })).rejects.toMatchObject({ code: 5 })
    expect(await rpc.call('vm.start', { id: halted[1]!.id })).toBe(true)
    // vm= aliasing: the param name does not matter
    await expect(rpc.call('vm.start', { vm: halted[0]!.id })).rejects.toMatchObject({ code: 5 })
    rpc.close()
  })

  it('globs match method families; probability is seeded per rule', async () => {
    const fault = xo.control.addFault({ match: { rpc: 'xo.*' }, effect: { error: { code: 0, message: 'flaky' } }, probability: 0.5, seed: 42 })
    const rpc = await client()
    const outcomes: boolean[] = []
    for (let i = 0; i < 16; i++) outcomes.push(await rpc.call('xo.getAllObjects', { filter: { type: 'pool' } }).then(() => true, () => false))
    expect(outcomes).toContain(true)
    expect(outcomes).toContain(false)
    expect(xo.control.fault(fault.id).applied).toBe(outcomes.filter((ok) => !ok).length)
    // the same rule seed replays the same sequence
    xo.control.clearFaults()
    xo.control.addFault({ match: { rpc: 'xo.*' }, effect: { error: { code: 0, message: 'flaky' } }, probability: 0.5, seed: 42 })
    const again: boolean[] = []
    for (let i = 0; i < 16; i++) again.push(await rpc.call('xo.getAllObjects', { filter: { type: 'pool' } }).then(() => true, () => false))
    expect(again).toEqual(outcomes)
    rpc.close()
  })
})

function connect(): Promise<{ ws?: WebSocket; error?: string; closed?: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(xo))
    const closed = new Promise<{ code: number; reason: string }>((done) => ws.once('close', (code, reason) => done({ code, reason: String(reason) })))
    ws.once('open', () => resolve({ ws, closed }))
    ws.once('error', (error) => resolve({ error: error.message }))
  })
}

describe('fault effects on WebSocket connections', () => {
  it('status: the upgrade is refused with an HTTP status', async () => {
    xo.control.addFault({ match: { ws: true }, effect: { status: 503 }, times: 1 })
    expect((await connect()).error).toBe('Unexpected server response: 503')
    const second = await connect()
    expect(second.ws).toBeDefined()
    second.ws!.close()
    expect(xo.control.journal({ transport: 'ws' }).map((entry) => entry.status)).toEqual([503, 101])
  })

  it('close: the connection opens, then closes with the code (at once or after some mock time)', async () => {
    xo.control.addFault({ match: { ws: true }, effect: { close: 4001, reason: 'maintenance' }, times: 1 })
    const first = await connect()
    expect(await first.closed).toEqual({ code: 4001, reason: 'maintenance' })

    xo.control.addFault({ match: { ws: true }, effect: { close: 1012, after: 5000 } })
    const second = await connect()
    let closed = false
    void second.closed!.then(() => (closed = true))
    await tick(50)
    expect(closed).toBe(false)
    xo.control.advanceClock(5000)
    expect((await second.closed!).code).toBe(1012)
  })

  it('drop and hang: no upgrade at all', async () => {
    xo.control.addFault({ match: { ws: true }, effect: { drop: true }, times: 1 })
    expect((await connect()).error).toMatch(/socket hang up|ECONNRESET/)
    xo.control.addFault({ match: { ws: true }, effect: { hang: true }, times: 1 })
    let settled = false
    const hung = connect().then((outcome) => {
      settled = true
      return outcome
    })
    await tick(100)
    expect(settled).toBe(false)
    xo.control.reset()
    expect((await hung).error).toBeDefined()
  })

  it('delay: the upgrade waits for the mock clock', async () => {
    xo.control.addFault({ match: { ws: true }, effect: { delay: 250 } })
    let opened = false
    const pending = connect().then((outcome) => {
      opened = true
      return outcome
    })
    await tick(50)
    expect(opened).toBe(false)
    xo.control.advanceClock(250)
    const { ws } = await pending
    expect(ws).toBeDefined()
    ws!.close()
  })
})
