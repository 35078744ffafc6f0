/**
 * XO-side domain operations (users, groups, ACLs, servers, cloud configs, resource sets, schedules,
 * jobs, remotes) and their JSON-RPC adapters.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { makeContext, type MockContext } from '../../src/context.js'
import * as acl from '../../src/domain/acl.js'
import { authenticatePassword } from '../../src/domain/auth.js'
import * as cloudConfig from '../../src/domain/cloud-config.js'
import * as group from '../../src/domain/group.js'
import * as job from '../../src/domain/job.js'
import * as remote from '../../src/domain/remote.js'
import * as resourceSet from '../../src/domain/resource-set.js'
import * as schedule from '../../src/domain/schedule.js'
import * as server from '../../src/domain/server.js'
import * as user from '../../src/domain/user.js'
import { ManualClock } from '../../src/inventory/clock.js'
import { IdGenerator, isUuid } from '../../src/inventory/ids.js'
import { type Change, ObjectStore } from '../../src/inventory/store.js'
import type { UserObject, XoObject } from '../../src/inventory/types.js'
import { infraMethods } from '../../src/rpc/methods/domain-infra.js'
import type { RpcCall } from '../../src/rpc/types.js'

const ADMIN = 'user-admin'
const BOB = 'user-bob'
const POOL = 'pool-1'
const HOST = 'host-1'
const VM = 'vm-1'

function inventory(): XoObject[] {
  const xapi = { $pool: POOL, $poolId: POOL }
  return [
    { id: ADMIN, type: 'user', email: 'admin@admin.net', name: 'admin@admin.net', permission: 'admin', groups: [], preferences: {}, password: 'admin' },
    { id: BOB, type: 'user', email: 'bob@lab.net', name: 'bob@lab.net', permission: 'none', groups: [], preferences: { lang: 'fr' }, password: 'bob' },
    { id: POOL, type: 'pool', uuid: POOL, ...xapi, _xapiRef: 'OpaqueRef:pool', name_label: 'Lab', name_description: 'lab', master: HOST },
    { id: HOST, type: 'host', uuid: HOST, ...xapi, _xapiRef: 'OpaqueRef:host', name_label: 'h1', address: '10.0.0.1', hostname: 'h1.lab', power_state: 'Running', enabled: true, residentVms: [] },
    {
      id: VM,
      type: 'VM',
      uuid: VM,
      ...xapi,
      _xapiRef: 'OpaqueRef:vm',
      power_state: 'Halted',
      $container: POOL,
      CPUs: { max: 4, number: 2 },
      memory: { dynamic: [2 ** 30, 4 * 2 ** 30], static: [2 ** 30, 4 * 2 ** 30], size: 4 * 2 ** 30 },
      $VBDs: [],
      VIFs: [],
      other: {},
      tags: [],
    },
    { id: 'vdi-1', type: 'VDI', uuid: 'vdi-1', ...xapi, _xapiRef: 'OpaqueRef:vdi1', size: 10 * 2 ** 30, $SR: 'sr', $VBDs: [] },
    { id: 'vdi-2', type: 'VDI', uuid: 'vdi-2', ...xapi, _xapiRef: 'OpaqueRef:vdi2', size: 5 * 2 ** 30, $SR: 'sr', $VBDs: [] },
    { id: 'vbd-1', type: 'VBD', uuid: 'vbd-1', ...xapi, _xapiRef: 'OpaqueRef:vbd1', VM, VDI: 'vdi-1', is_cd_drive: false, attached: false },
    { id: 'vbd-2', type: 'VBD', uuid: 'vbd-2', ...xapi, _xapiRef: 'OpaqueRef:vbd2', VM, VDI: 'vdi-2', is_cd_drive: false, attached: false },
    { id: 'token-bob', type: 'token', user_id: BOB, created_at: 0, expiration: Date.UTC(2030, 0, 1) },
  ]
}

let ctx: MockContext
let changes: Change[]

beforeEach(() => {
  const store = new ObjectStore()
  store.replaceAll(inventory(), { deriveBackReferences: true })
  ctx = makeContext({ store, clock: new ManualClock(), ids: new IdGenerator('xo') })
  changes = []
  store.subscribe((change) => changes.push(change))
})

const get = (id: string) => ctx.store.get(id) as Record<string, any>
const admin = () => ctx.store.get(ADMIN) as UserObject
const bob = () => ctx.store.get(BOB) as UserObject

function thrown(fn: () => unknown): any {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

function rpc(method: string, params: Record<string, unknown>, caller: UserObject = admin()): unknown {
  const handler = infraMethods[method]
  if (handler === undefined) throw new Error(`no handler for ${method}`)
  return handler({
    ctx,
    method,
    params,
    objects: {},
    user: caller,
    connection: { id: 'c1', remoteAddress: '127.0.0.1', userId: caller.id, tokenExpiration: undefined },
  } as unknown as RpcCall)
}

describe('users', () => {
  it('create: UUID id, default permission none, can sign in; getAll hides passwords', () => {
    const id = rpc('user.create', { email: 'alice@lab.net', password: 'secret' }) as string
    expect(isUuid(id)).toBe(true)
    expect(get(id)).toMatchObject({ email: 'alice@lab.net', name: 'alice@lab.net', permission: 'none', groups: [], preferences: {} })
    expect(authenticatePassword(ctx, 'alice@lab.net', 'secret').id).toBe(id)
    const all = rpc('user.getAll', {}) as Record<string, unknown>[]
    expect(all.map((u) => u.email)).toEqual(['admin@admin.net', 'bob@lab.net', 'alice@lab.net'])
    expect(all[2]).toEqual({ id, email: 'alice@lab.net', permission: 'none', groups: [], preferences: {} })
    for (const u of all) expect(u).not.toHaveProperty('password')
  })

  it('create: a duplicate email (any case) gives code 16', () => {
    expect(thrown(() => rpc('user.create', { email: 'BOB@lab.net', password: 'x' }))).toMatchObject({
      code: 16,
      message: 'user already exists',
      data: { objectId: BOB, objectType: 'user' },
    })
  })

  it('delete: not oneself (code 10); tokens, ACLs and group memberships go', () => {
    expect(thrown(() => rpc('user.delete', { id: ADMIN }))).toMatchObject({ code: 10, message: 'a user cannot delete itself', data: {} })
    const g = group.createGroup(ctx, 'devs')
    group.addUserToGroup(ctx, g.id, BOB)
    acl.addAcl(ctx, BOB, VM, 'viewer')
    acl.addAcl(ctx, ADMIN, VM, 'viewer')
    expect(rpc('user.delete', { id: BOB })).toBeUndefined()
    expect(ctx.store.has(BOB)).toBe(false)
    expect(ctx.store.has('token-bob')).toBe(false)
    expect(acl.getAllAcls(ctx).map((a) => a.subject)).toEqual([ADMIN])
    expect(get(g.id).users).toEqual([])
    expect(thrown(() => user.deleteUser(ctx, ADMIN, BOB))).toMatchObject({ code: 1, message: `no such user ${BOB}` })
  })

  it('set: admin rules, non-admin rules, preferences merge (null deletes)', () => {
    rpc('user.set', { id: BOB, email: 'robert@lab.net', permission: 'read', password: 'new' })
    expect(get(BOB)).toMatchObject({ email: 'robert@lab.net', name: 'robert@lab.net', permission: 'read', password: 'new' })
    expect(thrown(() => rpc('user.set', { id: ADMIN, permission: 'none' }))).toMatchObject({ code: 10, message: 'a user cannot change its own permission' })
    expect(thrown(() => rpc('user.set', { id: BOB, email: 'x@y.z' }, bob()))).toMatchObject({ code: 10, message: 'this properties can only changed by an administrator' })
    rpc('user.set', { id: BOB, preferences: { lang: null, theme: 'dark' } }, bob())
    expect(get(BOB).preferences).toEqual({ theme: 'dark' })
    expect(thrown(() => rpc('user.set', { id: BOB, email: 'admin@admin.net' }))).toMatchObject({ code: 16 })
    ctx.store.update(BOB, { authProviders: { ldap: { id: 'x' } } })
    expect(thrown(() => rpc('user.set', { id: BOB, password: 'p' }))).toMatchObject({ code: 5, data: { operation: 'set password' } })
    user.removeUserAuthProvider(ctx, BOB, 'ldap')
    expect(get(BOB).authProviders).toBeUndefined()
  })

  it('changePassword checks the old password (code 3)', () => {
    expect(thrown(() => rpc('user.changePassword', { oldPassword: 'nope', newPassword: 'n' }, bob()))).toMatchObject({ code: 3, message: 'invalid credentials' })
    rpc('user.changePassword', { oldPassword: 'bob', newPassword: 'n3w' }, bob())
    expect(authenticatePassword(ctx, 'bob@lab.net', 'n3w').id).toBe(BOB)
  })
})

describe('groups', () => {
  it('create / set / delete, duplicate names (code 16)', () => {
    const id = rpc('group.create', { name: 'ops' }) as string
    expect(isUuid(id)).toBe(true)
    expect(thrown(() => rpc('group.create', { name: 'ops' }))).toMatchObject({ code: 16, data: { objectId: id, objectType: 'group' } })
    rpc('group.set', { id, name: 'operators' })
    expect(rpc('group.getAll', {})).toEqual([{ id, name: 'operators', users: [] }])
    rpc('group.delete', { id })
    expect(rpc('group.getAll', {})).toEqual([])
    expect(thrown(() => rpc('group.delete', { id }))).toMatchObject({ code: 1, message: `no such group ${id}` })
  })

  it('membership stays consistent on both sides', () => {
    const g = group.createGroup(ctx, 'g')
    rpc('group.addUser', { id: g.id, userId: BOB })
    rpc('group.addUser', { id: g.id, userId: BOB })
    expect(get(g.id).users).toEqual([BOB])
    expect(get(BOB).groups).toEqual([g.id])
    rpc('group.setUsers', { id: g.id, userIds: [ADMIN] })
    expect(get(g.id).users).toEqual([ADMIN])
    expect(get(BOB).groups).toEqual([])
    expect(get(ADMIN).groups).toEqual([g.id])
    rpc('group.removeUser', { id: g.id, userId: ADMIN })
    expect(get(ADMIN).groups).toEqual([])
    expect(thrown(() => rpc('group.addUser', { id: g.id, userId: 'ghost' }))).toMatchObject({ code: 1, data: { type: 'user' } })
    group.addUserToGroup(ctx, g.id, BOB)
    rpc('group.delete', { id: g.id })
    expect(get(BOB).groups).toEqual([])
  })

  it('synchronized groups cannot be edited (code 5)', () => {
    const g = group.createGroup(ctx, 'ldap-group', { provider: 'ldap', providerGroupId: 'cn=x' })
    expect(thrown(() => rpc('group.addUser', { id: g.id, userId: BOB }))).toMatchObject({ code: 5, data: { operation: 'add user' } })
    expect(thrown(() => rpc('group.set', { id: g.id, name: 'y' }))).toMatchObject({ code: 5 })
    expect(group.getAllGroups(ctx)).toEqual([{ id: g.id, name: 'ldap-group', users: [], provider: 'ldap', providerGroupId: 'cn=x' }])
  })
})

describe('ACLs', () => {
  it('add (idempotent) / get / remove (silent); 6-char ids', () => {
    rpc('acl.add', { subject: BOB, object: VM, action: 'operator' })
    rpc('acl.add', { subject: BOB, object: VM, action: 'operator' })
    const acls = rpc('acl.get', {}) as Array<Record<string, string>>
    expect(acls).toEqual([{ id: expect.stringMatching(/^[A-Za-z0-9_-]{6}$/), subject: BOB, object: VM, action: 'operator' }])
    expect(acls[0]!.id).toBe(acl.aclId(BOB, VM, 'operator'))
    rpc('acl.remove', { subject: BOB, object: VM, action: 'operator' })
    rpc('acl.remove', { subject: BOB, object: VM, action: 'operator' })
    expect(rpc('acl.get', {})).toEqual([])
  })

  it('getCurrentPermissions expands roles and includes groups', () => {
    const g = group.createGroup(ctx, 'g')
    group.addUserToGroup(ctx, g.id, BOB)
    acl.addAcl(ctx, BOB, VM, 'viewer')
    acl.addAcl(ctx, g.id, VM, 'operator')
    acl.addAcl(ctx, g.id, HOST, 'custom')
    expect(rpc('acl.getCurrentPermissions', {}, bob())).toEqual({ [VM]: { view: 1, operate: 1 }, [HOST]: { custom: 1 } })
  })
})

describe('servers', () => {
  it('add connects to a known host address and getAll hides the password', () => {
    const id = rpc('server.add', { host: 'https://10.0.0.1:443', username: 'root', password: 'pw', label: 'lab' }) as string
    expect(isUuid(id)).toBe(true)
    const [served] = rpc('server.getAll', {}) as Array<Record<string, unknown>>
    expect(served).toEqual({
      id,
      allowUnauthorized: false,
      enabled: true,
      host: 'https://10.0.0.1:443',
      label: 'lab',
      readOnly: false,
      username: 'root',
      status: 'connected',
      poolId: POOL,
      poolNameLabel: 'Lab',
      poolNameDescription: 'lab',
      master: HOST,
    })
    expect(thrown(() => rpc('server.add', { host: 'https://10.0.0.1:443', username: 'root', password: 'pw' }))).toMatchObject({ message: 'server already exists' })
    // a second server for the same pool cannot connect
    const other = server.addServer(ctx, { host: 'h1.lab', username: 'root', password: 'pw' })
    expect(other).toMatchObject({ status: 'disconnected', error: { message: 'this pool is already connected' } })
  })

  it('an unknown address stays disconnected with an error; autoConnect false does not try', () => {
    const s = server.addServer(ctx, { host: '192.0.2.9', username: 'root', password: 'pw' })
    expect(s).toMatchObject({ status: 'disconnected', enabled: true, error: { code: 'ECONNREFUSED' } })
    const t = server.addServer(ctx, { host: '10.0.0.1', username: 'root', password: 'pw', autoConnect: false })
    expect(t.status).toBe('disconnected')
    expect(t.error).toBeUndefined()
  })

  it('enable / disable / set / remove', () => {
    const s = server.addServer(ctx, { host: '10.0.0.1', username: 'root', password: 'pw' })
    expect(thrown(() => rpc('server.enable', { id: s.id }))).toMatchObject({ code: 25, data: { property: 'status', actual: 'connected', object: s.id } })
    expect(thrown(() => rpc('server.set', { id: s.id, password: 'x' }))).toMatchObject({ message: 'this entry require disconnecting the server to update it' })
    rpc('server.set', { id: s.id, label: 'new', readOnly: true })
    rpc('server.disable', { id: s.id })
    expect(get(s.id)).toMatchObject({ enabled: false, status: 'disconnected', label: 'new', readOnly: true })
    expect(get(s.id).poolId).toBeUndefined()
    expect(ctx.store.has(POOL)).toBe(true) // the pool's objects stay in place (mock simplification)
    expect(thrown(() => rpc('server.disable', { id: s.id }))).toMatchObject({ code: 25, data: { property: 'status', actual: 'disconnected' } })
    rpc('server.set', { id: s.id, password: 'x', label: null, httpProxy: null })
    expect(get(s.id).label).toBeUndefined()
    rpc('server.enable', { id: s.id })
    expect(get(s.id)).toMatchObject({ enabled: true, status: 'connected', poolId: POOL })
    rpc('server.remove', { id: s.id })
    expect(thrown(() => rpc('server.remove', { id: s.id }))).toMatchObject({ code: 1, message: `no such xenServer ${s.id}` })
  })

  it('hostnameOf', () => {
    expect(server.hostnameOf('https://root@Host.Lab:8443/x')).toBe('host.lab')
    expect(server.hostnameOf('[fd00::1]:443')).toBe('fd00::1')
  })
})

describe('cloud configs', () => {
  it('create / update / getAll / delete, network configs apart', () => {
    const created = rpc('cloudConfig.create', { name: 'base', template: '#cloud-config\n' }) as Record<string, string>
    expect(created).toEqual({ id: expect.any(String), name: 'base', template: '#cloud-config\n' })
    expect(isUuid(created.id!)).toBe(true)
    const net = rpc('cloudConfig.createNetworkConfig', { name: 'net', template: 'network:' }) as Record<string, string>
    expect(net).toMatchObject({ name: 'net', type: 'network' })
    expect(rpc('cloudConfig.update', { id: created.id, template: '#cloud-config\nusers: []' })).toBeUndefined()
    expect(rpc('cloudConfig.getAll', {})).toEqual([{ id: created.id, name: 'base', template: '#cloud-config\nusers: []' }])
    expect(rpc('cloudConfig.getAllNetworkConfigs', {})).toEqual([net])
    expect(thrown(() => rpc('cloudConfig.update', { id: 'nope', name: 'x' }))).toMatchObject({ code: 1, message: 'no such cloud config nope' })
    rpc('cloudConfig.delete', { id: created.id })
    rpc('cloudConfig.delete', { id: created.id })
    expect(cloudConfig.getAllCloudConfigs(ctx)).toEqual([])
  })
})

describe('resource sets', () => {
  it('create returns the normalized set with an 11-char id', () => {
    const set = rpc('resourceSet.create', { name: 'team', subjects: [BOB], objects: [HOST], limits: { cpus: 8, memory: { available: 1, total: 2 } } }) as Record<string, any>
    expect(set).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{11}$/),
      ipPools: [],
      limits: { cpus: { available: 8, total: 8 }, memory: { available: 1, total: 2 } },
      name: 'team',
      objects: [HOST],
      subjects: [BOB],
      shareByDefault: false,
      tags: [],
    })
    expect(rpc('resourceSet.get', { id: set.id }, bob())).toEqual(set)
  })

  it('getAll: non-admins only see their sets (directly or through a group)', () => {
    const mine = resourceSet.createResourceSet(ctx, { name: 'mine', subjects: [BOB] })
    const other = resourceSet.createResourceSet(ctx, { name: 'other' })
    expect((rpc('resourceSet.getAll', {}) as unknown[]).length).toBe(2)
    expect((rpc('resourceSet.getAll', {}, bob()) as Array<{ id: string }>).map((s) => s.id)).toEqual([mine.id])
    const g = group.createGroup(ctx, 'g')
    group.addUserToGroup(ctx, g.id, BOB)
    resourceSet.addSubjectToResourceSet(ctx, other.id as string, g.id)
    expect((rpc('resourceSet.getAll', {}, bob()) as unknown[]).length).toBe(2)
  })

  it('objects, subjects and limits', () => {
    const { id } = resourceSet.createResourceSet(ctx, { name: 's', limits: { cpus: 10 } }) as { id: string }
    rpc('resourceSet.addObject', { id, object: HOST })
    rpc('resourceSet.addObject', { id, object: HOST })
    rpc('resourceSet.addSubject', { id, subject: BOB })
    expect(get(id)).toMatchObject({ objects: [HOST], subjects: [BOB] })
    rpc('resourceSet.removeObject', { id, object: HOST })
    rpc('resourceSet.removeSubject', { id, subject: BOB })
    expect(get(id)).toMatchObject({ objects: [], subjects: [] })
    rpc('resourceSet.addLimit', { id, limitId: 'memory', quantity: 4096 })
    expect(get(id).limits.memory).toEqual({ available: 4096, total: 4096 })
    rpc('resourceSet.removeLimit', { id, limitId: 'memory' })
    expect(Object.keys(get(id).limits)).toEqual(['cpus'])
    expect(thrown(() => rpc('resourceSet.addObject', { id: 'nope', object: HOST }))).toMatchObject({ code: 1, message: 'no such resourceSet nope' })
  })

  it('set keeps usage when changing a limit total; removed subjects lose their ACLs on the set VMs', () => {
    const { id } = resourceSet.createResourceSet(ctx, { name: 's', subjects: [BOB], limits: { cpus: 10 } }) as { id: string }
    ctx.store.update(id, { limits: { cpus: { available: 6, total: 10 } } })
    ctx.store.update(VM, { resourceSet: id })
    acl.addAcl(ctx, BOB, VM, 'admin')
    rpc('resourceSet.set', { id, name: 'renamed', limits: { cpus: 12, disk: 100 }, subjects: [], tags: ['t'], shareByDefault: true })
    expect(get(id)).toMatchObject({
      name: 'renamed',
      limits: { cpus: { available: 8, total: 12 }, disk: { available: 100, total: 100 } },
      subjects: [],
      tags: ['t'],
      shareByDefault: true,
    })
    expect(acl.getAllAcls(ctx)).toEqual([])
  })

  it('recomputeAllLimits subtracts the usage of the set VMs', () => {
    const { id } = resourceSet.createResourceSet(ctx, { name: 's', limits: { cpus: 10, memory: 8 * 2 ** 30, disk: 100 * 2 ** 30, disks: 5, vms: 3, other: 7 } }) as {
      id: string
    }
    ctx.store.update(VM, { resourceSet: id })
    rpc('resourceSet.recomputeAllLimits', {})
    expect(get(id).limits).toEqual({
      cpus: { available: 8, total: 10 },
      memory: { available: 4 * 2 ** 30, total: 8 * 2 ** 30 },
      disk: { available: 85 * 2 ** 30, total: 100 * 2 ** 30 },
      disks: { available: 3, total: 5 },
      vms: { available: 2, total: 3 },
      other: { available: 7, total: 7 },
    })
  })

  it('delete releases the VMs', () => {
    const { id } = resourceSet.createResourceSet(ctx, { name: 's' }) as { id: string }
    ctx.store.update(VM, { resourceSet: id })
    acl.addAcl(ctx, BOB, VM, 'admin')
    rpc('resourceSet.delete', { id })
    expect(ctx.store.has(id)).toBe(false)
    expect(get(VM).resourceSet).toBeUndefined()
    expect(acl.getAllAcls(ctx)).toEqual([])
    expect(thrown(() => rpc('resourceSet.delete', { id }))).toMatchObject({ code: 1 })
  })
})

describe('jobs and schedules', () => {
  it('job create / get / getAll / set / delete (call jobs only); schedules of a deleted job go too', () => {
    const id = rpc('job.create', { job: { type: 'call', key: 'genericTask', method: 'vm.start', paramsVector: { type: 'crossProduct', items: [] } } }) as string
    expect(isUuid(id)).toBe(true)
    expect(rpc('job.get', { id })).toEqual({ id, key: 'genericTask', method: 'vm.start', paramsVector: { type: 'crossProduct', items: [] }, userId: ADMIN, type: 'call' })
    ctx.store.add({ id: 'backup-job', type: 'job', jobType: 'backup', name: 'b', mode: 'full' })
    expect((rpc('job.getAll', {}) as Array<{ id: string }>).map((j) => j.id)).toEqual([id])
    expect(thrown(() => rpc('job.get', { id: 'backup-job' }))).toMatchObject({ code: 1, message: 'no such job backup-job' })
    rpc('job.set', { job: { id, name: 'start all', timeout: null } })
    expect(job.getJob(ctx, id)).toMatchObject({ name: 'start all' })
    const s = rpc('schedule.create', { cron: '0 0 * * *', jobId: id, timezone: 'Europe/Paris' }) as Record<string, unknown>
    expect(s).toEqual({ id: expect.any(String), cron: '0 0 * * *', enabled: false, jobId: id, name: '', timezone: 'Europe/Paris', userId: ADMIN })
    rpc('job.delete', { id })
    expect(rpc('job.getAll', {})).toEqual([])
    expect(rpc('schedule.getAll', {})).toEqual([])
  })

  it('runSequence call jobs record their author', () => {
    const id = job.createJob(ctx, ADMIN, { type: 'call', key: 'k', method: 'schedule.runSequence' }).id
    expect(get(id)).toMatchObject({ created_by: ADMIN, updated_by: ADMIN, userId: ADMIN, jobType: 'call' })
    job.setJob(ctx, BOB, { id, name: 'seq' })
    expect(get(id)).toMatchObject({ created_by: ADMIN, updated_by: BOB, userId: BOB, name: 'seq' })
  })

  it('schedule set / get / delete', () => {
    const s = schedule.createSchedule(ctx, { cron: '* * * * *', jobId: 'j', enabled: true, name: 'n' }) as { id: string }
    rpc('schedule.set', { id: s.id, enabled: false, name: null, cron: '0 * * * *' })
    expect(rpc('schedule.get', { id: s.id })).toEqual({ id: s.id, cron: '0 * * * *', enabled: false, jobId: 'j' })
    expect(thrown(() => rpc('schedule.set', { id: 'nope', enabled: true }))).toMatchObject({ code: 1, message: 'no such schedule nope' })
    rpc('schedule.delete', { id: s.id })
    rpc('schedule.delete', { id: s.id })
    expect(schedule.getAllSchedules(ctx)).toEqual([])
  })
})

describe('remotes', () => {
  it('create returns the record, getAll obfuscates the password, set keeps an obfuscated one', () => {
    const created = rpc('remote.create', { name: 's3', url: 's3://KEY:SECRET@s3.lab/bucket/dir' }) as Record<string, unknown>
    expect(created).toEqual({ id: expect.any(String), enabled: true, error: '', name: 's3', url: 's3://KEY:SECRET@s3.lab/bucket/dir' })
    const [served] = rpc('remote.getAll', {}) as Array<Record<string, string>>
    expect(served!.url).toMatch(/^s3:\/\/KEY:obfuscated-[A-Za-z0-9_-]{20}@s3\.lab\/bucket\/dir$/)
    expect(served).toMatchObject({ supportFileRestore: false, name: 's3' })
    rpc('remote.set', { id: created.id, url: served!.url.replace('/dir', '/other'), name: 'renamed', options: null })
    expect(get(created.id as string)).toMatchObject({ url: 's3://KEY:SECRET@s3.lab/bucket/other', name: 'renamed' })
    expect(rpc('remote.get', { id: created.id })).toMatchObject({ name: 'renamed' })
  })

  it('test records a benchmark; a disabled remote fails; getAllInfo; delete', () => {
    const { id } = remote.createRemote(ctx, { name: 'nfs', url: 'nfs://nas.lab:/export' }) as { id: string }
    expect(rpc('remote.test', { id })).toEqual({ success: true })
    expect(get(id).benchmarks).toEqual([{ readRate: expect.any(Number), timestamp: ctx.clock.now(), writeRate: expect.any(Number) }])
    expect(rpc('remote.getAllInfo', {})).toEqual({ [id]: { available: 2 ** 40, size: 2 ** 40, used: 0 } })
    remote.setRemote(ctx, id, { enabled: false })
    expect(thrown(() => rpc('remote.test', { id }))).toMatchObject({ message: 'remote is disabled' })
    expect(rpc('remote.getAllInfo', {})).toEqual({})
    rpc('remote.delete', { id })
    expect(thrown(() => rpc('remote.get', { id }))).toMatchObject({ code: 1, message: `no such remote ${id}` })
  })
})

describe('determinism', () => {
  it('the same seed gives the same ids', () => {
    const run = () => {
      const store = new ObjectStore()
      store.replaceAll(inventory(), { deriveBackReferences: true })
      const c: MockContext = makeContext({ store, clock: new ManualClock(), ids: new IdGenerator('same') })
      return [user.createUser(c, { email: 'a@b.c', password: 'x' }).id, group.createGroup(c, 'g').id, resourceSet.createResourceSet(c, { name: 'r' }).id]
    }
    expect(run()).toEqual(run())
  })

  it('every mutation goes through the change feed', () => {
    user.createUser(ctx, { email: 'z@z.z', password: 'z' })
    expect(changes).toEqual([expect.objectContaining({ kind: 'add', type: 'user' })])
  })
})

describe('user.delete adapter', () => {
  it("closes the deleted user's connections", () => {
    const closed: string[] = []
    const connections = [
      { id: 'c-bob', remoteAddress: '', userId: BOB, tokenExpiration: undefined },
      { id: 'c-admin', remoteAddress: '', userId: ADMIN, tokenExpiration: undefined },
    ]
    infraMethods['user.delete']!({
      ctx,
      method: 'user.delete',
      params: { id: BOB },
      objects: {},
      user: admin(),
      connection: connections[1],
      server: { connections: () => connections, closeConnection: (id: string) => closed.push(id), authFailures: new Map() },
    } as unknown as RpcCall)
    expect(closed).toEqual(['c-bob'])
  })
})
