import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ADMIN, bobCookie, call, HOST, recordChanges, startWriteMock, task, VM_HALTED, VM_SNAPSHOT, VM_WEB1, VM_WEB2, type WriteMock } from './helpers.js'

let mock: WriteMock
beforeEach(async () => {
  mock = await startWriteMock()
})
afterEach(async () => {
  await mock.close()
})

const vm = (id: string) => mock.inventory.get(id) as Record<string, any>

interface Case {
  readonly action: string
  readonly vm: string
  /** Power state to put the VM in first. */
  readonly from?: string
  readonly to: string
  readonly name: string
}

const CASES: readonly Case[] = [
  { action: 'start', vm: VM_HALTED, to: 'Running', name: 'start VM' },
  { action: 'clean_shutdown', vm: VM_WEB1, to: 'Halted', name: 'clean shutdown VM' },
  { action: 'hard_shutdown', vm: VM_WEB1, to: 'Halted', name: 'hard shutdown VM' },
  { action: 'clean_reboot', vm: VM_WEB1, to: 'Running', name: 'clean reboot VM' },
  { action: 'hard_reboot', vm: VM_WEB1, to: 'Running', name: 'hard reboot VM' },
  { action: 'pause', vm: VM_WEB1, to: 'Paused', name: 'pause VM' },
  { action: 'unpause', vm: VM_WEB1, from: 'Paused', to: 'Running', name: 'unpause VM' },
  { action: 'suspend', vm: VM_WEB1, to: 'Suspended', name: 'suspend VM' },
  { action: 'resume', vm: VM_WEB1, from: 'Suspended', to: 'Running', name: 'resume VM' },
]

function prepare(c: Case): void {
  if (c.from === 'Paused') mock.inventory.update(c.vm, { power_state: 'Paused' })
  if (c.from === 'Suspended') mock.inventory.update(c.vm, { power_state: 'Suspended', $container: vm(c.vm).$pool })
}

