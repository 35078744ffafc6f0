/**
 * Backup remotes (`api/remote.mjs`, `xo-mixins/remotes.mjs`): `{id, name, url, enabled, error,
 * options?, proxy?, benchmarks?}`. Served remotes have their URL password obfuscated and
 * `supportFileRestore` (false for S3); an obfuscated password sent back by `remote.set` keeps the
 * stored one. Tests and infos are simulated (no I/O): every enabled remote works.
 */
import type { MockContext } from '../context.js'
import type { XoObject } from '../inventory/types.js'
import { noSuchObject, PlainError } from './errors.js'
import { base64url, fnv1a } from './pool.js'

export interface RemoteBenchmark {
  readonly readRate: number
  readonly timestamp: number
  readonly writeRate: number
}

export interface RemoteObject extends XoObject {
  readonly type: 'remote'
  readonly name: string
  readonly url: string
  readonly enabled: boolean
  readonly error?: unknown
  readonly options?: string
  readonly proxy?: string
  readonly benchmarks?: readonly RemoteBenchmark[]
}

const OBFUSCATED_PREFIX = 'obfuscated-'
/** `<scheme>://<user>:<password>@…` */
const CREDENTIALS_RE = /^([a-z0-9]+:\/\/[^:@/]*:)([^@]*)(@.*)$/i

function obfuscatedValue(password: string): string {
  const bytes = new Uint8Array(15)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < 3; i++) view.setUint32(i * 4, fnv1a(password, 0x811c9dc5 + i))
  return OBFUSCATED_PREFIX + base64url(bytes).slice(0, 20)
}

/** The URL with its password replaced by an obfuscated marker. */
export function obfuscateUrl(url: string): string {
  const match = CREDENTIALS_RE.exec(url)
  return match === null || match[2] === '' ? url : `${match[1]}${obfuscatedValue(match[2]!)}${match[3]}`
}

/** A remote as XO serves it (`obfuscateRemote`). */
export function serializeRemote(remote: RemoteObject): Record<string, unknown> {
  const { type: _type, url, ...rest } = remote
  return { ...rest, supportFileRestore: !url.startsWith('s3:'), url: obfuscateUrl(url) }
}

export function getRemoteRecord(ctx: MockContext, id: string): RemoteObject {
  const remote = ctx.store.get(id)
  if (remote === undefined || remote.type !== 'remote') throw noSuchObject(id, 'remote')
  return remote as RemoteObject
}

/** `remote.get`. */
export const getRemote = (ctx: MockContext, id: string) => serializeRemote(getRemoteRecord(ctx, id))

/** `remote.getAll`. */
export function getAllRemotes(ctx: MockContext): Array<Record<string, unknown>> {
  return [...ctx.store.ofType<RemoteObject>('remote')].map(serializeRemote)
}

/** `remote.create`: created enabled; returns the stored record (URL not obfuscated, as XO). */
export function createRemote(ctx: MockContext, props: { name: string; url: string; options?: string; proxy?: string }): Record<string, unknown> {
  const remote = ctx.store.add<RemoteObject>({
    id: ctx.ids.uuid(),
    type: 'remote',
    enabled: true,
    error: '',
    name: props.name,
    ...(props.proxy === undefined ? {} : { proxy: props.proxy }),
    url: props.url,
    ...(props.options === undefined ? {} : { options: props.options }),
  })
  const { type: _type, ...record } = remote
  return record
}

export interface RemoteSettings {
  readonly enabled?: boolean
  readonly name?: string
  /** null removes them. */
  readonly options?: string | null
  readonly proxy?: string | null
  readonly url?: string
}

/** `remote.set` (XO's `patch`; an obfuscated password in `url` keeps the stored password). */
export function setRemote(ctx: MockContext, id: string, settings: RemoteSettings): RemoteObject {
  const remote = getRemoteRecord(ctx, id)
  const patch: Record<string, unknown> = {}
  if (typeof settings.url === 'string') {
    const next = CREDENTIALS_RE.exec(settings.url)
    const current = CREDENTIALS_RE.exec(remote.url)
    patch.url =
      next !== null && current !== null && next[2]!.startsWith(OBFUSCATED_PREFIX) ? `${next[1]}${current[2]}${next[3]}` : settings.url
  }
  for (const key of ['enabled', 'name', 'options', 'proxy'] as const) {
    const value = settings[key]
    if (value !== undefined) patch[key] = value ?? undefined
  }
  return ctx.store.update<RemoteObject>(remote.id, patch)
}

/** `remote.delete`: deleting an unknown id is silent. */
export function deleteRemote(ctx: MockContext, id: string): void {
  if (ctx.store.get(id)?.type === 'remote') ctx.store.remove(id)
}

/**
 * `remote.test`: a disabled remote is a plain error `remote is disabled`; otherwise the simulated
 * read/write test succeeds (`{success: true}`) and a benchmark is recorded (50 kept).
 */
export function testRemote(ctx: MockContext, id: string): Record<string, unknown> {
  const remote = getRemoteRecord(ctx, id)
  if (!remote.enabled) throw new PlainError('remote is disabled')
  const benchmark: RemoteBenchmark = {
    readRate: 100e6 + ctx.ids.random.int(0, 50e6),
    timestamp: ctx.clock.now(),
    writeRate: 80e6 + ctx.ids.random.int(0, 40e6),
  }
  ctx.store.update(remote.id, { error: undefined, benchmarks: [...(remote.benchmarks ?? []).slice(-49), benchmark] })
  return { success: true }
}

/** `remote.getAllInfo`: `{<remoteId>: {size, used, available}}` for enabled remotes (simulated, 1 TiB each). */
export function getAllRemotesInfo(ctx: MockContext): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {}
  const size = 2 ** 40
  for (const remote of ctx.store.ofType<RemoteObject>('remote')) {
    if (!remote.enabled) continue
    const info = (remote.info ?? {}) as Record<string, number>
    const used = typeof info.used === 'number' ? info.used : 0
    const total = typeof info.size === 'number' ? info.size : size
    out[remote.id] = { available: total - used, size: total, used }
  }
  return out
}
