/**
 * README example: testing a client against xo-mock with the control plane.
 * Copy it into your project, replacing the import with `import { createXoMock } from 'xo-mock'`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createXoMock, type XoMock } from '../../src/index.js'

describe('my XO client', () => {
  let xo: XoMock
  // any HTTP client works: the control plane takes the same admin token as the REST API
  const get = (path: string) => fetch(xo.url + path, { headers: { cookie: `authenticationToken=${xo.token}` } })

  beforeAll(async () => {
    // a manual clock: time moves only when the test says so, nothing ever sleeps
    xo = await createXoMock({ seed: 'my-tests', clock: 'manual' })
  })
  afterAll(() => xo.close())
  // boot inventory back, faults/journal/scenarios cleared (also: POST /_mock/reset)
  beforeEach(() => xo.control.reset())

  it('retries when XO answers 503', async () => {
    // the first two calls fail, the third one goes through
    xo.control.addFault({ match: { rest: 'GET /rest/v0/vms' }, effect: { status: 503 }, times: 2 })

    let response = await get('/rest/v0/vms')
    while (response.status === 503) response = await get('/rest/v0/vms') // your client's retry loop
    expect(response.status).toBe(200)

    // verify what the client did from the journal
    expect(xo.control.journal({ path: '/rest/v0/vms' }).map((entry) => entry.status)).toEqual([503, 503, 200])
  })

  it('follows a VM booting (a bundled scenario) on a manual clock', async () => {
    // picks the first halted VM of the inventory; pass { let: { vm: '<id>' } } to choose
    const run = xo.control.runScenario({ name: 'vm-boot' })
    const vmId = run.bindings.vm as string
    const powerState = async () => ((await (await get(`/rest/v0/vms/${vmId}`)).json()) as { power_state: string }).power_state

    expect(await powerState()).toBe('Halted') // a start operation is pending
    xo.control.advanceClock(1500) // the domain is up
    expect(await powerState()).toBe('Running')
    xo.control.advanceClock(10_000) // the guest agent reported
    expect(xo.inventory.get(vmId)).toMatchObject({ mainIpAddress: '192.0.2.10' })
    expect(xo.control.scenario(run.id).state).toBe('finished')
  })

  it('survives a slow XO: a delayed VM start', async () => {
    const vm = [...xo.inventory.ofType('VM')].find((candidate) => candidate.power_state === 'Halted')!
    xo.control.addFault({ match: { rest: 'POST /rest/v0/vms/:id/actions/start' }, effect: { delay: 30_000 } })

    let done = false
    const started = fetch(`${xo.url}/rest/v0/vms/${vm.id}/actions/start?sync=true`, {
      method: 'POST',
      headers: { cookie: `authenticationToken=${xo.token}` },
    }).then((response) => {
      done = true
      return response
    })
    // wait (real time, a few ms) until the request reached the mock and waits on the clock
    while (xo.control.clock().pendingTimers === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    expect(done).toBe(false)
    xo.control.advanceClock(30_000) // 30 s pass instantly
    expect((await started).status).toBe(204)
    expect(xo.inventory.get(vm.id)!.power_state).toBe('Running')
  })
})
