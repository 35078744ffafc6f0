import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { XoMock, XoObject } from '../../src/index.js'
import { admin, api, RawClient, startMock, tick, until, wsUrl } from './helpers.js'

let xo: XoMock
beforeEach(async () => {
  xo = await startMock({ seed: 'reset' })
})
afterEach(() => xo.close())

const vms = () => [...xo.inventory.ofType<XoObject & { name_label: string; power_state: string }>('VM')]

describe('POST /_mock/reset', () => {
  it('restores the boot inventory through the mutation API: subscribers see the changes, connections stay open', async () => {
    const boot = xo.control.exportInventory()
    const rpc = await RawClient.open(wsUrl(xo))
    await rpc.call('session.signIn', { email: xo.email, password: xo.password })

    const [renamed, removed] = vms()
    xo.inventory.update(renamed!.id, { name_label: 'renamed by the test' })
    const removedObject = xo.inventory.get(removed!.id)!
    xo.inventory.remove(removed!.id)
    const added = xo.inventory.add({ ...removedObject, id: 'f0000000-0000-4000-8000-000000000001', uuid: 'f0000000-0000-4000-8000-000000000001', _xapiRef: 'OpaqueRef:test', name_label: 'added by the test' })
    xo.control.addFault({ match: { rest: '/rest/v0/*' }, effect: { status: 500 } })
    xo.control.runScenario({ name: 'forever', loop: true, period: 1000, steps: [{ at: 1000, update: { id: renamed!.id, set: { name_description: 'scenario {{iteration}}' } } }] })
    xo.control.setTaskPolicy('*', { type: 'manual' })
    await tick()
    rpc.messages.length = 0

    expect((await api(xo, 'POST', '/_mock/reset')).status).toBe(204)
    expect(xo.control.exportInventory()).toEqual(boot)
    expect(xo.control.faults()).toEqual([])
    expect(xo.control.scenarios()).toEqual([])
    expect(xo.control.taskPolicies()).toEqual([])
    expect(xo.control.journal()).toEqual([])
    // the scenario no longer runs
    xo.control.advanceClock(5000)
    expect(xo.inventory.get(renamed!.id)!.name_description).toBe(boot[renamed!.id]!.name_description)

    // one `all` flush: the renamed and the re-created VM enter, the added one exits
    const notifications = await until(() => (rpc.notifications().length >= 2 ? rpc.notifications() : undefined))
    const entered = notifications.find((params) => params.type === 'enter')!.items
    const exited = notifications.find((params) => params.type === 'exit')!.items
    expect(entered[renamed!.id]).toMatchObject({ name_label: renamed!.name_label })
    expect(entered[removed!.id]).toEqual(boot[removed!.id])
    expect(exited).toEqual({ [added.id]: 0 })
    // the connection survived (its user still exists) and the mock's token still works
    expect(rpc.closeCode).toBeUndefined()
    expect((await rpc.call('session.getUser').catch(() => 'answered')) ?? 'answered').toBeDefined()
    expect((await fetch(`${xo.url}/rest/v0/vms`, { headers: admin(xo) })).status).toBe(200)
    rpc.close()
  })

  it('puts back-reference arrays in their boot order', async () => {
    const host = xo.inventory.ofType<XoObject & { residentVms: string[] }>('host').next().value!
    const bootResident = [...host.residentVms]
    const vm = xo.inventory.get(bootResident.find((id) => xo.inventory.get(id)!.type === 'VM')!)!
    xo.inventory.update(vm.id, { $container: vm.$pool })
    xo.inventory.update(vm.id, { $container: host.id })
    expect((xo.inventory.get(host.id) as XoObject & { residentVms: string[] }).residentVms).not.toEqual(bootResident)
    xo.control.reset()
    expect((xo.inventory.get(host.id) as XoObject & { residentVms: string[] }).residentVms).toEqual(bootResident)
  })
})

