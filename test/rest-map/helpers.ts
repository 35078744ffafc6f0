/**
 * Helpers of the route-map / events / legacy tests: the REST test inventory (test/rest/helpers.ts)
 * plus the objects the extra routes read (backup jobs of every kind, schedules, logs, archives, RBAC
 * roles and privileges), a small SSE client over a real socket, and the validation of responses
 * against XO's OpenAPI spec (conformance tests).
 */
import http from 'node:http'
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import { XO_OPENAPI, type OpenApiSchema } from '../../src/rest/coverage.js'
import { createXoMock, ManualClock, type XoMock, type XoMockOptions } from '../../src/index.js'
import type { XoObject } from '../../src/inventory/types.js'
import { ADMIN, ADMIN_TOKEN, BOB, GROUP, POOL, VM_HALTED, VM_WEB1, buildObjects } from '../rest/helpers.js'

export * from '../rest/helpers.js'

type Obj = Record<string, unknown>

/** Reference objects (`reference/objects/*.json`) copied in `fixtures/`. */
function reference(name: string): Obj {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Obj
}

function fixture(name: string): Obj {
  return JSON.parse(readFileSync(new URL(`../rest/fixtures/${name}.json`, import.meta.url), 'utf8')) as Obj
}

export const BACKUP_JOB = (fixture('backup-job') as { id: string }).id
export const METADATA_JOB = 'b50f95fd-f6b7-4027-87b6-6a02c7dcd5f5'
export const MIRROR_JOB = 'e680c14c-ab52-45c8-bb0e-bd4ca12ea8f9'
export const VM_JOB = '5a0d1c7e-0000-4000-8000-00000000b0b0'
export const SCHEDULE_VM_JOB = '5a0d1c7e-0000-4000-8000-00000000c0c0'
export const REMOTE = (fixture('backup-repository') as { id: string }).id
export const ARCHIVE = `${REMOTE}/xo-vm-backups/${VM_HALTED}/20250918T132942Z.json`
export const ROLE = '784bd959-08de-4b26-b575-92ded5aef872'
export const PRIVILEGE = '6d16ac11-ad48-483a-a926-3d9655648b28'
export const BACKUP_LOG = (fixture('backup-log') as { id: string }).id
export const RESTORE_LOG = (fixture('restore-log') as { id: string }).id

/** The REST test inventory plus backups and RBAC objects. */
export function buildMapObjects(): XoObject[] {
  // the reference objects (XO's oa-examples) predate a few fields the 0.39 spec requires: add them
  const required: Readonly<Record<string, Obj>> = {
    'VM-template': { creation: { date: '2024-11-05T09:18:51.000Z', user: ADMIN } },
    'VM-controller': { creation: { date: '2024-11-05T09:18:51.000Z', user: ADMIN } },
    VDI: { chainPhysicalUsage: 0 },
    pool: { haRebootVmOnInternalShutdown: true },
    network: { isBonded: false },
  }
  const objects = (buildObjects() as Obj[]).map((object) => {
    const extra = required[String(object.type)]
    if (extra === undefined) return object
    const missing = Object.fromEntries(Object.entries(extra).filter(([key]) => !(key in object)))
    return { ...object, ...missing }
  })
  const metadata = reference('backup-job-metadata')
  const mirror = reference('backup-job-mirror')
  const archive = reference('backup-archive')
  const role = reference('acl-role')
  const privilege = reference('acl-privilege')
  objects.push(
    { ...metadata, type: 'job', jobType: metadata.type },
    { ...mirror, type: 'job', jobType: mirror.type },
    // a VM backup job of web-1 and the halted VM, with an enabled schedule and a successful run
    {
      id: VM_JOB,
      type: 'job',
      jobType: 'backup',
      name: 'nightly',
      mode: 'delta',
      vms: { id: { __or: [VM_WEB1, VM_HALTED] } },
      remotes: { id: REMOTE },
      settings: { '': { reportWhen: 'failure' }, [SCHEDULE_VM_JOB]: { exportRetention: 3 } },
      userId: ADMIN,
    },
    { id: SCHEDULE_VM_JOB, type: 'schedule', cron: '0 1 * * *', enabled: true, jobId: VM_JOB, name: 'nightly', timezone: 'Europe/Paris', userId: ADMIN },
    {
      id: '1767225600000',
      type: 'backupLog',
      jobId: VM_JOB,
      message: 'backup',
      scheduleId: SCHEDULE_VM_JOB,
      start: 1767225600000,
      end: 1767225660000,
      status: 'success',
      tasks: [{ id: 't1', message: 'backup VM', start: 1767225600000, end: 1767225660000, status: 'success', data: { id: VM_HALTED, type: 'VM' } }],
    },
    { ...archive, type: 'backupArchive', id: ARCHIVE, backupRepository: REMOTE, vm: { ...(archive.vm as Obj), uuid: VM_HALTED } },
    { ...role, type: 'aclRole', id: ROLE, userIds: [BOB], groupIds: [GROUP], privilegeIds: [PRIVILEGE] },
    { ...privilege, type: 'aclPrivilege', id: PRIVILEGE, roleId: ROLE },
  )
  return objects as XoObject[]
}

