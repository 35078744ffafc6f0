import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { XoObject } from '../../src/inventory/types.js'
import { BOB, bobCookie, call, DEVS, startWriteMock, writeObjects, type WriteMock } from './helpers.js'

const TEMPLATE_ROLE = '784bd959-08de-4b26-b575-92ded5aef872'
const TEMPLATE_PRIVILEGE = 'fe6c806d-c993-4144-9018-d3d0c057fbc1'
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

let mock: WriteMock
beforeEach(async () => {
  const objects: XoObject[] = [
    ...writeObjects(),
    { id: TEMPLATE_ROLE, type: 'aclRole', name: 'read-only', description: 'Read everything', privilegeIds: [TEMPLATE_PRIVILEGE], isTemplate: true, roleTemplateId: 1 } as XoObject,
    { id: TEMPLATE_PRIVILEGE, type: 'aclPrivilege', action: 'read', effect: 'allow', resource: 'vm', roleId: TEMPLATE_ROLE } as XoObject,
  ]
  mock = await startWriteMock(objects)
})
afterEach(async () => {
  await mock.close()
})

const object = (id: string) => mock.inventory.get(id) as Record<string, any> | undefined
const get = async (url: string) => {
  const reply = await call(mock, 'GET', url)
  expect(reply.status).toBe(200)
  return reply.json()
}

async function newRole(body: Record<string, unknown> = { name: 'VMs creator', description: 'Allow to create VMs' }): Promise<string> {
  const reply = await call(mock, 'POST', '/rest/v0/acl-roles', body)
  expect(reply.status).toBe(201)
  return reply.json().id
}

async function newPrivilege(roleId: string, body: Record<string, unknown> = { action: 'create', resource: 'vif', effect: 'allow' }): Promise<string> {
  const reply = await call(mock, 'POST', '/rest/v0/acl-privileges', { ...body, roleId })
  expect(reply.status).toBe(201)
  return reply.json().id
}

