/**
 * XO-side methods through xo-lib 0.9.0 (`user`, `group`, `acl`, `server`, `cloudConfig`, `resourceSet`,
 * `job`, `schedule`, `remote`, `token`, `api`, `system`, `test`, `xo`). Their records are not XAPI
 * objects: they are read back with their own getters, and no `all` notification may carry them
 * (reference jsonrpc-api.md §5.3, §7.1, §7.2, §7.7).
 */
import { describe, expect, it } from 'vitest'
import { current, pick, sleep, trackMethodCases, useMock, type XoClient } from './harness.js'

trackMethodCases()
const t = useMock()

/** Nothing of the XAPI object collection changed since `mark` (and getAllObjects agrees). */
async function expectNoObjectChange(client: XoClient, mark: number): Promise<void> {
  await sleep(20)
  expect(client.notifications.slice(mark)).toEqual([])
  const all = await client.objects()
  expect(Object.values(all).some((object) => ['user', 'group', 'acl', 'server', 'token', 'cloudConfig', 'resourceSet', 'job', 'schedule', 'remote'].includes(object.type))).toBe(false)
}

describe('users and groups', () => {
  it('user.create, user.getAll, user.set, user.changePassword, user.removeAuthProvider and user.delete', async () => {
    const { mock } = t
    const admin = await t.admin()
    const mark = admin.mark()
    const id = await admin.call('user.create', { email: 'bob@lab.local', password: 'bob-1', permission: 'none' })
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(await admin.call('user.getAll')).toContainEqual({ id, email: 'bob@lab.local', permission: 'none', groups: [], preferences: {} })
    await expect(admin.call('user.create', { email: 'BOB@lab.local', password: 'x' })).rejects.toBeDefined()

    // bob signs in, edits his preferences and changes his password
    const bob = await t.client({ email: 'bob@lab.local', password: 'bob-1' })
    expect(bob.xo.user).toMatchObject({ id, permission: 'none' })
    expect(await bob.call('user.set', { id, preferences: { lang: 'fr' } })).toBe(true)
    await expect(bob.call('user.set', { id, permission: 'admin' })).rejects.toMatchObject({ code: 10 })
    await expect(bob.call('user.changePassword', { oldPassword: 'wrong', newPassword: 'bob-2' })).rejects.toMatchObject({ code: 3 })
    expect(await bob.call('user.changePassword', { oldPassword: 'bob-1', newPassword: 'bob-2' })).toBe(true)
    await expect(bob.xo.call('user.getAll')).rejects.toMatchObject({ code: 2, data: { permission: 'admin' } })

    // the admin sees the changes; an admin can change the email and permission
    expect(await admin.call('user.set', { id, email: 'robert@lab.local', permission: 'read' })).toBe(true)
    expect((await admin.call('user.getAll')).find((user: any) => user.id === id)).toEqual({
      id,
      email: 'robert@lab.local',
      permission: 'read',
      groups: [],
      preferences: { lang: 'fr' },
    })
    const again = await t.client({ email: 'robert@lab.local', password: 'bob-2' })
    expect(again.xo.user.id).toBe(id)

    mock.inventory.update(id, { authProviders: { saml: 'bob' } })
    expect(await admin.call('user.removeAuthProvider', { id, authProvider: 'saml' })).toBe(true)
    expect(current(mock, id).authProviders ?? {}).toEqual({})

    // deleting a user closes its connections; a user cannot delete itself
    await expect(admin.call('user.delete', { id: admin.xo.user.id })).rejects.toMatchObject({ code: 10 })
    expect(await admin.call('user.delete', { id })).toBe(true)
    for (let i = 0; i < 50 && (bob.xo.status !== 'closed' || again.xo.status !== 'closed'); i++) await sleep(10)
    expect([bob.xo.status, again.xo.status]).toEqual(['closed', 'closed'])
    expect((await admin.call('user.getAll')).map((user: any) => user.id)).not.toContain(id)
    await expectNoObjectChange(admin, mark)
  })

  it('group.create, group.set, group.addUser, group.removeUser, group.setUsers, group.getAll and group.delete', async () => {
    const { mock } = t
    const users = [...mock.inventory.ofType<any>('user')].map((user) => user.id)
    const admin = await t.admin()
    const mark = admin.mark()
    const id = await admin.call('group.create', { name: 'xo-lib group' })
    const group = async () => (await admin.call('group.getAll')).find((candidate: any) => candidate.id === id)
    expect(await group()).toEqual({ id, name: 'xo-lib group', users: [] })
    await expect(admin.call('group.create', { name: 'xo-lib group' })).rejects.toMatchObject({ code: 16 })

    expect(await admin.call('group.set', { id, name: 'renamed group' })).toBe(true)
    expect(await admin.call('group.addUser', { id, userId: users[0] })).toBe(true)
    expect(await group()).toEqual({ id, name: 'renamed group', users: [users[0]] })
    // the user record lists its groups
    expect((await admin.call('user.getAll')).find((user: any) => user.id === users[0]).groups).toContain(id)

    expect(await admin.call('group.setUsers', { id, userIds: users.slice(1) })).toBe(true)
    expect((await group()).users.sort()).toEqual(users.slice(1).sort())
    expect(await admin.call('group.removeUser', { id, userId: users[1] })).toBe(true)
    expect((await group()).users).not.toContain(users[1])

    expect(await admin.call('group.delete', { id })).toBe(true)
    expect(await group()).toBeUndefined()
    for (const user of await admin.call('user.getAll')) expect(user.groups).not.toContain(id)
    await expectNoObjectChange(admin, mark)
  })

  it('acl.add, acl.get, acl.getCurrentPermissions, acl.remove, test.getPermissionsForUser and test.hasPermission', async () => {
    const { mock } = t
    const user = pick(mock, 'user', (candidate) => candidate.permission === 'none')
    const vm = pick(mock, 'VM')
    const admin = await t.admin()
    const mark = admin.mark()
    expect(await admin.call('acl.add', { subject: user.id, object: vm.id, action: 'operator' })).toBe(true)
    const acls = await admin.call('acl.get')
    const acl = acls.find((entry: any) => entry.subject === user.id && entry.object === vm.id && entry.action === 'operator')
    expect(acl.id).toMatch(/^[\w-]{6}$/)

    const permissions = await admin.call('test.getPermissionsForUser', { userId: user.id })
    expect(permissions[vm.id]).toMatchObject({ view: 1, operate: 1 })
    expect(await admin.call('test.hasPermission', { userId: user.id, objectId: vm.id, permission: 'operate' })).toBe(true)
    expect(await admin.call('test.hasPermission', { userId: user.id, objectId: vm.id, permission: 'administrate' })).toBe(false)

    // the user sees it as its current permissions
    const client = await t.client({ email: user.email, password: user.password })
    expect((await client.call('acl.getCurrentPermissions'))[vm.id]).toMatchObject({ view: 1, operate: 1 })
    // and can operate the VM through the ACL
    const halted = pick(mock, 'VM', (candidate) => candidate.power_state === 'Halted' && candidate.$VBDs.length > 0)
    await expect(client.xo.call('vm.start', { id: halted.id })).rejects.toMatchObject({ code: 2 })

    expect(await admin.call('acl.remove', { subject: user.id, object: vm.id, action: 'operator' })).toBe(true)
    expect((await admin.call('acl.get')).some((entry: any) => entry.id === acl.id)).toBe(false)
    expect((await client.call('acl.getCurrentPermissions'))[vm.id]).toBeUndefined()
    await expectNoObjectChange(admin, mark)
  })
})

