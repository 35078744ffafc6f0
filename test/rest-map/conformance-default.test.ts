/**
 * Conformance of the bundled inventories: every object the fixture loader and the generator build,
 * and every object the main domain operations create at runtime, validates against the 200 response
 * schemas of XO's OpenAPI spec (same validation as conformance.test.ts).
 *
 * For each inventory: every collection with and without `fields=*`, then for every object of every
 * collection its single-object GET and every other implemented `GET /<collection>/{id}/…` route
 * returning JSON (sub-collections also with `fields=*`). Collections' `fields=*` answers are
 * `Partial<…>` in the spec: the single-object GETs are what checks the required fields.
 */
import type { Ajv, ValidateFunction } from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createXoMock, ManualClock, type XoMock } from '../../src/index.js'
import { restCoverage, specOperations, type OpenApiSchema } from '../../src/rest/coverage.js'
import { ADMIN_TOKEN, adminCookie, createSpecAjv, rewriteRefs } from './helpers.js'

type Obj = Record<string, any>

const SKIPPED: ReadonlySet<string> = new Set([
  '/events', // SSE stream (events.test.ts)
  '/docs/swagger.json', // the spec itself (route-map.test.ts)
])

interface Route {
  readonly path: string
  readonly validate: ValidateFunction
  /** A `SendObjects_…` answer: also requested with `fields=*`. */
  readonly objects: boolean
}

/** The implemented GET routes returning JSON, with their 200 schema. */
function jsonRoutes(mock: XoMock, ajv: Ajv): Route[] {
  const implemented = new Set(
    restCoverage(mock.context)
      .filter((entry) => entry.implemented && entry.method === 'GET')
      .map((entry) => entry.path),
  )
  const routes: Route[] = []
  for (const { method, path, operation } of specOperations()) {
    if (method !== 'GET' || SKIPPED.has(path) || !implemented.has(path)) continue
    const schema = operation.responses?.['200']?.content?.['application/json']?.schema as OpenApiSchema | undefined
    if (schema === undefined) continue
    routes.push({ path, validate: ajv.compile(rewriteRefs(schema)), objects: String(schema.$ref ?? '').includes('SendObjects_') })
  }
  return routes
}

interface Sweep {
  /** One line per distinct failure of a route: `<route>: <error> (<count>× e.g. <url>)`. */
  readonly failures: string[]
  /** Ids served, by collection path (`/vms`). */
  readonly ids: Map<string, string[]>
}

/**
 * Routes that answer only for some objects, by design (XO answers an error for the others): the
 * objects of their collection they are checked on.
 */
const ANSWERS_FOR: Readonly<Record<string, (object: Obj, mock: XoMock) => boolean>> = {
  // 422 `VM <id> is halted or host could not be found.`
  '/vms/{id}/stats': (vm) => vm.power_state === 'Running',
  // HOST_OFFLINE
  '/hosts/{id}/stats': (host) => host.power_state === 'Running',
  '/hosts/{id}/missing_patches': (host) => host.power_state === 'Running',
  // 403 `You can only see your own authentication tokens`
  '/users/{id}/authentication_tokens': (user, mock) => user.id === tokenOwner(mock),
}

function tokenOwner(mock: XoMock): string | undefined {
  return mock.inventory.get(mock.token)?.user_id as string | undefined
}

/** A URL with its ids (UUIDs, base36 task ids, backup log timestamps) replaced by `<id>`. */
const anonymous = (url: string): string =>
  url.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>').replace(/\/(?=[0-9a-z]*\d)[0-9a-z]{9,}(?=\/|\?|$)/g, '/<id>')

/**
 * Validates every route of `routes` over every object of `mock`: collections first (their hrefs give
 * the ids of the objects), then each `/{id}` route for every id of its collection.
 */
