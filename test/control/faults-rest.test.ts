/**
 * Fault rules on HTTP: every effect on a REST route, truncateAfter on a transfer download, filter on the
 * target object, skip / times / probability (seeded), the rule list and its validation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import { registerDownload } from '../../src/rpc/index.js'
import { admin, api, rawGet, startMock, tick } from './helpers.js'

let xo: XoMock
let vmA: { id: string; name_label: string }
let vmB: { id: string; name_label: string }
beforeAll(async () => {
  xo = await startMock({ seed: 'faults' })
  ;[vmA, vmB] = [...xo.inventory.ofType<{ id: string; type: string; name_label: string }>('VM')]
})
afterAll(() => xo.close())
afterEach(() => {
  xo.control.clearFaults()
  xo.control.clearJournal()
})

const getVm = (id: string) => fetch(`${xo.url}/rest/v0/vms/${id}`, { headers: admin(xo) })

describe('fault effects on REST', () => {
  it('delay: the response waits for the mock clock (no sleep)', async () => {
    const { body: fault } = await api(xo, 'POST', '/_mock/faults', { match: { rest: 'GET /rest/v0/vms/:id' }, effect: { delay: 500 } })
    let answered = false
    const pending = getVm(vmA.id).then((response) => {
      answered = true
      return response
    })
    await tick()
    expect(answered).toBe(false)
    xo.control.advanceClock(499)
    await tick()
    expect(answered).toBe(false)
    xo.control.advanceClock(1)
    expect((await pending).status).toBe(200)
    const [entry] = xo.control.journal({ path: '/rest/v0/vms/:id' })
    expect(entry).toMatchObject({ transport: 'rest', method: 'GET', status: 200, fault: fault.id, delayMs: 500, durationMs: 500 })
  })

  it('delay {min, max}: jittered, from a seeded PRNG', async () => {
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { delay: { min: 100, max: 200 } }, seed: 'jitter' })
    const delays: number[] = []
    for (let i = 0; i < 5; i++) {
      const pending = getVm(vmA.id)
      await tick()
      xo.control.advanceClock(200)
      expect((await pending).status).toBe(200)
    }
    for (const entry of xo.control.journal({ transport: 'rest' })) delays.push(entry.delayMs!)
    expect(delays).toHaveLength(5)
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(100)
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(200)
    expect(new Set(delays).size).toBeGreaterThan(1)
    // the same rule seed draws the same delays
    xo.control.clearFaults()
    xo.control.clearJournal()
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { delay: { min: 100, max: 200 } }, seed: 'jitter' })
    for (let i = 0; i < 5; i++) {
      const pending = getVm(vmA.id)
      await tick()
      xo.control.advanceClock(200)
      await pending
    }
    expect(xo.control.journal({ transport: 'rest' }).map((entry) => entry.delayMs)).toEqual(delays)
  })

  it('error: an XO error with the status XO uses for its code (or the one given)', async () => {
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { error: { code: 1, message: 'no such VM', data: { id: vmA.id, type: 'VM' } } }, times: 1 })
    const first = await api(xo, 'GET', `/rest/v0/vms/${vmA.id}`)
    expect(first.status).toBe(404)
    expect(first.body).toEqual({ error: 'no such VM', data: { id: vmA.id, type: 'VM' } })
    expect((await api(xo, 'GET', `/rest/v0/vms/${vmA.id}`)).status).toBe(200)
    xo.control.addFault({ match: { rest: 'POST /rest/v0/vms/:id/actions/*' }, effect: { error: { code: 21, message: 'operation failed', status: 409 } } })
    const action = await api(xo, 'POST', `/rest/v0/vms/${vmA.id}/actions/clean_shutdown`)
    expect(action.status).toBe(409)
    expect(action.body).toEqual({ error: 'operation failed' })
    expect(xo.control.journal({ method: 'POST' })[0]).toMatchObject({ status: 409, error: 'operation failed' })
  })

  it('status: any HTTP status, with an optional body and headers', async () => {
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vms' }, effect: { status: 503 } })
    const plain = await api(xo, 'GET', '/rest/v0/vms')
    expect(plain.status).toBe(503)
    expect(plain.body).toEqual({ error: 'Service Unavailable' })
    xo.control.clearFaults()
    xo.control.addFault({ match: { rest: '/rest/v0/hosts' }, effect: { status: 429, body: 'slow down', headers: { 'retry-after': '7' } } })
    const custom = await api(xo, 'GET', '/rest/v0/hosts')
    expect(custom.status).toBe(429)
    expect(custom.text).toBe('slow down')
    expect(custom.headers.get('retry-after')).toBe('7')
    expect((await api(xo, 'GET', '/rest/v0/vms')).status).toBe(200)
  })

  it('drop: the connection is reset without a response', async () => {
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { drop: true } })
    const response = await rawGet(`${xo.url}/rest/v0/vms/${vmA.id}`, admin(xo))
    expect(response.outcome).toBe('error')
    expect(response.status).toBeUndefined()
    expect(xo.control.journal()).toEqual([expect.objectContaining({ path: `/rest/v0/vms/${vmA.id}`, error: expect.stringContaining('dropped'), fault: 'fault-' + xo.control.faults()[0]!.id.split('-')[1] })])
  })

  it('hang: no response until the mock resets or closes', async () => {
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { hang: true } })
    let settled = false
    const pending = rawGet(`${xo.url}/rest/v0/vms/${vmA.id}`, admin(xo)).then((response) => {
      settled = true
      return response
    })
    await tick(100)
    xo.control.advanceClock(3_600_000)
    await tick()
    expect(settled).toBe(false)
    expect(xo.control.journal()[0]).toMatchObject({ error: expect.stringContaining('hung') })
    // other routes still answer
    expect((await api(xo, 'GET', '/rest/v0/hosts')).status).toBe(200)
    xo.control.reset()
    expect((await pending).outcome).toBe('error')
  })

  it('truncateAfter: the body is cut after N bytes (REST JSON)', async () => {
    const full = await rawGet(`${xo.url}/rest/v0/vms?fields=*`, admin(xo))
    expect(full.outcome).toBe('end')
    expect(full.body.length).toBeGreaterThan(1000)
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vms' }, effect: { truncateAfter: 1000 } })
    const cut = await rawGet(`${xo.url}/rest/v0/vms?fields=*`, admin(xo))
    expect(cut.status).toBe(200)
    expect(cut.outcome).toBe('aborted')
    expect(cut.body.length).toBe(1000)
    expect(cut.body).toEqual(full.body.subarray(0, 1000))
  })

  it('truncateAfter on a transfer download (one-shot /api/<token> URL) and a REST disk export', async () => {
    const content = Buffer.alloc(256 * 1024, 7)
    const { $getFrom } = registerDownload(xo.rpc.transfers, () => content)
    xo.control.addFault({ match: { transfer: true }, effect: { truncateAfter: 50_000 } })
    const cut = await rawGet(xo.url + $getFrom)
    expect(cut.status).toBe(200)
    expect(cut.outcome).toBe('aborted')
    expect(cut.body.length).toBe(50_000)
    expect(xo.control.journal({ transport: 'transfer' })[0]).toMatchObject({ method: 'GET', error: expect.stringContaining('truncated') })

    const vdi = xo.inventory.ofType<{ id: string; type: string }>('VDI').next().value!
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vdis/:id.raw' }, effect: { truncateAfter: 4096 } })
    const disk = await rawGet(`${xo.url}/rest/v0/vdis/${vdi.id}.raw`, admin(xo))
    expect(disk.status).toBe(200)
    expect(disk.outcome).toBe('aborted')
    expect(disk.body.length).toBe(4096)
  })
})

describe('fault matching', () => {
  it('filter: only calls about objects matching a complex-matcher filter', async () => {
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, filter: `name_label:"${vmA.name_label}"`, effect: { status: 500 } })
    expect((await getVm(vmA.id)).status).toBe(500)
    expect((await getVm(vmB.id)).status).toBe(200)
    // a path that names no object does not match a filtered rule
    expect((await api(xo, 'GET', '/rest/v0/vms')).status).toBe(200)
    expect(xo.control.faults()[0]).toMatchObject({ matched: 1, applied: 1 })
  })

  it('skip and times: the first N calls pass, then M are affected, then the rule is exhausted', async () => {
    const fault = xo.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { status: 503 }, skip: 1, times: 2 })
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await getVm(vmA.id)).status)
    expect(statuses).toEqual([200, 503, 503, 200, 200])
    expect(xo.control.fault(fault.id)).toMatchObject({ matched: 5, applied: 2, exhausted: true })
  })

  it('probability: seeded, the same seed gives the same outcome sequence', async () => {
    const run = async (seed: string) => {
      const mock = await startMock({ seed, inventory: 'minimal' })
      try {
        mock.control.addFault({ match: { rest: 'GET /rest/v0/ping' }, effect: { status: 500 }, probability: 0.5 })
        const statuses: number[] = []
        for (let i = 0; i < 24; i++) statuses.push((await fetch(`${mock.url}/rest/v0/ping`)).status)
        return statuses
      } finally {
        await mock.close()
      }
    }
    const first = await run('chaos')
    expect(await run('chaos')).toEqual(first)
    expect(first).toContain(500)
    expect(first).toContain(200)
    expect(await run('other seed')).not.toEqual(first)
  })

  it('delays of several rules add up; the first other effect ends the evaluation', async () => {
    xo.control.addFault({ match: { rest: '/rest/v0/*' }, effect: { delay: 100 } })
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { delay: 50 } })
    const error = xo.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { status: 502 } })
    const never = xo.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { status: 504 } })
    const pending = getVm(vmA.id)
    await tick()
    xo.control.advanceClock(150)
    expect((await pending).status).toBe(502)
    expect(xo.control.journal()[0]).toMatchObject({ delayMs: 150, fault: error.id })
    expect(xo.control.fault(never.id).matched).toBe(0)
  })

  it('lists, shows and removes rules', async () => {
    const { status, body } = await api(xo, 'POST', '/_mock/faults', { name: 'flaky vms', match: { rest: 'GET /rest/v0/vms' }, effect: { status: 503 } })
    expect(status).toBe(201)
    expect(body).toEqual({ id: expect.stringMatching(/^fault-\d+$/), name: 'flaky vms', match: { rest: 'GET /rest/v0/vms' }, effect: { status: 503 }, matched: 0, applied: 0, exhausted: false })
    expect((await api(xo, 'GET', '/_mock/faults')).body).toEqual([body])
    expect((await api(xo, 'GET', `/_mock/faults/${body.id}`)).body).toEqual(body)
    expect((await api(xo, 'DELETE', `/_mock/faults/${body.id}`)).status).toBe(204)
    expect((await api(xo, 'DELETE', `/_mock/faults/${body.id}`)).body).toEqual({ error: `no such fault ${body.id}` })
    await api(xo, 'POST', '/_mock/faults', { match: { rpc: 'vm.*' }, effect: { hang: true } })
    expect((await api(xo, 'DELETE', '/_mock/faults')).status).toBe(204)
    expect(xo.control.faults()).toEqual([])
  })

  it('refuses invalid rules with the path of the problem', async () => {
    const cases: [unknown, RegExp][] = [
      [{ match: { rest: 'GET /rest/v0/vms' } }, /^effect: expected an object/],
      [{ match: { soap: 'x' }, effect: { drop: true } }, /^match: expected exactly one of rpc, rest, transfer, ws/],
      [{ match: { rest: 'vms' }, effect: { drop: true } }, /^match\.rest: expected "\[METHOD \]\/path"/],
      [{ match: { rest: '/x' }, effect: { close: 1011 } }, /^effect\.close: not available on rest/],
      [{ match: { rpc: 'vm.start' }, effect: { status: 503 } }, /^effect\.status: not available on rpc/],
      [{ match: { rpc: 'vm.start' }, effect: { error: { code: 'x', message: 'm' } } }, /^effect\.error\.code: expected an integer/],
      [{ match: { rpc: 'vm.start' }, effect: { delay: { min: 5, max: 1 } } }, /^effect\.delay: max must be at least min/],
      [{ match: { rpc: 'vm.start' }, effect: { hang: true }, probability: 2 }, /^probability: expected a number between 0 and 1/],
      [{ match: { rpc: 'vm.start' }, effect: { hang: true }, filter: 'name_label:(' }, /^filter: /],
      [{ match: { ws: true }, effect: { drop: true }, filter: 'a' }, /^filter: ws faults have no target/],
      [{ match: { rpc: 'vm.start' }, effect: { hang: true }, timez: 1 }, /^timez: unknown key/],
      [{ match: { rest: '/x' }, effect: { drop: true, hang: true } }, /^effect: expected exactly one of/],
    ]
    for (const [rule, message] of cases) {
      const { status, body } = await api(xo, 'POST', '/_mock/faults', rule)
      expect(status, JSON.stringify(rule)).toBe(400)
      expect(body.error, JSON.stringify(rule)).toMatch(message)
    }
    expect(xo.control.faults()).toEqual([])
  })
})