describe('servers', () => {
  it('server.add, server.set, server.disable, server.enable, server.getAll and server.remove', async () => {
    const { mock } = t
    const admin = await t.admin()
    const mark = admin.mark()
    const id = await admin.call('server.add', { host: '10.99.99.99', username: 'root', password: 'secret', label: 'lab', autoConnect: false })
    const record = async () => (await admin.call('server.getAll')).find((server: any) => server.id === id)
    expect(await record()).toEqual({
      id,
      host: '10.99.99.99',
      label: 'lab',
      username: 'root',
      enabled: true,
      readOnly: false,
      allowUnauthorized: false,
      status: 'disconnected',
    })
    await expect(admin.call('server.add', { host: '10.99.99.99', username: 'root', password: 'x' })).rejects.toBeDefined()

    expect(await admin.call('server.set', { id, label: 'renamed', readOnly: true, allowUnauthorized: true })).toBe(true)
    expect(await record()).toMatchObject({ label: 'renamed', readOnly: true, allowUnauthorized: true })

    // an address nobody answers on: enabling records the connection error
    expect(await admin.call('server.enable', { id })).toBe(true)
    expect(await record()).toMatchObject({ enabled: true, status: 'disconnected', error: expect.any(Object) })
    await expect(admin.call('server.disable', { id })).rejects.toMatchObject({ code: 25, data: { property: 'status' } })

    // a connected server of the fixture: disable, then enable again
    const connected = pick(mock, 'server', (server) => server.status === 'connected')
    expect(await admin.call('server.disable', { id: connected.id })).toBe(true)
    expect((await admin.call('server.getAll')).find((server: any) => server.id === connected.id)).toMatchObject({ enabled: false, status: 'disconnected' })
    expect(await admin.call('server.enable', { id: connected.id })).toBe(true)
    const reconnected = (await admin.call('server.getAll')).find((server: any) => server.id === connected.id)
    expect(reconnected).toMatchObject({ enabled: true, status: 'connected', poolId: connected.poolId, poolNameLabel: current(mock, connected.poolId).name_label })
    expect(reconnected).not.toHaveProperty('password')

    expect(await admin.call('server.remove', { id })).toBe(true)
    expect(await record()).toBeUndefined()
    await expect(admin.call('server.remove', { id })).rejects.toMatchObject({ code: 1 })
    await expectNoObjectChange(admin, mark)
  })
})

