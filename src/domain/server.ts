/**
 * XO's pool connections, "servers" (`api/server.mjs`, `xo-mixins/xen-servers.mjs`, `models/server.mjs`):
 * `{id, host, label?, username, password, enabled, readOnly, allowUnauthorized, httpProxy?, status,
 * poolId?, error?}`; `server.getAll` hides the password and adds the pool's name when connected.
 *
 * Connecting is simulated: a server connects when its `host` (scheme, port and path ignored) is the
 * address or hostname of a host of the inventory whose pool no other server is connected to.
 * Otherwise the connection fails and the error is recorded (`status: 'disconnected'`).
 *
 * Mock simplification: connecting and disconnecting do not add or remove the pool's objects (real XO
 * makes them enter / exit); a disconnected server leaves its pool's objects in place.
 */
import type { MockContext } from '../context.js'
import type { HostObject, XoObject } from '../inventory/types.js'
import { incorrectState, noSuchObject, PlainError } from './errors.js'
import type { PoolObject } from './pool.js'

export type ServerStatus = 'connected' | 'connecting' | 'disconnected'

export interface ServerObject extends XoObject {
  readonly type: 'server'
  readonly host: string
  readonly label?: string
  readonly username: string
  readonly password?: string
  readonly enabled: boolean
  readonly readOnly: boolean
  readonly allowUnauthorized: boolean
  readonly httpProxy?: string
  readonly status: ServerStatus
  readonly poolId?: string
  readonly error?: unknown
}

export function getServer(ctx: MockContext, id: string): ServerObject {
  const server = ctx.store.get(id)
  if (server === undefined || server.type !== 'server') throw noSuchObject(id, 'xenServer')
  return server as ServerObject
}

/** A server as `server.getAll` returns it: no password, pool name when connected. */
export function serializeServer(ctx: MockContext, server: ServerObject): Record<string, unknown> {
  const { type: _type, password: _password, poolNameLabel: _label, poolNameDescription: _description, master: _master, ...rest } = server
  const out: Record<string, unknown> = { ...rest, status: server.status ?? 'disconnected' }
  if (out.status !== 'connected') delete out.poolId
  else if (server.poolId !== undefined) {
    const pool = ctx.store.get(server.poolId) as PoolObject | undefined
    if (pool !== undefined) {
      out.poolNameLabel = pool.name_label
      out.poolNameDescription = pool.name_description
      out.master = pool.master
    }
  }
  return out
}

/** `server.getAll`. */
export function getAllServers(ctx: MockContext): Array<Record<string, unknown>> {
  return [...ctx.store.ofType<ServerObject>('server')].map((server) => serializeServer(ctx, server))
}

/** The bare host name of a server address (`https://user@host:443/path` → `host`). */
export function hostnameOf(address: string): string {
  let value = address.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  value = value.replace(/^[^@/]*@/, '').replace(/\/.*$/, '')
  const ipv6 = /^\[([^\]]+)\]/.exec(value)
  if (ipv6 !== null) return ipv6[1]!.toLowerCase()
  return value.replace(/:\d+$/, '').toLowerCase()
}

function findPoolOfAddress(ctx: MockContext, address: string): string | undefined {
  const wanted = hostnameOf(address)
  for (const host of ctx.store.ofType<HostObject>('host')) {
    for (const candidate of [host.address, host.hostname]) {
      if (typeof candidate === 'string' && candidate.toLowerCase() === wanted) return host.$pool
    }
  }
  return undefined
}

/** `connectXenServer`: `status` becomes `connected` (with `poolId`), or the error is recorded. */
export function connectServer(ctx: MockContext, id: string): ServerObject {
  const server = getServer(ctx, id)
  if (server.status !== undefined && server.status !== 'disconnected') {
    throw incorrectState({ actual: server.status, expected: 'disconnected', object: server.id, property: 'status' })
  }
  const poolId = findPoolOfAddress(ctx, server.host)
  if (poolId === undefined) {
    const host = hostnameOf(server.host)
    return ctx.store.update<ServerObject>(server.id, {
      status: 'disconnected',
      poolId: undefined,
      error: { code: 'ECONNREFUSED', message: `connect ECONNREFUSED ${host}:443`, name: 'Error' },
    })
  }
  const other = [...ctx.store.ofType<ServerObject>('server')].find((s) => s.id !== server.id && s.status === 'connected' && s.poolId === poolId)
  if (other !== undefined) {
    return ctx.store.update<ServerObject>(server.id, {
      status: 'disconnected',
      poolId: undefined,
      error: { message: 'this pool is already connected', name: 'PoolAlreadyConnected', poolId, connectedServerId: other.id, connectingServerId: server.id },
    })
  }
  return ctx.store.update<ServerObject>(server.id, { status: 'connected', poolId, error: undefined })
}

