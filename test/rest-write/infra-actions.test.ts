import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setTaskTimingPolicy } from '../../src/domain/xo-task.js'
import {
  ADMIN,
  bobCookie,
  call,
  GUEST_NETWORK,
  HOST,
  PBD,
  PIF,
  POOL,
  recordChanges,
  SCHEDULE,
  SERVER,
  SR,
  startWriteMock,
  task,
  TASK_API,
  TEMPLATE,
  VBD,
  VDI,
  VIF,
  VM_WEB1,
  type WriteMock,
} from './helpers.js'

let mock: WriteMock
beforeEach(async () => {
  mock = await startWriteMock()
})
afterEach(async () => {
  await mock.close()
})

const object = (id: string) => mock.inventory.get(id) as Record<string, any>

async function action(path: string, body?: unknown, sync = false) {
  return call(mock, 'POST', `/rest/v0/${path}${sync ? '?sync=true' : ''}`, body)
}

describe('host actions', () => {
  it('disable / enable', async () => {
    const { taskId } = (await action(`hosts/${HOST}/actions/disable`)).json()
    expect(task(mock, taskId)).toMatchObject({ status: 'success', properties: { objectType: 'host', name: 'REST API: disable host', objectId: HOST } })
    expect(object(HOST).enabled).toBe(false)
    expect((await action(`hosts/${HOST}/actions/enable`, undefined, true)).status).toBe(204)
    expect(object(HOST).enabled).toBe(true)
  })

  it('disable with evacuation: a VM that cannot move fails the task and keeps the host enabled', async () => {
    const { taskId } = (await action(`hosts/${HOST}/actions/disable`, { evacuate: true })).json()
    expect(task(mock, taskId)).toMatchObject({ status: 'failure', result: { code: 'NO_HOSTS_AVAILABLE', name: 'XapiError' } })
    expect(object(HOST).enabled).toBe(true)
    // the body is a union: evacuate must be a boolean
    expect((await action(`hosts/${HOST}/actions/disable`, { evacuate: 'perhaps' })).status).toBe(422)
  })

  it('restart_toolstack moves agentStartTime; scan_pifs is a no-op', async () => {
    mock.clock.advance(10_000)
    expect((await action(`hosts/${HOST}/actions/restart_toolstack`, { bypassBackupCheck: true }, true)).status).toBe(204)
    expect(object(HOST).agentStartTime).toBe(Math.floor(mock.clock.now() / 1000))
    expect((await action(`hosts/${HOST}/actions/scan_pifs`, undefined, true)).status).toBe(204)
  })

  it('forget of a running host: 409 (incorrect state)', async () => {
    const reply = await action(`hosts/${HOST}/actions/forget`, undefined, true)
    expect(reply.status).toBe(409)
    expect(reply.json()).toEqual({ error: 'incorrect state', data: { actual: 'Running', expected: 'Halted', object: HOST, property: 'power_state' } })
    const { taskId } = (await action(`hosts/${HOST}/actions/forget`)).json()
    expect(task(mock, taskId)).toMatchObject({ status: 'failure', result: { code: 25, name: 'XoError', message: 'incorrect state' } })
  })

  it('management_reconfigure needs a configured PIF', async () => {
    const reply = await action(`hosts/${HOST}/actions/management_reconfigure`, { pif: PIF }, true)
    expect(reply.status).toBe(500)
    expect(reply.json().error).toMatch(/^PIF_HAS_NO_NETWORK_CONFIGURATION\(/)
    expect((await action(`hosts/${HOST}/actions/management_reconfigure`, {})).json()).toEqual({
      error: { 'body.pif': { message: "'pif' is required" } },
      data: {},
    })
  })
})

describe('pool actions', () => {
  it('create_vm?sync=true: 201 {id} without Location, the VM exists', async () => {
    const feed = recordChanges(mock)
    const reply = await action(`pools/${POOL}/actions/create_vm`, { name_label: 'new-vm', template: TEMPLATE, name_description: 'made by REST', cpus: 2, vdis: [{ name_label: 'disk', size: 1073741824 }], vifs: [{ network: GUEST_NETWORK }] }, true)
    feed.stop()
    expect(reply.status).toBe(201)
    expect(reply.headers.location).toBeUndefined()
    const { id } = reply.json()
    expect(reply.json()).toEqual({ id })
    const vm = object(id)
    expect(vm).toMatchObject({ type: 'VM', name_label: 'new-vm', name_description: 'made by REST', power_state: 'Halted', $pool: POOL })
    expect(vm.CPUs.number).toBe(2)
    expect(vm.creation.user).toBe(ADMIN)
    expect(vm.$VBDs).toHaveLength(1)
    expect(vm.VIFs).toHaveLength(1)
    const disk = object(object(vm.$VBDs[0]).VDI)
    expect(disk).toMatchObject({ name_label: 'disk', size: 1073741824, $SR: SR })
    expect(feed.changes.filter((change) => change.kind === 'add').map((change) => change.type)).toEqual(['task', 'VM', 'VDI', 'VBD', 'VIF'])
  })

  it('create_vm (async): task named "create VM" whose result is {id}', async () => {
    const { taskId } = (await action(`pools/${POOL}/actions/create_vm`, { name_label: 'async-vm', template: TEMPLATE })).json()
    const log = task(mock, taskId)
    expect(log).toMatchObject({ status: 'success', properties: { objectType: 'pool', objectId: POOL, name: 'REST API: create VM' } })
    expect(object(log.result.id).name_label).toBe('async-vm')
  })

  it('create_vm with an unknown template fails; without template → 422', async () => {
    const { taskId } = (await action(`pools/${POOL}/actions/create_vm`, { name_label: 'x', template: 'nope' })).json()
    expect(task(mock, taskId)).toMatchObject({ status: 'failure', result: { code: 1, message: 'no such VM-template nope' } })
    expect((await action(`pools/${POOL}/actions/create_vm`, { name_label: 'x' })).json()).toEqual({
      error: { 'body.template': { message: "'template' is required" } },
      data: {},
    })
  })

  it('create_internal_network / create_network: 201 {id}', async () => {
    const internal = await action(`pools/${POOL}/actions/create_internal_network`, { name: 'private' }, true)
    expect(internal.status).toBe(201)
    expect(object(internal.json().id)).toMatchObject({ type: 'network', name_label: 'private', MTU: 1500, $pool: POOL })
    const vlan = await action(`pools/${POOL}/actions/create_network`, { name: 'vlan-12', pif: PIF, vlan: 12 }, true)
    expect(vlan.status).toBe(201)
    const network = object(vlan.json().id)
    expect(network.name_label).toBe('vlan-12')
    expect(network.PIFs).toHaveLength(1)
    expect(object(network.PIFs[0]).vlan).toBe(12)
  })
})

describe('storage and device actions', () => {
  it('SR scan / reclaim_space: 204; forget removes the SR', async () => {
    expect((await action(`srs/${SR}/actions/scan`, undefined, true)).status).toBe(204)
    expect((await action(`srs/${SR}/actions/reclaim_space`, undefined, true)).status).toBe(204)
    const { taskId } = (await action(`srs/${SR}/actions/forget`)).json()
    expect(task(mock, taskId)).toMatchObject({ status: 'success', properties: { name: 'REST API: forget SR', objectType: 'SR' } })
    expect(mock.inventory.has(SR)).toBe(false)
  })

  it('VDI migrate?sync=true: 200 {id} of the new VDI', async () => {
    const created = await call(mock, 'POST', '/rest/v0/srs', { hostId: HOST, name_label: 'second', SR_type: 'ext', device_config: { device: '/dev/sdb' } })
    const target = created.json().id
    const reply = await action(`vdis/${VDI}/actions/migrate`, { srId: target }, true)
    expect(reply.status).toBe(200)
    const { id } = reply.json()
    expect(id).not.toBe(VDI)
    expect(object(id)).toMatchObject({ type: 'VDI', $SR: target })
    expect(mock.inventory.has(VDI)).toBe(false)
  })

  it('VBD connect on a halted VM fails; VIF disconnect / connect', async () => {
    const { taskId } = (await action(`vbds/${VBD}/actions/connect`)).json()
    expect(task(mock, taskId)).toMatchObject({ status: 'failure', result: { code: 'VM_BAD_POWER_STATE' } })
    expect((await action(`vifs/${VIF}/actions/disconnect`, undefined, true)).status).toBe(204)
    expect(object(VIF).attached).toBe(false)
    expect((await action(`vifs/${VIF}/actions/connect`, undefined, true)).status).toBe(204)
    expect(object(VIF).attached).toBe(true)
    expect((await action(`vbds/${VBD}/actions/disconnect`, undefined, true)).status).toBe(500)
  })

  it('PBD unplug / plug', async () => {
    expect((await action(`pbds/${PBD}/actions/unplug`, undefined, true)).status).toBe(204)
    expect(object(PBD).attached).toBe(false)
    const { taskId } = (await action(`pbds/${PBD}/actions/plug`)).json()
    expect(task(mock, taskId).properties.name).toBe('REST API: plug PBD')
    expect(object(PBD).attached).toBe(true)
  })
})

describe('server, schedule and task actions', () => {
  it('server disconnect / connect (admin-only)', async () => {
    expect((await action(`servers/${SERVER}/actions/disconnect`, undefined, true)).status).toBe(204)
    expect(object(SERVER).status).toBe('disconnected')
    expect((await action(`servers/${SERVER}/actions/disconnect`, undefined, true)).status).toBe(409)
    expect((await action(`servers/${SERVER}/actions/connect`, undefined, true)).status).toBe(204)
    const bob = await call(mock, 'POST', `/rest/v0/servers/${SERVER}/actions/connect`, undefined, { cookie: bobCookie })
    expect(bob.status).toBe(403)
    expect(bob.json()).toEqual({ error: 'not enough permissions', data: { object: {} } })
  })

  it('schedule run: 204; a schedule without job fails', async () => {
    expect((await action(`schedules/${SCHEDULE}/actions/run`, undefined, true)).status).toBe(204)
    mock.inventory.update(SCHEDULE, { jobId: 'gone' })
    const { taskId } = (await action(`schedules/${SCHEDULE}/actions/run`)).json()
    expect(task(mock, taskId)).toMatchObject({ status: 'failure', result: { code: 1, message: 'no such job gone' } })
  })

  it('task abort: a waiting task fails with an AbortError; finished tasks → 404', async () => {
    setTaskTimingPolicy(mock.context, 'vms/clean_reboot', { mode: 'manual' })
    const { taskId } = (await action(`vms/${VM_WEB1}/actions/clean_reboot`)).json()
    expect(task(mock, taskId).status).toBe('pending')
    const reply = await action(`tasks/${taskId}/actions/abort`, undefined, true)
    expect(reply.status).toBe(204)
    const aborted = task(mock, taskId)
    expect(aborted).toMatchObject({ status: 'failure', abortionRequestedAt: mock.clock.now(), result: { name: 'AbortError', message: 'This operation was aborted' } })
    expect((await action(`tasks/${taskId}/actions/abort`)).status).toBe(404)
    expect((await action(`tasks/${TASK_API}/actions/abort`)).json()).toEqual({ error: `no such task ${TASK_API}`, data: { id: TASK_API, type: 'task' } })
  })
})

describe('backup repository actions and writes', () => {
  const REMOTE = '677e50c5-8d8a-4c89-b1ac-e2f4593d0ebb'

  it('benchmark?sync=true → 200 with the result; async → the task result', async () => {
    const reply = await action(`backup-repositories/${REMOTE}/actions/benchmark`, undefined, true)
    expect(reply.status).toBe(200)
    const result = reply.json()
    expect(result).toEqual({ success: true, readRate: expect.any(Number), writeRate: expect.any(Number) })
    expect(object(REMOTE).benchmarks.at(-1)).toMatchObject({ readRate: result.readRate, writeRate: result.writeRate })
    const { taskId } = (await action(`backup-repositories/${REMOTE}/actions/benchmark`)).json()
    expect(task(mock, taskId)).toMatchObject({ status: 'success', properties: { name: 'REST API: benchmark backup repository' }, result: { success: true } })
  })

  it('POST / PATCH / forget', async () => {
    const created = await call(mock, 'POST', '/rest/v0/backup-repositories', { name: 'nfs', url: 'nfs://nas:/backups' })
    expect(created.status).toBe(201)
    const { id } = created.json()
    expect(object(id)).toMatchObject({ type: 'remote', name: 'nfs', url: 'nfs://nas:/backups', enabled: true })
    expect((await call(mock, 'PATCH', `/rest/v0/backup-repositories/${id}`, { enabled: false, name: 'old nfs' })).status).toBe(204)
    expect(object(id)).toMatchObject({ name: 'old nfs', enabled: false })
    expect((await action(`backup-repositories/${id}/actions/forget`, undefined, true)).status).toBe(204)
    expect(mock.inventory.has(id)).toBe(false)
  })
})