describe('GET/PUT /_mock/inventory', () => {
  it('exports a capture that loads back (same instance, and into another one)', async () => {
    const { status, body: capture } = await api(xo, 'GET', '/_mock/inventory')
    expect(status).toBe(200)
    expect(Object.keys(capture)).toHaveLength(xo.inventory.size)
    expect(capture[xo.token]).toMatchObject({ type: 'token' })

    xo.inventory.update(vms()[0]!.id, { name_label: 'changed' })
    const put = await api(xo, 'PUT', '/_mock/inventory', capture)
    expect(put.status).toBe(200)
    expect(put.body).toMatchObject({ objects: xo.inventory.size, changes: { added: 0, removed: 0, updated: 1 } })
    expect(xo.control.exportInventory()).toEqual(capture)

    const other = await startMock({ inventory: 'minimal', seed: 'other' })
    try {
      const loaded = await api(other, 'PUT', '/_mock/inventory', capture)
      expect(loaded.status).toBe(200)
      const { [other.token]: otherToken, ...rest } = other.control.exportInventory()
      expect(otherToken).toMatchObject({ type: 'token' })
      expect(rest).toEqual(capture)
      // the other mock's own token survives the load (re-bound to the loaded admin)
      expect((await fetch(`${other.url}/rest/v0/vms`, { headers: admin(other) })).status).toBe(200)
    } finally {
      await other.close()
    }
  })

  it('loads an authoring document or a bundled inventory; keeps the mock token working', async () => {
    const bundled = await api(xo, 'PUT', '/_mock/inventory?source=minimal')
    expect(bundled.status).toBe(200)
    expect(vms().map((vm) => vm.name_label).sort()).toEqual(['minimal-halted', 'minimal-running'])
    expect((await fetch(`${xo.url}/rest/v0/vms`, { headers: admin(xo) })).status).toBe(200)

    const doc = {
      xoMock: 1,
      pools: [{ id: 'p', name_label: 'Tiny' }],
      hosts: [{ id: 'h', name_label: 'tiny-host' }],
      vms: [{ id: 'v', name_label: 'tiny-vm', power_state: 'Running', $container: 'h' }],
    }
    expect((await api(xo, 'PUT', '/_mock/inventory', doc)).status).toBe(200)
    expect(vms().map((vm) => vm.name_label)).toEqual(['tiny-vm'])
    // reset goes back to the boot inventory, not to the loaded one
    xo.control.reset()
    expect(vms().length).toBeGreaterThan(20)
  })

  it('asBoot makes the loaded inventory the reset target', async () => {
    expect((await api(xo, 'PUT', '/_mock/inventory?source=minimal&asBoot=true')).status).toBe(200)
    xo.inventory.remove(vms()[0]!.id)
    xo.control.reset()
    expect(vms().map((vm) => vm.name_label).sort()).toEqual(['minimal-halted', 'minimal-running'])
  })

  it('refuses bad inventories with the loader one-line message (400), and file paths over HTTP', async () => {
    const bad = await api(xo, 'PUT', '/_mock/inventory', {
      xoMock: 1,
      pools: [{ id: 'p', name_label: 'Tiny' }],
      hosts: [{ id: 'h', name_label: 'tiny-host' }],
      vms: [{ name_label: 'orphan', power_state: 'Running', $container: 'nowhere' }],
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatch(/^<request body>: vms\[0\]/)
    expect(bad.body.error).not.toContain('\n')
    const notObject = await api(xo, 'PUT', '/_mock/inventory', [1, 2])
    expect(notObject.status).toBe(400)
    const path = await api(xo, 'PUT', '/_mock/inventory?source=/etc/passwd')
    expect(path.status).toBe(400)
    expect(path.body.error).toMatch(/^source: expected a bundled inventory/)
    // the inventory is untouched
    expect(vms().length).toBeGreaterThan(20)
    // in-process, file paths are fine
    expect(xo.control.loadInventory('fixtures/minimal.json').objects).toBeGreaterThan(5)
  })
})