describe('acl-roles', () => {
  it('POST /acl-roles → 201 {id}, visible through GET', async () => {
    const reply = await call(mock, 'POST', '/rest/v0/acl-roles', { name: 'VMs creator', description: 'Allow to create VMs' })
    expect(reply.status).toBe(201)
    const { id } = reply.json()
    expect(Object.keys(reply.json())).toEqual(['id'])
    expect(await get(`/rest/v0/acl-roles/${id}`)).toEqual({ id, name: 'VMs creator', description: 'Allow to create VMs', userIds: [], groupIds: [], privilegeIds: [] })
    expect(await get('/rest/v0/acl-roles')).toContain(`/rest/v0/acl-roles/${id}`)
  })

  it('POST /acl-roles: bad bodies → 422', async () => {
    const missing = await call(mock, 'POST', '/rest/v0/acl-roles', { description: 'x' })
    expect(missing.status).toBe(422)
    expect(missing.json().error).toHaveProperty(['body.name'])
    expect((await call(mock, 'POST', '/rest/v0/acl-roles', { name: 1 })).status).toBe(422)
    expect((await call(mock, 'POST', '/rest/v0/acl-roles', { name: 'a', extra: true })).status).toBe(422)
  })

  it('PATCH /acl-roles/{id} → 204; description null removes it', async () => {
    const id = await newRole()
    expect((await call(mock, 'PATCH', `/rest/v0/acl-roles/${id}`, { name: 'renamed' })).status).toBe(204)
    expect(await get(`/rest/v0/acl-roles/${id}`)).toMatchObject({ name: 'renamed', description: 'Allow to create VMs' })
    expect((await call(mock, 'PATCH', `/rest/v0/acl-roles/${id}`, { description: null })).status).toBe(204)
    expect(await get(`/rest/v0/acl-roles/${id}`)).not.toHaveProperty('description')
    expect((await call(mock, 'PATCH', `/rest/v0/acl-roles/${id}`, { name: 3 })).status).toBe(422)
  })

  it('DELETE /acl-roles/{id} → 204, deletes its privileges and leaves its groups', async () => {
    const id = await newRole()
    const privilegeId = await newPrivilege(id)
    expect((await call(mock, 'PUT', `/rest/v0/acl-roles/${id}/groups/${DEVS}`)).status).toBe(204)
    expect((await call(mock, 'DELETE', `/rest/v0/acl-roles/${id}`)).status).toBe(204)
    expect(object(id)).toBeUndefined()
    expect(object(privilegeId)).toBeUndefined()
    expect(object(DEVS)!.aclRoleIds).toEqual([])
    expect((await call(mock, 'GET', `/rest/v0/acl-roles/${id}`)).status).toBe(404)
  })

  it('template roles cannot be edited nor deleted (403)', async () => {
    expect((await call(mock, 'PATCH', `/rest/v0/acl-roles/${TEMPLATE_ROLE}`, { name: 'x' })).status).toBe(403)
    expect((await call(mock, 'DELETE', `/rest/v0/acl-roles/${TEMPLATE_ROLE}`)).status).toBe(403)
    expect((await call(mock, 'PUT', `/rest/v0/acl-roles/${TEMPLATE_ROLE}/users/${BOB}`)).status).toBe(403)
    expect((await call(mock, 'PATCH', `/rest/v0/acl-privileges/${TEMPLATE_PRIVILEGE}`, { effect: 'deny' })).status).toBe(403)
    expect(object(TEMPLATE_ROLE)!.name).toBe('read-only')
  })

  it('POST /acl-roles/{id}/actions/copy?sync=true → 201 {id}: a copy with copies of its privileges', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/acl-roles/${TEMPLATE_ROLE}/actions/copy?sync=true`, { name: 'my read-only' })
    expect(reply.status).toBe(201)
    const { id } = reply.json()
    const copy = await get(`/rest/v0/acl-roles/${id}`)
    expect(copy).toMatchObject({ id, name: 'my read-only', description: 'Read everything', userIds: [], groupIds: [] })
    expect(copy).not.toHaveProperty('isTemplate')
    expect(copy.privilegeIds).toHaveLength(1)
    expect(copy.privilegeIds[0]).not.toBe(TEMPLATE_PRIVILEGE)
    const privileges = await get(`/rest/v0/acl-roles/${id}/privileges?fields=action,effect,resource,roleId`)
    expect(privileges).toEqual([expect.objectContaining({ action: 'read', effect: 'allow', resource: 'vm', roleId: id })])
    // the copy is editable
    expect((await call(mock, 'PATCH', `/rest/v0/acl-roles/${id}`, { name: 'x' })).status).toBe(204)
  })

  it('POST /acl-roles/{id}/actions/copy (async) → 202 {taskId}', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/acl-roles/${TEMPLATE_ROLE}/actions/copy`)
    expect(reply.status).toBe(202)
    expect(reply.json()).toEqual({ taskId: expect.any(String) })
    expect(reply.headers.location).toBe(`/rest/v0/tasks/${reply.json().taskId}`)
    expect((await call(mock, 'POST', `/rest/v0/acl-roles/${TEMPLATE_ROLE}/actions/copy`, { name: 1 })).status).toBe(422)
  })

  it('PUT|DELETE /acl-roles/{id}/users/{userId} → 204, 409 when already there', async () => {
    const id = await newRole()
    expect((await call(mock, 'PUT', `/rest/v0/acl-roles/${id}/users/${BOB}`)).status).toBe(204)
    expect((await get(`/rest/v0/acl-roles/${id}`)).userIds).toEqual([BOB])
    expect(await get(`/rest/v0/acl-roles/${id}/users`)).toEqual([`/rest/v0/users/${BOB}`])
    expect((await call(mock, 'PUT', `/rest/v0/acl-roles/${id}/users/${BOB}`)).status).toBe(409)
    const privilegeId = await newPrivilege(id)
    expect(await get(`/rest/v0/users/${BOB}/acl-privileges`)).toEqual([`/rest/v0/acl-privileges/${privilegeId}`])
    expect((await call(mock, 'DELETE', `/rest/v0/acl-roles/${id}/users/${BOB}`)).status).toBe(204)
    expect((await get(`/rest/v0/acl-roles/${id}`)).userIds).toEqual([])
    expect((await call(mock, 'PUT', `/rest/v0/acl-roles/${id}/users/${UNKNOWN}`)).json()).toEqual({ error: `no such user ${UNKNOWN}`, data: { id: UNKNOWN, type: 'user' } })
  })

  it('PUT|DELETE /acl-roles/{id}/groups/{groupId} → 204, both sides kept', async () => {
    const id = await newRole()
    expect((await call(mock, 'PUT', `/rest/v0/acl-roles/${id}/groups/${DEVS}`)).status).toBe(204)
    expect((await get(`/rest/v0/acl-roles/${id}`)).groupIds).toEqual([DEVS])
    expect(object(DEVS)!.aclRoleIds).toEqual([id])
    expect(await get(`/rest/v0/groups/${DEVS}/acl-roles`)).toEqual([`/rest/v0/acl-roles/${id}`])
    expect((await call(mock, 'PUT', `/rest/v0/acl-roles/${id}/groups/${DEVS}`)).status).toBe(409)
    expect((await call(mock, 'DELETE', `/rest/v0/acl-roles/${id}/groups/${DEVS}`)).status).toBe(204)
    expect((await get(`/rest/v0/acl-roles/${id}`)).groupIds).toEqual([])
    expect(object(DEVS)!.aclRoleIds).toEqual([])
    expect((await call(mock, 'DELETE', `/rest/v0/acl-roles/${id}/groups/${UNKNOWN}`)).status).toBe(404)
  })

  it('a deleted user or group leaves the roles it was in', async () => {
    const id = await newRole()
    expect((await call(mock, 'PUT', `/rest/v0/acl-roles/${id}/users/${BOB}`)).status).toBe(204)
    expect((await call(mock, 'PUT', `/rest/v0/acl-roles/${id}/groups/${DEVS}`)).status).toBe(204)
    expect((await call(mock, 'DELETE', `/rest/v0/users/${BOB}`)).status).toBe(204)
    expect((await call(mock, 'DELETE', `/rest/v0/groups/${DEVS}`)).status).toBe(204)
    expect(await get(`/rest/v0/acl-roles/${id}`)).toMatchObject({ userIds: [], groupIds: [] })
  })

  it('unknown role ids → 404 no such acl-role', async () => {
    const expected = { error: `no such acl-role ${UNKNOWN}`, data: { id: UNKNOWN, type: 'acl-role' } }
    for (const [method, url, body] of [
      ['PATCH', `/rest/v0/acl-roles/${UNKNOWN}`, { name: 'x' }],
      ['DELETE', `/rest/v0/acl-roles/${UNKNOWN}`, undefined],
      ['POST', `/rest/v0/acl-roles/${UNKNOWN}/actions/copy?sync=true`, {}],
      ['PUT', `/rest/v0/acl-roles/${UNKNOWN}/users/${BOB}`, undefined],
      ['DELETE', `/rest/v0/acl-roles/${UNKNOWN}/users/${BOB}`, undefined],
      ['PUT', `/rest/v0/acl-roles/${UNKNOWN}/groups/${DEVS}`, undefined],
      ['DELETE', `/rest/v0/acl-roles/${UNKNOWN}/groups/${DEVS}`, undefined],
      ['POST', '/rest/v0/acl-privileges', { action: 'read', resource: 'vm', effect: 'allow', roleId: UNKNOWN }],
    ] as const) {
      const reply = await call(mock, method, url, body)
      expect([method, url, reply.status]).toEqual([method, url, 404])
      expect(reply.json()).toEqual(expected)
    }
  })

  it('non-admin → 403 not enough permissions', async () => {
    const id = await newRole()
    const privilegeId = await newPrivilege(id)
    const headers = { cookie: bobCookie }
    for (const [method, url, body] of [
      ['POST', '/rest/v0/acl-roles', { name: 'x' }],
      ['PATCH', `/rest/v0/acl-roles/${id}`, { name: 'x' }],
      ['DELETE', `/rest/v0/acl-roles/${id}`, undefined],
      ['POST', `/rest/v0/acl-roles/${id}/actions/copy`, {}],
      ['PUT', `/rest/v0/acl-roles/${id}/users/${BOB}`, undefined],
      ['DELETE', `/rest/v0/acl-roles/${id}/users/${BOB}`, undefined],
      ['PUT', `/rest/v0/acl-roles/${id}/groups/${DEVS}`, undefined],
      ['DELETE', `/rest/v0/acl-roles/${id}/groups/${DEVS}`, undefined],
      ['POST', '/rest/v0/acl-privileges', { action: 'read', resource: 'vm', effect: 'allow', roleId: id }],
      ['PATCH', `/rest/v0/acl-privileges/${privilegeId}`, { effect: 'deny' }],
      ['DELETE', `/rest/v0/acl-privileges/${privilegeId}`, undefined],
      ['DELETE', `/rest/v0/acl-privileges/${UNKNOWN}`, undefined],
    ] as const) {
      const reply = await call(mock, method, url, body, headers)
      expect([method, url, reply.status]).toEqual([method, url, 403])
      expect(reply.json()).toEqual({ error: 'not enough permissions', data: { object: {} } })
    }
    expect(object(id)).toMatchObject({ name: 'VMs creator', userIds: [], groupIds: [] })
    expect(object(privilegeId)).toBeDefined()
  })
})