async function sweep(mock: XoMock, ajv: Ajv, routes: readonly Route[]): Promise<Sweep> {
  const ids = new Map<string, string[]>()
  const failures = new Map<string, { count: number; url: string }>()
  const fail = (url: string, message: string) => {
    const key = `GET ${anonymous(url)}: ${message}`
    const entry = failures.get(key)
    if (entry === undefined) failures.set(key, { count: 1, url })
    else entry.count++
  }
  const check = async (route: Route, url: string): Promise<unknown> => {
    const response = await mock.app.inject({ url, headers: { cookie: adminCookie } })
    if (response.statusCode !== 200) {
      fail(url, `status ${response.statusCode} ${response.payload.slice(0, 200)}`)
      return undefined
    }
    const body = response.json() as unknown
    if (!route.validate(body)) fail(url, ajv.errorsText(route.validate.errors, { separator: '; ' }).slice(0, 800))
    return body
  }

  for (const route of routes) {
    if (route.path.includes('{')) continue
    const body = await check(route, `/rest/v0${route.path}`)
    if (route.objects) await check(route, `/rest/v0${route.path}?fields=*`)
    if (!Array.isArray(body)) continue
    // hrefs: `/rest/v0/<collection>/<encoded id>`
    const prefix = `/rest/v0${route.path}/`
    const hrefs = body.filter((href): href is string => typeof href === 'string' && href.startsWith(prefix))
    ids.set(route.path, hrefs.map((href) => decodeURIComponent(href.slice(prefix.length))))
  }

  for (const route of routes) {
    const match = /^(.*)\/\{id\}(\/[^{}]*)?$/.exec(route.path)
    if (match === null) continue
    const [, collection, rest = ''] = match
    const answers = ANSWERS_FOR[route.path]
    for (const id of ids.get(collection!) ?? []) {
      if (answers !== undefined && !answers(mock.inventory.get(id) ?? {}, mock)) continue
      const url = `/rest/v0${collection}/${encodeURIComponent(id)}${rest}`
      await check(route, url)
      if (route.objects) await check(route, `${url}?fields=*`)
    }
  }
  return { failures: [...failures].map(([key, { count, url }]) => `${key} (${count}×, e.g. ${url})`), ids }
}

/** Collections every inventory feeds (an empty collection would prove nothing). */
const FED_COLLECTIONS = ['/vms', '/vm-templates', '/vm-snapshots', '/vm-controllers', '/hosts', '/pools', '/srs', '/vdis', '/vbds', '/vifs', '/networks', '/pifs', '/pbds', '/sms', '/users']

function expectFed(result: Sweep, extra: readonly string[] = []): void {
  for (const collection of [...FED_COLLECTIONS, ...extra]) expect(result.ids.get(collection)?.length ?? 0, collection).toBeGreaterThan(0)
}

type Body = Record<string, unknown>

interface Step {
  readonly name: string
  readonly method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  readonly url: string
  readonly body?: Body
}

/** A request of the domain operations; throws unless it succeeds. Returns the created id, if any. */
async function run(mock: XoMock, step: Step): Promise<string | undefined> {
  const response = await mock.app.inject({
    method: step.method,
    url: `/rest/v0${step.url}`,
    headers: step.body === undefined ? { cookie: adminCookie } : { cookie: adminCookie, 'content-type': 'application/json' },
    payload: step.body === undefined ? undefined : JSON.stringify(step.body),
  })
  if (response.statusCode >= 300) throw new Error(`${step.name}: ${step.method} ${step.url}: ${response.statusCode} ${response.payload.slice(0, 300)}`)
  if (response.payload === '') return undefined
  const body = response.json() as unknown
  if (typeof body === 'string') return body
  if (body !== null && typeof body === 'object' && typeof (body as Body).id === 'string') return (body as Body).id as string
  return undefined
}

function objectsOf(mock: XoMock, type: string, filter: (object: Obj) => boolean = () => true): Obj[] {
  return [...mock.inventory.ofType<Obj & { id: string; type: string }>(type)].filter(filter)
}

