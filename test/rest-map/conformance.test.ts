/**
 * Conformance: the JSON of every implemented GET operation validates against the 200 response schema
 * of XO's OpenAPI spec (ajv 8, `$ref`s resolved against `components.schemas`), for the objects of
 * the test inventory. Collections are checked as hrefs and with `fields=*`.
 */
import type { Ajv, ValidateFunction } from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restCoverage, specOperations, type OpenApiSchema } from '../../src/rest/coverage.js'
import { adminCookie, createSpecAjv, exampleUrl, rewriteRefs, startMapMock, type MapMock } from './helpers.js'

let mock: MapMock
beforeAll(async () => {
  mock = await startMapMock()
})
afterAll(async () => {
  await mock.close()
})

const SKIPPED: ReadonlySet<string> = new Set([
  '/events', // SSE stream (events.test.ts)
  '/docs/swagger.json', // the spec itself (route-map.test.ts)
])

/** Lists of reads.ts the test inventory feeds: an empty answer would prove little. */
const FED: ReadonlySet<string> = new Set([
  'GET /vms/{id}/backup-jobs',
  'GET /users/{id}/authentication_tokens',
  'GET /users/{id}/acl-privileges',
  'GET /groups/{id}/acl-roles',
  'GET /backup-archives',
  'GET /backup/jobs/vm',
  'GET /backup/jobs/metadata',
  'GET /backup/jobs/mirror',
  'GET /backup/logs',
  'GET /restore/logs',
  'GET /acl-roles',
  'GET /acl-roles/{id}/privileges',
  'GET /acl-roles/{id}/users',
  'GET /acl-roles/{id}/groups',
  'GET /acl-privileges',
])

interface Case {
  readonly name: string
  readonly url: string
  readonly validate: ValidateFunction
}

function cases(ajv: Ajv): Case[] {
  const implemented = new Set(
    restCoverage(mock.context)
      .filter((entry) => entry.implemented)
      .map((entry) => `${entry.method} ${entry.path}`),
  )
  const list: Case[] = []
  for (const { method, path, operation } of specOperations()) {
    if (method !== 'GET' || SKIPPED.has(path) || !implemented.has(`GET ${path}`)) continue
    const content = operation.responses?.['200']?.content?.['application/json']
    if (content?.schema === undefined) continue
    const validate = ajv.compile(rewriteRefs(content.schema as OpenApiSchema))
    const url = exampleUrl(path)
    list.push({ name: `GET ${path}`, url, validate })
    const ref = String((content.schema as OpenApiSchema).$ref ?? '')
    if (ref.includes('SendObjects_')) list.push({ name: `GET ${path}?fields=*`, url: `${url}?fields=*`, validate })
  }
  return list
}

describe('responses conform to XO’s OpenAPI schemas', () => {
  it('validates every implemented GET route returning JSON', async () => {
    const ajv = createSpecAjv()
    const all = cases(ajv)
    expect(all.length).toBeGreaterThan(150)
    const failures: string[] = []
    for (const { name, url, validate } of all) {
      const response = await mock.app.inject({ url, headers: { cookie: adminCookie } })
      if (response.statusCode !== 200) {
        failures.push(`${name}: status ${response.statusCode} ${response.payload.slice(0, 200)}`)
        continue
      }
      const body = response.json() as unknown
      if (!validate(body)) failures.push(`${name}: ${ajv.errorsText(validate.errors, { separator: '; ' }).slice(0, 600)}`)
      if (Array.isArray(body) && body.length === 0 && FED.has(name.split('?')[0]!)) failures.push(`${name}: empty list (the test inventory feeds it)`)
    }
    expect(failures).toEqual([])
  })
})
