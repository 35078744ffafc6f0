import { describe, expect, it } from 'vitest'
import { XoApiError } from '../../src/domain/errors.js'
import { setVm } from '../../src/domain/vm.js'
import {
  chooseHost,
  pauseVm,
  recoveryStartVm,
  restartVm,
  resumeVm,
  startVm,
  stopVm,
  suspendVm,
  unpauseVm,
} from '../../src/domain/vm-lifecycle.js'
import { errorOf, ids, setup, trace } from './vm-fixture.js'

describe('vm start', () => {
  it('boots a halted VM on the pool master with the §8 change sequence', () => {
    const t = setup()
    t.ctx.clock.set(Date.UTC(2026, 1, 1))
    startVm(t.ctx, ids.halted)
    const vm = t.get(ids.halted)
    expect(vm.power_state).toBe('Running')
    expect(vm.$container).toBe(ids.host1)
    expect(vm.startTime).toBe(Date.UTC(2026, 1, 1) / 1000)
    expect(vm.pvDriversDetected).toBe(true)
    expect(vm.managementAgentDetected).toBe(true)
    expect(vm.mainIpAddress).toMatch(/^10\./)
    expect(vm.addresses['0/ipv4/0']).toBe(vm.mainIpAddress)
    expect(vm.os_version).toMatchObject({ distro: 'debian' })
    expect(vm.memory.usage).toBeGreaterThan(0)
    expect(vm.current_operations).toEqual({})

    const sequence = trace(t.changes, ids.halted, ['power_state', 'current_operations'])
    expect(sequence).toHaveLength(3)
    const [first, second, third] = sequence as { power_state: string; current_operations: Record<string, string> }[]
    expect(first!.power_state).toBe('Halted')
    expect(Object.values(first!.current_operations)).toEqual(['start'])
    expect(second!.power_state).toBe('Running')
    expect(second!.current_operations).toEqual(first!.current_operations)
    expect(third).toMatchObject({ power_state: 'Running', current_operations: {} })

    expect(t.get(ids.host1).residentVms).toContain(ids.halted)
    expect(t.get(ids.haltedVbd)).toMatchObject({ attached: true, device: 'xvda' })
    expect(t.get(ids.haltedCd)).toMatchObject({ attached: true, device: 'xvdd' })
    expect(t.get(ids.haltedVif).attached).toBe(true)
  })

  it('never emits an intermediate power state', () => {
    const t = setup()
    startVm(t.ctx, ids.halted)
    const states = t.changes.filter((change) => change.id === ids.halted).map((change) => change.object.power_state)
    expect(new Set(states)).toEqual(new Set(['Halted', 'Running']))
  })

  it('prefers the affinity host, then the master, and honours an explicit host', () => {
    const t = setup()
    setVm(t.ctx, ids.halted, { affinityHost: ids.host2 })
    expect(chooseHost(t.ctx, t.get(ids.halted) as never)).toBe(ids.host2)
    startVm(t.ctx, ids.halted, { host: ids.host1 })
    expect(t.get(ids.halted).$container).toBe(ids.host1)
    expect(Object.values(t.changes.find((c) => c.id === ids.halted && Object.keys(c.object.current_operations as object).length > 0)!.object.current_operations as object)).toEqual(['start_on'])
  })

  it('refuses a running VM with code 13', () => {
    const t = setup()
    const error = errorOf(() => startVm(t.ctx, ids.running))
    expect(error).toBeInstanceOf(XoApiError)
    expect(error.code).toBe(13)
    expect(error.message).toBe('VM state is running but should be halted')
    expect(error.data).toEqual({ objectId: ids.running, expected: 'halted', actual: 'running' })
  })

  it('unpauses a paused VM and resumes a suspended one', () => {
    const t = setup()
    startVm(t.ctx, ids.paused)
    expect(t.get(ids.paused)).toMatchObject({ power_state: 'Running', $container: ids.host2 })
    startVm(t.ctx, ids.suspended)
    expect(t.get(ids.suspended)).toMatchObject({ power_state: 'Running', $container: ids.host1 })
    expect(t.get(ids.host1).residentVms).toContain(ids.suspended)
  })

  it('gives code 12 for a template and code 1 for an unknown id', () => {
    const t = setup()
    expect(errorOf(() => startVm(t.ctx, ids.template))).toMatchObject({ code: 12, data: { objectId: ids.template } })
    expect(errorOf(() => startVm(t.ctx, 'nope'))).toMatchObject({ code: 1 })
  })

  it('checks duplicate MAC addresses among running VMs (code 21) unless bypassed', () => {
    const t = setup()
    t.store.update(ids.haltedVif, { MAC: '02:00:00:00:00:02' })
    expect(errorOf(() => startVm(t.ctx, ids.halted))).toMatchObject({ code: 21, data: { objectId: ids.halted, code: 'DUPLICATED_MAC_ADDRESS' } })
    startVm(t.ctx, ids.halted, { bypassMacAddressesCheck: true })
    expect(t.get(ids.halted).power_state).toBe('Running')
  })

  it('refuses a blocked start with code 5 and clears the block with force', () => {
    const t = setup()
    setVm(t.ctx, ids.halted, { blockedOperations: { start: 'maintenance' } })
    expect(errorOf(() => startVm(t.ctx, ids.halted))).toMatchObject({
      code: 5,
      message: 'forbidden operation: Start',
      data: { operation: 'Start', reason: 'maintenance' },
    })
    startVm(t.ctx, ids.halted, { force: true })
    expect(t.get(ids.halted)).toMatchObject({ power_state: 'Running', blockedOperations: {} })
  })

  it('gives code 7 when no host can run the VM and code 18 for a halted host', () => {
    const t = setup()
    t.store.update(ids.host1, { enabled: false })
    t.store.update(ids.host2, { power_state: 'Halted' })
    expect(errorOf(() => startVm(t.ctx, ids.halted))).toMatchObject({ code: 7, message: 'no hosts available' })
    expect(errorOf(() => startVm(t.ctx, ids.halted, { host: ids.hostOff }))).toMatchObject({ code: 18, data: { objectId: ids.hostOff } })
    expect(errorOf(() => startVm(t.ctx, ids.halted, { host: ids.host3 })).code).toBeUndefined()
  })
})