function first(mock: XoMock, type: string, filter?: (object: Obj) => boolean): Obj {
  const found = objectsOf(mock, type, filter)[0]
  if (found === undefined) throw new Error(`no ${type} in the inventory`)
  return found
}

/**
 * Runs the main domain operations over REST: creates VMs (from a template, with disks and
 * interfaces), snapshots, clones (fast, full, copy to another SR), VDIs, VBDs, VIFs, networks, an SR;
 * starts, suspends and pauses VMs. Returns the ids of the created objects.
 */
async function runOperations(mock: XoMock): Promise<string[]> {
  const created: string[] = []
  const step = async (s: Step): Promise<string | undefined> => {
    const id = await run(mock, s)
    if (id !== undefined) created.push(id)
    return id
  }
  const pool = first(mock, 'pool', (p) => objectsOf(mock, 'VM-template', (t) => t.$pool === p.id).length > 0)
  const template = first(mock, 'VM-template', (t) => t.$pool === pool.id)
  const network = first(mock, 'network', (n) => n.$pool === pool.id && n.other_config?.is_host_internal_management_network !== 'true')
  const sr = objectsOf(mock, 'SR', (s) => s.$pool === pool.id && s.content_type === 'user' && s.size > 0).sort((a, b) => b.size - b.physical_usage - (a.size - a.physical_usage))[0]
  if (sr === undefined) throw new Error('no user SR')
  const otherSr = objectsOf(mock, 'SR', (s) => s.$pool === pool.id && s.content_type === 'user' && s.id !== sr.id && s.size > 0)[0]
  const master = pool.master as string

  const vm = await step({
    name: 'create_vm',
    method: 'POST',
    url: `/pools/${pool.id}/actions/create_vm?sync=true`,
    body: {
      name_label: 'conformance-vm',
      name_description: 'created by the conformance test',
      template: template.id,
      cpus: 2,
      memory: 2 * 1024 ** 3,
      vdis: [{ name_label: 'conformance-disk', size: 8 * 1024 ** 3, sr: sr.id }],
      vifs: [{ network: network.id }],
    },
  })
  if (vm === undefined) throw new Error('create_vm returned no id')
  await step({ name: 'start', method: 'POST', url: `/vms/${vm}/actions/start?sync=true` })
  const snapshot = await step({ name: 'snapshot', method: 'POST', url: `/vms/${vm}/actions/snapshot?sync=true`, body: { name_label: 'conformance-snapshot' } })
  await step({ name: 'clean_shutdown', method: 'POST', url: `/vms/${vm}/actions/clean_shutdown?sync=true` })
  await step({ name: 'fast clone', method: 'POST', url: `/vms/${vm}/actions/clone?sync=true`, body: { name_label: 'conformance-fast-clone' } })
  await step({ name: 'full clone', method: 'POST', url: `/vms/${vm}/actions/clone?sync=true`, body: { name_label: 'conformance-full-clone', fast: false } })
  if (otherSr !== undefined) await step({ name: 'copy', method: 'POST', url: `/vms/${vm}/actions/clone?sync=true`, body: { name_label: 'conformance-copy', srId: otherSr.id } })
  if (snapshot !== undefined) await step({ name: 'revert', method: 'POST', url: `/vms/${vm}/actions/revert_snapshot?sync=true`, body: { snapshotId: snapshot } })

  const vdi = await step({ name: 'create VDI', method: 'POST', url: '/vdis', body: { name_label: 'conformance-vdi', virtual_size: 1024 ** 3, srId: sr.id } })
  await step({ name: 'create VBD', method: 'POST', url: '/vbds', body: { VM: vm, VDI: vdi, bootable: false, mode: 'RW' } })
  await step({ name: 'create VIF', method: 'POST', url: '/vifs', body: { vmId: vm, networkId: network.id } })
  await step({ name: 'create network', method: 'POST', url: `/pools/${pool.id}/actions/create_internal_network?sync=true`, body: { name: 'conformance-internal' } })
  await step({
    name: 'create SR',
    method: 'POST',
    url: '/srs',
    body: { hostId: master, name_label: 'conformance-nfs', SR_type: 'nfs', content_type: 'user', device_config: { server: '10.0.0.5', serverpath: '/export/conformance' }, size: 1024 ** 4 },
  })

  await step({ name: 'create user', method: 'POST', url: '/users', body: { name: 'conformance@example.org', password: 'secret', permission: 'none' } })
  await step({ name: 'create group', method: 'POST', url: '/groups', body: { name: 'conformance' } })

  // other power states of existing VMs
  const halted = objectsOf(mock, 'VM', (v) => v.$pool === pool.id && v.power_state === 'Halted' && !created.includes(v.id)).slice(0, 3)
  for (const [index, other] of halted.entries()) {
    await step({ name: 'start', method: 'POST', url: `/vms/${other.id}/actions/start?sync=true` })
    if (index === 1) await step({ name: 'suspend', method: 'POST', url: `/vms/${other.id}/actions/suspend?sync=true` })
    if (index === 2) await step({ name: 'pause', method: 'POST', url: `/vms/${other.id}/actions/pause?sync=true` })
  }
  return created
}

