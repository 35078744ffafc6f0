/**
 * Server-Sent Events (reference §10, `events/event.{controller,service,class}.mts`).
 *
 * - `GET /events` (any authenticated user) → 200 `text/event-stream`; frames are
 *   `event: <name>\ndata: <compact JSON>\n\n`. First `init` `{"id": <connection id>}`, then `ping`
 *   `{"ping": <ms>}` every `ctx.config.ssePingInterval` ms (XO: 30 s, one timer for all connections,
 *   running on `ctx.clock` while connections exist).
 * - `POST /events/{id}/subscriptions {collection, fields?}` → 201 `{"id": collection}` (re-subscribing
 *   replaces `fields`); `DELETE /events/{id}/subscriptions/{collection}` → 204. An invalid collection
 *   is a tsoa 422 (checked first), an unknown connection a 404 `no such event <id>`.
 * - Once subscribed, the inventory's change feed (`ctx.store.subscribe`) becomes `add` / `update` /
 *   `remove` frames whose data is `{"$subscription": <collection>, ...object}` (`remove` carries the last
 *   known object). With `fields` (not `*`) objects are picked and updates whose picked fields did not
 *   change are suppressed. `alarm` subscriptions get parsed alarms, `message` ones exclude alarms;
 *   `task` subscriptions only emit `update` (a new task first appears as an update) and `remove`.
 * - Non-admins only get objects they may read (permissions.ts); an update that makes an object
 *   visible or invisible to them is sent as `add` / `remove`.
 * - Slow consumers: XO destroys a connection whose buffer exceeds `rest-api.maxRamAllocatedPerSseClient`
 *   (20 MiB); here the bound is `ctx.config.sseMaxBufferBytes` (read when the connection opens,
 *   default 20 MiB): when the bytes written but not yet flushed to the socket exceed it, the
 *   connection is destroyed instead of growing memory.
 */
import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MockContext } from '../context.js'
import type { TimerHandle } from '../inventory/clock.js'
import { IdGenerator } from '../inventory/ids.js'
import { jsonEqual } from '../inventory/freeze.js'
import type { Change } from '../inventory/store.js'
import type { UserObject, XoObject } from '../inventory/types.js'
import { jsonBodyScope } from './actions.js'
import { isAlarm, parseAlarm } from './alarms.js'
import { requestUser } from './auth.js'
import { ValidationError, noSuchObject, type FieldError } from './errors.js'
import type { RestKit, RestPlugin } from './index.js'
import type { Access, Viewer } from './permissions.js'
import { compileProjection } from './project.js'

/** XO's `XoListenerType` (openapi.json), the collections one may subscribe to. */
export const EVENT_COLLECTIONS: readonly string[] = [
  'pool',
  'VBD',
  'host',
  'VIF',
  'VTPM',
  'VM-snapshot',
  'SR',
  'VM',
  'VM-template',
  'message',
  'vgpu',
  'gpuGroup',
  'network',
  'PBD',
  'PCI',
  'PGPU',
  'PIF',
  'VDI',
  'VDI-snapshot',
  'VDI-unmanaged',
  'vgpuType',
  'VM-controller',
  'SM',
  'alarm',
  'task',
]

const COLLECTION_SET: ReadonlySet<string> = new Set(EVENT_COLLECTIONS)

/** XO's `rest-api.maxRamAllocatedPerSseClient` default. */
export const DEFAULT_SSE_MAX_BUFFER_BYTES = 20 * 1024 * 1024

type Fields = '*' | readonly string[]
type Served = Readonly<Record<string, unknown>>

interface Subscription {
  readonly fields: Fields
  readonly pick: ((object: Served) => Served) | undefined
}

interface Connection {
  readonly id: string
  readonly raw: ServerResponse
  readonly user: UserObject
  readonly maxBuffer: number
  readonly subscriptions: Map<string, Subscription>
  alive: boolean
}

/** The XO task log (not XAPI task records, which the store also holds). */
const isXoTask = (object: XoObject): boolean => object.properties !== undefined || !('name_label' in object)

/** The event collection of a stored object, `undefined` when it belongs to none. */
function collectionOf(object: XoObject): string | undefined {
  switch (object.type) {
    case 'message':
      return isAlarm(object) ? 'alarm' : 'message'
    case 'task':
      return isXoTask(object) ? 'task' : undefined
    default:
      return COLLECTION_SET.has(object.type) ? object.type : undefined
  }
}

