/**
 * xo-lib 0.9.0 against the mock: sign-in both ways, `xo.getAllObjects`, and the `all` notifications
 * (reference jsonrpc-api.md §2, §5, §8; clients.md §0, §1).
 */
import { describe, expect, it } from 'vitest'
import { rpcCoverage } from '../../src/rpc/index.js'
import { pick, sleep, trackMethodCases, useMock, XoClient } from './harness.js'

trackMethodCases()
const t = useMock()

describe('sign-in', () => {
  it('signs in with {email, password}, {username, password} and {token}, and the deprecated aliases', async () => {
    const { mock } = t
    const admin = pick(mock, 'user', (user) => user.email === mock.email)

    const byEmail = await t.client()
    const user = await byEmail.signIn({ email: mock.email, password: mock.password })
    expect(user).toEqual({ id: admin.id, email: mock.email, permission: 'admin', groups: admin.groups, preferences: admin.preferences })
    expect(user).not.toHaveProperty('password')
    // xo-lib's refreshUser() is session.getUser with no params
    expect(await byEmail.xo.refreshUser()).toEqual(user)
    expect(await byEmail.call('session.getUser')).toEqual(user)
    // xo-lib refuses session.* from call() on the client side
    await expect(byEmail.xo.call('session.getUser')).rejects.toThrow('session.*() methods are disabled from this interface')

    const byUsername = await t.client()
    expect(await byUsername.signIn({ username: mock.email.toUpperCase(), password: mock.password })).toEqual(user)

    const byToken = await t.client()
    expect(await byToken.signIn({ token: mock.token })).toEqual(user)

    // xo-lib 0.9.0 with a bare host:port (it becomes ws://host:port/api/)
    const bare = await XoClient.open(mock.url.replace(/^http:\/\//, ''))
    expect(await bare.signIn({ token: mock.token })).toEqual(user)
    await bare.close()

    const withPassword = await t.client()
    expect(await withPassword.call('session.signInWithPassword', { email: mock.email, password: mock.password })).toEqual(user)
    const withToken = await t.client()
    expect(await withToken.call('session.signInWithToken', { token: mock.token })).toEqual(user)
    // signed in on the server side: a signed-in method works
    expect(await withToken.call('system.getServerTimezone')).toEqual(expect.any(String))

    // failures: code 3 for bad credentials, -32000 while the username is throttled
    const bad = await t.client()
    await expect(bad.signIn({ email: 'nobody@example.org', password: 'x' })).rejects.toMatchObject({ code: 3, message: 'invalid credentials' })
    await expect(bad.signIn({ email: 'nobody@example.org', password: 'x' })).rejects.toMatchObject({ code: -32000 })
    await expect(bad.signIn({ token: 'not-a-token' })).rejects.toMatchObject({ code: 3 })
    expect(bad.xo.user).toBeNull()
    // not signed in: code 2 for a signed-in method, -32000 for session.getUser
    await expect(bad.xo.call('xo.getAllObjects', {})).rejects.toMatchObject({ code: 2, message: 'not enough permissions' })
    await expect(bad.xo.refreshUser()).rejects.toMatchObject({ code: -32000 })
  })

  it('session.signOut stops the notifications; later calls are refused', async () => {
    const { mock } = t
    const client = await t.admin()
    const vm = pick(mock, 'VM')
    mock.inventory.update(vm.id, { name_description: 'before sign-out' })
    await client.waitFor(0, (changes) => changes.entered[vm.id]?.name_description === 'before sign-out')

    expect(await client.call('session.signOut')).toBe(true)
    const mark = client.mark()
    mock.inventory.update(vm.id, { name_description: 'after sign-out' })
    await sleep(50)
    expect(client.notifications.length).toBe(mark)
    await expect(client.xo.call('xo.getAllObjects', {})).rejects.toMatchObject({ code: 2 })

    // signing in again on the same connection resumes them
    await client.signIn({ token: mock.token })
    mock.inventory.update(vm.id, { name_description: 'signed in again' })
    const changes = await client.waitFor(mark, (c) => vm.id in c.entered)
    expect(changes.entered[vm.id].name_description).toBe('signed in again')
  })
})

describe('xo.getAllObjects', () => {
  it('returns a map keyed by id; object filters, string filters, limit and ndjson', async () => {
    const { mock } = t
    const client = await t.admin()
    const all = await client.objects()
    expect(Array.isArray(all)).toBe(false)
    // every XAPI object of the inventory, keyed by its id, and nothing else (users, tokens… are not objects)
    const xapi = [...mock.inventory.all()].filter((object) => !['user', 'group', 'token', 'server', 'acl'].includes(object.type))
    for (const object of xapi) expect(all[object.id], object.id).toEqual(object)
    for (const [id, object] of Object.entries(all)) expect(object.id).toBe(id)
    expect(Object.values(all).some((object) => object.type === 'user' || object.type === 'token')).toBe(false)

    // object filter: lodash matches (exact type, arrays as subsets, nested partial objects)
    const vms = await client.objects({ type: 'VM' })
    expect(Object.values(vms).every((vm) => vm.type === 'VM')).toBe(true)
    expect(Object.keys(vms).sort()).toEqual(xapi.filter((o) => o.type === 'VM').map((o) => o.id).sort())
    const tagged = pick(mock, 'VM', (vm) => vm.tags.length > 0)
    const byTag = await client.objects({ tags: [tagged.tags[0]] })
    expect(byTag[tagged.id]).toEqual(tagged)
    expect(Object.values(byTag).every((object) => object.tags.includes(tagged.tags[0]))).toBe(true)
    const running = await client.objects({ type: 'VM', power_state: 'Running', CPUs: { number: tagged.CPUs.number } })
    expect(Object.values(running).every((vm) => vm.power_state === 'Running' && vm.CPUs.number === tagged.CPUs.number)).toBe(true)

    // string filter: complex-matcher (`type:VM` is a substring match, a regex is exact)
    const substring = await client.objects('type:VM')
    expect(new Set(Object.values(substring).map((object) => object.type))).toEqual(new Set(['VM', 'VM-template', 'VM-snapshot', 'VM-controller']))
    const exact = await client.objects('type:/^VM$/')
    expect(Object.keys(exact)).toEqual(Object.keys(vms))

    // limit: the first matching entries in collection order
    const limited = await client.call('xo.getAllObjects', { filter: { type: 'VM' }, limit: 2 })
    expect(Object.keys(limited)).toEqual(Object.keys(vms).slice(0, 2))

    // ndjson: a one-shot unauthenticated URL, one JSON object per line
    const { $getFrom } = await client.call('xo.getAllObjects', { filter: { type: 'host' }, ndjson: true })
    expect($getFrom).toMatch(/^\/api\/[\w-]{43}$/)
    const response = await fetch(new URL($getFrom, mock.url))
    expect(response.status).toBe(200)
    const lines = (await response.text()).split('\n')
    expect(lines.pop()).toBe('')
    expect(lines.map((line) => JSON.parse(line))).toEqual(Object.values(await client.objects({ type: 'host' })))
    expect((await fetch(new URL($getFrom, mock.url))).status).toBe(404)
  })
})

describe('all notifications', () => {
  it('go to every signed-in connection (not anonymous ones), enter with full objects before exit with 0, per tick', async () => {
    const { mock } = t
    const first = await t.admin()
    const second = await t.client({ token: mock.token })
    // a user without any permission receives them too (no ACL filtering)
    const nobody = pick(mock, 'user', (user) => user.permission === 'none')
    const third = await t.client({ email: nobody.email, password: nobody.password })
    const anonymous = await t.client()
    const [vm, other] = [pick(mock, 'VM', (o) => o.power_state === 'Running'), pick(mock, 'message')]

    // one tick: an update, a removal and an add then an update of the same new object
    mock.inventory.update(vm.id, { name_label: 'renamed in a burst' })
    mock.inventory.remove(other.id)
    const added = { ...other, id: 'aaaaaaaa-0000-4000-8000-000000000001', uuid: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'ADDED' }
    mock.inventory.add(added)
    mock.inventory.update(added.id, { body: 'updated in the same tick' })

    for (const client of [first, second, third]) {
      const changes = await client.waitFor(0, (c) => c.exited.has(other.id))
      // exactly one enter then one exit for the tick
      expect(client.notifications.map((n) => n.type)).toEqual(['enter', 'exit'])
      const [enter, exit] = client.notifications
      expect(Object.keys(enter!.items).sort()).toEqual([vm.id, added.id].sort())
      expect(enter!.items[vm.id]).toEqual(mock.inventory.get(vm.id))
      expect(enter!.items[added.id]).toMatchObject({ name: 'ADDED', body: 'updated in the same tick' })
      expect(exit!.items).toEqual({ [other.id]: 0 })
      expect(changes.exited).toEqual(new Set([other.id]))
      await client.synced(0)
    }
    await sleep(50)
    expect(anonymous.notifications).toEqual([])
    // an add then a remove within one tick cancels out
    const mark = first.mark()
    mock.inventory.add({ ...added, id: 'aaaaaaaa-0000-4000-8000-000000000002', uuid: 'aaaaaaaa-0000-4000-8000-000000000002' })
    mock.inventory.remove('aaaaaaaa-0000-4000-8000-000000000002')
    mock.inventory.update(vm.id, { name_label: 'second burst' })
    const changes = await first.waitFor(mark, (c) => c.entered[vm.id]?.name_label === 'second burst')
    expect(changes.ids).toEqual([vm.id])
  })

  it('are received by a client that reopens: xo-lib signs in again with its stored credentials', async () => {
    const { mock } = t
    const client = await XoClient.open(mock.url)
    await client.signIn({ token: mock.token })
    await client.xo.close()
    await client.xo.open()
    // xo-lib re-sends session.signIn on `open`; wait until it is signed in
    for (let i = 0; i < 50 && client.xo.user === null; i++) await sleep(10)
    expect(client.xo.user).toMatchObject({ email: mock.email })
    const vm = pick(mock, 'VM')
    mock.inventory.update(vm.id, { name_label: 'after reopen' })
    const changes = await client.waitFor(0, (c) => vm.id in c.entered)
    expect(changes.entered[vm.id].name_label).toBe('after reopen')
    await client.close()
  })
})

describe('robustness', () => {
  it('every catalogue method answers xo-lib with a result or a well-formed error, whatever the params', async () => {
    const { mock } = t
    const client = await t.admin()
    const vm = pick(mock, 'VM')
    // (session.* are refused client-side; closing every connection or waiting are not answers to check here)
    const methods = rpcCoverage()
      .map((entry) => entry.method)
      .filter((method) => !method.startsWith('session.') && method !== 'api.closeAllConnections' && method !== 'test.wait')
    const problems: string[] = []
    for (const method of methods) {
      for (const params of [undefined, {}, { id: vm.id }, { id: 'nope', vm: 'nope', sr: 'nope', host: 'nope', pool: 'nope' }]) {
        const outcome = await Promise.race([
          client.xo.call(method, params).then(
            () => 'result',
            (error: any) => (Number.isInteger(error.code) && typeof error.message === 'string' ? 'error' : `malformed error ${String(error)}`),
          ),
          sleep(3000).then(() => 'no answer within 3 s'),
        ])
        if (outcome !== 'result' && outcome !== 'error') problems.push(`${method} ${JSON.stringify(params)}: ${outcome}`)
      }
      if (client.xo.status !== 'open') {
        problems.push(`the connection closed after ${method}`)
        break
      }
    }
    expect(problems).toEqual([])
    // still signed in and notified
    mock.inventory.update(pick(mock, 'host').id, { name_description: 'after the sweep' })
    await client.waitFor(0, (changes) => Object.values(changes.entered).some((object) => object.name_description === 'after the sweep'))
  }, 60_000)
})