/**
 * Known failures of objects created at runtime by domain code outside the builders (the failure
 * lines without their count and example): `createGroup` (src/domain/group.ts) omits `aclRoleIds`
 * (`[]` for a new group, reference objects/group.json); `addNetworkRecord` (src/domain/network.ts)
 * omits `isBonded` (false, true for `createBondedNetwork`). Once fixed, the test fails until their
 * line here is removed.
 */
const KNOWN_GAPS: readonly string[] = []

const withoutCount = (failure: string): string => failure.replace(/ \(\d+×, e\.g\. [^)]*\)$/, '')

/** The inventories, with the collections each feeds beyond FED_COLLECTIONS. */
const INVENTORIES: readonly (readonly [string, readonly string[]])[] = [
  ['default', ['/vdi-snapshots', '/pcis', '/pgpus', '/messages', '/alarms', '/groups', '/servers']],
  ['generated:vms=50', []],
]

describe.each(INVENTORIES)('inventory %s conforms to XO’s OpenAPI schemas', (inventory, fed) => {
  let mock: XoMock
  let ajv: Ajv
  let routes: Route[]
  beforeAll(async () => {
    mock = await createXoMock({ inventory, clock: new ManualClock(Date.UTC(2026, 0, 1)), token: ADMIN_TOKEN, port: 0 })
    ajv = createSpecAjv()
    routes = jsonRoutes(mock, ajv)
  })
  afterAll(async () => {
    await mock.close()
  })

  it('every collection and every object of every collection', async () => {
    expect(routes.length).toBeGreaterThan(100)
    const result = await sweep(mock, ajv, routes)
    expectFed(result, fed)
    expect(result.failures.join('\n')).toBe('')
  })

  it('the objects created by the domain operations', async () => {
    const created = await runOperations(mock)
    expect(created.length).toBeGreaterThan(8)
    const result = await sweep(mock, ajv, routes)
    expectFed(result, [...fed, '/tasks', '/vdi-snapshots', '/vm-snapshots', '/groups'])
    const seen = new Set([...result.ids.values()].flat())
    for (const id of created) expect(seen.has(id), `created object ${id} is served`).toBe(true)
    const known = result.failures.filter((failure) => KNOWN_GAPS.includes(withoutCount(failure)))
    expect(result.failures.filter((failure) => !known.includes(failure)).join('\n')).toBe('')
    expect(known.map(withoutCount), 'a known gap is fixed: remove it from KNOWN_GAPS').toEqual(KNOWN_GAPS)
  })
})
