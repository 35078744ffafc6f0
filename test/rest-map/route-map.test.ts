import http from 'node:http'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeContext } from '../../src/context.js'
import { eventRoutes } from '../../src/rest/events.js'
import {
  XO_OPENAPI,
  computeRestCoverage,
  restCoverage,
  restCoverageMarkdown,
  sampleParams,
  specOperations,
  summarizeCoverage,
} from '../../src/rest/coverage.js'
import { registerRest } from '../../src/rest/index.js'
import { routeMapRoutes } from '../../src/rest/route-map.js'
import { adminCookie, exampleUrl, startMapMock, type MapMock } from './helpers.js'

const NOT_IMPLEMENTED = '{\n  "error": "not implemented"\n}'

/** Status and headers of a GET over a real socket, without reading the (possibly huge) body. */
function statusOf(url: string, headers: Record<string, string>): Promise<{ statusCode: number; headers: http.IncomingHttpHeaders; payload: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      const type = String(response.headers['content-type'] ?? '')
      if (type.startsWith('application/json') || type.startsWith('text/')) {
        let payload = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (payload += chunk))
        response.on('end', () => resolve({ statusCode: response.statusCode!, headers: response.headers, payload }))
      } else {
        resolve({ statusCode: response.statusCode!, headers: response.headers, payload: '' })
        request.destroy()
      }
    })
    request.on('error', reject)
  })
}

let mock: MapMock
beforeAll(async () => {
  mock = await startMapMock()
})
afterAll(async () => {
  await mock.close()
})

describe('coverage', () => {
  it('has one entry per operation of the spec (271), in spec order', () => {
    const entries = restCoverage(mock.context)
    const operations = specOperations()
    expect(operations).toHaveLength(271)
    expect(entries.map((entry) => `${entry.method} ${entry.path}`)).toEqual(operations.map((op) => `${op.method} ${op.path}`))
    const summary = summarizeCoverage(entries)
    expect(summary.total).toBe(271)
    expect(summary.implemented + summary.notImplemented).toBe(271)
  })

  it('implements every GET operation', () => {
    const missing = restCoverage(mock.context).filter((entry) => entry.method === 'GET' && !entry.implemented)
    expect(missing).toEqual([])
  })

  it('renders Markdown with the counts and one row per operation', () => {
    const entries = restCoverage(mock.context)
    const markdown = restCoverageMarkdown(entries)
    const { implemented, notImplemented } = summarizeCoverage(entries)
    expect(markdown).toContain(`**${implemented} implemented**, ${notImplemented} answer 501`)
    expect(markdown.split('\n').filter((line) => line.startsWith('| GET ') || line.startsWith('| POST ') || line.startsWith('| PUT ') || line.startsWith('| PATCH ') || line.startsWith('| DELETE '))).toHaveLength(271)
    expect(markdown).toContain('| GET | `/vms/{id}` | implemented |')
  })

  it('computeRestCoverage builds a throwaway server and agrees with a live one', async () => {
    const computed = await computeRestCoverage()
    expect(computed).toEqual(restCoverage(mock.context))
  })

  it('throws for a context without a REST API', () => {
    expect(() => restCoverage(makeContext())).toThrow(/no REST API/)
  })
})

