import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ADMIN,
  BOB,
  bobCookie,
  call,
  DEVS,
  GROUP,
  GUEST_NETWORK,
  HOST,
  recordChanges,
  SERVER,
  SR,
  startWriteMock,
  TEMPLATE,
  VBD,
  VDI,
  VDI_SNAPSHOT,
  VIF,
  VM_HALTED,
  VM_SNAPSHOT,
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

describe('PATCH', () => {
  it('PATCH /vms/{id} (camelCase) → 204, one VM update on the feed', async () => {
    const feed = recordChanges(mock)
    const reply = await call(mock, 'PATCH', `/rest/v0/vms/${VM_HALTED}`, { nameLabel: 'renamed', nameDescription: 'desc', tags: ['a', 'b'], cpus: 2, autoPoweron: false, highAvailability: 'restart' })
    feed.stop()
    expect(reply.status).toBe(204)
    expect(reply.text).toBe('')
    expect(object(VM_HALTED)).toMatchObject({ name_label: 'renamed', name_description: 'desc', tags: ['a', 'b'], high_availability: 'restart', auto_poweron: false })
    expect(object(VM_HALTED).CPUs.number).toBe(2)
    expect(feed.changes.map((change) => [change.kind, change.id])).toEqual([['update', VM_HALTED]])
  })

  it('PATCH /vms/{id} with snake_case → 422 excess property', async () => {
    const reply = await call(mock, 'PATCH', `/rest/v0/vms/${VM_HALTED}`, { name_label: 'x' })
    expect(reply.status).toBe(422)
    expect(reply.json()).toEqual({ error: { body: { message: '"name_label" is an excess property and therefore is not allowed', value: { name_label: 'x' } } }, data: {} })
    expect(object(VM_HALTED).name_label).not.toBe('x')
  })

  it('PATCH /vms/{id}: XAPI refusals are 500s', async () => {
    const reply = await call(mock, 'PATCH', `/rest/v0/vms/${VM_WEB1}`, { cpusStaticMax: 16 })
    expect(reply.status).toBe(500)
    expect(reply.json()).toMatchObject({ error: expect.stringMatching(/^VM_BAD_POWER_STATE\(/), info: 'This is a XenServer/XCP-ng error, not an XO error' })
  })

  it('PATCH /vdis/{id} (snake_case): rename, grow; shrinking → 422', async () => {
    const size = object(VDI).size as number
    expect((await call(mock, 'PATCH', `/rest/v0/vdis/${VDI}`, { name_label: 'data', size: size + 1024 })).status).toBe(204)
    expect(object(VDI)).toMatchObject({ name_label: 'data', size: size + 1024 })
    const shrink = await call(mock, 'PATCH', `/rest/v0/vdis/${VDI}`, { size: 1024 })
    expect(shrink.status).toBe(422)
    expect(shrink.json()).toEqual({ error: `cannot set new size (1024) below the current size (${size + 1024})`, data: {} })
    expect((await call(mock, 'PATCH', `/rest/v0/vdis/${VDI}`, { nameLabel: 'x' })).status).toBe(422)
  })

  it('PATCH /vifs/{id}', async () => {
    expect((await call(mock, 'PATCH', `/rest/v0/vifs/${VIF}`, { lockingMode: 'locked', allowedIpv4Addresses: ['10.0.0.2'], txChecksumming: false })).status).toBe(204)
    expect(object(VIF)).toMatchObject({ lockingMode: 'locked', allowedIpv4Addresses: ['10.0.0.2'], txChecksumming: false })
    expect((await call(mock, 'PATCH', `/rest/v0/vifs/${VIF}`, { lockingMode: 'open' })).status).toBe(422)
  })

  it('PATCH /users/{id} and /groups/{id}', async () => {
    expect((await call(mock, 'PATCH', `/rest/v0/groups/${DEVS}`, { name: 'developers' }, { cookie: bobCookie })).status).toBe(403)
    expect((await call(mock, 'PATCH', `/rest/v0/users/${ADMIN}`, { preferences: { lang: 'fr' } }, { cookie: bobCookie })).status).toBe(403)
    // a user may edit their own preferences
    expect((await call(mock, 'PATCH', `/rest/v0/users/${BOB}`, { preferences: { theme: 'dark' } }, { cookie: bobCookie })).status).toBe(204)
    expect((await call(mock, 'PATCH', `/rest/v0/users/${BOB}`, { name: 'robert@example.org', permission: 'admin', preferences: { lang: 'fr' } })).status).toBe(204)
    expect(object(BOB)).toMatchObject({ email: 'robert@example.org', permission: 'admin', preferences: { theme: 'dark', lang: 'fr' } })
    const own = await call(mock, 'PATCH', `/rest/v0/users/${ADMIN}`, { permission: 'none' })
    expect(own.status).toBe(403)
    expect(own.json()).toEqual({ error: 'forbidden operation: update user', data: { operation: 'update user', reason: 'a user cannot change its own permission' } })
    expect((await call(mock, 'PATCH', `/rest/v0/users/${BOB}`, { permission: 'root' })).status).toBe(422)
    expect((await call(mock, 'PATCH', `/rest/v0/groups/${DEVS}`, { name: 'developers' })).status).toBe(204)
    expect(object(DEVS).name).toBe('developers')
  })
})

describe('DELETE', () => {
  it('DELETE /vms/{id} → 204; the VM leaves with its VBDs and disks', async () => {
    const feed = recordChanges(mock)
    expect((await call(mock, 'DELETE', `/rest/v0/vms/${VM_HALTED}`)).status).toBe(204)
    feed.stop()
    expect(mock.inventory.has(VM_HALTED)).toBe(false)
    expect(mock.inventory.has(VBD)).toBe(false)
    const removed = feed.changes.filter((change) => change.kind === 'remove').map((change) => change.type)
    expect(removed).toContain('VM')
    expect(removed).toContain('VBD')
    expect((await call(mock, 'DELETE', `/rest/v0/vms/${VM_HALTED}`)).status).toBe(404)
  })

  it('DELETE of templates, snapshots, VDIs, VBDs, VIFs, networks, SRs → 204', async () => {
    for (const path of [`vdi-snapshots/${VDI_SNAPSHOT}`, `vm-snapshots/${VM_SNAPSHOT}`, `vbds/${VBD}`, `vdis/${VDI}`, `vifs/${VIF}`, `networks/${GUEST_NETWORK}`, `srs/${SR}`]) {
      const reply = await call(mock, 'DELETE', `/rest/v0/${path}`)
      expect([path, reply.status]).toEqual([path, 204])
      expect(mock.inventory.has(path.split('/')[1]!)).toBe(false)
    }
    const template = await call(mock, 'DELETE', `/rest/v0/vm-templates/${TEMPLATE}`)
    expect(template.status).toBe(409)
    expect(template.json()).toMatchObject({ error: 'incorrect state', data: { property: 'isDefaultTemplate' } })
  })

  it('DELETE of users, groups and servers (admin-only) → 204', async () => {
    expect((await call(mock, 'DELETE', `/rest/v0/users/${BOB}`, undefined, { cookie: bobCookie })).status).toBe(403)
    expect((await call(mock, 'PUT', `/rest/v0/groups/${GROUP}/users/${BOB}`)).status).toBe(204)
    expect((await call(mock, 'DELETE', `/rest/v0/users/${BOB}`)).status).toBe(204)
    expect(mock.inventory.has(BOB)).toBe(false)
    // the group lost its member, the user's tokens are gone
    expect(object(GROUP).users).not.toContain(BOB)
    expect(mock.inventory.has('bob-token-0123456789abcdefghijklmnopqrstuvw')).toBe(false)
    expect((await call(mock, 'DELETE', `/rest/v0/users/${ADMIN}`)).json()).toEqual({ error: 'a user cannot delete itself', data: {} })
    expect((await call(mock, 'DELETE', `/rest/v0/groups/${GROUP}`)).status).toBe(204)
    expect((await call(mock, 'DELETE', `/rest/v0/servers/${SERVER}`)).status).toBe(204)
    expect(mock.inventory.has(SERVER)).toBe(false)
  })

  it('a plugged VDI cannot be deleted (raw XAPI error)', async () => {
    mock.inventory.update(VBD, { attached: true })
    const reply = await call(mock, 'DELETE', `/rest/v0/vdis/${VDI}`)
    expect(reply.status).toBe(500)
    expect(reply.json()).toEqual({ error: `VDI_IN_USE(${object(VDI)._xapiRef}, destroy)`, info: 'This is a XenServer/XCP-ng error, not an XO error' })
  })
})

describe('tags', () => {
  it('PUT / DELETE …/tags/{tag} are idempotent 204s', async () => {
    const feed = recordChanges(mock)
    expect((await call(mock, 'PUT', `/rest/v0/vms/${VM_WEB1}/tags/new%20tag`)).status).toBe(204)
    expect((await call(mock, 'PUT', `/rest/v0/vms/${VM_WEB1}/tags/new%20tag`)).status).toBe(204)
    expect(object(VM_WEB1).tags).toEqual(['prod', 'web', 'new tag'])
    expect((await call(mock, 'DELETE', `/rest/v0/vms/${VM_WEB1}/tags/prod`)).status).toBe(204)
    expect((await call(mock, 'DELETE', `/rest/v0/vms/${VM_WEB1}/tags/prod`)).status).toBe(204)
    feed.stop()
    expect(object(VM_WEB1).tags).toEqual(['web', 'new tag'])
    // one update per effective change
    expect(feed.changes.map((change) => change.kind)).toEqual(['update', 'update'])
    for (const path of [`hosts/${HOST}`, `srs/${SR}`, `vdis/${VDI}`, `networks/${GUEST_NETWORK}`, `vm-templates/${TEMPLATE}`]) {
      expect((await call(mock, 'PUT', `/rest/v0/${path}/tags/x`)).status).toBe(204)
      expect(object(path.split('/')[1]!).tags).toContain('x')
    }
    expect((await call(mock, 'PUT', `/rest/v0/vms/nope/tags/x`)).status).toBe(404)
  })
})

describe('creates', () => {
  it('POST /vdis → 201 {id} + Location', async () => {
    const feed = recordChanges(mock)
    const reply = await call(mock, 'POST', '/rest/v0/vdis', { srId: SR, virtual_size: 1073741824, name_label: 'scratch', tags: ['tmp'] })
    feed.stop()
    expect(reply.status).toBe(201)
    const { id } = reply.json()
    expect(reply.headers.location).toBe(`/rest/v0/vdis/${id}`)
    expect(object(id)).toMatchObject({ type: 'VDI', name_label: 'scratch', size: 1073741824, $SR: SR, tags: ['tmp'] })
    expect(object(SR).VDIs).toContain(id)
    expect(feed.changes.map((change) => [change.kind, change.type])).toEqual([
      ['add', 'VDI'],
      ['update', 'SR'],
      ['update', 'SR'],
    ])
    const unknown = await call(mock, 'POST', '/rest/v0/vdis', { srId: 'nope', virtual_size: 1 })
    expect(unknown.json()).toEqual({ error: 'no such SR nope', data: { id: 'nope', type: 'SR' } })
  })

  it('POST /vbds → 201 + Location; across pools → 422', async () => {
    const vdi = (await call(mock, 'POST', '/rest/v0/vdis', { srId: SR, virtual_size: 1024 })).json().id
    const reply = await call(mock, 'POST', '/rest/v0/vbds', { VM: VM_HALTED, VDI: vdi, bootable: false, mode: 'RW' })
    expect(reply.status).toBe(201)
    const { id } = reply.json()
    expect(reply.headers.location).toBe(`/rest/v0/vbds/${id}`)
    expect(object(id)).toMatchObject({ VM: VM_HALTED, VDI: vdi, read_only: false })
    expect(object(VM_HALTED).$VBDs).toContain(id)
    mock.inventory.update(vdi, { $pool: 'other-pool' })
    expect((await call(mock, 'POST', '/rest/v0/vbds', { VM: VM_HALTED, VDI: vdi })).json()).toEqual({
      error: `the VM ${VM_HALTED} and VDI ${vdi} do not belong to the same pool`,
      data: {},
    })
  })

  it('POST /vifs → 201 {id} (no Location)', async () => {
    const reply = await call(mock, 'POST', '/rest/v0/vifs', { vmId: VM_HALTED, networkId: GUEST_NETWORK, MAC: '02:00:00:00:00:01' })
    expect(reply.status).toBe(201)
    expect(reply.headers.location).toBeUndefined()
    expect(object(reply.json().id)).toMatchObject({ $VM: VM_HALTED, $network: GUEST_NETWORK, MAC: '02:00:00:00:00:01', attached: false })
  })

  it('POST /srs → 201 + Location; linstor → 501', async () => {
    const reply = await call(mock, 'POST', '/rest/v0/srs', { hostId: HOST, name_label: 'nfs', SR_type: 'nfs', device_config: { server: 'nas', serverpath: '/vms' } })
    expect(reply.status).toBe(201)
    const { id } = reply.json()
    expect(reply.headers.location).toBe(`/rest/v0/srs/${id}`)
    expect(object(id)).toMatchObject({ type: 'SR', name_label: 'nfs', SR_type: 'nfs', shared: true })
    const linstor = await call(mock, 'POST', '/rest/v0/srs', { hostId: HOST, name_label: 'l', SR_type: 'linstor', device_config: {} })
    expect(linstor.status).toBe(501)
    expect(linstor.json()).toEqual({ error: 'not implemented' })
    expect((await call(mock, 'POST', '/rest/v0/srs', { hostId: HOST, name_label: 'x', SR_type: 'floppy', device_config: {} })).status).toBe(422)
  })

  it('POST /users, /groups, /servers → 201 {id} (admin-only)', async () => {
    const user = await call(mock, 'POST', '/rest/v0/users', { name: 'carol@example.org', password: 'pw' })
    expect(user.status).toBe(201)
    expect(object(user.json().id)).toMatchObject({ type: 'user', email: 'carol@example.org', permission: 'none' })
    expect((await call(mock, 'POST', '/rest/v0/users', { name: 'carol@example.org', password: 'pw' })).status).toBe(409)
    expect((await call(mock, 'POST', '/rest/v0/users', { name: 'x' })).json()).toEqual({ error: { 'body.password': { message: "'password' is required" } }, data: {} })
    const denied = await call(mock, 'POST', '/rest/v0/users', { name: 'x', password: 'y' }, { cookie: bobCookie })
    expect(denied.status).toBe(403)
    expect(denied.json()).toEqual({ error: 'not enough permissions', data: { object: {} } })
    const group = await call(mock, 'POST', '/rest/v0/groups', { name: 'ops' })
    expect(group.status).toBe(201)
    expect(object(group.json().id)).toMatchObject({ type: 'group', name: 'ops', users: [] })
    const server = await call(mock, 'POST', '/rest/v0/servers', { host: '10.0.0.9', username: 'root', password: 'secret', label: 'lab' })
    expect(server.status).toBe(201)
    expect(object(server.json().id)).toMatchObject({ type: 'server', host: '10.0.0.9', label: 'lab' })
    expect((await call(mock, 'POST', '/rest/v0/servers', { host: '10.0.0.9', username: 'root', password: 'secret', port: 443 })).status).toBe(422)
  })
})

describe('group members and VM data sources', () => {
  it('PUT / DELETE /groups/{id}/users/{userId} keep both sides in step', async () => {
    expect((await call(mock, 'PUT', `/rest/v0/groups/${GROUP}/users/${BOB}`)).status).toBe(204)
    expect(object(GROUP).users).toContain(BOB)
    expect(object(BOB).groups).toContain(GROUP)
    expect((await call(mock, 'DELETE', `/rest/v0/groups/${GROUP}/users/${BOB}`)).status).toBe(204)
    expect(object(GROUP).users).not.toContain(BOB)
    expect(object(BOB).groups).not.toContain(GROUP)
    expect((await call(mock, 'PUT', `/rest/v0/groups/${GROUP}/users/nope`)).json()).toEqual({ error: 'no such user nope', data: { id: 'nope', type: 'user' } })
  })

  it('PUT / DELETE /vms/{id}/stats/data_source/{name} → 204 on a running VM', async () => {
    expect((await call(mock, 'PUT', `/rest/v0/vms/${VM_WEB1}/stats/data_source/cpu0`)).status).toBe(204)
    expect((await call(mock, 'DELETE', `/rest/v0/vms/${VM_WEB1}/stats/data_source/cpu0`)).status).toBe(204)
  })
})

describe('authentication tokens', () => {
  it('POST /users/{id}/authentication_tokens → 201 {token}; the token authenticates', async () => {
    const reply = await call(mock, 'POST', `/rest/v0/users/${ADMIN}/authentication_tokens`, { description: 'CLI', client: { id: 'my-cli' }, expiresIn: '1 hour' })
    expect(reply.status).toBe(201)
    const { token } = reply.json()
    const now = mock.clock.now()
    expect(token).toEqual({ client: { id: 'my-cli' }, created_at: now, description: 'CLI', id: expect.stringMatching(/^[\w-]{43}$/), user_id: ADMIN, expiration: now + 3600_000 })
    expect(Object.keys(token)).toEqual(['client', 'created_at', 'description', 'id', 'user_id', 'expiration'])
    expect((await call(mock, 'GET', '/rest/v0/vms', undefined, { cookie: `authenticationToken=${token.id}` })).status).toBe(200)
    const list = await call(mock, 'GET', `/rest/v0/users/${ADMIN}/authentication_tokens`)
    expect(list.json().map((entry: { id: string }) => entry.id)).toContain(token.id)
    expect((await call(mock, 'POST', `/rest/v0/users/${ADMIN}/authentication_tokens`, { expiresIn: '1s' })).status).toBe(500)
  })

  it('other users’ tokens are forbidden (403)', async () => {
    const create = await call(mock, 'POST', `/rest/v0/users/${BOB}/authentication_tokens`, {})
    expect(create.status).toBe(403)
    expect(create.json()).toMatchObject({ error: 'forbidden operation: create authentication token', data: { operation: 'create authentication token' } })
    expect((await call(mock, 'GET', `/rest/v0/users/${ADMIN}/authentication_tokens`, undefined, { cookie: bobCookie })).status).toBe(403)
    expect((await call(mock, 'GET', `/rest/v0/users/${BOB}/authentication_tokens`, undefined, { cookie: bobCookie })).status).toBe(200)
  })

  it('deprecated POST /users/authentication_tokens: admin-only, 201', async () => {
    const reply = await call(mock, 'POST', '/rest/v0/users/authentication_tokens', { description: 'old' })
    expect(reply.status).toBe(201)
    expect(reply.json().token).toMatchObject({ description: 'old', user_id: ADMIN })
    expect((await call(mock, 'POST', '/rest/v0/users/authentication_tokens', {}, { cookie: bobCookie })).status).toBe(403)
  })
})
