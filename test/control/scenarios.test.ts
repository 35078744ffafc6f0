/**
 * Scenarios: every step type (at/update, add, remove, after rpc/rest triggers, repeat/every, loop),
 * selectors and templates, validation, failures, the HTTP routes, the bundled scenarios seen by
 * xo-lib, raw WebSocket and SSE subscribers, and `xo-mock serve --scenario`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from '../../src/cli.js'
import type { Change, XoMock, XoObject } from '../../src/index.js'
import { admin, api, RawClient, startMock, tick, until, wsUrl, XoLib } from './helpers.js'

type Vm = XoObject & { name_label: string; power_state: string; $container: string; $pool: string; current_operations: Record<string, string> }

let xo: XoMock
beforeAll(async () => {
  xo = await startMock({ seed: 'scenarios' })
})
afterAll(() => xo.close())
afterEach(() => xo.control.reset())

const vmsWhere = (predicate: (vm: Vm) => boolean) => [...xo.inventory.ofType<Vm>('VM')].filter(predicate)

/** Records the store's changes of one object. */
function watch(id: string): { changes: Change[]; stop: () => void } {
  const changes: Change[] = []
  const stop = xo.inventory.subscribe((change) => {
    if (change.id === id) changes.push(change)
  })
  return { changes, stop }
}

