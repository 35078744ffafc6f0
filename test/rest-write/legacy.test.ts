import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createXoMock, ManualClock, type XoMock } from '../../src/index.js'
import { ADMIN, ADMIN_TOKEN, ADMIN_PASSWORD, basic, call, HOST, task, VDI, VM_HALTED, VM_WEB1, writeObjects } from './helpers.js'

let mock: XoMock
let clock: ManualClock
beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1))
  mock = await createXoMock({ inventory: { objects: writeObjects() }, clock, token: ADMIN_TOKEN, port: 0, apiProfile: 'legacy' })
})
afterEach(async () => {
  await mock.close()
})

const object = (id: string) => mock.inventory.get(id) as Record<string, any>

describe('legacy profile: actions', () => {
  it('202 whose raw body is the task URL, without Content-Type; task named `REST: <action> <type>`', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/start`)
    expect(reply.status).toBe(202)
    expect(reply.headers['content-type']).toBeUndefined()
    expect(reply.text).toMatch(/^\/rest\/v0\/tasks\/[0-9a-z-]+$/)
    expect(reply.headers['content-length']).toBe(String(reply.text.length))
    const log = task(mock, reply.text.split('/').at(-1)!)
    expect(log).toMatchObject({ status: 'success', properties: { name: 'REST: start VM', objectId: VM_HALTED, userId: ADMIN } })
    expect(object(VM_HALTED).power_state).toBe('Running')
  })

  it('`sync` by presence → 200 with the JSON result', async () => {
    const snapshot = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/snapshot?sync`, { name_label: 'legacy' })
    expect(snapshot.status).toBe(200)
    expect(snapshot.headers['content-type']).toBe('application/json; charset=utf-8')
    const id = snapshot.json()
    expect(typeof id).toBe('string')
    expect(object(id)).toMatchObject({ type: 'VM-snapshot', name_label: 'legacy' })
    const shutdown = await call(mock, 'POST', `/rest/v0/vms/${VM_WEB1}/actions/clean_shutdown?sync=false`)
    expect(shutdown.status).toBe(200)
    expect(shutdown.text).toBe('')
    expect(object(VM_WEB1).power_state).toBe('Halted')
  })

  it('invalid params → 400 with the ajv errors', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/start`, { hostId: 42 })
    expect(reply.status).toBe(400)
    expect(reply.json()).toEqual([expect.objectContaining({ instancePath: '/hostId', keyword: 'type', message: 'must be string' })])
  })

  it('an unknown object is Express’ HTML 404', async () => {
    const reply = await call(mock, 'POST', '/rest/v0/vms/nope/actions/start')
    expect(reply.status).toBe(404)
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8')
  })
})

describe('legacy profile: writes', () => {
  it('DELETE → 200 `OK`', async () => {
    const reply = await call(mock, 'DELETE', `/rest/v0/vdis/${VDI}`)
    expect(reply.status).toBe(200)
    expect(reply.text).toBe('OK')
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(mock.inventory.has(VDI)).toBe(false)
    expect((await call(mock, 'DELETE', `/rest/v0/vms/${VM_HALTED}`)).text).toBe('OK')
  })

  it('generic PATCH with snake_case names and tags → 204', async () => {
    expect((await call(mock, 'PATCH', `/rest/v0/vms/${VM_WEB1}`, { name_label: 'legacy name', tags: ['a'] })).status).toBe(204)
    expect(object(VM_WEB1)).toMatchObject({ name_label: 'legacy name', tags: ['a'] })
    expect((await call(mock, 'PATCH', `/rest/v0/hosts/${HOST}`, { name_description: 'patched', tags: ['rack-1'] })).status).toBe(204)
    expect(object(HOST)).toMatchObject({ name_description: 'patched', tags: ['rack-1'] })
    // not awaited: errors are not reported
    expect((await call(mock, 'PATCH', `/rest/v0/vdis/${VDI}`, { name_label: 42 })).status).toBe(204)
  })

  it('POST /users/authentication_tokens with Basic auth → 200 {token}', async () => {
    const reply = await call(mock, 'POST', '/rest/v0/users/authentication_tokens', {}, { authorization: basic('admin@admin.net', ADMIN_PASSWORD) })
    expect(reply.status).toBe(200)
    expect(reply.json().token).toMatchObject({ user_id: ADMIN })
  })
})