describe('VM power actions', () => {
  for (const c of CASES) {
    it(`${c.action}: 202 + Location + {taskId}, then a successful task`, async () => {
      prepare(c)
      const reply = await call(mock, 'POST', `/rest/v0/vms/${c.vm}/actions/${c.action}`)
      expect(reply.status).toBe(202)
      expect(reply.headers['content-type']).toBe('application/json; charset=utf-8')
      const { taskId } = reply.json()
      expect(reply.text).toBe(JSON.stringify({ taskId }, null, 2))
      expect(reply.headers.location).toBe(`/rest/v0/tasks/${taskId}`)
      expect(taskId).toMatch(/^[0-9a-z]{9}-[0-9a-z]+$/)
      const now = mock.clock.now()
      const served = (await call(mock, 'GET', `/rest/v0/tasks/${taskId}`)).json()
      expect(served).toEqual({
        id: taskId,
        properties: { objectType: 'VM', name: `REST API: ${c.name}`, objectId: c.vm, userId: ADMIN, type: 'xo:rest-api:action' },
        start: now,
        status: 'success',
        updatedAt: now,
        end: now,
      })
      expect(vm(c.vm).power_state).toBe(c.to)
    })

    it(`${c.action}?sync=true: 204 without body`, async () => {
      prepare(c)
      const reply = await call(mock, 'POST', `/rest/v0/vms/${c.vm}/actions/${c.action}?sync=true`)
      expect(reply.status).toBe(204)
      expect(reply.text).toBe('')
      expect(vm(c.vm).power_state).toBe(c.to)
    })
  }

  it('start on a host given in the body', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/start?sync=true`, { hostId: HOST })
    expect(reply.status).toBe(204)
    expect(vm(VM_HALTED).$container).toBe(HOST)
  })

  it('failures only show in the task (raw XAPI error)', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/start`)
    expect(reply.status).toBe(202)
    const log = task(mock, reply.json().taskId)
    const ref = vm(VM_WEB1)._xapiRef
    expect(log.status).toBe('failure')
    expect(log.end).toBe(mock.clock.now())
    expect(log.result).toEqual({
      code: 'VM_BAD_POWER_STATE',
      params: [ref, 'halted', 'running'],
      message: `VM_BAD_POWER_STATE(${ref}, halted, running)`,
      name: 'XapiError',
      stack: expect.stringMatching(/^XapiError: VM_BAD_POWER_STATE\(/),
    })
    expect(Object.keys(log.result)).toEqual(['code', 'params', 'message', 'name', 'stack'])
  })

  it('sync failures are error replies (500 with info)', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/clean_shutdown?sync=true`)
    const ref = vm(VM_HALTED)._xapiRef
    expect(reply.status).toBe(500)
    expect(reply.json()).toEqual({ error: `VM_BAD_POWER_STATE(${ref}, running, halted)`, info: 'This is a XenServer/XCP-ng error, not an XO error' })
  })

  it('emits the task and the VM changes on the change feed', async () => {
    const feed = recordChanges(mock)
    const { taskId } = (await call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/start`)).json()
    feed.stop()
    const tasks = feed.of('task')
    expect(tasks.map((change) => [change.kind, change.id, change.object.status])).toEqual([
      ['add', taskId, 'pending'],
      ['update', taskId, 'success'],
    ])
    const vmChanges = feed.of('VM').filter((change) => change.id === VM_HALTED)
    expect(vmChanges.at(-1)!.object.power_state).toBe('Running')
    // the task is created first and finishes last
    expect(feed.changes[0]!.id).toBe(taskId)
    expect(feed.changes.at(-1)!.id).toBe(taskId)
  })

  it('lists the task in the VM tasks sub-collection', async () => {
    const { taskId } = (await call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/start`)).json()
    expect((await call(mock, 'GET', `/rest/v0/vms/${VM_HALTED}/tasks`)).json()).toEqual([`/rest/v0/tasks/${taskId}`])
  })
})

describe('VM actions creating objects', () => {
  it('snapshot?sync=true: 201 {id} + Location, the snapshot exists', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/snapshot?sync=true`, { name_label: 'before' })
    expect(reply.status).toBe(201)
    const { id } = reply.json()
    expect(reply.headers.location).toBe(`/rest/v0/vm-snapshots/${id}`)
    expect(vm(id)).toMatchObject({ type: 'VM-snapshot', name_label: 'before', $snapshot_of: VM_WEB1 })
  })

  it('snapshot (async): the task result is {id} and its args the body', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/snapshot`, { name_label: 'nightly' })
    const log = task(mock, reply.json().taskId)
    expect(log.properties).toEqual({
      args: { name_label: 'nightly' },
      objectType: 'VM',
      name: 'REST API: snapshot VM',
      objectId: VM_WEB1,
      userId: ADMIN,
      type: 'xo:rest-api:action',
    })
    expect(log.status).toBe('success')
    expect(vm(log.result.id).type).toBe('VM-snapshot')
  })

  it('clone?sync=true: 201 + Location /vms/<id>', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/clone?sync=true`, { name_label: 'copy' })
    expect(reply.status).toBe(201)
    const { id } = reply.json()
    expect(reply.headers.location).toBe(`/rest/v0/vms/${id}`)
    expect(vm(id)).toMatchObject({ type: 'VM', name_label: 'copy' })
  })

  it('a fast clone of a running VM fails in the task', async () => {
    const { taskId } = (await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/clone`, { fast: true })).json()
    expect(task(mock, taskId)).toMatchObject({ status: 'failure', result: { code: 'VM_BAD_POWER_STATE', name: 'XapiError' } })
  })

  it('revert_snapshot: 204; a snapshot of another VM → 422; unknown → 404', async () => {
    expect((await call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/revert_snapshot?sync=true`, { snapshotId: VM_SNAPSHOT })).status).toBe(204)
    const other = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/revert_snapshot`, { snapshotId: VM_SNAPSHOT })
    expect(other.status).toBe(422)
    expect(other.json()).toEqual({ error: `the snapshot ${VM_SNAPSHOT} is not a snapshot of the VM ${VM_WEB1}`, data: {} })
    const unknown = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/revert_snapshot`, { snapshotId: 'nope' })
    expect(unknown.status).toBe(404)
    expect(unknown.json()).toEqual({ error: 'no such VM-snapshot nope', data: { id: 'nope', type: 'VM-snapshot' } })
  })

  it('migrate: task named "Migrate VM"; a missing hostId → 422', async () => {
    const { taskId } = (await call(mock, 'POST', `/rest/v0/vms/${VM_WEB2}/actions/migrate`, { hostId: HOST })).json()
    expect(task(mock, taskId)).toMatchObject({ status: 'success', properties: { name: 'REST API: Migrate VM', args: { hostId: HOST } } })
    const invalid = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB2}/actions/migrate`, { srId: 'x' })
    expect(invalid.status).toBe(422)
    expect(invalid.json()).toEqual({ error: { body: { message: 'Value does not match any allowed schema', value: { srId: 'x' } } }, data: {} })
  })
})

describe('validation and access of actions', () => {
  it('422: excess property, wrong type and bad sync together', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/start?sync=yes`, { hostId: 1, extra: true })
    expect(reply.status).toBe(422)
    expect(reply.json()).toEqual({
      error: {
        body: { message: '"extra" is an excess property and therefore is not allowed', value: { extra: true } },
        'body.hostId': { message: 'invalid string value', value: 1 },
        sync: { message: 'invalid boolean value', value: 'yes' },
      },
      data: {},
    })
    // nothing ran
    expect(mock.inventory.count('task')).toBe(3)
    expect(vm(VM_HALTED).power_state).toBe('Halted')
  })

  it('a bare ?sync is a 422 (tsoa booleans)', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/start?sync`)
    expect(reply.status).toBe(422)
    expect(reply.json().error).toEqual({ sync: { message: 'invalid boolean value', value: '' } })
  })

  it('an unknown id is a 404 before the 422', async () => {
    const reply = await call(mock, 'POST', '/rest/v0/vms/nope/actions/start?sync=maybe', { bad: 1 })
    expect(reply.status).toBe(404)
    expect(reply.json()).toEqual({ error: 'no such VM nope', data: { id: 'nope', type: 'VM' } })
    // another type under /vms
    expect((await call(mock, 'POST', `/rest/v0/vms/${HOST}/actions/start`)).status).toBe(404)
  })

  it('bodies of other content types are ignored; malformed JSON is a 500', async () => {
    const text = await mock.app.inject({ method: 'POST', url: `/rest/v0/vms/${VM_HALTED}/actions/start?sync=true`, headers: { cookie: `authenticationToken=${mock.token}`, 'content-type': 'text/plain' }, payload: 'hello' })
    expect(text.statusCode).toBe(204)
    const empty = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/pause?sync=true`, '')
    expect(empty.status).toBe(204)
    const malformed = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/unpause`, '{"hostId":')
    expect(malformed.status).toBe(500)
    expect(Object.keys(malformed.json())).toEqual(['error'])
  })

  it('non-admins need operate privileges on the VM', async () => {
    // bob can view web-1 only
    const denied = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/clean_reboot`, undefined, { cookie: bobCookie })
    expect(denied.status).toBe(403)
    expect(denied.json()).toEqual({ error: 'not enough privileges', data: { missingPrivileges: [{ objectId: VM_WEB1, action: 'clean_reboot', resource: 'vm' }] } })
    mock.inventory.update('acl-bob-web1', { action: 'operator' })
    const allowed = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/clean_reboot`, undefined, { cookie: bobCookie })
    expect(allowed.status).toBe(202)
    expect(task(mock, allowed.json().taskId).properties.userId).toBe('088124f3-41b6-4258-9653-6eedc7b46111')
  })
})
