import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock, XoObject } from '../../src/index.js'
import { admin, api, startMock } from './helpers.js'

describe('two mocks in one process', () => {
  let a: XoMock
  let b: XoMock
  beforeAll(async () => {
    ;[a, b] = await Promise.all([startMock({ seed: 'same' }), startMock({ seed: 'same' })])
  })
  afterAll(() => Promise.all([a.close(), b.close()]))

  it('share no control state: faults, journal, scenarios, clock, reset', async () => {
    expect(a.url).not.toBe(b.url)
    const vm = a.inventory.ofType<XoObject>('VM').next().value!
    expect(b.inventory.get(vm.id)).toEqual(vm)

    a.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { status: 503 } })
    expect((await fetch(`${a.url}/rest/v0/vms/${vm.id}`, { headers: admin(a) })).status).toBe(503)
    expect((await fetch(`${b.url}/rest/v0/vms/${vm.id}`, { headers: admin(b) })).status).toBe(200)
    expect(b.control.faults()).toEqual([])
    expect(a.control.journal()).toHaveLength(1)
    expect(b.control.journal()).toHaveLength(1)
    expect(a.control.journal()[0]!.status).toBe(503)
    expect(b.control.journal()[0]!.status).toBe(200)

    const run = a.control.runScenario('vm-boot')
    a.control.advanceClock(2000)
    const booted = run.bindings.vm as string
    expect(a.inventory.get(booted)!.power_state).toBe('Running')
    expect(b.inventory.get(booted)!.power_state).toBe('Halted')
    expect(b.control.scenarios()).toEqual([])
    expect(a.control.clock().now - b.control.clock().now).toBe(2000)

    // each control plane accepts its own token only
    expect((await api(b, 'GET', '/_mock/faults', undefined, { cookie: `authenticationToken=${a.token}` })).status).toBe(a.token === b.token ? 200 : 401)

    expect((await api(a, 'POST', '/_mock/reset')).status).toBe(204)
    expect(a.inventory.get(booted)!.power_state).toBe('Halted')
    expect(a.control.faults()).toEqual([])
    expect(b.control.journal()).toHaveLength(1)
  })
})