describe('timed steps', () => {
  it('update at given times, on the mock clock, with selectors and templates', async () => {
    const info = xo.control.runScenario({
      name: 'boot',
      let: { vm: { type: 'VM', find: 'power_state:Halted' }, host: '{{vm.$pool}}' },
      steps: [
        { at: 0, update: { id: { ref: 'vm' }, set: { current_operations: { 'OpaqueRef:{{uuid}}': 'start' } } } },
        { at: 1000, update: { id: '{{vm}}', set: { power_state: 'Running', startTime: '{{nowSeconds}}', name_description: 'booted at {{now}}' } } },
      ],
    })
    const vm = (xo.inventory.get(info.bindings.vm as string) as Vm)
    expect(info).toMatchObject({ id: 'scenario-1', name: 'boot', state: 'running', stepsRun: 1, bindings: { vm: vm.id, host: vm.$pool } })
    // at 0 ran synchronously
    expect(Object.values(vm.current_operations)).toEqual(['start'])
    expect(Object.keys(vm.current_operations)[0]).toMatch(/^OpaqueRef:[0-9a-f-]{36}$/)
    xo.control.advanceClock(999)
    expect((xo.inventory.get(vm.id) as Vm).power_state).toBe('Halted')
    xo.control.advanceClock(1)
    const now = xo.control.clock().now
    expect(xo.inventory.get(vm.id)).toMatchObject({ power_state: 'Running', startTime: Math.floor(now / 1000), name_description: `booted at ${now}` })
    expect(xo.control.scenario(info.id)).toMatchObject({ state: 'finished', stepsRun: 2 })
  })

  it('add (generated identity, named with as), then remove it by name or by id', async () => {
    const pool = xo.inventory.ofType('pool').next().value!
    const info = xo.control.runScenario({
      let: { pool: { type: 'pool' } },
      steps: [
        { at: 100, as: 'message', add: { type: 'message', name: 'HOST_CLOCK_SKEW_DETECTED', body: 'skew on {{pool.name_label}}', time: '{{nowSeconds}}', $object: '{{pool}}', $pool: '{{pool}}' } },
        { at: 200, add: { id: 'fixed-id-0001', type: 'message', name: 'A', body: '', time: 0, $object: '{{pool}}', $pool: '{{pool}}' } },
        { at: 300, remove: { ref: 'message' } },
        { at: 400, remove: 'fixed-id-0001' },
      ],
    })
    xo.control.advanceClock(100)
    const id = xo.control.scenario(info.id).bindings.message as string
    expect(xo.inventory.get(id)).toEqual({
      type: 'message',
      id,
      uuid: id,
      _xapiRef: expect.stringMatching(/^OpaqueRef:/),
      $poolId: pool.id,
      $pool: pool.id,
      name: 'HOST_CLOCK_SKEW_DETECTED',
      body: `skew on ${pool.name_label}`,
      time: Math.floor(xo.control.clock().now / 1000),
      $object: pool.id,
    })
    // an added message is an alarm-less message for the REST API as well
    expect((await api(xo, 'GET', `/rest/v0/messages/${id}`)).status).toBe(200)
    xo.control.advanceClock(100)
    expect(xo.inventory.has('fixed-id-0001')).toBe(true)
    xo.control.advanceClock(100)
    expect(xo.inventory.has(id)).toBe(false)
    xo.control.advanceClock(100)
    expect(xo.inventory.has('fixed-id-0001')).toBe(false)
    expect(xo.control.scenario(info.id).state).toBe('finished')
  })

  it('dotted keys set and unset nested fields', () => {
    const vm = vmsWhere((candidate) => candidate.power_state === 'Running')[0]!
    xo.control.runScenario({ steps: [{ update: { id: vm.id, set: { 'memory.usage': 42, 'other.xo-mock': 'yes' }, unset: ['mainIpAddress', 'memory.size'] } }] })
    const updated = (xo.inventory.get(vm.id) as Vm & { memory: Record<string, unknown>; other: Record<string, unknown> })
    expect(updated.memory.usage).toBe(42)
    expect(updated.memory).not.toHaveProperty('size')
    expect(updated.memory.static).toEqual((vm as unknown as { memory: { static: unknown } }).memory.static)
    expect(updated.other['xo-mock']).toBe('yes')
    expect(updated).not.toHaveProperty('mainIpAddress')
  })

  it('selectors inside values resolve to ids (first match, or a list with all)', () => {
    const pool = xo.inventory.ofType('pool').next().value!
    const halted = vmsWhere((vm) => vm.power_state === 'Halted').map((vm) => vm.id)
    const info = xo.control.runScenario({
      steps: [
        {
          as: 'note',
          add: { type: 'message', name: 'NOTE', body: '', time: 0, $object: { find: '', type: 'pool' }, $pool: { find: '', type: 'pool' }, vms: { find: 'power_state:Halted', type: 'VM', all: true } },
        },
      ],
    })
    expect(xo.inventory.get(info.bindings.note as string)).toMatchObject({ $object: pool.id, $pool: pool.id, vms: halted })
  })

  it('repeat and every, with each (round robin) and all selectors', () => {
    const halted = vmsWhere((vm) => vm.power_state === 'Halted')
    const info = xo.control.runScenario({
      steps: [
        { at: 0, repeat: 3, every: 10, update: { id: { type: 'VM', find: 'power_state:Halted', each: true }, set: { name_description: 'tick {{i}}' } } },
        { at: 1000, update: { id: { type: 'VM', find: 'power_state:Halted', all: true }, set: { tags: ['all'] } } },
      ],
    })
    expect(xo.inventory.get(halted[0]!.id)!.name_description).toBe('tick 0')
    expect(xo.inventory.get(halted[1]!.id)!.name_description).not.toBe('tick 1')
    xo.control.advanceClock(10)
    expect(xo.inventory.get(halted[1]!.id)!.name_description).toBe('tick 1')
    xo.control.advanceClock(10)
    expect(xo.inventory.get(halted[2]!.id)!.name_description).toBe('tick 2')
    xo.control.advanceClock(980)
    for (const vm of halted) expect(xo.inventory.get(vm.id)!.tags).toEqual(['all'])
    expect(xo.control.scenario(info.id)).toMatchObject({ state: 'finished', stepsRun: 4 })
  })

  it('loop: starts over every period until stopped', async () => {
    const vm = vmsWhere(() => true)[0]!
    const info = xo.control.runScenario({
      loop: true,
      period: 1000,
      steps: [
        { at: 0, update: { id: vm.id, set: { name_description: 'up {{iteration}}' } } },
        { at: 500, update: { id: vm.id, set: { name_description: 'down {{iteration}}' } } },
      ],
    })
    const seen: string[] = []
    const stop = xo.inventory.subscribe((change) => change.id === vm.id && seen.push(change.object.name_description as string))
    xo.control.advanceClock(2500)
    stop()
    expect(seen).toEqual(['down 0', 'up 1', 'down 1', 'up 2', 'down 2'])
    expect(xo.control.scenario(info.id)).toMatchObject({ state: 'running', iteration: 2, loop: true })
    expect((await api(xo, 'DELETE', `/_mock/scenarios/${info.id}`)).status).toBe(204)
    xo.control.advanceClock(5000)
    expect(xo.inventory.get(vm.id)!.name_description).toBe('down 2')
    expect((await api(xo, 'GET', `/_mock/scenarios/${info.id}`)).status).toBe(404)
  })
})

