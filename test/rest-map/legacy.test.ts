import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN,
  ADMIN_PASSWORD,
  BOB,
  HOST,
  VM_WEB1,
  VM_WEB2,
  adminCookie,
  basic,
  bobCookie,
  startMapMock,
  type MapMock,
} from './helpers.js'

let legacy: MapMock
let current: MapMock

beforeAll(async () => {
  legacy = await startMapMock({ apiProfile: 'legacy' })
  current = await startMapMock()
})
afterAll(async () => {
  await legacy.close()
  await current.close()
})

const get = (mock: MapMock, url: string, headers: Record<string, string> = { cookie: adminCookie }) => mock.app.inject({ url, headers })

describe('legacy authentication: cookie only, admins only', () => {
  it('refuses Basic auth with the text 401', async () => {
    const response = await get(legacy, '/rest/v0/vms', { authorization: basic('admin@admin.net', ADMIN_PASSWORD) })
    expect(response.statusCode).toBe(401)
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(response.payload).toBe('Unauthorized')
    expect(response.headers['www-authenticate']).toBeUndefined()
    // while the current profile accepts it
    expect((await get(current, '/rest/v0/vms', { authorization: basic('admin@admin.net', ADMIN_PASSWORD) })).statusCode).toBe(200)
  })

  it('answers 401 Unauthorized to non-admins (current: filtered 200)', async () => {
    const response = await get(legacy, '/rest/v0/vms', { cookie: bobCookie })
    expect(response.statusCode).toBe(401)
    expect(response.payload).toBe('Unauthorized')
    expect((await get(current, '/rest/v0/vms', { cookie: bobCookie })).statusCode).toBe(200)
  })

  it('answers 401 without or with a bad cookie, unknown paths included', async () => {
    for (const headers of [{}, { cookie: 'authenticationToken=nope' }] as Record<string, string>[]) {
      for (const url of ['/rest/v0/vms', '/rest/v0/nothing-here']) {
        const response = await get(legacy, url, headers)
        expect(response.statusCode).toBe(401)
        expect(response.payload).toBe('Unauthorized')
      }
    }
  })

  it('accepts the `token` cookie and ignores an Authorization header next to the cookie', async () => {
    expect((await get(legacy, '/rest/v0/vms', { cookie: adminCookie.replace('authenticationToken', 'token') })).statusCode).toBe(200)
    expect((await get(legacy, '/rest/v0/vms', { cookie: adminCookie, authorization: 'Basic eDp5' })).statusCode).toBe(200)
  })

  it('POST /users/authentication_tokens authenticates by Basic itself', async () => {
    const missing = await legacy.app.inject({ method: 'POST', url: '/rest/v0/users/authentication_tokens' })
    expect(missing.statusCode).toBe(401)
    expect(missing.json()).toBe('missing credentials')
    const bad = await legacy.app.inject({ method: 'POST', url: '/rest/v0/users/authentication_tokens', headers: { authorization: basic('admin@admin.net', 'wrong') } })
    expect(bad.statusCode).toBe(401)
    expect(bad.json()).toBe('invalid credentials')
  })
})

describe('legacy collections', () => {
  it('streams JSON arrays as `[` + items joined by `,\\n` + `\\n]\\n`, application/json without charset', async () => {
    const response = await get(legacy, '/rest/v0/vms')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json')
    const hrefs = JSON.parse(response.payload) as string[]
    expect(hrefs).toContain(`/rest/v0/vms/${VM_WEB1}`)
    expect(response.payload).toBe('[\n' + hrefs.map((href) => JSON.stringify(href)).join(',\n') + '\n]\n')
    const fields = await get(legacy, `/rest/v0/vms?fields=name_label&filter=${encodeURIComponent('name_label:web-2')}`)
    expect(fields.payload).toBe(`[\n{\n  "name_label": "web-2",\n  "href": "/rest/v0/vms/${VM_WEB2}"\n}\n]\n`)
    const empty = await get(legacy, '/rest/v0/vms?filter=nothing-matches-this')
    expect(empty.payload).toBe('[\n]\n')
    // uncached collections too
    const tasks = await get(legacy, '/rest/v0/tasks?filter=nothing-matches-this')
    expect(tasks.headers['content-type']).toBe('application/json')
    expect(tasks.payload).toBe('[\n]\n')
  })

  it('enables NDJSON by the mere presence of `ndjson`', async () => {
    for (const query of ['ndjson', 'ndjson=', 'ndjson=false', 'ndjson=yes']) {
      const response = await get(legacy, `/rest/v0/vms?${query}&filter=name_label:web-1`)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toBe('application/x-ndjson')
      expect(response.payload).toBe(`"/rest/v0/vms/${VM_WEB1}"\n`)
    }
  })

  it('the current profile keeps accepting the bare flag (and only true/false otherwise)', async () => {
    const bare = await get(current, '/rest/v0/vms?ndjson&filter=name_label:web-1')
    expect(bare.headers['content-type']).toBe('application/x-ndjson')
    expect(bare.payload).toBe(`"/rest/v0/vms/${VM_WEB1}"\n`)
    expect((await get(current, '/rest/v0/vms?ndjson=yes')).statusCode).toBe(422)
    expect((await get(current, '/rest/v0/vms?ndjson=false')).headers['content-type']).toBe('application/json; charset=utf-8')
  })

  it('ignores markdown and has no 400 for filter syntax errors', async () => {
    const markdown = await get(legacy, '/rest/v0/vms?markdown=true&ndjson=true')
    expect(markdown.statusCode).toBe(200)
    expect(markdown.headers['content-type']).toBe('application/x-ndjson')
    const filter = await get(legacy, '/rest/v0/vms?filter=power_state:')
    expect(filter.statusCode).toBe(500)
  })
})

