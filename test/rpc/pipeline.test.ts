import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import type { ManualClock } from '../../src/inventory/clock.js'
import { transportMethods } from '../../src/rpc/methods/index.js'
import {
  echo,
  HOST,
  RawClient,
  signedInClient,
  startMock,
  startRpcServer,
  USER_EMAIL,
  USER_PASSWORD,
  VDI,
  VM1,
  VM2,
  wsUrl,
  type CustomServer,
} from './helpers.js'

const PUBLIC_METHODS = [
  'session.signIn',
  'session.signInWithPassword',
  'session.signInWithToken',
  'session.getUser',
  'system.getMethodsInfo',
  'system.getServerVersion',
  'system.getVersion',
  'system.listMethods',
  'system.methodSignature',
]

describe('permissions (real mock)', () => {
  let mock: XoMock
  beforeAll(async () => {
    mock = await startMock({ clock: 'manual' })
  })
  afterAll(async () => {
    await mock.close()
  })

  it('lets only the nine public methods run before sign-in', async () => {
    const client = await RawClient.open(wsUrl(mock))
    const info = await client.call('system.getMethodsInfo')
    const publicNames = Object.keys(info).filter((name) => info[name].permission === null)
    expect(publicNames.sort()).toEqual([...PUBLIC_METHODS].sort())
    for (const name of Object.keys(info)) {
      const { json } = await client.request(name, {})
      if (PUBLIC_METHODS.includes(name)) {
        expect(json.error?.code, name).not.toBe(2)
      } else {
        const permission = info[name].permission
        expect(json.error, name).toEqual({ message: 'not enough permissions', code: 2, data: permission === undefined ? { object: {} } : { permission, object: {} } })
      }
    }
    client.close()
  })

  it('session.getUser crashes (-32000) when not signed in', async () => {
    const client = await RawClient.open(wsUrl(mock))
    const { raw } = await client.request('session.getUser', undefined, 1)
    expect(raw).toBe('{"error":{"code":-32000,"message":"unknown error from the peer"},"id":1,"jsonrpc":"2.0"}')
    client.close()
  })

  it('checks the user permission level against admin methods', async () => {
    const client = await signedInClient(mock, { email: USER_EMAIL, password: USER_PASSWORD })
    const { json } = await client.request('token.delete', { tokens: ['x'] })
    expect(json.error).toEqual({ message: 'not enough permissions', code: 2, data: { permission: 'admin', object: {} } })
    // `_log` is reserved to admins
    const { json: log } = await client.request('system.getVersion', { _log: true })
    expect(log.error).toEqual({ message: 'not enough permissions', code: 2, data: { permission: 'admin', object: {} } })
    client.close()
    const admin = await signedInClient(mock)
    expect(await admin.call('system.getVersion', { _log: true })).toBe('0.1')
    admin.close()
  })

  it('answers code 0 for a declared method without handler', async () => {
    const client = await signedInClient(mock)
    const { raw } = await client.request('xo.exportConfig', {}, 'x')
    expect(raw).toBe('{"error":{"message":"not implemented","code":0},"id":"x","jsonrpc":"2.0"}')
    client.close()
  })

  it('checks permission before validation', async () => {
    const client = await RawClient.open(wsUrl(mock))
    const { json } = await client.request('vm.start', { foo: 1 })
    expect(json.error.code).toBe(2)
    client.close()
  })
})

