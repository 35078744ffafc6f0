/**
 * Real-client integration: xo-lib 0.9.0 (the official client, CommonJS: `require('xo-lib').default`) and
 * replays of the call sequences of xo-cli 0.32.3, Ansible and the Go SDK (reference clients.md).
 */
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userOfToken } from '../../src/domain/auth.js'
import type { XoMock } from '../../src/index.js'
import { RawClient, signedInClient, startMock, USER, USER_EMAIL, USER_PASSWORD, VM1, VM2, wsUrl } from './helpers.js'

const require = createRequire(import.meta.url)

interface XoLibClient {
  open(): Promise<void>
  close(): Promise<void>
  signIn(credentials: Record<string, unknown>): Promise<void>
  call(method: string, params?: unknown): Promise<any>
  refreshUser(): Promise<any>
  on(event: string, listener: (...args: any[]) => void): void
  readonly user: any
  readonly status: string
}
const Xo = (require('xo-lib') as { default: new (options: { url: string }) => XoLibClient }).default

let mock: XoMock
beforeAll(async () => {
  mock = await startMock()
})
afterAll(async () => {
  await mock.close()
})

describe('xo-lib 0.9.0', () => {
  it('opens, signs in with a password, lists VMs, receives notifications', async () => {
    const xo = new Xo({ url: mock.url })
    await xo.open()
    await xo.signIn({ email: 'admin@admin.net', password: 'admin' })
    expect(xo.user).toMatchObject({ email: 'admin@admin.net', permission: 'admin' })
    expect(await xo.refreshUser()).toMatchObject({ email: 'admin@admin.net' })
    await expect(xo.call('session.getUser')).rejects.toThrow('session.*() methods are disabled from this interface')

    const vms = await xo.call('xo.getAllObjects', { filter: { type: 'VM' } })
    expect(Object.keys(vms)).toEqual([VM1, VM2])
    expect(vms[VM1]).toMatchObject({ name_label: 'web1', power_state: 'Running' })

    const notifications: any[] = []
    xo.on('notification', (message) => notifications.push(message))
    mock.inventory.update(VM2, { power_state: 'Running' })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(notifications).toHaveLength(1)
    expect(notifications[0]).toMatchObject({ method: 'all', params: { type: 'enter', items: { [VM2]: { power_state: 'Running' } } } })

    await expect(xo.call('no.such.method')).rejects.toMatchObject({ code: -32601, data: 'no.such.method' })
    await expect(xo.call('xo.exportConfig', {})).rejects.toMatchObject({ code: 0, message: 'not implemented' })
    await expect(xo.call('vm.start', {})).rejects.toMatchObject({ code: 10, data: { errors: [expect.objectContaining({ keyword: 'required' })] } })
    await xo.close()
    mock.inventory.update(VM2, { power_state: 'Halted' })
  })

  it('signs in with a token created by token.create, reusable by the REST side', async () => {
    const xo = new Xo({ url: mock.url })
    await xo.open()
    await xo.signIn({ email: USER_EMAIL, password: USER_PASSWORD })
    const token = await xo.call('token.create', { description: 'integration' })
    expect(userOfToken(mock.context, token)?.user.id).toBe(USER)
    // the REST API accepts it as its authenticationToken cookie
    const rest = await fetch(`${mock.url}/rest/v0/vms`, { headers: { cookie: `authenticationToken=${token}` } })
    expect(rest.status).toBe(200)
    await xo.close()

    const again = new Xo({ url: mock.url })
    await again.open()
    await again.signIn({ token })
    expect(again.user).toMatchObject({ id: USER, email: USER_EMAIL })
    await again.close()
  })

  it('rejects bad credentials with code 3', async () => {
    const xo = new Xo({ url: mock.url })
    await xo.open()
    // (another username than the other tests: a failure throttles that username for 2 s)
    await expect(xo.signIn({ email: 'mallory@example.org', password: 'nope' })).rejects.toMatchObject({ code: 3, message: 'invalid credentials' })
    await xo.close()
  })
})

/** `xo-cli list-commands` rendering (packages/xo-cli/index.mjs `listCommands`). */
function renderCommands(info: Record<string, { description?: string; params: Record<string, { type?: string | string[]; optional?: boolean; default?: unknown }> }>): string {
  return Object.keys(info)
    .sort()
    .map((name) => {
      const { description, params } = info[name]!
      const args = Object.entries(params).map(([param, schema]) => {
        const type = schema.type === undefined ? 'unknown type' : Array.isArray(schema.type) ? schema.type.join('|') : schema.type
        const arg = `${param}=<${type}>`
        return schema.optional === true || 'default' in schema ? ` [${arg}]` : ` ${arg}`
      })
      return `${name}${args.join('')}\n${description === undefined ? '' : `  ${description}\n`}`
    })
    .join('')
}