describe('triggered steps (after)', () => {
  it('after an RPC call, with delay, filter and count', async () => {
    const [target, other] = vmsWhere((vm) => vm.power_state === 'Halted')
    const host = xo.inventory.ofType<XoObject>('host').next().value!
    const info = xo.control.runScenario({
      let: { vm: target!.id },
      steps: [
        { after: { rpc: 'vm.start', filter: `name_label:"${target!.name_label}"` }, delay: 2000, update: { id: host.id, set: { power_state: 'Halted' } } },
        { after: { rpc: 'vm.st*', count: 2, outcome: 'any' }, update: { id: { ref: 'vm' }, set: { name_description: 'second call' } } },
      ],
    })
    const rpc = await RawClient.open(wsUrl(xo))
    await rpc.call('session.signIn', { email: xo.email, password: xo.password })
    await rpc.call('vm.start', { id: other!.id })
    xo.control.advanceClock(5000)
    // neither the filter nor the count matched yet
    expect(xo.inventory.get(host.id)!.power_state).toBe('Running')
    expect(xo.inventory.get(target!.id)!.name_description).not.toBe('second call')
    await rpc.call('vm.start', { id: target!.id })
    expect(xo.inventory.get(target!.id)!.name_description).toBe('second call')
    xo.control.advanceClock(1999)
    expect(xo.inventory.get(host.id)!.power_state).toBe('Running')
    xo.control.advanceClock(1)
    expect(xo.inventory.get(host.id)!.power_state).toBe('Halted')
    expect(xo.control.scenario(info.id).state).toBe('finished')
    rpc.close()
  })

  it('after a REST call, on every matching call (always), success or error outcome', async () => {
    const vm = vmsWhere(() => true)[0]!
    const info = xo.control.runScenario({
      steps: [
        { after: { rest: 'GET /rest/v0/vms/:id', always: true }, update: { id: vm.id, set: { 'other.reads': '{{i}}' } } },
        { after: { rest: 'GET /rest/v0/vms/:id', outcome: 'error' }, add: { type: 'message', name: 'NOT_FOUND', body: '', time: 0, $object: vm.id, $pool: vm.$pool }, as: 'miss' },
      ],
    })
    const changes = watch(vm.id)
    await fetch(`${xo.url}/rest/v0/vms/${vm.id}`, { headers: admin(xo) })
    await fetch(`${xo.url}/rest/v0/vms/${vm.id}`, { headers: admin(xo) })
    await until(() => changes.changes.length === 1)
    expect(xo.control.scenario(info.id).state).toBe('running')
    expect(xo.control.scenario(info.id).bindings.miss).toBeUndefined()
    await fetch(`${xo.url}/rest/v0/vms/not-a-vm`, { headers: admin(xo) })
    const miss = await until(() => xo.control.scenario(info.id).bindings.miss as string | undefined)
    expect(xo.inventory.get(miss)).toMatchObject({ name: 'NOT_FOUND' })
    changes.stop()
    // `always` keeps the run alive until it is stopped
    expect(xo.control.scenario(info.id).state).toBe('running')
  })
})

