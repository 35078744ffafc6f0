import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import {
  ADMIN,
  ALARM_SR,
  BOB,
  GROUP,
  MESSAGE,
  POOL,
  SERVER,
  SR,
  TASK_API,
  TASK_BOB,
  VDI,
  VM_HALTED,
  VM_WEB1,
  VM_WEB2,
  bobCookie,
  get,
  startMock,
} from './helpers.js'

let mock: XoMock
const asBob = { cookie: bobCookie }

beforeAll(async () => {
  mock = await startMock()
})
afterAll(async () => {
  await mock.close()
})

const PERMISSIONS = '{\n  "error": "not enough permissions",\n  "data": {\n    "object": {}\n  }\n}'

function privileges(objectId: string, resource: string): string {
  return JSON.stringify({ error: 'not enough privileges', data: { missingPrivileges: [{ objectId, action: 'read', resource }] } }, null, 2)
}

describe('non-admin collections', () => {
  it('silently drops the objects the user may not read', async () => {
    expect((await get(mock, '/rest/v0/vms', asBob)).json()).toEqual([`/rest/v0/vms/${VM_WEB1}`])
    expect((await get(mock, '/rest/v0/pools', asBob)).json()).toEqual([])
    expect((await get(mock, '/rest/v0/vdis', asBob)).json()).toEqual([])
  })

  it('grants through the user groups', async () => {
    // bob is a member of "devs", which has an ACL on the SR
    expect((await get(mock, '/rest/v0/srs', asBob)).json()).toEqual([`/rest/v0/srs/${SR}`])
  })

  it('grants messages and alarms through the object they are about', async () => {
    expect((await get(mock, '/rest/v0/messages', asBob)).json()).toEqual([`/rest/v0/messages/${MESSAGE}`])
    expect((await get(mock, '/rest/v0/alarms', asBob)).json()).toEqual([`/rest/v0/alarms/${ALARM_SR}`])
  })

  it('counts only kept items for limit', async () => {
    expect((await get(mock, '/rest/v0/vms?limit=1&fields=name_label', asBob)).json()).toEqual([{ name_label: 'web-1', href: `/rest/v0/vms/${VM_WEB1}` }])
  })

  it('grants a whole pool through an ACL on the pool', async () => {
    const acl = mock.inventory.add({ id: 'acl-bob-pool', type: 'acl', subject: BOB, object: POOL, action: 'view' })
    try {
      expect((await get(mock, '/rest/v0/vms', asBob)).json()).toEqual([VM_HALTED, VM_WEB1, VM_WEB2].map((id) => `/rest/v0/vms/${id}`))
      expect((await get(mock, `/rest/v0/vdis/${VDI}`, asBob)).status).toBe(200)
    } finally {
      mock.inventory.remove(acl.id)
    }
    expect((await get(mock, '/rest/v0/vms', asBob)).json()).toEqual([`/rest/v0/vms/${VM_WEB1}`])
  })

  it('filters sub-collection items too', async () => {
    expect((await get(mock, `/rest/v0/vms/${VM_HALTED}/vdis`, asBob)).json()).toEqual([])
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/messages`, asBob)).json()).toEqual([`/rest/v0/messages/${MESSAGE}`])
  })

  it('shows only the user own tasks', async () => {
    expect((await get(mock, '/rest/v0/tasks', asBob)).json()).toEqual([`/rest/v0/tasks/${TASK_BOB}`])
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/tasks`, asBob)).json()).toEqual([`/rest/v0/tasks/${TASK_BOB}`])
  })
})

describe('non-admin single objects', () => {
  it('answers 403 not enough privileges for an unreadable object', async () => {
    const reply = await get(mock, `/rest/v0/vms/${VM_HALTED}`, asBob)
    expect(reply.status).toBe(403)
    expect(reply.text).toBe(privileges(VM_HALTED, 'vm'))
    expect((await get(mock, `/rest/v0/pools/${POOL}`, asBob)).text).toBe(privileges(POOL, 'pool'))
    expect((await get(mock, `/rest/v0/tasks/${TASK_API}`, asBob)).text).toBe(privileges(TASK_API, 'task'))
  })

  it('answers 404 before 403', async () => {
    expect((await get(mock, '/rest/v0/vms/nope', asBob)).status).toBe(404)
  })

  it('serves readable objects', async () => {
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}`, asBob)).json()).toEqual(mock.inventory.get(VM_WEB1))
    expect((await get(mock, `/rest/v0/srs/${SR}`, asBob)).status).toBe(200)
    expect((await get(mock, `/rest/v0/tasks/${TASK_BOB}`, asBob)).status).toBe(200)
  })
})

describe('admin-only routes', () => {
  it('answers 403 not enough permissions', async () => {
    for (const url of [
      '/rest/v0/users',
      `/rest/v0/users/${ADMIN}`,
      `/rest/v0/users/${ADMIN}/groups`,
      '/rest/v0/groups',
      `/rest/v0/groups/${GROUP}`,
      `/rest/v0/groups/${GROUP}/users`,
      '/rest/v0/servers',
      `/rest/v0/servers/${SERVER}`,
      '/rest/v0/schedules',
      '/rest/v0/proxies',
      '/rest/v0/backup-jobs',
      '/rest/v0/backup-logs',
      '/rest/v0/restore-logs',
      '/rest/v0/backup-repositories',
    ]) {
      const reply = await get(mock, url, asBob)
      expect(reply.status, url).toBe(403)
      expect(reply.text).toBe(PERMISSIONS)
    }
  })

  it('refuses before looking the object up', async () => {
    expect((await get(mock, '/rest/v0/groups/nope', asBob)).text).toBe(PERMISSIONS)
  })

  it('lets a user read their own record', async () => {
    const me = (await get(mock, `/rest/v0/users/${BOB}`, asBob)).json() as Record<string, unknown>
    expect(me).toMatchObject({ id: BOB, email: 'bob@example.org', pw_hash: '***obfuscated***' })
    expect((await get(mock, `/rest/v0/users/${BOB}/groups`, asBob)).json()).toEqual(['/rest/v0/groups/7981ba62-c395-4546-bfa4-d1261653a77f'])
  })

  it('lets admins do everything', async () => {
    expect((await get(mock, '/rest/v0/users')).status).toBe(200)
    expect((await get(mock, `/rest/v0/users/${BOB}`)).status).toBe(200)
  })

  it('does not leak cached bodies across users', async () => {
    const url = '/rest/v0/vms?fields=name_label'
    expect(((await get(mock, url)).json() as unknown[]).length).toBe(3)
    expect(((await get(mock, url, asBob)).json() as unknown[]).length).toBe(1)
    expect(((await get(mock, url)).json() as unknown[]).length).toBe(3)
  })

  it('applies a permission change at once', async () => {
    mock.inventory.update(BOB, { permission: 'admin' })
    try {
      expect((await get(mock, '/rest/v0/users', asBob)).status).toBe(200)
      expect(((await get(mock, '/rest/v0/vms', asBob)).json() as unknown[]).length).toBe(3)
    } finally {
      mock.inventory.update(BOB, { permission: 'none' })
    }
    expect((await get(mock, '/rest/v0/users', asBob)).status).toBe(403)
  })
})