describe('xo-cli 0.32.3 call sequences', () => {
  it('register: signIn {email, password} then token.create {client:{id}, description}; later commands sign in with the token', async () => {
    const register = await RawClient.open(wsUrl(mock))
    const user = await register.call('session.signIn', { email: 'admin@admin.net', password: 'admin' })
    expect(user.email).toBe('admin@admin.net')
    const description = 'xo-cli@0.32.3 - ci-host - Linux x86_64'
    const token = await register.call('token.create', { client: { id: 'Yd0PbR4vU' }, description })
    expect(typeof token).toBe('string')
    // registering again from the same client refreshes the same token
    expect(await register.call('token.create', { client: { id: 'Yd0PbR4vU' }, description })).toBe(token)
    register.close()

    // list-commands: signIn {token}, then system.getMethodsInfo with no params key
    const cli = await RawClient.open(wsUrl(mock))
    await cli.call('session.signIn', { token })
    cli.send({ id: -9007199254740990, jsonrpc: '2.0', method: 'system.getMethodsInfo' })
    const info = (await cli.response(-9007199254740990)).json.result
    expect(Object.keys(info)).toHaveLength(345)
    const text = renderCommands(info)
    expect(text).toContain('vm.start [bypassMacAddressesCheck=<boolean>] [force=<boolean>] [host=<string>] id=<string>\n')
    expect(text).toContain('token.create [description=<string>] [client=<object>] [expiresIn=<number|string>]\n  create a new authentication token\n')
    expect(text).toContain('vm.create [acls=<array>] [affinityHost=<string>] [bootAfterCreate=<boolean>] [cloudConfig=<string>] [createVtpm=<boolean>]')
    expect(text).toContain('session.signIn\n  sign in\n')

    // list-objects type=VM --name_label --power_state: getAllObjects with an object filter
    const objects = await cli.call('xo.getAllObjects', { filter: { type: 'VM' } })
    expect(Object.values(objects).map((vm: any) => ({ name_label: vm.name_label, power_state: vm.power_state }))).toEqual([
      { name_label: 'web1', power_state: 'Running' },
      { name_label: 'db1', power_state: 'Halted' },
    ])
    // `xo-cli <method> k=v`: string values, `vm=` aliasing is the server's job
    expect((await cli.request('vm.start', { vm: 'no-such-vm' })).json.error).toEqual({ message: 'no such VM no-such-vm', code: 1, data: { id: 'no-such-vm', type: 'VM' } })
    cli.close()
  })

  it('create-token with an invalid expiresIn: code 10 lets xo-cli retry with {expiresIn} only', async () => {
    const client = await signedInClient(mock)
    const { json } = await client.request('token.create', { client: { id: 1 }, description: 'xo-cli create-token' })
    expect(json.error.code).toBe(10)
    expect('errors' in json.error.data).toBe(true)
    expect(await client.call('token.create', { expiresIn: '1 day' })).toMatch(/^[A-Za-z0-9_-]{43}$/)
    client.close()
  })
})

describe('Ansible inventory and Go SDK call sequences', () => {
  it('Ansible: ids 0,1,2,3; signIn {username, password}; getAllObjects VM / pool / host', async () => {
    const client = await RawClient.open(wsUrl(mock))
    expect((await client.request('session.signIn', { username: 'admin@admin.net', password: 'admin' }, 0)).json.result.email).toBe('admin@admin.net')
    const [vms, pools, hosts] = await Promise.all(
      ['VM', 'pool', 'host'].map(async (type, index) => (await client.request('xo.getAllObjects', { filter: { type } }, index + 1)).json.result),
    )
    expect(Object.values(vms).map((vm: any) => vm.name_label)).toEqual(['web1', 'db1'])
    expect(Object.values(pools).map((pool: any) => pool.name_label)).toEqual(['Lab pool'])
    expect(Object.values(hosts).map((host: any) => host.name_label)).toEqual(['host1'])
    client.close()
  })

  it('Go SDK: dummy params are accepted by methods that declare none; tag filters', async () => {
    const client = await signedInClient(mock)
    const user = await client.call('session.getUser', { dummy: 'dummy' })
    expect(user.email).toBe('admin@admin.net')
    const tagged = await client.call('xo.getAllObjects', { filter: { tags: ['web'] } })
    expect(Object.keys(tagged)).toEqual([VM1])
    client.close()
  })
})