describe('vm stop', () => {
  it('cleanly shuts a running VM down', () => {
    const t = setup()
    stopVm(t.ctx, ids.running)
    const vm = t.get(ids.running)
    expect(vm).toMatchObject({ power_state: 'Halted', $container: ids.pool, startTime: null, addresses: {}, os_version: null })
    for (const key of ['mainIpAddress', 'pvDriversDetected', 'managementAgentDetected', 'xenTools', 'pvDriversVersion']) expect(vm).not.toHaveProperty(key)
    expect(vm.memory).not.toHaveProperty('usage')
    expect(t.get(ids.host1).residentVms).not.toContain(ids.running)
    expect(t.get(ids.runningVbd).attached).toBe(false)
    expect(t.get(ids.runningVif).attached).toBe(false)
    const ops = trace(t.changes, ids.running, ['current_operations']) as { current_operations: object }[]
    expect(Object.values(ops[0]!.current_operations)).toEqual(['clean_shutdown'])
  })

  it('requires PV drivers for a clean shutdown (code 10), not for a hard one', () => {
    const t = setup()
    const error = errorOf(() => stopVm(t.ctx, ids.noTools))
    expect(error).toMatchObject({ code: 10, message: 'clean shutdown requires PV drivers', data: {} })
    expect(t.changes).toHaveLength(0)
    stopVm(t.ctx, ids.noTools, { force: true })
    expect(t.get(ids.noTools).power_state).toBe('Halted')
    // the mock remembers the VM has no guest agent
    startVm(t.ctx, ids.noTools)
    expect(t.get(ids.noTools)).toMatchObject({ power_state: 'Running', pvDriversDetected: false, managementAgentDetected: false, addresses: {} })
  })

  it('refuses a halted VM (code 13, expected running) and a paused one without force', () => {
    const t = setup()
    expect(errorOf(() => stopVm(t.ctx, ids.halted)).data).toEqual({ objectId: ids.halted, expected: 'running', actual: 'halted' })
    expect(errorOf(() => stopVm(t.ctx, ids.paused))).toMatchObject({ code: 13, data: { actual: 'paused' } })
    stopVm(t.ctx, ids.paused, { force: true })
    stopVm(t.ctx, ids.suspended, { force: true })
    expect(t.get(ids.paused).power_state).toBe('Halted')
    expect(t.get(ids.suspended).power_state).toBe('Halted')
    expect(t.get(ids.host2).residentVms).not.toContain(ids.paused)
  })

  it('respects blocked shutdowns (code 19) unless bypassed', () => {
    const t = setup()
    setVm(t.ctx, ids.running, { blockedOperations: { clean_shutdown: true } })
    expect(errorOf(() => stopVm(t.ctx, ids.running))).toMatchObject({ code: 19, data: { objectId: ids.running, code: 'true' } })
    stopVm(t.ctx, ids.running, { bypassBlockedOperation: true })
    expect(t.get(ids.running).power_state).toBe('Halted')
  })
})

