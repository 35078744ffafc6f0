import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import type { ManualClock } from '../../src/inventory/clock.js'
import {
  ADMIN,
  ADMIN_PASSWORD,
  ADMIN_TOKEN,
  BOB_TOKEN,
  adminCookie,
  basic,
  get,
  startMock,
} from './helpers.js'

const INVALID = '{\n  "error": "invalid credentials"\n}'

let mock: XoMock & { clock: ManualClock }

beforeAll(async () => {
  mock = await startMock()
})
afterAll(async () => {
  await mock.close()
})

function expect401(reply: { status: number; headers: Record<string, unknown>; text: string }) {
  expect(reply.status).toBe(401)
  expect(reply.headers['www-authenticate']).toBe('Basic realm="xo"')
  expect(reply.headers['content-type']).toBe('application/json; charset=utf-8')
  expect(reply.text).toBe(INVALID)
}

describe('cookie authentication', () => {
  it('accepts the authenticationToken cookie', async () => {
    expect((await get(mock, '/rest/v0/vms', { cookie: `authenticationToken=${ADMIN_TOKEN}` })).status).toBe(200)
  })

  it('accepts the token cookie of the web UI', async () => {
    expect((await get(mock, '/rest/v0/vms', { cookie: `token=${ADMIN_TOKEN}` })).status).toBe(200)
  })

  it('prefers authenticationToken over token', async () => {
    expect((await get(mock, '/rest/v0/vms', { cookie: `token=nope; authenticationToken=${ADMIN_TOKEN}` })).status).toBe(200)
    expect401(await get(mock, '/rest/v0/vms', { cookie: `authenticationToken=nope; token=${ADMIN_TOKEN}` }))
  })

  it('treats an empty cookie as absent', async () => {
    expect((await get(mock, '/rest/v0/vms', { cookie: `authenticationToken=; token=${ADMIN_TOKEN}` })).status).toBe(200)
    expect401(await get(mock, '/rest/v0/vms', { cookie: 'authenticationToken=' }))
    // an empty cookie does not count as a second method either
    expect((await get(mock, '/rest/v0/vms', { cookie: 'authenticationToken=', authorization: basic('admin@admin.net', ADMIN_PASSWORD) })).status).toBe(200)
  })

  it('accepts quoted and other cookies around it', async () => {
    expect((await get(mock, '/rest/v0/vms', { cookie: `lang=fr; authenticationToken="${ADMIN_TOKEN}"; theme=dark` })).status).toBe(200)
  })

  it('rejects unknown and expired tokens', async () => {
    expect401(await get(mock, '/rest/v0/vms', { cookie: 'authenticationToken=unknown' }))
    mock.inventory.add({ id: 'expired-token', type: 'token', user_id: ADMIN, created_at: 0, expiration: mock.clock.now() + 1000 })
    expect((await get(mock, '/rest/v0/vms', { cookie: 'authenticationToken=expired-token' })).status).toBe(200)
    mock.clock.advance(1000)
    expect401(await get(mock, '/rest/v0/vms', { cookie: 'authenticationToken=expired-token' }))
  })

  it('rejects a token whose user is gone', async () => {
    expect401(await get(mock, '/rest/v0/vms', { cookie: `authenticationToken=${BOB_TOKEN}x` }))
  })
})