describe('acl-privileges', () => {
  it('POST /acl-privileges → 201 {id}, visible through GET and in its role', async () => {
    const id = await newRole()
    const reply = await call(mock, 'POST', '/rest/v0/acl-privileges', { action: 'read', resource: 'alarm', roleId: id, effect: 'allow', selector: `id:${id}` })
    expect(reply.status).toBe(201)
    const privilegeId = reply.json().id
    expect(await get(`/rest/v0/acl-privileges/${privilegeId}`)).toEqual({ id: privilegeId, action: 'read', resource: 'alarm', roleId: id, effect: 'allow', selector: `id:${id}` })
    expect((await get(`/rest/v0/acl-roles/${id}`)).privilegeIds).toEqual([privilegeId])
    expect(await get(`/rest/v0/acl-roles/${id}/privileges`)).toEqual([`/rest/v0/acl-privileges/${privilegeId}`])
  })

  it('POST /acl-privileges: bad bodies → 422', async () => {
    const id = await newRole()
    for (const body of [
      { action: 'read', resource: 'vm', effect: 'allow' },
      { action: 'read', resource: 'vm', effect: 'maybe', roleId: id },
      { action: 'fly', resource: 'alarm', effect: 'allow', roleId: id },
      { action: 'read', resource: 'nothing', effect: 'allow', roleId: id },
    ]) {
      const reply = await call(mock, 'POST', '/rest/v0/acl-privileges', body)
      expect([body, reply.status]).toEqual([body, 422])
    }
    expect((await get(`/rest/v0/acl-roles/${id}`)).privilegeIds).toEqual([])
  })

  it('PATCH /acl-privileges/{id} → 204; roleId cannot be changed (422)', async () => {
    const id = await newRole()
    const privilegeId = await newPrivilege(id)
    expect((await call(mock, 'PATCH', `/rest/v0/acl-privileges/${privilegeId}`, { effect: 'deny', selector: 'name_label:web' })).status).toBe(204)
    expect(await get(`/rest/v0/acl-privileges/${privilegeId}`)).toMatchObject({ action: 'create', resource: 'vif', effect: 'deny', selector: 'name_label:web', roleId: id })
    expect((await call(mock, 'PATCH', `/rest/v0/acl-privileges/${privilegeId}`, { roleId: TEMPLATE_ROLE })).status).toBe(422)
    expect((await call(mock, 'PATCH', `/rest/v0/acl-privileges/${privilegeId}`, { effect: 'maybe' })).status).toBe(422)
    expect(object(privilegeId)!.effect).toBe('deny')
  })

  it('DELETE /acl-privileges/{id} → 204, removed from its role', async () => {
    const id = await newRole()
    const privilegeId = await newPrivilege(id)
    expect((await call(mock, 'DELETE', `/rest/v0/acl-privileges/${privilegeId}`)).status).toBe(204)
    expect(object(privilegeId)).toBeUndefined()
    expect((await get(`/rest/v0/acl-roles/${id}`)).privilegeIds).toEqual([])
  })

  it('unknown privilege ids → 404 no such acl-privilege', async () => {
    const expected = { error: `no such acl-privilege ${UNKNOWN}`, data: { id: UNKNOWN, type: 'acl-privilege' } }
    const patch = await call(mock, 'PATCH', `/rest/v0/acl-privileges/${UNKNOWN}`, { effect: 'deny' })
    expect(patch.status).toBe(404)
    expect(patch.json()).toEqual(expected)
    const remove = await call(mock, 'DELETE', `/rest/v0/acl-privileges/${UNKNOWN}`)
    expect(remove.status).toBe(404)
    expect(remove.json()).toEqual(expected)
  })
})