describe('validation and failures', () => {
  it('refuses invalid scenarios with the path of the problem (400)', async () => {
    const cases: [unknown, RegExp][] = [
      [{ steps: [] }, /^steps: expected a non-empty list of steps/],
      [{ steps: [{ at: 0 }] }, /^steps\[0\]: expected exactly one action among update, add, remove/],
      [{ steps: [{ at: -1, remove: 'x' }] }, /^steps\[0\]\.at: expected a number ≥ 0/],
      [{ steps: [{ update: { id: { nope: 1 }, set: {} } }] }, /^steps\[0\]\.update\.id: expected an id, \{"find"/],
      [{ steps: [{ update: { id: 'x', set: { id: 'y' } } }] }, /^steps\[0\]\.update\.set\.id: id and type cannot change/],
      [{ steps: [{ add: { name: 'no type' } }] }, /^steps\[0\]\.add\.type: required/],
      [{ steps: [{ after: { rpc: 'vm.start', rest: '/x' }, remove: 'x' }] }, /^steps\[0\]\.after: expected exactly one of rpc, rest/],
      [{ steps: [{ at: 5, delay: 5, remove: 'x' }] }, /^steps\[0\]\.delay: delay goes with after/],
      [{ steps: [{ remove: { find: 'name_label:(' } }] }, /^steps\[0\]\.remove\.find: /],
      [{ loop: true, steps: [{ at: 0, remove: 'x' }] }, /^period: a looping scenario needs a period > 0/],
      [{ let: { now: 'x' }, steps: [{ remove: 'x' }] }, /^let\.now: now is reserved/],
      [{ let: { vm: { type: 'VM', find: 'name_label:"no such vm anywhere"' } }, steps: [{ remove: { ref: 'vm' } }] }, /^let\.vm: no object matches/],
      [{ steps: [{ remove: { ref: 'ghost' } }] }, /^steps\[0\]\.remove: unknown name "ghost"/],
      [{ steps: [{ update: { id: 'no-such-object', set: { a: 1 } } }], extra: 1 }, /^extra: unknown key/],
    ]
    for (const [scenario, message] of cases) {
      const { status, body } = await api(xo, 'POST', '/_mock/scenarios', scenario)
      expect(status, JSON.stringify(scenario)).toBe(400)
      expect(body.error, JSON.stringify(scenario)).toMatch(message)
    }
    expect(xo.control.scenarios()).toEqual([])
    const unknown = await api(xo, 'POST', '/_mock/scenarios', { name: 'no-such-scenario' })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error).toMatch(/^no such scenario "no-such-scenario" \(bundled: .*vm-boot/)
  })

  it('a step that fails at run time fails the run, with the step path', () => {
    const vm = vmsWhere(() => true)[0]!
    const info = xo.control.runScenario({
      steps: [
        { at: 10, remove: vm.id },
        { at: 20, update: { id: vm.id, set: { name_label: 'too late' } } },
        { at: 30, remove: vm.id },
      ],
    })
    xo.control.advanceClock(100)
    expect(xo.control.scenario(info.id)).toMatchObject({ state: 'failed', stepsRun: 1, error: `steps[1].update.id: no such object ${vm.id}` })
  })
})

describe('HTTP routes and bundled scenarios', () => {
  it('starts, lists, shows and stops runs; lists the bundled scenarios', async () => {
    const bundled = (await api(xo, 'GET', '/_mock/scenarios/bundled')).body as { name: string; description: string }[]
    expect(bundled.map((scenario) => scenario.name)).toEqual(['burst-1000', 'host-failure', 'long-task', 'sr-filling', 'vm-boot', 'vm-power-cycle', 'vm-shutdown'])
    for (const scenario of bundled) expect(scenario.description.length).toBeGreaterThan(20)

    const started = await api(xo, 'POST', '/_mock/scenarios', { name: 'vm-power-cycle' })
    expect(started.status).toBe(201)
    expect(started.body).toMatchObject({ id: 'scenario-1', name: 'vm-power-cycle', state: 'running', loop: true })
    expect((await api(xo, 'GET', '/_mock/scenarios')).body).toEqual([started.body])
    expect((await api(xo, 'GET', `/_mock/scenarios/${started.body.id}`)).body).toEqual(started.body)
    expect((await api(xo, 'DELETE', '/_mock/scenarios')).status).toBe(204)
    expect((await api(xo, 'GET', '/_mock/scenarios')).body).toEqual([])
  })

  it('names objects of the default inventory robustly, and takes let overrides', () => {
    const running = vmsWhere((vm) => vm.power_state === 'Running')[3]!
    const info = xo.control.runScenario({ name: 'vm-shutdown', let: { vm: running.id } })
    expect(info.bindings.vm).toBe(running.id)
    xo.control.advanceClock(3100)
    expect(xo.inventory.get(running.id)).toMatchObject({ power_state: 'Halted', $container: running.$pool, current_operations: {} })
    expect(xo.inventory.get(running.id)).not.toHaveProperty('mainIpAddress')
  })

  it('vm-boot: current_operations, then power_state (with devices), then the operation clears, then guest metrics', () => {
    const info = xo.control.runScenario('vm-boot')
    const id = info.bindings.vm as string
    const vm = (xo.inventory.get(id) as Vm)
    const pool = xo.inventory.get(vm.$pool)!
    const log: string[] = []
    const stop = xo.inventory.subscribe((change) => {
      if (change.id === id) {
        const object = change.object as Vm
        log.push(`${object.power_state} ops=${Object.values(object.current_operations).join(',')} ip=${String(object.mainIpAddress ?? '')}`)
      } else if (change.type === 'VBD' || change.type === 'VIF') log.push(`${change.type} attached=${String(change.object.attached)}`)
    })
    expect(Object.values(vm.current_operations)).toEqual(['start'])
    xo.control.advanceClock(10_000)
    stop()
    expect(log).toEqual(['Running ops=start ip=', 'VBD attached=true', 'VIF attached=true', 'Running ops= ip=', 'Running ops= ip=192.0.2.10'])
    expect(xo.inventory.get(id)).toMatchObject({ $container: pool.master, managementAgentDetected: true, pvDriversDetected: true })
    expect((xo.inventory.get(pool.master as string) as XoObject & { residentVms: string[] }).residentVms).toContain(id)
  })

  it('host-failure: the host halts, then its resident VMs, then the host comes back', () => {
    const info = xo.control.runScenario('host-failure')
    const hostId = info.bindings.host as string
    const vmIds = info.bindings.vms as string[]
    expect(vmIds.length).toBeGreaterThan(0)
    expect(xo.inventory.get(hostId)!.power_state).toBe('Halted')
    expect(xo.inventory.get(vmIds[0]!)!.power_state).not.toBe('Halted')
    xo.control.advanceClock(30_000)
    for (const id of vmIds) expect(xo.inventory.get(id)).toMatchObject({ power_state: 'Halted', startTime: null })
    expect((xo.inventory.get(hostId) as XoObject & { residentVms: string[] }).residentVms.filter((id) => xo.inventory.get(id)!.type === 'VM')).toEqual([])
    xo.control.advanceClock(90_000)
    expect(xo.inventory.get(hostId)!.power_state).toBe('Running')
    expect(xo.control.scenario(info.id).state).toBe('finished')
  })

  it('sr-filling: usage climbs and an ALARM appears under /rest/v0/alarms', async () => {
    const info = xo.control.runScenario('sr-filling')
    const sr = (xo.inventory.get(info.bindings.sr as string) as XoObject & { size: number; physical_usage: number; uuid: string })
    expect(sr.physical_usage).toBe(Math.round(sr.size * 0.7))
    xo.control.advanceClock(40_000)
    expect(xo.inventory.get(sr.id)!.physical_usage).toBe(Math.round(sr.size * 0.99))
    const alarmId = xo.control.scenario(info.id).bindings.alarm as string
    const alarm = await api(xo, 'GET', `/rest/v0/alarms/${alarmId}`)
    expect(alarm.status).toBe(200)
    expect(alarm.body).toMatchObject({ name: 'ALARM', body: { value: '86.0', name: 'physical_utilisation' }, object: { type: 'SR', uuid: sr.uuid } })
  })

  it('long-task: a pending XO task whose progress moves, then succeeds', async () => {
    const info = xo.control.runScenario('long-task')
    const taskId = info.bindings.task as string
    const progress = () => (xo.inventory.get(taskId)!.properties as { progress: number }).progress
    expect((await api(xo, 'GET', `/rest/v0/tasks/${taskId}`)).body).toMatchObject({ status: 'pending', properties: { name: 'REST API: export VM', progress: 0 } })
    xo.control.advanceClock(30_000)
    expect(progress()).toBe(50)
    xo.control.advanceClock(30_000)
    expect((await api(xo, 'GET', `/rest/v0/tasks/${taskId}`)).body).toMatchObject({ status: 'success', end: xo.control.clock().now, properties: { progress: 100 } })
  })

  it('burst-1000: 1,000 changes through the change feed, coalesced per flush on JSON-RPC', async () => {
    const rpc = await RawClient.open(wsUrl(xo))
    await rpc.call('session.signIn', { email: xo.email, password: xo.password })
    let updates = 0
    const stop = xo.inventory.subscribe((change) => change.type === 'VM' && change.kind === 'update' && updates++)
    const info = xo.control.runScenario('burst-1000')
    stop()
    expect(updates).toBe(1000)
    expect(info).toMatchObject({ state: 'finished', stepsRun: 1000 })
    const notifications = await until(() => (rpc.notifications().length > 0 ? rpc.notifications() : undefined))
    await tick(50)
    expect(rpc.notifications()).toHaveLength(1)
    const vmCount = xo.inventory.count('VM')
    expect(Object.keys(notifications[0].items)).toHaveLength(vmCount)
    rpc.close()
  })
})

describe('subscribers see scenario changes as real changes', () => {
  it('xo-lib and raw WebSocket clients get `all` notifications, SSE listeners get update events', async () => {
    const xoLib = new XoLib({ url: xo.url })
    await xoLib.open()
    await xoLib.signIn({ email: xo.email, password: xo.password })
    const libNotifications: any[] = []
    xoLib.on('notification', (message) => libNotifications.push(message))
    const raw = await RawClient.open(wsUrl(xo))
    await raw.call('session.signIn', { token: xo.token })

    // SSE: connect, read the connection id, subscribe to VMs
    const controller = new AbortController()
    const sse = await fetch(`${xo.url}/rest/v0/events`, { headers: admin(xo), signal: controller.signal })
    expect(sse.status).toBe(200)
    const reader = sse.body!.getReader()
    let text = ''
    const frames: { event: string; data: any }[] = []
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) return
          text += Buffer.from(value).toString()
          let end: number
          while ((end = text.indexOf('\n\n')) !== -1) {
            const frame = text.slice(0, end)
            text = text.slice(end + 2)
            const event = /^event: (.*)$/m.exec(frame)?.[1] ?? ''
            const data = /^data: (.*)$/m.exec(frame)?.[1]
            frames.push({ event, data: data === undefined ? undefined : JSON.parse(data) })
          }
        }
      } catch {
        // aborted
      }
    })()
    const init = await until(() => frames.find((frame) => frame.event === 'init'))
    expect((await api(xo, 'POST', `/rest/v0/events/${init.data.id}/subscriptions`, { collection: 'VM', fields: ['id', 'power_state', 'current_operations'] })).status).toBe(201)

    // JSON-RPC notifications are flushed once per tick, as XO does: move the clock one step at a time to
    // see every intermediate state (one advance over several steps would deliver only the last one)
    const info = xo.control.runScenario('vm-boot')
    const id = info.bindings.vm as string
    await until(() => raw.notifications().length >= 1)
    xo.control.advanceClock(1500)
    await until(() => raw.notifications().length >= 2)
    xo.control.advanceClock(100)

    const states = (list: any[]) => list.filter((params) => params.type === 'enter' && params.items[id]).map((params) => params.items[id].power_state)
    await until(() => states(raw.notifications()).length >= 3)
    expect(states(raw.notifications())).toEqual(['Halted', 'Running', 'Running'])
    await until(() => libNotifications.length >= 3)
    expect(states(libNotifications.map((message) => message.params))).toEqual(['Halted', 'Running', 'Running'])
    const sseStates = await until(() => {
      const updates = frames.filter((frame) => frame.event === 'update' && frame.data.id === id)
      return updates.length >= 3 ? updates : undefined
    })
    expect(sseStates.map((frame) => [frame.data.power_state, Object.values(frame.data.current_operations).join()])).toEqual([
      ['Halted', 'start'],
      ['Running', 'start'],
      ['Running', ''],
    ])
    controller.abort()
    raw.close()
    await xoLib.close()
  })
})