describe('validation, aliasing and resolve (echo handlers)', () => {
  let server: CustomServer
  const echoed = ['vm.start', 'vm.set', 'vm.attachDisk', 'host.stats', 'vm.create', 'xo.getAllObjects', 'host.restartAgent']
  beforeAll(async () => {
    server = await startRpcServer({ handlers: { ...transportMethods, ...Object.fromEntries(echoed.map((name) => [name, echo])), 'system.getServerTimezone': () => { throw new Error('boom') } } })
  })
  afterAll(async () => {
    await server.close()
  })

  it('reproduces the ajv errors of the reference (code 10)', async () => {
    const client = await signedInClient(server)
    const error = async (method: string, params: unknown) => (await client.request(method, params)).json.error
    expect(await error('vm.start', {})).toEqual({
      message: 'invalid parameters',
      code: 10,
      data: { errors: [{ instancePath: '', schemaPath: '#/required', keyword: 'required', params: { missingProperty: 'id' }, message: "must have required property 'id'" }] },
    })
    expect((await error('vm.start', { id: VM1, foo: 1 })).data.errors).toEqual([
      { instancePath: '', schemaPath: '#/additionalProperties', keyword: 'additionalProperties', params: { additionalProperty: 'foo' }, message: 'must NOT have additional properties' },
    ])
    expect((await error('vm.start', { id: 1 })).data.errors).toEqual([
      { instancePath: '/id', schemaPath: '#/properties/id/type', keyword: 'type', params: { type: 'string' }, message: 'must be string' },
    ])
    expect((await error('vm.start', { id: '' })).data.errors).toEqual([
      { instancePath: '/id', schemaPath: '#/properties/id/minLength', keyword: 'minLength', params: { limit: 1 }, message: 'must NOT have fewer than 1 characters' },
    ])
    expect((await error('vm.set', { id: VM1, high_availability: 'always' })).data.errors).toEqual([
      {
        instancePath: '/high_availability',
        schemaPath: '#/properties/high_availability/enum',
        keyword: 'enum',
        params: { allowedValues: ['best-effort', 'restart', ''] },
        message: 'must be equal to one of the allowed values',
      },
    ])
    // allErrors: every problem at once; raw key order of the error objects
    const { raw } = await client.request('vm.start', { foo: 1, id: '' }, 'k')
    expect(raw).toContain('{"instancePath":"","schemaPath":"#/additionalProperties","keyword":"additionalProperties","params":{"additionalProperty":"foo"},"message":"must NOT have additional properties"}')
    expect(JSON.parse(raw).error.data.errors).toHaveLength(2)
    client.close()
  })

  it('applies defaults, accepts extra keys with a wildcard, validates nested objects', async () => {
    const client = await signedInClient(server)
    const result = await client.call('vm.create', { name_label: 'x', template: 'a0000000-0000-4000-8000-000000000005', CPUs: 2, VIFs: [{ network: 'n' }] })
    expect(result.params).toMatchObject({ createVtpm: false, CPUs: 2 })
    const { json } = await client.request('vm.create', { name_label: 'x', template: 'a0000000-0000-4000-8000-000000000005', VIFs: [{ network: 'n', bogus: 1 }] })
    expect(json.error.data.errors[0]).toMatchObject({ instancePath: '/VIFs/0', keyword: 'additionalProperties' })
    client.close()
  })

  it('moves `<namespace>=` to `id` (vm=…)', async () => {
    const client = await signedInClient(server)
    const result = await client.call('vm.start', { vm: VM1 })
    expect(result.params).toEqual({ id: VM1 })
    expect(result.objects).toEqual({ vm: VM1 })
    // not when the method declares a key named after its namespace
    const attach = await client.request('vm.attachDisk', { vm: VM1, vdi: VDI })
    expect(attach.json.result.params).toEqual({ vm: VM1, vdi: VDI })
    // not when id is given
    const both = await client.request('vm.start', { id: VM1, vm: VM2 })
    expect(both.json.error.data.errors[0].params).toEqual({ additionalProperty: 'vm' })
    client.close()
  })

  it('renames `foo?` keys and drops them silently when not declared', async () => {
    const client = await signedInClient(server)
    expect((await client.call('vm.start', { id: VM1, 'force?': true })).params).toEqual({ id: VM1, force: true })
    expect((await client.call('vm.start', { id: VM1, 'foo?': 1 })).params).toEqual({ id: VM1 })
    const { json } = await client.request('vm.start', { id: VM1, force: true, 'force?': false })
    expect(json.error).toMatchObject({ code: -32000, message: 'conflicting keys: force and force?' })
    client.close()
  })

  it('resolves objects: code 1 for unknown ids or wrong types', async () => {
    const client = await signedInClient(server)
    expect((await client.request('vm.start', { id: 'nope' })).json.error).toEqual({ message: 'no such VM nope', code: 1, data: { id: 'nope', type: 'VM' } })
    expect((await client.request('vm.start', { id: HOST })).json.error).toEqual({ message: `no such VM ${HOST}`, code: 1, data: { id: HOST, type: 'VM' } })
    // several types: joined in the message, as declared in data
    expect((await client.request('vm.set', { id: 'nope' })).json.error).toEqual({
      message: 'no such VM,VM-snapshot,VM-template nope',
      code: 1,
      data: { id: 'nope', type: ['VM', 'VM-snapshot', 'VM-template'] },
    })
    // opaque refs work too
    expect((await client.call('host.stats', { host: `OpaqueRef:${HOST}` })).objects).toEqual({ host: HOST })
    // aliases use their target's handler
    expect((await client.call('host.restart_agent', { id: HOST })).method).toBe('host.restart_agent')
    client.close()
  })

  it('checks ACLs of non-admin users after resolve (code 2 with the object id)', async () => {
    const client = await signedInClient(server, { email: USER_EMAIL, password: USER_PASSWORD })
    // bob is operator on VM1
    expect((await client.call('vm.start', { id: VM1 })).objects).toEqual({ vm: VM1 })
    expect((await client.request('vm.start', { id: VM2 })).json.error).toEqual({ message: 'not enough permissions', code: 2, data: { permission: 'operate', object: { id: VM2 } } })
    // operator does not give administrate
    expect((await client.request('vm.set', { id: VM1, name_label: 'x' })).json.error.data).toEqual({ permission: 'administrate', object: { id: VM1 } })
    // view on a VDI through a VM using it
    server.ctx.store.add({ id: 'acl002', type: 'acl', subject: 'b0000000-0000-4000-8000-000000000001', object: VM1, action: 'admin' })
    expect((await client.call('vm.set', { id: VM1, name_label: 'x' })).objects).toEqual({ VM: VM1 })
    client.close()
  })

  it('hides unexpected errors from non-admins, shows them to admins', async () => {
    const bob = await signedInClient(server, { email: USER_EMAIL, password: USER_PASSWORD })
    expect((await bob.request('system.getServerTimezone')).json.error).toEqual({ code: -32000, message: 'unknown error from the peer' })
    bob.close()
    const admin = await signedInClient(server)
    const { raw, json } = await admin.request('system.getServerTimezone', undefined, 3)
    expect(raw.startsWith('{"error":{"code":-32000,"data":{"message":"boom","name":"Error","stack":')).toBe(true)
    expect(json.error.message).toBe('boom')
    admin.close()
  })
})