describe('legacy objects', () => {
  it('adds `<route>_href` keys to single objects', async () => {
    const vm = (await get(legacy, `/rest/v0/vms/${VM_WEB1}`)).json() as Record<string, unknown>
    expect(vm.messages_href).toBe(`/rest/v0/vms/${VM_WEB1}/messages`)
    expect(vm.alarms_href).toBe(`/rest/v0/vms/${VM_WEB1}/alarms`)
    expect(vm.vdis_href).toBe(`/rest/v0/vms/${VM_WEB1}/vdis`)
    const host = (await get(legacy, `/rest/v0/hosts/${HOST}`)).json() as Record<string, unknown>
    expect(Object.keys(host).filter((key) => key.endsWith('_href'))).toEqual(['messages_href', 'alarms_href', 'audit_href', 'logs_href', 'missing_patches_href', 'smt_href'])
    expect(host.audit_href).toBe(`/rest/v0/hosts/${HOST}/audit.txt`)
    const user = (await get(legacy, `/rest/v0/users/${ADMIN}`)).json() as Record<string, unknown>
    expect(user.authentication_tokens_href).toBe(`/rest/v0/users/${ADMIN}/authentication_tokens`)
    // the current profile has none
    const currentVm = (await get(current, `/rest/v0/vms/${VM_WEB1}`)).json() as Record<string, unknown>
    expect(Object.keys(currentVm).some((key) => key.endsWith('_href'))).toBe(false)
  })

  it('answers Express’ HTML 404 for unknown objects', async () => {
    const response = await get(legacy, '/rest/v0/vms/not-a-vm')
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(response.payload).toContain('<pre>Cannot GET /rest/v0/vms/not-a-vm</pre>')
    const sub = await get(legacy, '/rest/v0/hosts/not-a-host/smt')
    expect(sub.statusCode).toBe(404)
    expect(sub.headers['content-type']).toBe('text/html; charset=utf-8')
    // current: XO's JSON 404
    expect((await get(current, '/rest/v0/vms/not-a-vm')).headers['content-type']).toBe('application/json; charset=utf-8')
  })

  it('refuses other users’ tokens with a 403', async () => {
    // reads.ts answers the legacy JSON string `"You can only see your own authentication tokens"`
    // when it serves this route; another plugin may implement it first
    const response = await get(legacy, `/rest/v0/users/${BOB}/authentication_tokens`)
    expect(response.statusCode).toBe(403)
  })

  it('serves the discoverability lists and the /backups redirect', async () => {
    expect((await get(legacy, '/rest/v0/backup')).payload).toBe('[\n"/rest/v0/backup/jobs",\n"/rest/v0/backup/logs"\n]\n')
    expect(JSON.parse((await get(legacy, '/rest/v0/backup/jobs')).payload)).toEqual(['/rest/v0/backup/jobs/vm', '/rest/v0/backup/jobs/metadata', '/rest/v0/backup/jobs/mirror'])
    expect(JSON.parse((await get(legacy, '/rest/v0/restore')).payload)).toEqual(['/rest/v0/restore/logs'])
    const redirect = await get(legacy, '/rest/v0/backups/jobs/vm?fields=name')
    expect(redirect.statusCode).toBe(308)
    expect(redirect.headers.location).toBe('/rest/v0/backup/jobs/vm?fields=name')
    // not in the current profile
    expect((await get(current, '/rest/v0/backup')).statusCode).toBe(404)
  })
})