describe('every bundled scenario', () => {
  it('runs on the default inventory without failing, and JSON-RPC subscribers see its changes', async () => {
    const rpc = await RawClient.open(wsUrl(xo))
    await rpc.call('session.signIn', { email: xo.email, password: xo.password })
    for (const { name } of xo.control.bundledScenarios()) {
      rpc.messages.length = 0
      const run = xo.control.runScenario(name)
      for (let t = 0; t < 130; t++) xo.control.advanceClock(1000)
      const info = xo.control.scenario(run.id)
      expect(info.error, name).toBeUndefined()
      expect(info.state, name).toBe(info.loop ? 'running' : 'finished')
      await until(() => rpc.notifications().length > 0)
      xo.control.reset()
    }
    rpc.close()
  })
})

describe('xo-mock serve --scenario', () => {
  it('starts bundled scenarios (repeatable flag) and sizes the journal', async () => {
    const mock = await startServer(['--port', '0', '--clock', 'manual', '--scenario', 'vm-boot', '--scenario', 'sr-filling', '--journal-size', '3'], {})
    try {
      expect(mock.control.scenarios().map((run) => [run.name, run.state])).toEqual([
        ['vm-boot', 'running'],
        ['sr-filling', 'running'],
      ])
      for (let i = 0; i < 5; i++) await fetch(`${mock.url}/rest/v0/ping`)
      expect(mock.control.journal()).toHaveLength(3)
    } finally {
      await mock.close()
    }
    await expect(startServer(['--port', '0', '--scenario', 'nope'], {})).rejects.toThrow(/no such scenario "nope"/)
    await expect(startServer(['--port', '0', '--journal-size', 'x'], {})).rejects.toThrow(/--journal-size expects an integer/)
  })
})