describe('cloud configs and resource sets', () => {
  it('cloudConfig.create, cloudConfig.update, cloudConfig.getAll, cloudConfig.delete, cloudConfig.createNetworkConfig and cloudConfig.getAllNetworkConfigs', async () => {
    const admin = await t.admin()
    const mark = admin.mark()
    const created = await admin.call('cloudConfig.create', { name: 'base', template: '#cloud-config\nhostname: {name}\n' })
    expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'base', template: '#cloud-config\nhostname: {name}\n' })
    expect(await admin.call('cloudConfig.getAll')).toContainEqual(created)
    expect(await admin.call('cloudConfig.update', { id: created.id, name: 'renamed' })).toBe(true)
    expect((await admin.call('cloudConfig.getAll')).find((config: any) => config.id === created.id)).toEqual({ ...created, name: 'renamed' })

    const network = await admin.call('cloudConfig.createNetworkConfig', { name: 'net', template: 'network:\n  version: 1\n' })
    expect(network).toMatchObject({ name: 'net', type: 'network' })
    expect(await admin.call('cloudConfig.getAllNetworkConfigs')).toEqual([network])
    expect((await admin.call('cloudConfig.getAll')).map((config: any) => config.id)).not.toContain(network.id)

    expect(await admin.call('cloudConfig.delete', { id: created.id })).toBe(true)
    expect((await admin.call('cloudConfig.getAll')).map((config: any) => config.id)).not.toContain(created.id)
    await expectNoObjectChange(admin, mark)
  })

  it('resourceSet.create, get, getAll, set, add/remove Object, Subject and Limit, recomputeAllLimits and delete', async () => {
    const { mock } = t
    const user = pick(mock, 'user', (candidate) => candidate.permission === 'none')
    // (a VM made by a backup job, `other['xo:backup:job']`, does not count against limits)
    const vm = pick(mock, 'VM', (candidate) => candidate.other?.['xo:backup:job'] === undefined)
    const sr = pick(mock, 'SR')
    const admin = await t.admin()
    const mark = admin.mark()
    const set = await admin.call('resourceSet.create', { name: 'team', subjects: [], objects: [sr.id], limits: { cpus: 8, memory: 16 * 1024 ** 3 } })
    expect(set).toEqual({
      id: expect.stringMatching(/^[\w-]{11}$/),
      name: 'team',
      subjects: [],
      objects: [sr.id],
      tags: [],
      ipPools: [],
      shareByDefault: false,
      limits: { cpus: { available: 8, total: 8 }, memory: { available: 16 * 1024 ** 3, total: 16 * 1024 ** 3 } },
    })
    expect(await admin.call('resourceSet.get', { id: set.id })).toEqual(set)
    const get = () => admin.call('resourceSet.get', { id: set.id })

    expect(await admin.call('resourceSet.addSubject', { id: set.id, subject: user.id })).toBe(true)
    expect(await admin.call('resourceSet.addObject', { id: set.id, object: vm.id })).toBe(true)
    expect(await admin.call('resourceSet.addLimit', { id: set.id, limitId: 'disk', quantity: 1024 })).toBe(true)
    expect(await get()).toMatchObject({ subjects: [user.id], objects: [sr.id, vm.id], limits: { disk: { available: 1024, total: 1024 } } })

    // the subject sees the set, another non-admin does not
    const member = await t.client({ email: user.email, password: user.password })
    expect((await member.call('resourceSet.getAll')).map((candidate: any) => candidate.id)).toEqual([set.id])

    expect(await admin.call('resourceSet.removeObject', { id: set.id, object: sr.id })).toBe(true)
    expect(await admin.call('resourceSet.removeLimit', { id: set.id, limitId: 'memory' })).toBe(true)
    expect(await admin.call('resourceSet.removeSubject', { id: set.id, subject: user.id })).toBe(true)
    expect(await admin.call('resourceSet.set', { id: set.id, name: 'renamed', tags: ['t'], shareByDefault: true })).toBe(true)
    expect(await get()).toMatchObject({ name: 'renamed', subjects: [], objects: [vm.id], tags: ['t'], shareByDefault: true })
    expect(Object.keys((await get()).limits).sort()).toEqual(['cpus', 'disk'])
    expect(await member.call('resourceSet.getAll')).toEqual([])

    // a VM of the set counts against its limits once recomputed
    await admin.call('vm.set', { id: vm.id, resourceSet: set.id })
    expect(await admin.call('resourceSet.recomputeAllLimits')).toBe(true)
    expect((await get()).limits.cpus).toEqual({ total: 8, available: 8 - vm.CPUs.number })

    expect(await admin.call('resourceSet.delete', { id: set.id })).toBe(true)
    await expect(get()).rejects.toMatchObject({ code: 1 })
    expect((await admin.object(vm.id)).resourceSet).toBeUndefined()
    // only the VM (resourceSet field set, then cleared) was notified
    expect(new Set(admin.notifications.slice(mark).flatMap((notification) => Object.keys(notification.items)))).toEqual(new Set([vm.id]))
  })
})