describe('sign-in', () => {
  let mock: XoMock
  beforeAll(async () => {
    mock = await startMock({ clock: 'manual' })
  })
  afterAll(async () => {
    await mock.close()
  })

  it('accepts email or username, case-insensitively, and returns the public user', async () => {
    const client = await RawClient.open(wsUrl(mock))
    const user = await client.call('session.signIn', { username: 'BOB@example.org', password: USER_PASSWORD })
    expect(user).toEqual({ id: 'b0000000-0000-4000-8000-000000000001', email: USER_EMAIL, permission: 'none', groups: [], preferences: {} })
    expect(await client.call('session.getUser')).toEqual(user)
    const admin = await client.call('session.signInWithPassword', { email: 'admin@admin.net', password: 'admin' })
    expect(admin.permission).toBe('admin')
    // signInWithPassword validates its params
    expect((await client.request('session.signInWithPassword', { username: 'admin@admin.net', password: 'admin' })).json.error.code).toBe(10)
    client.close()
  })

  it('fails with code 3, `empty password` as a plain error, and throttles for 2 s after a failure', async () => {
    const clock = mock.context.clock as ManualClock
    const client = await RawClient.open(wsUrl(mock))
    expect((await client.request('session.signIn', {})).json.error).toEqual({ message: 'invalid credentials', code: 3 })
    expect((await client.request('session.signIn', { email: 'admin@admin.net', password: '' })).json.error).toEqual({ code: -32000, message: 'unknown error from the peer' })
    expect((await client.request('session.signIn', { email: 'admin@admin.net', password: 'wrong' })).json.error.code).toBe(3)
    // even the right password is refused within the throttling delay
    expect((await client.request('session.signIn', { email: 'admin@admin.net', password: 'admin' })).json.error).toEqual({ code: -32000, message: 'unknown error from the peer' })
    // another username is not throttled
    expect((await client.call('session.signIn', { email: USER_EMAIL, password: USER_PASSWORD })).email).toBe(USER_EMAIL)
    clock.advance(2000)
    expect((await client.call('session.signIn', { email: 'admin@admin.net', password: 'admin' })).email).toBe('admin@admin.net')
    client.close()
  })

  it('signs in with a token; signOut stops authenticated calls', async () => {
    const client = await RawClient.open(wsUrl(mock))
    expect((await client.call('session.signInWithToken', { token: mock.token })).email).toBe('admin@admin.net')
    expect(await client.call('session.signOut')).toBe(true)
    expect((await client.request('xo.getAllObjects')).json.error.code).toBe(2)
    expect((await client.request('session.signIn', { token: 'nope' })).json.error.code).toBe(3)
    client.close()
  })
})
