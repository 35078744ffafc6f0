/**
 * Read routes of the collections (reference §2–§4): `GET /<collection>`, `GET /<collection>/:id` and
 * `GET /<collection>/:id/<sub-collection>`.
 *
 * Order of checks (XO's middleware order): authentication (hook) → admin-only route check (403) →
 * query validation (422) → parent lookup for sub-collections (404) → filter syntax (400) →
 * ndjson+markdown conflict (422). Single objects: admin-only check → 404 → ACL 403.
 *
 * Hot path: each distinct filter is compiled once (LRU), items are pulled straight from the store's
 * per-type index, and finished JSON / Markdown bodies are cached per (user, URL) for the current
 * store version — a hit costs one map lookup.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MockContext } from '../context.js'
import { compileFilter, FilterParseError } from '../filter/index.js'
import type { UserObject, XoObject } from '../inventory/types.js'
import { requestUser } from './auth.js'
import { BodyCache, Lru } from './cache.js'
import {
  createCollections,
  createSubCollections,
  findIn,
  legacyRoutesOf,
  objectsOf,
  type CollectionDef,
  type SubCollectionDef,
  type SubCollectionName,
} from './collections.js'
import { noSuchObject } from './errors.js'
import { assertCanRead, assertListAllowed, assertObjectRouteAllowed, createViewerFactory, type Access, type Viewer } from './permissions.js'
import { compileProjection, type ItemMapper } from './project.js'
import { assertSingleFormat, parseCollectionQuery, type CollectionQuery } from './query.js'
import { JSON_CONTENT_TYPE, MARKDOWN_CONTENT_TYPE, NDJSON_CONTENT_TYPE, jsonText, markdownTable } from './serialize.js'
import { ndjsonStream } from './stream.js'
import { taskListRoute, taskObjectRoute } from './tasks.js'

type Predicate = (value: unknown) => boolean

/** What the REST routes of one mock share: the context, caches and the rules built from it. */
export interface RestKit {
  readonly ctx: MockContext
  readonly collections: ReadonlyMap<string, CollectionDef>
  readonly subCollections: ReadonlyMap<SubCollectionName, SubCollectionDef>
  readonly bodies: BodyCache
  viewerOf(user: UserObject): Viewer
  /** The compiled filter (`undefined` for none/empty); throws FilterParseError (→ 400). */
  filter(text: string | undefined): Predicate | undefined
}

export function createRestKit(ctx: MockContext): RestKit {
  const collections = createCollections(ctx)
  const filters = new Lru<string, Predicate | FilterParseError>(128)
  return {
    ctx,
    collections,
    subCollections: createSubCollections(collections),
    bodies: new BodyCache(),
    viewerOf: createViewerFactory(ctx),
    filter(text) {
      if (text === undefined || text === '') return undefined
      let compiled = filters.get(text)
      if (compiled === undefined) {
        try {
          compiled = compileFilter(text)
        } catch (error) {
          if (!(error instanceof FilterParseError)) throw error
          compiled = error
        }
        filters.set(text, compiled)
      }
      if (compiled instanceof FilterParseError) throw compiled
      return compiled
    },
  }
}

/** `<request path without trailing slash>`, as XO builds top-level hrefs (case kept). */
export function requestPath(request: FastifyRequest): string {
  const url = request.url
  const query = url.indexOf('?')
  let path = query === -1 ? url : url.slice(0, query)
  while (path.length > 1 && path.charCodeAt(path.length - 1) === 47 /* / */) path = path.slice(0, -1)
  return path
}

interface Selection {
  readonly ctx: MockContext
  readonly objects: Iterable<XoObject>
  readonly targetOf: (object: XoObject) => CollectionDef
  readonly hrefBase: (target: CollectionDef) => string
  readonly viewer: Viewer
  readonly access: Access
  readonly filter: Predicate | undefined
  /** Kept items are counted down from it; a negative or fractional limit never reaches 0. */
  readonly limit: number
  readonly map: ItemMapper
}

