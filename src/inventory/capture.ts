/**
 * Imports captures of a real XO: a REST snapshot (`{ "vms": [...], "hosts": [...], … }` as
 * `GET /rest/v0/<collection>?fields=*` returned them) or an `xo.getAllObjects` dump (`{ "<id>": {…} }`).
 * Captured objects are taken as they are (back-references included): structural errors fail, dangling
 * references (a template, user, VM or SR that was not captured) are kept and reported as warnings.
 */
import { cloneJson } from './freeze.js'
import { isXapiType, type XoObject } from './types.js'
import { checkInvariants, InventoryError, joinPath, quote } from './validate.js'

/** REST collection → store type. `null`: a known collection that cannot be imported (skipped with a warning). */
export const COLLECTION_TYPES: Readonly<Record<string, string | null>> = Object.freeze({
  vms: 'VM',
  'vm-templates': 'VM-template',
  'vm-snapshots': 'VM-snapshot',
  'vm-controllers': 'VM-controller',
  hosts: 'host',
  pools: 'pool',
  srs: 'SR',
  vdis: 'VDI',
  'vdi-snapshots': 'VDI-snapshot',
  vbds: 'VBD',
  vifs: 'VIF',
  networks: 'network',
  pifs: 'PIF',
  pbds: 'PBD',
  pcis: 'PCI',
  pgpus: 'PGPU',
  sms: 'SM',
  messages: 'message',
  alarms: 'message',
  users: 'user',
  groups: 'group',
  servers: 'server',
  tasks: 'task',
  schedules: 'schedule',
  proxies: 'proxy',
  'backup-repositories': 'remote',
  'backup-logs': 'backupLog',
  'restore-logs': 'restoreLog',
  'backup-archives': 'backupArchive',
  'acl-roles': 'aclRole',
  'acl-privileges': 'aclPrivilege',
  // backup jobs have their own `type` (backup, metadataBackup, mirrorBackup), which the store uses for the object type
  'backup-jobs': null,
})

export type CaptureFormat = 'rest' | 'getAllObjects'

