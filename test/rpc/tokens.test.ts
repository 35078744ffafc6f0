import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createToken, userOfToken } from '../../src/domain/auth.js'
import type { XoMock } from '../../src/index.js'
import type { ManualClock } from '../../src/inventory/clock.js'
import { ADMIN, RawClient, signedInClient, startMock, startRpcServer, USER, USER_EMAIL, USER_PASSWORD, wsUrl } from './helpers.js'

let mock: XoMock
let clock: ManualClock

beforeEach(async () => {
  mock = await startMock({ clock: 'manual' })
  clock = mock.context.clock as ManualClock
})
afterEach(async () => {
  await mock.close()
})

describe('token.*', () => {
  it('creates 43-char tokens usable by the REST side (userOfToken) and by session.signIn', async () => {
    const client = await signedInClient(mock, { email: USER_EMAIL, password: USER_PASSWORD })
    const token = await client.call('token.create', { description: 'my token' })
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(userOfToken(mock.context, token)?.user.id).toBe(USER)
    const other = await RawClient.open(wsUrl(mock))
    expect((await other.call('session.signIn', { token })).email).toBe(USER_EMAIL)
    other.close()
    const tokens = await client.call('user.getAuthenticationTokens')
    expect(tokens).toEqual([
      expect.objectContaining({ id: token, user_id: USER, description: 'my token', created_at: clock.now(), expiration: clock.now() + 30 * 24 * 3600 * 1000 }),
    ])
    expect(tokens[0].type).toBeUndefined()
    client.close()
  })

  it('accepts expiresIn as ms or a duration string, refuses out-of-range values (plain errors)', async () => {
    const client = await signedInClient(mock)
    const token = await client.call('token.create', { expiresIn: '1 hour' })
    expect(userOfToken(mock.context, token)?.token.expiration).toBe(clock.now() + 3600e3)
    const short = await client.call('token.create', { expiresIn: 120000 })
    expect(userOfToken(mock.context, short)?.token.expiration).toBe(clock.now() + 120000)
    // the admin sees the plain error's message
    expect((await client.request('token.create', { expiresIn: 1000 })).json.error).toMatchObject({ code: -32000, message: 'invalid expiresIn duration: 1000' })
    expect((await client.request('token.create', { expiresIn: '1 year' })).json.error).toMatchObject({ code: -32000, message: 'too high expiresIn duration: 1 year' })
    expect((await client.request('token.create', { expiresIn: true })).json.error.code).toBe(10)
    client.close()
  })

  it('refreshes the token of a known client.id (xo-cli register)', async () => {
    const client = await signedInClient(mock)
    const first = await client.call('token.create', { client: { id: 'cli-1' }, description: 'xo-cli@0.32.3 - host - Linux x86_64' })
    clock.advance(1000)
    const second = await client.call('token.create', { client: { id: 'cli-1' }, description: 'again' })
    expect(second).toBe(first)
    expect(userOfToken(mock.context, first)?.token).toMatchObject({ description: 'again', expiration: clock.now() + 30 * 24 * 3600e3 })
    expect(await client.call('token.create', { client: { id: 'cli-2' } })).not.toBe(first)
    client.close()
  })

  it('token.set changes or removes the description of an own token', async () => {
    const client = await signedInClient(mock, { email: USER_EMAIL, password: USER_PASSWORD })
    const token = await client.call('token.create', { description: 'a' })
    expect(await client.call('token.set', { id: token, description: 'b' })).toBe(true)
    expect(userOfToken(mock.context, token)?.token.description).toBe('b')
    await client.call('token.set', { id: token, description: null })
    expect(userOfToken(mock.context, token)?.token.description).toBeUndefined()
    // someone else's token is not found
    expect((await client.request('token.set', { id: mock.token, description: 'x' })).json.error).toEqual({
      message: `no such authenticationToken ${mock.token}`,
      code: 1,
      data: { id: mock.token, type: 'authenticationToken' },
    })
    client.close()
  })

  it('token.deleteOwn and token.delete (admin) remove matching tokens', async () => {
    const bob = await signedInClient(mock, { email: USER_EMAIL, password: USER_PASSWORD })
    const a = await bob.call('token.create', { description: 'a' })
    const b = await bob.call('token.create', { description: 'b' })
    const c = await bob.call('token.create', { description: 'c' })
    // deleteOwn cannot touch the admin's token
    await bob.call('token.deleteOwn', { tokens: [a, mock.token] })
    expect(userOfToken(mock.context, a)).toBeUndefined()
    expect(userOfToken(mock.context, mock.token)).toBeDefined()
    const admin = await signedInClient(mock)
    await admin.call('token.delete', { pattern: { description: 'b' } })
    expect(userOfToken(mock.context, b)).toBeUndefined()
    expect(userOfToken(mock.context, c)).toBeDefined()
    await admin.call('token.delete', { pattern: { user_id: USER } })
    expect(userOfToken(mock.context, c)).toBeUndefined()
    bob.close()
    admin.close()
  })
})