export interface AddServerOptions {
  readonly host: string
  readonly username: string
  readonly password: string
  readonly label?: string
  readonly allowUnauthorized?: boolean
  readonly readOnly?: boolean
  readonly httpProxy?: string
  /** Default true. */
  readonly autoConnect?: boolean
}

/** `server.add`: a duplicate host is a plain error `server already exists`. Returns the new server. */
export function addServer(ctx: MockContext, options: AddServerOptions): ServerObject {
  for (const server of ctx.store.ofType<ServerObject>('server')) {
    if (server.host === options.host) throw new PlainError('server already exists')
  }
  const server = ctx.store.add<ServerObject>({
    id: ctx.ids.uuid(),
    type: 'server',
    allowUnauthorized: options.allowUnauthorized ?? false,
    enabled: true,
    host: options.host,
    ...(options.httpProxy === undefined ? {} : { httpProxy: options.httpProxy }),
    ...(options.label === undefined ? {} : { label: options.label }),
    password: options.password,
    readOnly: options.readOnly ?? false,
    username: options.username,
    status: 'disconnected',
  })
  return options.autoConnect === false ? server : connectServer(ctx, server.id)
}

/** `server.remove`: unknown id → code 1 `no such xenServer`. */
export function removeServer(ctx: MockContext, id: string): void {
  ctx.store.remove(getServer(ctx, id).id)
}

export interface ServerSettings {
  readonly label?: string | null
  readonly host?: string
  readonly username?: string
  readonly password?: string
  readonly allowUnauthorized?: boolean
  readonly readOnly?: boolean
  readonly httpProxy?: string | null
  readonly enabled?: boolean
}

/**
 * `server.set` (`updateXenServer`): connection settings (host, credentials, allowUnauthorized,
 * httpProxy) need the server disconnected (plain error otherwise). An empty label removes it.
 */
export function setServer(ctx: MockContext, id: string, settings: ServerSettings): ServerObject {
  const server = getServer(ctx, id)
  const requireDisconnected =
    settings.allowUnauthorized !== undefined ||
    settings.host !== undefined ||
    settings.password !== undefined ||
    settings.username !== undefined ||
    settings.httpProxy !== undefined
  if (requireDisconnected && (server.status ?? 'disconnected') !== 'disconnected') {
    throw new PlainError('this entry require disconnecting the server to update it')
  }
  const patch: Record<string, unknown> = {}
  if (settings.label !== undefined) patch.label = settings.label || undefined
  if (settings.host) patch.host = settings.host
  if (settings.username) patch.username = settings.username
  if (settings.password) patch.password = settings.password
  if (settings.enabled !== undefined) patch.enabled = settings.enabled
  if (settings.readOnly !== undefined) patch.readOnly = settings.readOnly
  if (settings.allowUnauthorized !== undefined) patch.allowUnauthorized = settings.allowUnauthorized
  if (settings.httpProxy !== undefined) patch.httpProxy = settings.httpProxy ?? undefined
  return ctx.store.update<ServerObject>(server.id, patch)
}

/** `server.enable`: enabled, then connected (already connected → code 25 on `status`). */
export function enableServer(ctx: MockContext, id: string): ServerObject {
  const server = getServer(ctx, id)
  ctx.store.update(server.id, { enabled: true })
  return connectServer(ctx, server.id)
}

/**
 * `disconnectXenServer` (REST `servers/{id}/actions/disconnect`): the connection is closed, the
 * server stays enabled; already disconnected → code 25 on `status`.
 */
export function disconnectServer(ctx: MockContext, id: string): ServerObject {
  const server = getServer(ctx, id)
  const status = server.status ?? 'disconnected'
  if (status === 'disconnected') {
    throw incorrectState({ actual: status, expected: 'connected', object: server.id, property: 'status' })
  }
  return ctx.store.update<ServerObject>(server.id, { status: 'disconnected', poolId: undefined, error: undefined })
}

/** `server.disable`: disabled, then disconnected (already disconnected → code 25 on `status`). */
export function disableServer(ctx: MockContext, id: string): ServerObject {
  const server = getServer(ctx, id)
  ctx.store.update(server.id, { enabled: false })
  const status = server.status ?? 'disconnected'
  if (status === 'disconnected') {
    throw incorrectState({ actual: status, expected: 'connected', object: server.id, property: 'status' })
  }
  return ctx.store.update<ServerObject>(server.id, { status: 'disconnected', poolId: undefined })
}