describe('HTTP Basic authentication', () => {
  it('accepts email:password (email case-insensitive)', async () => {
    expect((await get(mock, '/rest/v0/vms', { authorization: basic('admin@admin.net', ADMIN_PASSWORD) })).status).toBe(200)
    expect((await get(mock, '/rest/v0/vms', { authorization: basic('Admin@Admin.NET', ADMIN_PASSWORD) })).status).toBe(200)
  })

  it('ignores ?otp= for users without 2FA', async () => {
    expect((await get(mock, '/rest/v0/vms?otp=123456', { authorization: basic('admin@admin.net', ADMIN_PASSWORD) })).status).toBe(200)
  })

  it('treats any scheme as Basic', async () => {
    const value = Buffer.from(`admin@admin.net:${ADMIN_PASSWORD}`).toString('base64')
    expect((await get(mock, '/rest/v0/vms', { authorization: `Whatever ${value}` })).status).toBe(200)
  })

  it('rejects a wrong password or user with 401 and WWW-Authenticate', async () => {
    expect401(await get(mock, '/rest/v0/vms', { authorization: basic('admin@admin.net', 'wrong') }))
    expect401(await get(mock, '/rest/v0/vms', { authorization: basic('nobody@example.org', 'x') }))
  })

  it('truncates a password containing ":" (like XO)', async () => {
    // bob's password is "bob:secret": the decoded text is split on ":" so only "bob" is checked
    expect401(await get(mock, '/rest/v0/vms', { authorization: basic('bob@example.org', 'bob:secret') }))
  })

  it('answers 500 "empty password" for an empty password', async () => {
    const reply = await get(mock, '/rest/v0/vms', { authorization: basic('admin@admin.net', '') })
    expect(reply.status).toBe(500)
    expect(reply.text).toBe('{\n  "error": "empty password"\n}')
  })

  it('does not support Bearer tokens', async () => {
    expect401(await get(mock, '/rest/v0/vms', { authorization: `Bearer ${ADMIN_TOKEN}` }))
  })

  it('rejects an Authorization header without a space with 400', async () => {
    const reply = await get(mock, '/rest/v0/vms', { authorization: 'Basic' })
    expect(reply.status).toBe(400)
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(reply.text).toBe('{\n  "error": "Malformed Authorization header"\n}')
  })
})

