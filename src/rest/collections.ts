/**
 * The collections of `/rest/v0` (reference §2): for each URL segment, the store type(s) behind it,
 * which stored objects belong to it, how an object is served, the XO type named by its 404, the ACL
 * resource named by its 403, its access rule (permissions.ts) and its sub-collections.
 */
import type { MockContext } from '../context.js'
import { serializeUser } from '../domain/auth.js'
import { obfuscateUrl } from '../domain/remote.js'
import { serializeServer, type ServerObject } from '../domain/server.js'
import type { XoObject } from '../inventory/types.js'
import { isAlarm, parseAlarm } from './alarms.js'
import type { Access } from './permissions.js'

export type Served = Readonly<Record<string, unknown>>

export type SubCollectionName =
  | 'alarms'
  | 'messages'
  | 'tasks'
  | 'vdis'
  | 'groups'
  | 'users'
  // registered by reads.ts
  | 'backup-jobs'
  | 'acl-privileges'
  | 'acl-roles'
  | 'privileges'

export interface CollectionDef {
  /** URL segment: `vms`. */
  readonly name: string
  /** Store types listed, in this order. */
  readonly types: readonly string[]
  /** Type named by 404s: `no such VM <id>`. */
  readonly xoType: string
  /** Resource named by 403 `missingPrivileges`. */
  readonly resource: string
  readonly access: Access
  /** Keeps only some stored objects of `types` (messages vs alarms, backup job kinds). */
  readonly include?: (object: XoObject) => boolean
  /** The object as XO serves it. */
  readonly serialize: (object: XoObject, ctx: MockContext) => Served
  readonly subCollections: readonly SubCollectionName[]
  /**
   * Whether finished bodies may be cached until the next store change. False for tasks, whose list
   * a server-side clock may move (progress, `updatedAt`) in future task runners.
   */
  readonly cacheable: boolean
}

const asIs = (object: XoObject): Served => object

/** XO-side records are stored with the store's `type`; XO does not serve it. */
const withoutStoreType = (object: XoObject): Served => {
  const { type: _type, ...rest } = object
  return rest
}

export const BACKUP_JOB_TYPES: readonly string[] = ['backup', 'metadataBackup', 'mirrorBackup']

/**
 * The XO type of a stored `job` (`backup` | `metadataBackup` | `mirrorBackup` | `call`): the store's
 * `type` field is `job`, so the XO one is kept in `jobType` (default `backup`).
 */
export function jobTypeOf(object: XoObject): string {
  return typeof object.jobType === 'string' ? object.jobType : 'backup'
}

const serializeJob = (object: XoObject): Served => {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(object)) {
    if (key === 'jobType') continue
    out[key] = key === 'type' ? jobTypeOf(object) : object[key]
  }
  return out
}

/** Backup repositories: the URL's password obfuscated like XO's `obfuscateRemote`. */
const serializeRemote = (object: XoObject): Served => {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(object)) {
    if (key === 'type') continue
    const value = object[key]
    out[key] = key === 'url' && typeof value === 'string' ? obfuscateUrl(value) : value
  }
  return out
}

/**
 * The store also holds XAPI task records (`{name_label, status, progress, …}`, no `properties`); the
 * REST API lists XO's task log only.
 */
const isXoTask = (object: XoObject): boolean => object.properties !== undefined || !('name_label' in object)

const XAPI_SUBS: readonly SubCollectionName[] = ['alarms', 'messages', 'tasks']
const VM_SUBS: readonly SubCollectionName[] = ['alarms', 'vdis', 'messages', 'tasks']

function xapi(name: string, type: string, subCollections: readonly SubCollectionName[] = XAPI_SUBS): CollectionDef {
  return { name, types: [type], xoType: type, resource: type.toLowerCase(), access: 'acl', serialize: asIs, subCollections, cacheable: true }
}

function xoSide(
  name: string,
  type: string,
  xoType: string,
  resource: string,
  options: Partial<Pick<CollectionDef, 'access' | 'include' | 'serialize' | 'subCollections' | 'cacheable'>> = {},
): CollectionDef {
  return {
    name,
    types: [type],
    xoType,
    resource,
    access: 'admin',
    serialize: withoutStoreType,
    subCollections: [],
    cacheable: true,
    ...options,
  }
}