describe('jobs, schedules and remotes', () => {
  it('job.create, job.get, job.getAll, job.set, schedule.create, schedule.get, schedule.getAll, schedule.set, schedule.delete and job.delete', async () => {
    const admin = await t.admin()
    const mark = admin.mark()
    const vm = pick(t.mock, 'VM')
    const jobId = await admin.call('job.create', { job: { type: 'call', key: 'start', method: 'vm.start', paramsVector: { type: 'crossProduct', items: [{ type: 'set', values: [{ id: vm.id }] }] } } })
    expect(jobId).toEqual(expect.any(String))
    const job = await admin.call('job.get', { id: jobId })
    expect(job).toMatchObject({ id: jobId, type: 'call', key: 'start', method: 'vm.start', userId: admin.xo.user.id })
    expect(await admin.call('job.getAll')).toContainEqual(job)
    expect(await admin.call('job.set', { job: { id: jobId, name: 'nightly start' } })).toBe(true)
    expect(await admin.call('job.get', { id: jobId })).toMatchObject({ name: 'nightly start', method: 'vm.start' })

    const schedule = await admin.call('schedule.create', { cron: '0 2 * * *', jobId, enabled: true, name: 'nightly', timezone: 'Europe/Paris' })
    expect(schedule).toEqual({ id: expect.any(String), cron: '0 2 * * *', enabled: true, jobId, name: 'nightly', timezone: 'Europe/Paris', userId: admin.xo.user.id })
    expect(await admin.call('schedule.get', { id: schedule.id })).toEqual(schedule)
    expect(await admin.call('schedule.getAll')).toContainEqual(schedule)
    expect(await admin.call('schedule.set', { id: schedule.id, cron: '0 3 * * *', enabled: false })).toBe(true)
    expect(await admin.call('schedule.get', { id: schedule.id })).toEqual({ ...schedule, cron: '0 3 * * *', enabled: false })
    expect(await admin.call('schedule.delete', { id: schedule.id })).toBe(true)
    await expect(admin.call('schedule.get', { id: schedule.id })).rejects.toMatchObject({ code: 1 })

    // deleting a job deletes its schedules
    const other = await admin.call('schedule.create', { cron: '* * * * *', jobId })
    expect(await admin.call('job.delete', { id: jobId })).toBe(true)
    await expect(admin.call('job.get', { id: jobId })).rejects.toMatchObject({ code: 1 })
    expect((await admin.call('schedule.getAll')).map((candidate: any) => candidate.id)).not.toContain(other.id)
    // stored, never run: the VM did not move
    await expectNoObjectChange(admin, mark)
  })

  it('remote.create, remote.get, remote.getAll, remote.set, remote.test, remote.getAllInfo and remote.delete', async () => {
    const admin = await t.admin()
    const mark = admin.mark()
    const created = await admin.call('remote.create', { name: 'nfs', url: 'nfs://backup:s3cret@nas.lab:/backups' })
    expect(created).toMatchObject({ id: expect.any(String), name: 'nfs', enabled: true, url: 'nfs://backup:s3cret@nas.lab:/backups' })
    // reads obfuscate the password
    const remote = await admin.call('remote.get', { id: created.id })
    expect(remote.url).not.toContain('s3cret')
    expect(await admin.call('remote.getAll')).toContainEqual(remote)
    expect(await admin.call('remote.test', { id: created.id })).toEqual({ success: true })
    expect((await admin.call('remote.getAllInfo'))[created.id]).toEqual({ size: expect.any(Number), used: expect.any(Number), available: expect.any(Number) })

    expect(await admin.call('remote.set', { id: created.id, name: 'renamed', enabled: false })).toBe(true)
    expect(await admin.call('remote.get', { id: created.id })).toMatchObject({ name: 'renamed', enabled: false })
    await expect(admin.call('remote.test', { id: created.id })).rejects.toBeDefined()
    expect((await admin.call('remote.getAllInfo'))[created.id]).toBeUndefined()

    expect(await admin.call('remote.delete', { id: created.id })).toBe(true)
    await expect(admin.call('remote.get', { id: created.id })).rejects.toMatchObject({ code: 1 })
    await expectNoObjectChange(admin, mark)
  })
})