function accessOf(collection: string): Access {
  return collection === 'task' ? 'owner' : 'acl'
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** One hub per server: the connections, the ping timer and the change-feed listener. */
class EventHub {
  readonly #ctx: MockContext
  readonly #kit: RestKit
  readonly #connections = new Map<string, Connection>()
  // connection ids: UUID v4 like XO's `crypto.randomUUID()`, deterministic, and drawn from a generator
  // of their own so that opening a connection never shifts the ids of the inventory (`ctx.ids`)
  readonly #ids = new IdGenerator('xo-mock:sse-connections')
  #timer: TimerHandle | undefined
  #unsubscribe: (() => void) | undefined

  constructor(kit: RestKit) {
    this.#kit = kit
    this.#ctx = kit.ctx
  }

  get size(): number {
    return this.#connections.size
  }

  open(user: UserObject, raw: ServerResponse): Connection {
    const ctx = this.#ctx
    const configured = (ctx.config as { readonly sseMaxBufferBytes?: unknown }).sseMaxBufferBytes
    const connection: Connection = {
      id: this.#ids.uuid(),
      raw,
      user,
      maxBuffer: typeof configured === 'number' && configured > 0 ? configured : DEFAULT_SSE_MAX_BUFFER_BYTES,
      subscriptions: new Map(),
      alive: true,
    }
    this.#connections.set(connection.id, connection)
    raw.on('close', () => this.#close(connection))
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      connection: 'keep-alive',
      'cache-control': 'no-cache, no-transform',
    })
    this.#send(connection, 'init', { id: connection.id })
    this.#startTimer()
    return connection
  }

  get(id: string): Connection {
    const connection = this.#connections.get(id)
    if (connection === undefined || !connection.alive) throw noSuchObject(id, 'event')
    return connection
  }

  subscribe(id: string, collection: string, fields: Fields): void {
    const connection = this.get(id)
    const pick = fields === '*' ? undefined : picker(fields)
    connection.subscriptions.set(collection, { fields, pick })
    this.#unsubscribe ??= this.#ctx.store.subscribe((change) => this.#onChange(change))
  }

  unsubscribe(id: string, collection: string): void {
    this.get(id).subscriptions.delete(collection)
    this.#maybeStopFeed()
  }

  closeAll(): void {
    for (const connection of [...this.#connections.values()]) {
      connection.raw.destroy()
      this.#close(connection)
    }
  }

  #close(connection: Connection): void {
    if (!this.#connections.has(connection.id)) return
    connection.alive = false
    this.#connections.delete(connection.id)
    if (this.#connections.size === 0 && this.#timer !== undefined) {
      this.#ctx.clock.clearTimeout(this.#timer)
      this.#timer = undefined
    }
    this.#maybeStopFeed()
  }

  #maybeStopFeed(): void {
    if (this.#unsubscribe === undefined) return
    for (const connection of this.#connections.values()) if (connection.subscriptions.size > 0) return
    this.#unsubscribe()
    this.#unsubscribe = undefined
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return
    const clock = this.#ctx.clock
    const interval = Math.max(1, this.#ctx.config.ssePingInterval)
    const tick = () => {
      this.#timer = undefined
      if (this.#connections.size === 0) return
      this.#timer = clock.setTimeout(tick, interval)
      const data = { ping: clock.now() }
      for (const connection of [...this.#connections.values()]) this.#send(connection, 'ping', data)
    }
    this.#timer = clock.setTimeout(tick, interval)
  }

  /** Writes a frame; a connection whose unflushed bytes exceed its bound is destroyed. */
  #send(connection: Connection, event: string, data: unknown): void {
    if (!connection.alive) return
    const { raw } = connection
    if (raw.destroyed || raw.writableEnded) {
      this.#close(connection)
      return
    }
    raw.write(frame(event, data))
    if (raw.writableLength > connection.maxBuffer) {
      raw.destroy()
      this.#close(connection)
    }
  }

  /** The connection's user as it is now (ACLs and permission may change while it is open). */
  #viewerOf(connection: Connection): Viewer {
    const current = this.#ctx.store.get(connection.user.id)
    return this.#kit.viewerOf(current?.type === 'user' ? (current as UserObject) : connection.user)
  }

  #serve(collection: string, object: XoObject): Served {
    const ctx = this.#ctx
    if (collection === 'alarm') return parseAlarm(ctx.store, object, ctx.restBase)
    if (collection === 'task') {
      const { type: _type, ...rest } = object
      return rest
    }
    return object
  }

  #onChange(change: Change): void {
    const after = change.kind === 'remove' ? undefined : change.object
    const before = change.kind === 'add' ? undefined : change.kind === 'remove' ? change.object : change.previous
    const afterCollection = after === undefined ? undefined : collectionOf(after)
    const beforeCollection = before === undefined ? undefined : collectionOf(before)
    if (afterCollection === undefined && beforeCollection === undefined) return
    for (const connection of [...this.#connections.values()]) {
      if (connection.subscriptions.size === 0) continue
      const viewer = this.#viewerOf(connection)
      for (const collection of new Set([afterCollection, beforeCollection])) {
        if (collection === undefined) continue
        const subscription = connection.subscriptions.get(collection)
        if (subscription === undefined) continue
        const access = accessOf(collection)
        const visibleBefore = before !== undefined && beforeCollection === collection && viewer.canRead(before, access)
        const visibleAfter = after !== undefined && afterCollection === collection && viewer.canRead(after, access)
        if (visibleAfter) {
          const served = this.#serve(collection, after)
          const data = subscription.pick === undefined ? served : subscription.pick(served)
          if (visibleBefore) {
            if (subscription.pick !== undefined && jsonEqual(data, subscription.pick(this.#serve(collection, before)))) continue
            this.#send(connection, 'update', { $subscription: collection, ...data })
          } else {
            // tasks only ever emit update/remove (XO's task emitter has no add)
            this.#send(connection, collection === 'task' ? 'update' : 'add', { $subscription: collection, ...data })
          }
        } else if (visibleBefore) {
          const served = this.#serve(collection, before)
          this.#send(connection, 'remove', { $subscription: collection, ...(subscription.pick === undefined ? served : subscription.pick(served)) })
        }
        if (!connection.alive) break
      }
    }
  }
}

/** lodash `pick` (project.ts, without the href). */
function picker(fields: readonly string[]): (object: Served) => Served {
  const project = compileProjection(fields.join(','))
  return (object) => {
    const { href: _href, ...picked } = project(object, '') as Record<string, unknown>
    return picked
  }
}

// --- validation (tsoa's messages) -----------------------------------------------------------------

const ENUM_MESSAGE = `should be one of the following; ['${EVENT_COLLECTIONS.join("','")}']`

function checkCollection(key: string, value: unknown, errors: Record<string, FieldError>): string | undefined {
  if (value === undefined) {
    errors[key] = { message: `'${key.split('.').pop()!}' is required` }
    return undefined
  }
  if (typeof value !== 'string' || !COLLECTION_SET.has(value)) {
    errors[key] = { message: ENUM_MESSAGE, value }
    return undefined
  }
  return value
}

/** `{collection, fields?}` with throw-on-extras; a non-JSON body counts as `{}` (like Express). */
function parseSubscriptionBody(body: unknown): { collection: string; fields: Fields } {
  const object = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
  const errors: Record<string, FieldError> = {}
  const collection = checkCollection('body.collection', object.collection, errors)
  const rawFields = object.fields
  let fields: Fields = '*'
  if (rawFields !== undefined) {
    if (rawFields === '*') fields = '*'
    else if (Array.isArray(rawFields) && rawFields.every((field) => typeof field === 'string')) fields = rawFields as string[]
    else errors['body.fields'] = { message: 'Value does not match any allowed schema', value: rawFields }
  }
  const extras = Object.keys(object).filter((key) => key !== 'collection' && key !== 'fields')
  if (extras.length > 0) {
    errors.body = { message: `"${extras.join(',')}" is an excess property and therefore is not allowed`, value: object }
  }
  if (collection === undefined || Object.keys(errors).length > 0) throw new ValidationError(errors)
  return { collection, fields }
}

// --- routes ---------------------------------------------------------------------------------------

type SubscriptionRequest = FastifyRequest<{ Params: { id: string } }>
type UnsubscriptionRequest = FastifyRequest<{ Params: { id: string; subscriptionId: string } }>

export async function registerEventRoutes(scope: FastifyInstance, kit: RestKit): Promise<void> {
  const hub = new EventHub(kit)
  scope.addHook('onClose', (_instance, done) => {
    hub.closeAll()
    done()
  })

  scope.get('/events', (request: FastifyRequest, reply: FastifyReply) => {
    const user = requestUser(request)
    reply.hijack()
    hub.open(user, reply.raw)
  })

  // XO's `json()` body parser: only JSON bodies are read (anything else counts as `{}`), malformed → 500
  await jsonBodyScope(scope, (child) => {
    child.post('/events/:id/subscriptions', (request: SubscriptionRequest, reply: FastifyReply) => {
      requestUser(request)
      const { collection, fields } = parseSubscriptionBody(request.body)
      hub.subscribe(request.params.id, collection, fields)
      return reply.code(201).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ id: collection }, null, 2))
    })
  })

  scope.delete('/events/:id/subscriptions/:subscriptionId', (request: UnsubscriptionRequest, reply: FastifyReply) => {
    requestUser(request)
    const errors: Record<string, FieldError> = {}
    const collection = checkCollection('subscriptionId', request.params.subscriptionId, errors)
    if (collection === undefined) throw new ValidationError(errors)
    hub.unsubscribe(request.params.id, collection)
    return reply.code(204).send()
  })
}

export const eventRoutes: RestPlugin = (scope, kit) => registerEventRoutes(scope, kit)
