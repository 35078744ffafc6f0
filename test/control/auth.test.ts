import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import { api, startMock } from './helpers.js'

let xo: XoMock
beforeAll(async () => {
  xo = await startMock()
})
afterAll(() => xo.close())

const basic = (email: string, password: string) => 'Basic ' + Buffer.from(`${email}:${password}`).toString('base64')

describe('/_mock authentication', () => {
  it('needs a credential: 401 JSON error without one', async () => {
    const response = await fetch(`${xo.url}/_mock/faults`)
    expect(response.status).toBe(401)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="xo"')
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^authentication required/) })
  })

  it('accepts the admin token as cookie or Bearer, and Basic email:password', async () => {
    expect((await fetch(`${xo.url}/_mock/faults`, { headers: { cookie: `authenticationToken=${xo.token}` } })).status).toBe(200)
    expect((await fetch(`${xo.url}/_mock/faults`, { headers: { authorization: `Bearer ${xo.token}` } })).status).toBe(200)
    expect((await fetch(`${xo.url}/_mock/faults`, { headers: { authorization: basic(xo.email, xo.password) } })).status).toBe(200)
  })

  it('refuses bad credentials (401) and non-admin users (403)', async () => {
    const wrong = await fetch(`${xo.url}/_mock/faults`, { headers: { authorization: basic(xo.email, 'nope') } })
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual({ error: 'invalid credentials' })
    expect((await fetch(`${xo.url}/_mock/faults`, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401)
    // a non-admin user of the default inventory
    const user = [...xo.inventory.ofType<{ id: string; type: string; email: string; permission: string; password?: string }>('user')].find(
      (candidate) => candidate.permission !== 'admin' && candidate.password !== undefined,
    )!
    const forbidden = await fetch(`${xo.url}/_mock/reset`, { method: 'POST', headers: { authorization: basic(user.email, user.password!) } })
    expect(forbidden.status).toBe(403)
    expect(await forbidden.json()).toEqual({ error: expect.stringContaining('admin') })
  })

  it('serves its OpenAPI document without credentials, listing every route', async () => {
    const response = await fetch(`${xo.url}/_mock/openapi.json`)
    expect(response.status).toBe(200)
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toMatch(/^3\./)
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/reset', '/inventory', '/faults', '/faults/{id}', '/journal', '/scenarios', '/scenarios/{id}', '/clock', '/task-policies', '/tasks/{id}/complete', '/coverage']),
    )
    expect(xo.control.openapi()).toEqual(doc)
  })

  it('answers unknown control routes with a JSON 404, and never shadows an XO route', async () => {
    const unknown = await api(xo, 'GET', '/_mock/nope')
    expect(unknown.status).toBe(404)
    expect(unknown.body).toEqual({ error: 'no such control route: GET /_mock/nope' })
    // XO's routes keep answering as XO: /rest/v0 and /api/ are untouched
    expect((await api(xo, 'GET', '/rest/v0/ping')).status).toBe(200)
    const restNotFound = await api(xo, 'GET', '/rest/v0/_mock/reset')
    expect(restNotFound.status).toBe(404)
    expect(restNotFound.text).toContain('Cannot GET')
  })

  it('answers malformed bodies with JSON errors', async () => {
    const malformed = await api(xo, 'POST', '/_mock/faults', '{"match": ')
    expect(malformed.status).toBe(400)
    expect(malformed.body).toEqual({ error: expect.any(String) })
    const notJson = await fetch(`${xo.url}/_mock/faults`, { method: 'POST', headers: { cookie: `authenticationToken=${xo.token}`, 'content-type': 'text/plain' }, body: 'x' })
    expect(notJson.status).toBe(400)
    expect(await notJson.json()).toEqual({ error: 'expected a fault rule object, got "x"' })
  })

  it('reports coverage of the REST operations and the JSON-RPC methods', async () => {
    const { status, body } = await api(xo, 'GET', '/_mock/coverage')
    expect(status).toBe(200)
    expect(body.rpc.total).toBeGreaterThan(300)
    expect(body.rpc.implemented).toBeGreaterThan(100)
    expect(body.rpc.methods).toContainEqual({ method: 'vm.start', implemented: true })
    expect(body.rest).not.toBeNull()
    expect(body.rest.total).toBeGreaterThan(100)
    expect(body.rest.operations).toContainEqual(expect.objectContaining({ method: 'GET', path: '/rest/v0/vms', implemented: true }))
    expect(xo.control.coverage()).toEqual(body)
    const markdown = await api(xo, 'GET', '/_mock/coverage?format=markdown')
    expect(markdown.headers.get('content-type')).toMatch(/^text\/markdown/)
    expect(markdown.text).toContain('## JSON-RPC')
  })
})