describe('vm restart, suspend, resume, pause, unpause', () => {
  it('restarts with a new startTime', () => {
    const t = setup()
    const before = t.get(ids.running).startTime
    t.ctx.clock.advance(60_000)
    restartVm(t.ctx, ids.running)
    expect(t.get(ids.running).power_state).toBe('Running')
    expect(t.get(ids.running).startTime).not.toBe(before)
    expect(errorOf(() => restartVm(t.ctx, ids.noTools))).toMatchObject({ code: 14, data: { objectId: ids.noTools, feature: 'shutdown' } })
    restartVm(t.ctx, ids.paused, { force: true })
    expect(t.get(ids.paused).power_state).toBe('Running')
  })

  it('suspends and resumes', () => {
    const t = setup()
    suspendVm(t.ctx, ids.running)
    expect(t.get(ids.running)).toMatchObject({ power_state: 'Suspended', $container: ids.pool })
    expect(t.get(ids.host1).residentVms).not.toContain(ids.running)
    expect(errorOf(() => suspendVm(t.ctx, ids.running)).data).toEqual({ objectId: ids.running, expected: 'running', actual: 'suspended' })
    expect(errorOf(() => resumeVm(t.ctx, ids.halted)).data).toEqual({ objectId: ids.halted, expected: 'suspended', actual: 'halted' })
    resumeVm(t.ctx, ids.running)
    expect(t.get(ids.running)).toMatchObject({ power_state: 'Running', pvDriversDetected: true })
    expect(errorOf(() => suspendVm(t.ctx, ids.noTools))).toMatchObject({ code: 14, data: { feature: 'suspend' } })
  })

  it('pauses and unpauses on the same host', () => {
    const t = setup()
    pauseVm(t.ctx, ids.running)
    expect(t.get(ids.running)).toMatchObject({ power_state: 'Paused', $container: ids.host1, pvDriversDetected: true })
    expect(errorOf(() => pauseVm(t.ctx, ids.running)).code).toBe(13)
    unpauseVm(t.ctx, ids.running)
    expect(t.get(ids.running).power_state).toBe('Running')
    expect(errorOf(() => unpauseVm(t.ctx, ids.running)).data).toEqual({ objectId: ids.running, expected: 'paused', actual: 'running' })
    const states = trace(t.changes, ids.running, ['power_state']).map((entry) => (entry as { power_state: string }).power_state)
    expect(states).toEqual(['Running', 'Paused', 'Paused', 'Paused', 'Running', 'Running'])
  })

  it('recovery start boots and restores the boot order', () => {
    const t = setup()
    recoveryStartVm(t.ctx, ids.halted)
    expect(t.get(ids.halted)).toMatchObject({ power_state: 'Running', boot: { firmware: 'bios', order: 'cd' } })
    expect(t.changes.some((change) => change.id === ids.halted && (change.object.boot as { order: string }).order === 'd')).toBe(true)
  })
})