export interface ImportedCapture {
  readonly objects: XoObject[]
  readonly warnings: string[]
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** `rest` when the values are arrays, `getAllObjects` when they are objects (an empty document is a dump). */
export function detectCaptureFormat(doc: Record<string, unknown>): CaptureFormat {
  for (const value of Object.values(doc)) if (Array.isArray(value)) return 'rest'
  return 'getAllObjects'
}

/**
 * Converts a parsed REST alarm (`body {value, name}`, `object {type, uuid}`, time in ms) back into the
 * XAPI message it was parsed from (body as perfmon writes it, time in seconds).
 */
export function alarmToMessage(alarm: Record<string, unknown>): Record<string, unknown> {
  const { body, object, time, href: _href, ...rest } = alarm
  let text: string
  if (isPlainObject(body)) {
    const value = typeof body.value === 'string' ? body.value : String(body.value)
    const name = typeof body.name === 'string' ? body.name : ''
    if (rest.name === 'ALARM') {
      const ratio = Number(value)
      const shown = Number.isFinite(ratio) ? (ratio / 100).toFixed(6) : value
      text = `value: ${shown}\nconfig:\n<variable>\n\t<name value="${name}"/>\n</variable>`
    } else {
      text = name
    }
  } else {
    text = typeof body === 'string' ? body : ''
  }
  const $object = isPlainObject(object) && typeof object.uuid === 'string' ? object.uuid : undefined
  const message: Record<string, unknown> = {
    body: text,
    name: rest.name,
    time: typeof time === 'number' ? Math.floor(time / 1000) : time,
    $object,
  }
  for (const [key, value] of Object.entries(rest)) if (!(key in message)) message[key] = value
  message.type = 'message'
  return message
}

/**
 * Imports a capture. `owned` tells whether `doc` may be frozen by the store (a document parsed by the
 * loader) or must be copied (a document passed by a caller).
 */
export function importCapture(doc: Record<string, unknown>, file: string, owned: boolean): ImportedCapture {
  const format = detectCaptureFormat(doc)
  const objects: XoObject[] = []
  const origins: string[] = []
  const warnings: string[] = []
  const seen = new Map<string, string>()
  const fail = (path: string, reason: string): never => {
    throw new InventoryError(file, path, reason)
  }
  const add = (object: Record<string, unknown>, path: string): void => {
    const id = object.id as string
    const previous = seen.get(id)
    if (previous !== undefined) fail(joinPath(path, 'id'), `duplicate id ${quote(id)} (also ${previous})`)
    seen.set(id, path)
    objects.push((owned ? object : cloneJson(object)) as XoObject)
    origins.push(path)
  }
  const checkIdentity = (value: unknown, path: string): Record<string, unknown> => {
    if (!isPlainObject(value)) return fail(path, `expected an object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}`)
    if (typeof value.id !== 'string' || value.id === '') return fail(joinPath(path, 'id'), value.id === undefined ? 'required key missing' : `expected a non-empty string, got ${quote(value.id)}`)
    return value
  }

  if (format === 'rest') {
    const skipped: string[] = []
    const alarms: { alarm: Record<string, unknown>; path: string }[] = []
    for (const [collection, list] of Object.entries(doc)) {
      if (!(collection in COLLECTION_TYPES)) return fail(collection, `unknown collection name ${quote(collection)}`)
      if (!Array.isArray(list)) return fail(collection, `expected an array of objects`)
      const type = COLLECTION_TYPES[collection]
      if (type === null || type === undefined) {
        if (list.length > 0) skipped.push(collection)
        continue
      }
      list.forEach((item, i) => {
        const path = joinPath(collection, i)
        const object = checkIdentity(item, path)
        const { href: _href, ...fields } = object
        if (collection === 'alarms') {
          alarms.push({ alarm: fields, path })
          return
        }
        if (isXapiType(type) || fields.type !== undefined) {
          if (fields.type === undefined) fail(joinPath(path, 'type'), 'required key missing')
          if (fields.type !== type) fail(joinPath(path, 'type'), `expected ${quote(type)} in ${collection}, got ${quote(fields.type)}`)
        }
        const record: Record<string, unknown> = isXapiType(type) ? fields : { ...fields, type }
        if (type === 'user' && 'pw_hash' in record) delete record.pw_hash
        add(record, path)
      })
    }
    for (const { alarm, path } of alarms) {
      if (seen.has(alarm.id as string)) continue // the message itself was captured
      add(alarmToMessage(alarm), path)
    }
    if (skipped.length > 0) warnings.push(`${file}: ${skipped.join(', ')}: not imported (no store type for these collections)`)
  } else {
    let xapiTasks = 0
    for (const [key, value] of Object.entries(doc)) {
      const path = `[${JSON.stringify(key)}]`
      const object = checkIdentity(value, path)
      if (object.id !== key) fail(joinPath(path, 'id'), `id ${quote(object.id)} does not match its key`)
      if (typeof object.type !== 'string' || object.type === '') {
        fail(joinPath(path, 'type'), object.type === undefined ? 'required key missing' : `expected a non-empty string, got ${quote(object.type)}`)
      }
      if (object.type === 'task') {
        xapiTasks++ // XAPI tasks are transient and would collide with XO tasks
        continue
      }
      add(object, path)
    }
    if (xapiTasks > 0) warnings.push(`${file}: ${xapiTasks} XAPI task object(s) not imported (transient, and XO tasks use that type)`)
  }

  const users = objects.filter((object) => object.type === 'user' && typeof object.password !== 'string').length
  if (users > 0) warnings.push(`${file}: users: ${users} captured user(s) have no password (XO never serves it): sign in with a token`)

  for (const problem of checkInvariants(objects, { pathOf: (index) => origins[index]! })) {
    warnings.push(`${file}: ${problem.path}: ${problem.reason} (kept as is)`)
  }
  return { objects, warnings }
}