/** Lazily: readable → served → filtered → limited → mapped (href string or projected object). */
function* select(selection: Selection): Generator<unknown> {
  const { ctx, targetOf, hrefBase, viewer, access, filter, map } = selection
  let remaining = selection.limit
  if (remaining === 0) return
  const checkAccess = !viewer.admin
  for (const object of selection.objects) {
    if (checkAccess && !viewer.canRead(object, access)) continue
    const target = targetOf(object)
    const served = target.serialize(object, ctx)
    if (filter !== undefined && !filter(served)) continue
    yield map(served, hrefBase(target) + '/' + object.id)
    if (--remaining === 0) return
  }
}

function sendCached(reply: FastifyReply, contentType: string, body: string | Buffer): FastifyReply {
  return reply.header('content-type', contentType).send(body)
}

/**
 * Legacy profile: the hand-written router streamed JSON arrays as `[` + `\n` + items (2-space) joined
 * by `,\n` + `\n]\n`, `Content-Type: application/json` without charset (empty → `[\n]\n`).
 */
const LEGACY_JSON_CONTENT_TYPE = 'application/json'

export function legacyJsonArray(list: readonly unknown[]): string {
  return '[' + (list.length === 0 ? '' : '\n' + list.map((item) => JSON.stringify(item, null, 2)).join(',\n')) + '\n]\n'
}