describe('every operation of the spec is routed', () => {
  it('answers something other than the HTML 404, and 501 JSON when not implemented', async () => {
    const implemented = new Map(restCoverage(mock.context).map((entry) => [`${entry.method} ${entry.path}`, entry.implemented]))
    // GETs first: the write operations below may delete the objects
    const operations = specOperations().sort((a, b) => Number(b.method === 'GET') - Number(a.method === 'GET'))
    const failures: string[] = []
    for (const { method, path, operation } of operations) {
      if (method === 'GET' && path === '/events') continue // a never-ending stream, see events.test.ts
      const url = exampleUrl(path, sampleParams(path, operation).format === undefined ? undefined : path.startsWith('/vd') ? 'vhd' : 'xva')
      const download = method === 'GET' && (path.includes('.{format}') || path.endsWith('.tgz') || path.endsWith('.txt'))
      const response = download ? await statusOf(mock.url + url, { cookie: adminCookie }) : await mock.app.inject({
        method,
        url,
        headers: { cookie: adminCookie, ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
        ...(method === 'GET' || method === 'DELETE' ? {} : { payload: '{}' }),
      })
      const type = String(response.headers['content-type'] ?? '')
      if (response.statusCode === 404 && type.startsWith('text/html')) failures.push(`${method} ${path}: HTML 404`)
      if (implemented.get(`${method} ${path}`) === false) {
        if (response.statusCode !== 501 || response.payload !== NOT_IMPLEMENTED) failures.push(`${method} ${path}: expected 501, got ${response.statusCode}`)
      }
    }
    expect(failures).toEqual([])
  })

  it('still authenticates the 501 routes', async () => {
    const entry = restCoverage(mock.context).find((e) => !e.implemented)
    if (entry === undefined) return
    const response = await mock.app.inject({ method: entry.method, url: exampleUrl(entry.path) })
    expect(response.statusCode).toBe(401)
  })

  it('keeps Express’ HTML 404 for paths outside the spec', async () => {
    const response = await mock.app.inject({ url: '/rest/v0/nothing-here', headers: { cookie: adminCookie } })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
  })
})

describe('route map alone (no write plugins)', () => {
  it('answers 501 for every operation no plugin implements, and never shadows a route', async () => {
    const ctx = makeContext()
    const app = Fastify({ routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 1000 } })
    await registerRest(app, ctx, [
      (scope) => {
        // a plugin implementing one write operation with its own parameter name
        scope.post('/vms/:vmId/actions/start', (_request, reply) => reply.code(202).send({ taskId: 'x' }))
      },
      eventRoutes,
      routeMapRoutes,
    ])
    await app.ready()
    try {
      const entries = restCoverage(ctx)
      const byKey = new Map(entries.map((entry) => [`${entry.method} ${entry.path}`, entry.implemented]))
      expect(byKey.get('POST /vms/{id}/actions/start')).toBe(true)
      expect(byKey.get('POST /events/{id}/subscriptions')).toBe(true)
      expect(byKey.get('GET /vms/{id}.{format}')).toBe(false) // not answered by GET /vms/:id
      expect(byKey.get('PATCH /vms/{id}')).toBe(false)
      const writes = entries.filter((entry) => entry.method !== 'GET')
      expect(writes.filter((entry) => entry.implemented).map((entry) => `${entry.method} ${entry.path}`)).toEqual([
        'POST /vms/{id}/actions/start',
        'POST /events/{id}/subscriptions',
        'DELETE /events/{id}/subscriptions/{subscriptionId}',
      ])
      const patch = await app.inject({ method: 'PATCH', url: '/rest/v0/vms/abc', headers: { authorization: 'Basic eA==' } })
      expect(patch.statusCode).toBe(401)
    } finally {
      await app.close()
    }
  })
})

describe('docs', () => {
  it('GET /docs/swagger.json is public, pretty JSON, XO’s spec annotated with the coverage', async () => {
    const response = await mock.app.inject({ url: '/rest/v0/docs/swagger.json' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.payload.startsWith('{\n  "openapi": "3.0.0"')).toBe(true)
    const spec = response.json() as {
      openapi: string
      info: { title: string; 'x-xo-mock-coverage': { total: number; implemented: number } }
      paths: Record<string, Record<string, { 'x-xo-mock-implemented': boolean; responses: Record<string, unknown>; summary?: string }>>
      components: { schemas: Record<string, unknown> }
    }
    expect(spec.openapi).toBe('3.0.0')
    expect(spec.info.title).toContain('xo-mock')
    const coverage = summarizeCoverage(restCoverage(mock.context))
    expect(spec.info['x-xo-mock-coverage']).toEqual(coverage)
    for (const entry of restCoverage(mock.context)) {
      const operation = spec.paths[entry.path]![entry.method.toLowerCase()]!
      expect(operation['x-xo-mock-implemented']).toBe(entry.implemented)
      if (!entry.implemented) expect(operation.responses['501']).toBeDefined()
    }
    expect(Object.keys(spec.paths)).toEqual([...Object.keys(XO_OPENAPI.paths), '/backup/jobs/{id}'])
    expect(spec.components.schemas.XoMockNotImplemented).toBeDefined()
    // a bad credential is still refused on public routes
    expect((await mock.app.inject({ url: '/rest/v0/docs/swagger.json', headers: { cookie: 'authenticationToken=nope' } })).statusCode).toBe(401)
  })

  it('GET /docs is a self-contained HTML listing (public)', async () => {
    const response = await mock.app.inject({ url: '/rest/v0/docs' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(response.payload).toContain('<!DOCTYPE html>')
    expect(response.payload).toContain('/rest/v0/docs/swagger.json')
    expect(response.payload).toContain('/rest/v0/vms/{id}/actions/start')
    expect(response.payload).not.toMatch(/<script src=/)
    const ui = await mock.app.inject({ url: '/rest/v0/docs?ui=swagger' })
    expect(ui.payload).toContain('swagger-ui-bundle.js')
    expect(ui.payload).toContain('"/rest/v0/docs/swagger.json"')
  })

  it('GET /rest/v0 still redirects to the docs', async () => {
    const response = await mock.app.inject({ url: '/rest/v0' })
    expect(response.statusCode).toBe(302)
    expect(response.headers.location).toBe('/rest/v0/docs')
  })
})
