/**
 * The manual clock (determinism: same seed and same calls → same outcome, no sleeps) and task timing
 * policies with manual completion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock, XoObject } from '../../src/index.js'
import { api, startMock, until } from './helpers.js'

describe('/_mock/clock', () => {
  let xo: XoMock
  beforeAll(async () => {
    xo = await startMock({ inventory: 'minimal' })
  })
  afterAll(() => xo.close())

  it('shows and moves a manual clock; timestamps follow it', async () => {
    const start = (await api(xo, 'GET', '/_mock/clock')).body
    expect(start).toEqual({ mode: 'manual', now: Date.UTC(2026, 0, 1), iso: '2026-01-01T00:00:00.000Z', pendingTimers: expect.any(Number) })
    const moved = await api(xo, 'POST', '/_mock/clock', { advance: 90_000 })
    expect(moved.status).toBe(200)
    expect(moved.body.now).toBe(start.now + 90_000)
    expect((await api(xo, 'GET', '/rest/v0/ping')).body.timestamp).toBe(start.now + 90_000)
    const set = await api(xo, 'POST', '/_mock/clock', { set: '2026-01-20T12:00:00Z' })
    expect(set.body).toMatchObject({ now: Date.UTC(2026, 0, 20, 12), iso: '2026-01-20T12:00:00.000Z' })
    expect(xo.control.journal({ path: '/rest/v0/ping' })[0]!.at).toBe(start.now + 90_000)

    expect((await api(xo, 'POST', '/_mock/clock', { set: '2020-01-01T00:00:00Z' })).status).toBe(409)
    expect((await api(xo, 'POST', '/_mock/clock', { advance: -1 })).body).toEqual({ error: 'advance: expected a non-negative number of ms, got -1' })
    expect((await api(xo, 'POST', '/_mock/clock', { advance: 1, set: 2 })).status).toBe(400)
    expect((await api(xo, 'POST', '/_mock/clock', { jump: 1 })).body).toEqual({ error: 'jump: unknown key (expected one of advance, set)' })
  })

  it('refuses to move the system clock', async () => {
    const real = await startMock({ inventory: 'minimal', clock: 'system' })
    try {
      expect((await api(real, 'GET', '/_mock/clock')).body).toMatchObject({ mode: 'system' })
      const refused = await api(real, 'POST', '/_mock/clock', { advance: 1000 })
      expect(refused.status).toBe(409)
      expect(refused.body.error).toMatch(/--clock manual/)
      expect(() => real.control.advanceClock(1)).toThrow(/not manual/)
    } finally {
      await real.close()
    }
  })

  it('is deterministic: same seed, same calls, same clock moves → same inventory, journal and scenario output', async () => {
    const session = async () => {
      const mock = await startMock({ seed: 'determinism' })
      try {
        mock.control.addFault({ match: { rest: 'GET /rest/v0/vms/:id' }, effect: { delay: { min: 10, max: 90 } }, probability: 0.7 })
        const ran = mock.control.runScenario('vm-boot')
        mock.control.runScenario('long-task')
        const vm = mock.inventory.ofType<XoObject>('VM').next().value!
        for (let i = 0; i < 6; i++) {
          // the request either answers at once or waits on a fault delay (a new clock timer): then move the clock
          const timers = mock.control.clock().pendingTimers!
          let answered = false
          const pending = fetch(`${mock.url}/rest/v0/vms/${vm.id}?fields=name_label`, { headers: { cookie: `authenticationToken=${mock.token}` } }).then(() => {
            answered = true
          })
          await until(() => answered || mock.control.clock().pendingTimers! > timers)
          if (!answered) mock.control.advanceClock(100)
          await pending
        }
        mock.control.advanceClock(60_000)
        return {
          bindings: ran.bindings,
          inventory: mock.control.exportInventory(),
          journal: mock.control.journal().map(({ seq: _seq, ...entry }) => ({ ...entry, durationMs: undefined })),
          faults: mock.control.faults(),
          clock: mock.control.clock().now,
        }
      } finally {
        await mock.close()
      }
    }
    const first = await session()
    const second = await session()
    expect(second).toEqual(first)
    expect(first.journal.map((entry) => entry.delayMs)).toContain(undefined)
    expect(first.faults[0]!.applied).toBeGreaterThan(0)
  })
})

describe('task timing policies', () => {
  let xo: XoMock
  let vms: { id: string }[]
  beforeAll(async () => {
    xo = await startMock({ seed: 'tasks' })
    vms = [...xo.inventory.ofType<XoObject>('VM')].filter((vm) => vm.power_state === 'Halted')
  })
  afterAll(() => xo.close())

  const start = async (id: string) => {
    const { status, body } = await api(xo, 'POST', `/rest/v0/vms/${id}/actions/start`)
    expect(status).toBe(202)
    return body.taskId as string
  }
  const task = (id: string) => xo.inventory.get(id) as XoObject & { status: string; result?: any }

  it('manual: the task stays pending until completed through the control plane', async () => {
    const set = await api(xo, 'POST', '/_mock/task-policies', { action: 'vms/start', policy: { type: 'manual' } })
    expect(set.status).toBe(201)
    expect(set.body).toEqual({ action: 'vms/start', policy: { type: 'manual' } })
    const taskId = await start(vms[0]!.id)
    xo.control.advanceClock(3_600_000)
    expect(task(taskId).status).toBe('pending')
    expect(xo.inventory.get(vms[0]!.id)!.power_state).toBe('Halted')
    expect((await api(xo, 'GET', '/_mock/tasks')).body.map((waiting: { id: string }) => waiting.id)).toEqual([taskId])

    const completed = await api(xo, 'POST', `/_mock/tasks/${taskId}/complete`)
    expect(completed.status).toBe(200)
    expect(completed.body).toMatchObject({ id: taskId, status: 'success' })
    expect(xo.inventory.get(vms[0]!.id)!.power_state).toBe('Running')
    expect((await api(xo, 'POST', `/_mock/tasks/${taskId}/complete`)).status).toBe(404)

    const failing = await start(vms[1]!.id)
    const failed = await api(xo, 'POST', `/_mock/tasks/${failing}/fail`, { error: { code: 'VM_BAD_POWER_STATE', params: ['x', 'halted', 'running'] } })
    expect(failed.body).toMatchObject({ status: 'failure', result: { code: 'VM_BAD_POWER_STATE', params: ['x', 'halted', 'running'] } })
    expect(xo.inventory.get(vms[1]!.id)!.power_state).toBe('Halted')

    const settled = await start(vms[1]!.id)
    expect(xo.control.completeTask(settled, { result: { custom: true } })).toMatchObject({ status: 'success', result: { custom: true } })
    expect(xo.inventory.get(vms[1]!.id)!.power_state).toBe('Halted')
  })

  it('delay, jitter and fail follow the mock clock', async () => {
    xo.control.clearTaskPolicies()
    xo.control.setTaskPolicy('start', { type: 'delay', ms: 5000 })
    const delayed = await start(vms[2]!.id)
    xo.control.advanceClock(4999)
    expect(task(delayed).status).toBe('pending')
    xo.control.advanceClock(1)
    expect(task(delayed).status).toBe('success')

    await api(xo, 'POST', '/_mock/task-policies', { action: '*', policy: { type: 'fail', error: { code: 21, message: 'operation failed' } } })
    await api(xo, 'DELETE', '/_mock/task-policies/start')
    const vm = xo.inventory.get(vms[3]!.id)!
    const failing = await start(vm.id)
    expect(task(failing)).toMatchObject({ status: 'failure', result: { code: 21, message: 'operation failed' } })

    await api(xo, 'POST', '/_mock/task-policies', { action: 'vms/start', policy: { type: 'jitter', min: 100, max: 200 } })
    const jittered = await start(vm.id)
    xo.control.advanceClock(99)
    expect(task(jittered).status).toBe('pending')
    xo.control.advanceClock(101)
    expect(task(jittered).status).toBe('success')

    expect((await api(xo, 'GET', '/_mock/task-policies')).body).toEqual([
      { action: '*', policy: { type: 'fail', error: { code: 21, message: 'operation failed' } } },
      { action: 'vms/start', policy: { type: 'jitter', min: 100, max: 200 } },
    ])
    expect((await api(xo, 'DELETE', '/_mock/task-policies/vms%2Fstart')).status).toBe(204)
    expect((await api(xo, 'DELETE', '/_mock/task-policies/vms%2Fstart')).status).toBe(404)
    expect((await api(xo, 'DELETE', '/_mock/task-policies')).status).toBe(204)
    expect(xo.control.taskPolicies()).toEqual([])
  })

  it('refuses invalid policies', async () => {
    const cases: [unknown, RegExp][] = [
      [{ action: 'start', policy: { type: 'soon' } }, /^policy\.type: expected one of immediate, delay, jitter, manual, fail/],
      [{ action: 'start', policy: { type: 'delay' } }, /^policy\.ms: expected a non-negative number/],
      [{ action: 'start', policy: { type: 'jitter', min: 5, max: 1 } }, /^policy\.max: must be at least min/],
      [{ action: '', policy: { type: 'manual' } }, /^action: expected a non-empty string/],
      [{ action: 'start', policy: { type: 'manual', error: {} } }, /^policy\.error: only for type fail/],
    ]
    for (const [body, message] of cases) {
      const { status, body: answer } = await api(xo, 'POST', '/_mock/task-policies', body)
      expect(status).toBe(400)
      expect(answer.error).toMatch(message)
    }
  })
})