describe('token expiry and connection lifetime', () => {
  it('closes a token-authenticated connection when the token expires (timer), without close code', async () => {
    const admin = await signedInClient(mock)
    const token = await admin.call('token.create', { expiresIn: '2 minutes' })
    const client = await RawClient.open(wsUrl(mock))
    await client.call('session.signIn', { token })
    clock.advance(60e3)
    expect(await client.call('system.getVersion')).toBe('0.1')
    clock.advance(60e3)
    expect(await client.waitClosed()).toBe(1005)
    // the password connection stays
    expect(await admin.call('system.getVersion')).toBe('0.1')
    admin.close()
  })

  it('checks expiry before each message (no reply once expired)', async () => {
    const server = await startRpcServer({ clock: 'manual' })
    const serverClock = server.ctx.clock as ManualClock
    const token = createToken(server.ctx, ADMIN, { expiresIn: '1 hour' }).id
    const client = await signedInClient(server, { token })
    const [session] = server.rpc.sessions.all()
    // a connection whose expiration passed without its timer firing yet
    session!.tokenExpiration = serverClock.now() - 1
    client.send({ id: 'late', jsonrpc: '2.0', method: 'system.getVersion' })
    expect(await client.waitClosed()).toBe(1005)
    expect(client.messages.some((message) => message.json?.id === 'late')).toBe(false)
    await server.close()
  })

  it('long validities (default 30 days) are handled with chained timers', async () => {
    const admin = await signedInClient(mock)
    const token = await admin.call('token.create', {})
    const client = await signedInClient(mock, { token })
    clock.advance(29 * 24 * 3600e3)
    expect(await client.call('system.getVersion')).toBe('0.1')
    clock.advance(24 * 3600e3)
    expect(await client.waitClosed()).toBe(1005)
    admin.close()
  })

  it('closes the connections of a deleted user', async () => {
    const bob = await signedInClient(mock, { email: USER_EMAIL, password: USER_PASSWORD })
    mock.inventory.remove(USER)
    expect(await bob.waitClosed()).toBe(1005)
  })

  it('api.getConnections lists connections; api.closeAllConnections closes the others', async () => {
    const admin = await signedInClient(mock)
    const anonymous = await RawClient.open(wsUrl(mock))
    const connections = await admin.call('api.getConnections')
    expect(connections).toHaveLength(2)
    expect(connections).toContainEqual({ user_ip: '127.0.0.1', user_id: expect.any(String) })
    expect(connections).toContainEqual({ user_ip: '127.0.0.1' })
    expect(await admin.call('api.closeAllConnections')).toBe(true)
    expect(await anonymous.waitClosed()).toBe(1005)
    expect(await admin.call('system.getVersion')).toBe('0.1')
    admin.close()
  })
})