export function createCollections(ctx: MockContext): ReadonlyMap<string, CollectionDef> {
  const list: CollectionDef[] = [
    xapi('vms', 'VM', VM_SUBS),
    xapi('vm-templates', 'VM-template', VM_SUBS),
    xapi('vm-snapshots', 'VM-snapshot', VM_SUBS),
    xapi('vm-controllers', 'VM-controller', VM_SUBS),
    xapi('hosts', 'host'),
    xapi('pools', 'pool'),
    xapi('srs', 'SR'),
    xapi('vdis', 'VDI'),
    xapi('vdi-snapshots', 'VDI-snapshot'),
    xapi('vbds', 'VBD'),
    xapi('vifs', 'VIF'),
    xapi('networks', 'network'),
    xapi('pifs', 'PIF'),
    xapi('pbds', 'PBD', []),
    xapi('pcis', 'PCI', []),
    xapi('pgpus', 'PGPU', []),
    xapi('sms', 'SM', []),
    { ...xapi('messages', 'message', []), include: (object) => !isAlarm(object) },
    {
      ...xapi('alarms', 'message', []),
      xoType: 'alarm',
      resource: 'alarm',
      include: isAlarm,
      serialize: (object) => parseAlarm(ctx.store, object, ctx.restBase),
    },
    xoSide('tasks', 'task', 'task', 'task', { access: 'owner', include: isXoTask, cacheable: false }),
    xoSide('users', 'user', 'user', 'user', { access: 'self', serialize: serializeUser, subCollections: ['groups', 'tasks'] }),
    xoSide('groups', 'group', 'group', 'group', { subCollections: ['users', 'tasks'] }),
    // no password; pool name and master when connected (as `server.getAll`)
    xoSide('servers', 'server', 'xenServer', 'server', {
      serialize: (object) => serializeServer(ctx, object as ServerObject),
      subCollections: ['tasks'],
    }),
    xoSide('schedules', 'schedule', 'schedule', 'schedule'),
    xoSide('proxies', 'proxy', 'proxy', 'proxy'),
    xoSide('backup-jobs', 'job', 'backup-job', 'backup-job', {
      include: (object) => BACKUP_JOB_TYPES.includes(jobTypeOf(object)),
      serialize: serializeJob,
    }),
    xoSide('backup-logs', 'backupLog', 'backup-log', 'backup-log'),
    xoSide('restore-logs', 'restoreLog', 'restore-log', 'restore-log'),
    xoSide('backup-repositories', 'remote', 'remote', 'backup-repository', { serialize: serializeRemote }),
  ]
  return new Map(list.map((def) => [def.name, def]))
}

/** The stored objects of a collection, lazily, in store order. */
export function* objectsOf(ctx: MockContext, def: CollectionDef): Generator<XoObject> {
  const include = def.include
  for (const type of def.types) {
    for (const object of ctx.store.ofType(type)) {
      if (include === undefined || include(object)) yield object
    }
  }
}

/** The stored object of a collection with this id (or XAPI ref), else undefined. */
export function findIn(ctx: MockContext, def: CollectionDef, id: string): XoObject | undefined {
  const object = ctx.store.resolve(id)
  if (object === undefined || !def.types.includes(object.type)) return undefined
  return def.include === undefined || def.include(object) ? object : undefined
}

export interface SubCollectionDef {
  readonly name: SubCollectionName
  /** Item rule for non-admins (the route check on the parent has already passed). */
  readonly access: Access
  readonly cacheable: boolean
  /** The parent's stored items, lazily, in store order. */
  items(ctx: MockContext, parent: XoObject): Iterable<XoObject>
  /** The collection an item belongs to: its shape and its href `/rest/v0/<collection>/<id>`. */
  targetOf(item: XoObject): CollectionDef
}

/** Whether a task is about this object (`base-controller.mts` `getTasksForObject`). */
function isTaskOf(task: XoObject, id: string): boolean {
  const properties = task.properties as { objectId?: unknown; params?: { id?: unknown } } | undefined
  return properties?.objectId === id || properties?.params?.id === id
}

function isAbout(message: XoObject, parent: XoObject): boolean {
  const about = message.$object
  return about === parent.uuid || about === parent.id
}

function includes(list: unknown, value: string): boolean {
  return Array.isArray(list) && list.includes(value)
}