describe('credential rules', () => {
  it('refuses a cookie and an Authorization header together with 400', async () => {
    const reply = await get(mock, '/rest/v0/vms', { cookie: adminCookie, authorization: basic('admin@admin.net', ADMIN_PASSWORD) })
    expect(reply.status).toBe(400)
    expect(reply.json()).toEqual({ error: 'Having multiple authentication methods is not supported, please choose one' })
    // the token cookie counts too
    expect((await get(mock, '/rest/v0/vms', { cookie: `token=${ADMIN_TOKEN}`, authorization: 'Basic x' })).status).toBe(400)
  })

  it('answers 401 without credentials on protected routes', async () => {
    for (const url of ['/rest/v0/vms', '/rest/v0/vms/anything', '/rest/v0/vms/anything/alarms', '/rest/v0/users']) {
      expect401(await get(mock, url, {}))
    }
  })

  it('serves the public routes anonymously', async () => {
    const ping = await get(mock, '/rest/v0/ping', {})
    expect(ping.status).toBe(200)
    expect(ping.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(ping.text).toBe(`{\n  "result": "pong",\n  "timestamp": ${mock.clock.now()}\n}`)
    mock.clock.advance(1234)
    expect(((await get(mock, '/rest/v0/ping', {})).json() as { timestamp: number }).timestamp).toBe(mock.clock.now())

    const gui = await get(mock, '/rest/v0/gui-routes', {})
    expect(gui.status).toBe(200)
    expect(gui.text).toBe('{\n  "xo5": "/",\n  "xo6": "/v6"\n}')
    const mcp = await get(mock, '/rest/v0/mcp/status', {})
    expect(mcp.status).toBe(200)
    expect(mcp.text).toBe('{\n  "enabled": true\n}')
  })

  it('serves the public routes to authenticated users too', async () => {
    expect((await get(mock, '/rest/v0/ping')).status).toBe(200)
    expect((await get(mock, '/rest/v0/ping', { authorization: basic('admin@admin.net', ADMIN_PASSWORD) })).status).toBe(200)
  })

  it('rejects a bad credential even on public routes', async () => {
    expect401(await get(mock, '/rest/v0/ping', { cookie: 'authenticationToken=bad' }))
    expect401(await get(mock, '/rest/v0/gui-routes', { authorization: basic('admin@admin.net', 'bad') }))
    expect401(await get(mock, '/rest/v0/mcp/status', { cookie: 'token=bad' }))
    expect401(await get(mock, '/rest/v0', { cookie: 'token=bad' }))
  })

  it('checks credentials on unknown paths (JSON 401 before the HTML 404)', async () => {
    expect401(await get(mock, '/rest/v0/no-such-collection', { cookie: 'authenticationToken=bad' }))
    const anonymous = await get(mock, '/rest/v0/no-such-collection', {})
    expect(anonymous.status).toBe(404)
    expect(anonymous.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(anonymous.text).toContain('<pre>Cannot GET /rest/v0/no-such-collection</pre>')
  })

  it('redirects /rest/v0 to the docs', async () => {
    for (const url of ['/rest/v0', '/rest/v0/']) {
      const reply = await get(mock, url, {})
      expect(reply.status).toBe(302)
      expect(reply.headers.location).toBe('/rest/v0/docs')
    }
  })

  it('redirects /users/me to the current user, after authentication', async () => {
    const reply = await get(mock, '/rest/v0/users/me?fields=name')
    expect(reply.status).toBe(307)
    expect(reply.headers.location).toBe(`/rest/v0/users/${ADMIN}?fields=name`)
    const nested = await get(mock, '/rest/v0/users/me/groups', { cookie: `authenticationToken=${BOB_TOKEN}` })
    expect(nested.status).toBe(307)
    expect(nested.headers.location).toBe('/rest/v0/users/088124f3-41b6-4258-9653-6eedc7b46111/groups')
    expect((await get(mock, '/rest/v0/users/me', {}, 'POST')).status).toBe(401)
    expect((await get(mock, '/rest/v0/users/me', { cookie: adminCookie }, 'POST')).status).toBe(307)
  })

  it('answers HEAD on public routes and unknown paths', async () => {
    expect((await get(mock, '/rest/v0/ping', {}, 'HEAD')).status).toBe(200)
    expect((await get(mock, '/rest/v0/nope', {}, 'HEAD')).status).toBe(404)
  })
})

describe('authentication outside the /rest/v0 scope', () => {
  it('offers the same check as a preHandler', async () => {
    const Fastify = (await import('fastify')).default
    const { createAuthPreHandler } = await import('../../src/rest/auth.js')
    const { restErrorHandler } = await import('../../src/rest/errors.js')
    const app = Fastify()
    app.setErrorHandler(restErrorHandler)
    app.get('/elsewhere', { preHandler: createAuthPreHandler(mock.context) }, (request) => ({ user: request.xoUser?.id }))
    try {
      expect((await app.inject({ url: '/elsewhere', headers: { cookie: adminCookie } })).json()).toEqual({ user: ADMIN })
      const anonymous = await app.inject({ url: '/elsewhere' })
      expect(anonymous.statusCode).toBe(401)
      expect(anonymous.headers['www-authenticate']).toBe('Basic realm="xo"')
    } finally {
      await app.close()
    }
  })
})

describe('RestPlugin', () => {
  it('registers later parts of the API inside the authenticated scope', async () => {
    const Fastify = (await import('fastify')).default
    const { registerRest } = await import('../../src/rest/index.js')
    const app = Fastify({ routerOptions: { caseSensitive: false, ignoreTrailingSlash: true } })
    await registerRest(app, mock.context, [
      (scope, kit) => {
        scope.get('/extra', (request) => ({ user: request.xoUser?.id, collections: kit.collections.size }))
      },
    ])
    try {
      const ok = await app.inject({ url: '/rest/v0/extra', headers: { cookie: adminCookie } })
      expect(ok.json()).toEqual({ user: ADMIN, collections: 29 })
      expect((await app.inject({ url: '/rest/v0/extra' })).statusCode).toBe(401)
    } finally {
      await app.close()
    }
  })
})