describe('tokens, connections and introspection', () => {
  it('token.create, token.set, user.getAuthenticationTokens, token.deleteOwn and token.delete', async () => {
    const { mock } = t
    const admin = await t.admin()
    const mark = admin.mark()
    const token = await admin.call('token.create', { description: 'first', expiresIn: '1 day' })
    expect(token).toMatch(/^[\w-]{43}$/)
    const second = await admin.call('token.create', { client: { id: 'ci-runner' }, description: 'second' })
    // same client: the same token is refreshed
    expect(await admin.call('token.create', { client: { id: 'ci-runner' }, description: 'second, again' })).toBe(second)

    const list = async () => admin.call('user.getAuthenticationTokens')
    expect((await list()).find((entry: any) => entry.id === token)).toMatchObject({ id: token, user_id: admin.xo.user.id, description: 'first', created_at: expect.any(Number), expiration: expect.any(Number) })
    expect((await list()).find((entry: any) => entry.id === second)).toMatchObject({ description: 'second, again', client: { id: 'ci-runner' } })
    expect(await admin.call('token.set', { id: token, description: 'renamed' })).toBe(true)
    expect((await list()).find((entry: any) => entry.id === token).description).toBe('renamed')

    // the token signs in
    const byToken = await t.client({ token })
    expect(byToken.xo.user.id).toBe(admin.xo.user.id)

    expect(await admin.call('token.deleteOwn', { tokens: [token] })).toBe(true)
    expect((await list()).map((entry: any) => entry.id)).not.toContain(token)
    await expect(t.client({ token })).rejects.toMatchObject({ code: 3 })

    // token.delete (admin) with a pattern, on another user's token
    const user = pick(mock, 'user', (candidate) => candidate.permission === 'none')
    const other = await t.client({ email: user.email, password: user.password })
    const theirs = await other.call('token.create', { description: 'theirs' })
    await expect(other.xo.call('token.delete', { tokens: [theirs] })).rejects.toMatchObject({ code: 2 })
    expect(await admin.call('token.delete', { pattern: { description: 'theirs' } })).toBe(true)
    expect(await other.call('user.getAuthenticationTokens')).not.toContainEqual(expect.objectContaining({ id: theirs }))
    expect(current(mock, second)).toBeDefined()
    await expectNoObjectChange(admin, mark)
  })

  it('api.getConnections and api.closeAllConnections', async () => {
    const admin = await t.admin()
    const other = await t.client({ token: t.mock.token })
    const anonymous = await t.client()
    const connections = await admin.call('api.getConnections')
    expect(connections).toHaveLength(3)
    expect(connections.filter((connection: any) => connection.user_id === admin.xo.user.id)).toHaveLength(2)
    expect(connections.every((connection: any) => typeof connection.user_ip === 'string')).toBe(true)
    expect(connections.filter((connection: any) => connection.expiration !== undefined)).toHaveLength(1)

    expect(await admin.call('api.closeAllConnections')).toBe(true)
    for (let i = 0; i < 50 && (other.xo.status !== 'closed' || anonymous.xo.status !== 'closed'); i++) await sleep(10)
    expect([other.xo.status, anonymous.xo.status, admin.xo.status]).toEqual(['closed', 'closed', 'open'])
    expect(await admin.call('api.getConnections')).toHaveLength(1)
  })

  it('system.getMethodsInfo, system.listMethods, system.methodSignature, system.getServerVersion, system.getVersion, system.getServerTimezone and test.wait', async () => {
    const anonymous = await t.client()
    const info = await anonymous.call('system.getMethodsInfo')
    const names = await anonymous.call('system.listMethods')
    expect(Object.keys(info).sort()).toEqual([...names].sort())
    expect(names).toHaveLength(345)
    expect(info['vm.start']).toMatchObject({ params: { id: { type: 'string' } } })
    expect(info['session.signIn']).toMatchObject({ permission: null })
    expect(await anonymous.call('system.methodSignature', { method: 'vm.start' })).toEqual([{ name: 'vm.start', ...info['vm.start'] }])
    await expect(anonymous.xo.call('system.methodSignature', { method: 'no.such' })).rejects.toMatchObject({ code: 1 })
    expect(await anonymous.call('system.getServerVersion')).toMatch(/^\d+\.\d+\.\d+$/)
    expect(await anonymous.call('system.getVersion')).toBe('0.1')
    await expect(anonymous.xo.call('system.getServerTimezone')).rejects.toMatchObject({ code: 2 })

    const admin = await t.admin()
    expect(await admin.call('system.getServerTimezone')).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone)
    const start = Date.now()
    expect(await admin.call('test.wait', { duration: '50' })).toBe(true)
    expect(Date.now() - start).toBeGreaterThanOrEqual(45)
  })

  it('xo.clean drops expired tokens; xo.snapshotBeforeUpgrade', async () => {
    const { mock } = t
    const admin = await t.admin()
    const mark = admin.mark()
    const token = await admin.call('token.create', { description: 'short' })
    mock.inventory.update(token, { expiration: Date.now() - 1000 })
    expect(current(mock, token)).toBeDefined()
    expect(await admin.call('xo.clean')).toBe(true)
    expect(current(mock, token)).toBeUndefined()
    expect(current(mock, mock.token)).toBeDefined()
    expect(await admin.call('xo.snapshotBeforeUpgrade')).toBe(true)
    await expectNoObjectChange(admin, mark)
  })
})