export function createSubCollections(collections: ReadonlyMap<string, CollectionDef>): ReadonlyMap<SubCollectionName, SubCollectionDef> {
  const get = (name: string): CollectionDef => collections.get(name)!
  const alarms = get('alarms')
  const messages = get('messages')
  const tasks = get('tasks')
  const vdis = get('vdis')
  const vdiSnapshots = get('vdi-snapshots')
  const groups = get('groups')
  const users = get('users')

  const list: SubCollectionDef[] = [
    {
      name: 'alarms',
      access: 'acl',
      cacheable: true,
      *items(ctx, parent) {
        for (const message of objectsOf(ctx, alarms)) if (isAbout(message, parent)) yield message
      },
      targetOf: () => alarms,
    },
    {
      name: 'messages',
      access: 'acl',
      cacheable: true,
      *items(ctx, parent) {
        for (const message of objectsOf(ctx, messages)) if (isAbout(message, parent)) yield message
      },
      targetOf: () => messages,
    },
    {
      name: 'tasks',
      access: 'owner',
      cacheable: false,
      *items(ctx, parent) {
        for (const task of objectsOf(ctx, tasks)) if (isTaskOf(task, parent.id)) yield task
      },
      targetOf: () => tasks,
    },
    {
      // the VM's disks through its VBDs (a snapshot's are VDI-snapshots), CD drives' ISOs included
      name: 'vdis',
      access: 'acl',
      cacheable: true,
      *items(ctx, parent) {
        const seen = new Set<string>()
        const vbds = Array.isArray(parent.$VBDs) ? (parent.$VBDs as unknown[]) : []
        for (const vbdId of vbds) {
          const vbd = typeof vbdId === 'string' ? ctx.store.get(vbdId) : undefined
          const vdiId = vbd?.VDI
          if (typeof vdiId !== 'string' || seen.has(vdiId)) continue
          const vdi = ctx.store.get(vdiId)
          if (vdi === undefined || (vdi.type !== 'VDI' && vdi.type !== 'VDI-snapshot')) continue
          seen.add(vdiId)
          yield vdi
        }
      },
      targetOf: (item) => (item.type === 'VDI-snapshot' ? vdiSnapshots : vdis),
    },
    {
      name: 'groups',
      access: 'any',
      cacheable: true,
      *items(ctx, parent) {
        for (const group of objectsOf(ctx, groups)) {
          if (includes(group.users, parent.id) || includes(parent.groups, group.id)) yield group
        }
      },
      targetOf: () => groups,
    },
    {
      name: 'users',
      access: 'any',
      cacheable: true,
      *items(ctx, parent) {
        for (const user of objectsOf(ctx, users)) {
          if (includes(parent.users, user.id) || includes(user.groups, parent.id)) yield user
        }
      },
      targetOf: () => users,
    },
  ]
  return new Map(list.map((def) => [def.name, def]))
}

// --- legacy profile (`--api-profile legacy`, reference §4 "Legacy") -----------------------------

const LEGACY_XAPI_ROUTES = ['messages', 'alarms']
const LEGACY_VM_ROUTES = [...LEGACY_XAPI_ROUTES, 'vdis']

/**
 * The sub-routes the hand-written router advertised on single objects as `<route>_href` keys (route
 * name up to its first dot: `audit.txt` → `audit_href`), in its order. Messages and alarms had none.
 */
const LEGACY_ROUTES: Readonly<Record<string, readonly string[]>> = {
  hosts: [...LEGACY_XAPI_ROUTES, 'audit.txt', 'logs.tgz', 'missing_patches', 'smt'],
  pools: [...LEGACY_XAPI_ROUTES, 'missing_patches'],
  networks: LEGACY_XAPI_ROUTES,
  pifs: LEGACY_XAPI_ROUTES,
  srs: LEGACY_XAPI_ROUTES,
  vbds: LEGACY_XAPI_ROUTES,
  vdis: LEGACY_XAPI_ROUTES,
  'vdi-snapshots': LEGACY_XAPI_ROUTES,
  vifs: LEGACY_XAPI_ROUTES,
  vms: LEGACY_VM_ROUTES,
  'vm-controllers': LEGACY_VM_ROUTES,
  'vm-snapshots': LEGACY_VM_ROUTES,
  'vm-templates': LEGACY_VM_ROUTES,
  groups: ['users'],
  users: ['authentication_tokens', 'groups'],
}

export function legacyRoutesOf(collection: string): readonly string[] {
  return LEGACY_ROUTES[collection] ?? []
}