export type MapMock = XoMock & { clock: ManualClock }

export async function startMapMock(options: Partial<XoMockOptions> = {}, objects: XoObject[] = buildMapObjects()): Promise<MapMock> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const mock = await createXoMock({ inventory: { objects }, clock, token: ADMIN_TOKEN, port: 0, ...options })
  return Object.assign(mock, { clock })
}

export { POOL }

// --- SSE client ----------------------------------------------------------------------------------

export interface SseFrame {
  readonly event: string
  readonly data: Obj
  readonly raw: string
}

/** An SSE connection read frame by frame. */
export class SseClient {
  readonly frames: SseFrame[] = []
  closed = false
  #read = 0
  #buffer = ''
  #waiters: (() => void)[] = []

  constructor(
    readonly request: http.ClientRequest,
    readonly response: http.IncomingMessage,
  ) {
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => {
      this.#buffer += chunk
      let end: number
      while ((end = this.#buffer.indexOf('\n\n')) !== -1) {
        const raw = this.#buffer.slice(0, end + 2)
        this.#buffer = this.#buffer.slice(end + 2)
        const event = /^event: (.*)$/m.exec(raw)?.[1] ?? ''
        const data = /^data: (.*)$/m.exec(raw)?.[1] ?? 'null'
        this.frames.push({ event, data: JSON.parse(data) as Obj, raw })
      }
      this.#wake()
    })
    const close = () => {
      this.closed = true
      this.#wake()
    }
    response.on('close', close)
    response.on('error', close)
    request.on('error', close)
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter()
  }