function sendItems(kit: RestKit, reply: FastifyReply, query: CollectionQuery, items: Iterable<unknown>, cacheKey: string | undefined, version: number): FastifyReply {
  if (query.ndjson) return reply.header('content-type', NDJSON_CONTENT_TYPE).send(ndjsonStream(items))
  const list = Array.from(items)
  const legacy = kit.ctx.config.apiProfile === 'legacy'
  const contentType = legacy ? LEGACY_JSON_CONTENT_TYPE : query.markdown ? MARKDOWN_CONTENT_TYPE : JSON_CONTENT_TYPE
  const body = legacy ? legacyJsonArray(list) : query.markdown ? markdownTable(list) : jsonText(list)
  // legacy: a Buffer, or Fastify would append a charset to `application/json`
  if (cacheKey === undefined) return sendCached(reply, contentType, legacy ? Buffer.from(body) : body)
  const bytes = Buffer.from(body)
  kit.bodies.set(cacheKey, { version, contentType, body: bytes })
  return sendCached(reply, contentType, bytes)
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>

/** Variations of a list route (reads.ts: backup archives, deprecated `backup/…` paths). */
export interface ListRouteOptions {
  /** The listed objects (default: the collection's); called after the query is validated. */
  readonly objects?: (request: FastifyRequest) => Iterable<XoObject>
  /** Base of the hrefs (default: the request path), e.g. `/rest/v0/backup-jobs` for deprecated paths. */
  readonly hrefBase?: string
}

/** Sends the cached body of this key at this store version, if any; tells whether it did. */
function sendHit(kit: RestKit, reply: FastifyReply, cacheKey: string | undefined, version: number): boolean {
  if (cacheKey === undefined) return false
  const hit = kit.bodies.get(cacheKey, version)
  if (hit === undefined) return false
  sendCached(reply, hit.contentType, hit.body)
  return true
}

export function listRoute(kit: RestKit, def: CollectionDef, options: ListRouteOptions = {}) {
  const { ctx } = kit
  const same = () => def
  return function list(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const user = requestUser(request)
    const version = ctx.store.version
    const cacheKey = def.cacheable ? BodyCache.key(user.id, request.url) : undefined
    if (sendHit(kit, reply, cacheKey, version)) return reply
    const viewer = kit.viewerOf(user)
    assertListAllowed(viewer, def.access)
    const query = parseCollectionQuery(request.query as Record<string, unknown>, ctx.config.apiProfile)
    const filter = kit.filter(query.filter)
    assertSingleFormat(query)
    const base = options.hrefBase ?? requestPath(request)
    const items = select({
      ctx,
      objects: options.objects === undefined ? objectsOf(ctx, def) : options.objects(request),
      targetOf: same,
      hrefBase: () => base,
      viewer,
      access: def.access,
      filter,
      limit: query.limit,
      map: compileProjection(query.fields),
    })
    return sendItems(kit, reply, query, items, cacheKey, version)
  }
}

export function objectRoute(kit: RestKit, def: CollectionDef) {
  const { ctx } = kit
  // legacy profile: sub-route locations for discoverability (`<route>_href`), see collections.ts
  const legacyRoutes = ctx.config.apiProfile === 'legacy' ? legacyRoutesOf(def.name) : []
  return function get(request: IdRequest, reply: FastifyReply): FastifyReply {
    const user = requestUser(request)
    const version = ctx.store.version
    const cacheKey = def.cacheable ? BodyCache.key(user.id, request.url) : undefined
    if (sendHit(kit, reply, cacheKey, version)) return reply
    const { id } = request.params
    const viewer = kit.viewerOf(user)
    assertObjectRouteAllowed(viewer, def.access, id)
    const object = findIn(ctx, def, id)
    if (object === undefined) throw noSuchObject(id, def.xoType)
    assertCanRead(viewer, object, def.access, def.resource)
    // the full object, no href; the query string is ignored
    let served = def.serialize(object, ctx)
    if (legacyRoutes.length !== 0) {
      const base = requestPath(request)
      served = { ...served }
      for (const route of legacyRoutes) (served as Record<string, unknown>)[route.split('.')[0] + '_href'] = `${base}/${route}`
    }
    const body = jsonText(served)
    if (cacheKey === undefined) return sendCached(reply, JSON_CONTENT_TYPE, body)
    const bytes = Buffer.from(body)
    kit.bodies.set(cacheKey, { version, contentType: JSON_CONTENT_TYPE, body: bytes })
    return sendCached(reply, JSON_CONTENT_TYPE, bytes)
  }
}

export function subCollectionRoute(kit: RestKit, def: CollectionDef, sub: SubCollectionDef) {
  const { ctx } = kit
  const cacheable = def.cacheable && sub.cacheable
  const hrefBase = (target: CollectionDef) => `${ctx.restBase}/${target.name}`
  return function list(request: IdRequest, reply: FastifyReply): FastifyReply {
    const user = requestUser(request)
    const version = ctx.store.version
    const cacheKey = cacheable ? BodyCache.key(user.id, request.url) : undefined
    if (sendHit(kit, reply, cacheKey, version)) return reply
    const { id } = request.params
    const viewer = kit.viewerOf(user)
    assertObjectRouteAllowed(viewer, def.access, id)
    const query = parseCollectionQuery(request.query as Record<string, unknown>, ctx.config.apiProfile)
    const parent = findIn(ctx, def, id)
    if (parent === undefined) throw noSuchObject(id, def.xoType)
    const filter = kit.filter(query.filter)
    assertSingleFormat(query)
    const items = select({
      ctx,
      objects: sub.items(ctx, parent),
      targetOf: (item) => sub.targetOf(item),
      hrefBase,
      viewer,
      access: sub.access,
      filter,
      limit: query.limit,
      map: compileProjection(query.fields),
    })
    return sendItems(kit, reply, query, items, cacheKey, version)
  }
}

/** Registers every collection of the kit in the `/rest/v0` scope. */
export function registerCollectionRoutes(scope: FastifyInstance, kit: RestKit): void {
  for (const def of kit.collections.values()) {
    // tasks: `watch=true` streams and `wait=true` (tasks.ts)
    const tasks = def.name === 'tasks'
    scope.get(`/${def.name}`, tasks ? taskListRoute(kit, def, listRoute(kit, def)) : listRoute(kit, def))
    scope.get<{ Params: { id: string } }>(`/${def.name}/:id`, tasks ? taskObjectRoute(kit, def, objectRoute(kit, def)) : objectRoute(kit, def))
    for (const name of def.subCollections) {
      const sub = kit.subCollections.get(name)!
      scope.get<{ Params: { id: string } }>(`/${def.name}/:id/${name}`, subCollectionRoute(kit, def, sub))
    }
  }
}