  /** The next unread frame (fails after `timeout` ms). */
  async next(timeout = 2000): Promise<SseFrame> {
    const deadline = Date.now() + timeout
    while (this.#read >= this.frames.length) {
      if (this.closed) throw new Error('SSE connection closed')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('no SSE frame in time')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return this.frames[this.#read++]!
  }

  /** Waits until the connection is closed. */
  async waitClosed(timeout = 5000): Promise<void> {
    const deadline = Date.now() + timeout
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('SSE connection still open')
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  close(): void {
    this.request.destroy()
  }
}

export function openSse(mock: XoMock, headers: Record<string, string>, onResponse?: (response: http.IncomingMessage) => void): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${mock.url}/rest/v0/events`, { headers }, (response) => {
      onResponse?.(response)
      resolve(new SseClient(request, response))
    })
    request.on('error', reject)
  })
}

// --- ids of the test inventory for the operations of the spec ------------------------------------

const ID_BY_COLLECTION: Readonly<Record<string, string>> = {
  vms: '11111111-1111-4111-8111-111111111111',
  'vm-templates': 'b7569d99-30f8-178a-7d94-801de3e29b5b-f873abe0-b138-4995-8f6f-498b423d234d',
  'vm-snapshots': '926ed61e-f8c9-8619-da05-1f454ed3dec9',
  'vm-controllers': '9b4775bd-9493-490a-9afa-f786a44caa4f',
  hosts: 'b61a5c92-700e-4966-a13b-00633f03eea8',
  pools: 'b7569d99-30f8-178a-7d94-801de3e29b5b',
  srs: 'c4284e12-37c9-7967-b9e8-83ef229c3e03',
  vdis: 'c77f9955-c1d2-4b39-aa1c-73cdb2dacb7e',
  'vdi-snapshots': 'd2727772-735b-478f-b6f9-11e7db56dfd0',
  vbds: '5f9a4c0b-3548-6171-4396-699a0e56cc60',
  vifs: 'f028c5d4-578a-332c-394e-087aaca32dd3',
  networks: '9fe12ca3-d75d-cfb0-492e-cfd2bc6c568f',
  pifs: 'd9e42451-3794-089f-de81-4ee0e6137bee',
  pbds: '16b2a60f-7c4d-f45f-7c7a-963b06fc587d',
  pcis: '9377b642-cc71-8749-1e71-308898b652da',
  pgpus: '838335fa-ee21-15e1-760a-a37a3a4ef1db',
  sms: '5bfb2f8a-70f3-8cff-1748-3cd4de2153da',
  messages: 'f775eaeb-abe5-94e0-9682-14c37c3a1dfe',
  alarms: '6a4cc401-6cba-0d41-3b02-b848c5017343',
  tasks: '0mdd1basu',
  users: '722d17b9-699b-49d2-8193-be1ac573d3de',
  groups: '7d98fee4-3357-41a7-ac3f-9124212badb7',
  servers: '63375ed4-6d71-4fce-91b0-0a98921b1f9f',
  schedules: 'cf7249f8-d20b-494f-97f4-b1f32f94e780',
  proxies: 'e625ea0c-a876-405a-b838-109d762efe88',
  'backup-jobs': VM_JOB,
  'backup-logs': BACKUP_LOG,
  'restore-logs': RESTORE_LOG,
  'backup-repositories': REMOTE,
  'backup-archives': ARCHIVE,
  'acl-roles': ROLE,
  'acl-privileges': PRIVILEGE,
  events: '0d8b28c6-e9bf-4c9d-a382-3c9e0d7cfbff',
  'backup/jobs/vm': VM_JOB,
  'backup/jobs/metadata': METADATA_JOB,
  'backup/jobs/mirror': MIRROR_JOB,
  'backup/logs': BACKUP_LOG,
  'restore/logs': RESTORE_LOG,
}

const OTHER_PARAMS: Readonly<Record<string, string>> = {
  tag: 'test',
  data_source: 'cpu0',
  userId: BOB,
  groupId: GROUP,
  subscriptionId: 'VM',
}

/** A URL (under /rest/v0) of an operation of the spec, with ids of the test inventory. */
export function exampleUrl(path: string, format?: string): string {
  const prefix = path.slice(1).split('/{')[0]!
  return (
    '/rest/v0' +
    path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
      if (name === 'format') return format ?? 'xva'
      const value = name === 'id' ? ID_BY_COLLECTION[prefix] : OTHER_PARAMS[name]
      if (value === undefined) throw new Error(`no example value for ${name} in ${path}`)
      return encodeURIComponent(value)
    })
  )
}

// --- validation against XO's OpenAPI spec (conformance tests) ------------------------------------

export const SPEC_ID = 'xo-openapi'

/**
 * Defects of XO's generated spec that no real response can satisfy, patched for validation:
 * - `Branded_<type>_` (tsoa's rendering of branded ids) is `allOf [string, object]`: a plain string;
 * - backup logs' `tasks` reuse `XoTask`, which requires `properties`, but backup-ng log tasks never
 *   have it (`{id, message, start, status, data?, tasks?, end?, result?}`, reference
 *   objects/backup-log.json);
 * - VM templates and control domains require `creation`, but XO serves it only from its own data in
 *   the record's `other_config` (`const { creation } = xoData.extract(obj) ?? {}` in
 *   xapi-object-to-xo.mjs), which XAPI's default templates and dom0 never have (reference
 *   objects/VM-template.json and VM-controller.json have no `creation`): optional there.
 */
export function patchedSchemas(): Record<string, OpenApiSchema> {
  const schemas: Record<string, OpenApiSchema> = { ...XO_OPENAPI.components.schemas }
  for (const name of Object.keys(schemas)) if (name.startsWith('Branded_')) schemas[name] = { type: 'string' }
  for (const name of ['Unbrand_XoVmTemplate_', 'Unbrand_XoVmController_']) {
    const schema = schemas[name] as OpenApiSchema & { required: string[] }
    schemas[name] = { ...schema, required: schema.required.filter((key) => key !== 'creation') }
  }
  const task = schemas.XoTask as OpenApiSchema & { required: string[]; properties: Record<string, unknown> }
  schemas.XoMockBackupLogTask = {
    ...task,
    required: task.required.filter((key) => key !== 'properties'),
    properties: { ...task.properties, tasks: { type: 'array', items: { $ref: '#/components/schemas/XoMockBackupLogTask' } } },
  }
  const replaceTask = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(replaceTask)
    if (value === null || typeof value !== 'object') return value
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = key === '$ref' && item === '#/components/schemas/XoTask' ? '#/components/schemas/XoMockBackupLogTask' : replaceTask(item)
    return out
  }
  for (const name of Object.keys(schemas)) if (name.includes('XoBackupLog')) schemas[name] = replaceTask(schemas[name]) as OpenApiSchema
  return schemas
}

export function createSpecAjv(): Ajv {
  // OpenAPI 3.0 keywords (`example`, `format: double`, …) are not JSON Schema: not strict, no formats
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false })
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: rewriteRefs(patchedSchemas()) } })
  return ajv
}

/**
 * `#/components/…` → `xo-openapi#/components/…` so that inline schemas resolve against the spec; an
 * OpenAPI `nullable` without `type` (which ajv refuses) becomes `anyOf [schema, null]`.
 */
export function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof item === 'string' && item.startsWith('#/') ? SPEC_ID + item : rewriteRefs(item)
  }
  if ('nullable' in out && !('type' in out)) {
    const { nullable, ...rest } = out
    return (nullable === true ? { anyOf: [rest, { type: 'null' }] } : rest) as T
  }
  return out as T
}
