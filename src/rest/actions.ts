/**
 * REST actions (reference §7): `POST /rest/v0/<collection>/{id}/actions/<action>[?sync=true]` for
 * VMs, hosts, pools, SRs, VDIs, VBDs, VIFs, PBDs, servers, schedules and tasks.
 *
 * Order of checks (XO's middleware order): authentication (hook) → admin-only collection (403) →
 * object lookup (404) → privileges (403) → body and `sync` validation (422, tsoa's shapes, body.ts) →
 * explicit pre-checks (e.g. `revert_snapshot` of another VM's snapshot → 422) → the task.
 *
 * Every action runs as an XO task (domain/xo-task.ts `runTask`, timing policy key
 * `<collection>/<action>`), named `REST API: <verb> <type>` with `objectType`, `objectId`, `userId`,
 * `type: "xo:rest-api:action"` (and `args`: the body, when not empty):
 * - async (default): 202, `Location: /rest/v0/tasks/<id>`, `{"taskId": "<id>"}`; failures only show
 *   in the task (`status: "failure"`, `result` = serialized error);
 * - `sync=true`: the reply waits for the task: 204 (void), 201 `{"id"}` (+ `Location` for
 *   snapshot/clone), 200 `{"id"}` (VDI migrate); errors are normal error replies.
 * XAPI failures are raw XAPI errors here (errors.ts `asXapiError`), not JSON-RPC's XO errors.
 *
 * Legacy profile: 202 whose raw body (no Content-Type) is the task URL; task name
 * `REST: <action> <type>`; `sync` enabled by its presence → 200 JSON result (the new object's id as a
 * JSON string, empty for void actions); body validation errors → 400 with ajv's error array.
 */
import { Readable } from 'node:stream'
import { Ajv, type ValidateFunction } from 'ajv'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MockContext } from '../context.js'
import { incorrectState, invalidParameters } from '../domain/errors.js'
import { clearHost, detachHost, disableHost, emergencyShutdownHost, enableHost, forgetHost, getHost, managementReconfigureHost, restartHost, restartHostAgent, scanHostPifs, startHost, stopHost } from '../domain/host.js'
import { createBondedNetwork, createNetwork, type BondMode } from '../domain/network.js'
import { emergencyShutdown, managementReconfigurePool, rollingReboot, rollingUpdate } from '../domain/pool.js'
import { deleteRemote, getRemoteRecord, testRemote } from '../domain/remote.js'
import { runSchedule } from '../domain/schedule.js'
import { connectServer, disconnectServer } from '../domain/server.js'
import { forgetSr, plugPbd, reclaimSrSpace, scanSr, unplugPbd } from '../domain/sr.js'
import { connectVbd, disconnectVbd } from '../domain/vbd.js'
import { migrateVdi } from '../domain/vdi.js'
import { connectVif, disconnectVif } from '../domain/vif.js'
import { cloneVm, copyVm, migrateVm, revertSnapshot, snapshotVm } from '../domain/vm-copy.js'
import { createVm, type CreateVmDisk, type CreateVmInterface, type CreateVmParams } from '../domain/vm-create.js'
import { pauseVm, restartVm, resumeVm, startVm, stopVm, suspendVm, unpauseVm } from '../domain/vm-lifecycle.js'
import { abortXoTask, isXoTaskLog, runTask, type XoTaskProperties } from '../domain/xo-task.js'
import type { HostObject, UserObject, XoObject } from '../inventory/types.js'
import { requestUser } from './auth.js'
import { bodyValidator, queryBoolean, requestBodySchema, toJsonSchema, type BodyValidator } from './body.js'
import { findIn, type CollectionDef } from './collections.js'
import { asXapiError, noSuchObject, ValidationError, type FieldError } from './errors.js'
import type { RestPlugin } from './index.js'
import { assertCanWrite, assertObjectRouteAllowed, type Viewer, type WriteLevel } from './permissions.js'
import type { RestKit } from './routes.js'
import { JSON_CONTENT_TYPE, jsonText, sendJson } from './serialize.js'

// ---------------------------------------------------------------------------------------------
// Shared by the write routes (actions.ts, writes.ts)

/**
 * Registers `register`'s routes in a child scope whose body parsing is Express' `json()`: a JSON body
 * (an empty one is `{}`), any other content type ignored (the route sees no body). Malformed JSON →
 * 500 `{"error": "<SyntaxError message>"}` (XO's generic error handler).
 */
export async function jsonBodyScope(scope: FastifyInstance, register: (child: FastifyInstance) => void): Promise<void> {
  await scope.register(async (child) => {
    child.removeAllContentTypeParsers()
    child.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = body as string
      if (text.trim() === '') {
        done(null, {})
        return
      }
      try {
        done(null, JSON.parse(text))
      } catch (error) {
        done(error as Error, undefined)
      }
    })
    child.addContentTypeParser('*', (_request, payload, done) => {
      payload.on('error', (error) => done(error, undefined))
      payload.on('end', () => done(null, undefined))
      payload.resume()
    })
    register(child)
  })
}

export const isLegacy = (ctx: MockContext): boolean => ctx.config.apiProfile === 'legacy'

/** The request's user and the rules that apply to them. */
export function requestViewer(kit: RestKit, request: FastifyRequest): Viewer {
  return kit.viewerOf(requestUser(request))
}

/**
 * The object a write route targets, with XO's checks in order: admin-only collection (403) → lookup
 * (404 `no such <type> <id>`) → privileges (403).
 */
export function writeTarget(kit: RestKit, viewer: Viewer, def: CollectionDef, id: string, action: string, level: WriteLevel, include?: (object: XoObject) => boolean): XoObject {
  assertObjectRouteAllowed(viewer, def.access, id)
  const object = findIn(kit.ctx, def, id)
  if (object === undefined || (include !== undefined && !include(object))) throw noSuchObject(id, def.xoType)
  assertCanWrite(viewer, object, def.access, def.resource, action, level)
  return object
}

/** Validates the body (and, for actions, `sync`): throws one ValidationError with every field error. */
export function validateRequest(validate: BodyValidator, body: unknown, query?: Readonly<Record<string, unknown>>): { body: Record<string, unknown>; sync: boolean } {
  let value: Record<string, unknown> = {}
  const errors: Record<string, FieldError> = {}
  try {
    value = validate(body)
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    Object.assign(errors, error.fields)
  }
  const sync = query === undefined ? undefined : queryBoolean(query, 'sync', errors)
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  return { body: value, sync: sync === true }
}

/** `201 {"id"}` (+ `Location: /rest/v0/<collection>/<id>` when given). */
export function sendCreated(ctx: MockContext, reply: FastifyReply, id: string, collection?: string): FastifyReply {
  if (collection !== undefined) reply.header('location', `${ctx.restBase}/${collection}/${id}`)
  return sendJson(reply.code(201), { id })
}

/** A body sent as is, without Content-Type (Express `res.end(text)`). */
export function sendRaw(reply: FastifyReply, status: number, text: string): FastifyReply {
  const bytes = Buffer.from(text)
  return reply.code(status).header('content-length', bytes.length).send(Readable.from([bytes]))
}

// legacy: ajv over the same schemas (the hand-written router validated action params with ajv)
let legacyAjv: Ajv | undefined
const legacyValidators = new Map<string, ValidateFunction>()

/** Legacy body validation: `undefined` when valid, else ajv's error array (→ 400). */
export function legacyBodyErrors(method: string, path: string, body: unknown): unknown[] | undefined {
  const key = `${method} ${path}`
  let validate = legacyValidators.get(key)
  if (validate === undefined) {
    const schema = requestBodySchema(method, path)
    if (schema === undefined) return undefined
    legacyAjv ??= new Ajv({ strict: false, validateFormats: false, allErrors: false })
    validate = legacyAjv.compile(toJsonSchema(schema))
    legacyValidators.set(key, validate)
  }
  return validate(body ?? {}) ? undefined : [...(validate.errors ?? [])]
}

// ---------------------------------------------------------------------------------------------
// Action table

interface ActionRun {
  readonly ctx: MockContext
  readonly object: XoObject
  readonly body: Readonly<Record<string, unknown>>
  readonly user: UserObject
}

interface ActionDef {
  readonly collection: string
  readonly action: string
  /** Task name after `REST API: ` (default `<action with spaces> <type>`). */
  readonly name?: string
  /**
   * What the sync reply carries: nothing (204), the new object's id (201 or 200 `{"id"}`, task result
   * `{"id"}`), or the operation's value as is (200, task result the same).
   */
  readonly returns?: 'void' | 'created' | 'ok' | 'result'
  /** Collection of the `Location` of a sync 201. */
  readonly location?: string
  /** Privilege level (default `operate`). */
  readonly level?: WriteLevel
  /** Objects of the collection the action accepts (others → 404). */
  readonly include?: (object: XoObject) => boolean
  /** Checks whose failures are HTTP errors (before the task). */
  readonly check?: (run: ActionRun) => void
  /** The domain operation; returns the new object's id for `created` / `ok`, the value for `result`. */
  readonly run: (run: ActionRun) => unknown
}

/** The type named in task names and `objectType`. */
const TYPE_OF: Readonly<Record<string, string>> = {
  vms: 'VM',
  hosts: 'host',
  pools: 'pool',
  srs: 'SR',
  vdis: 'VDI',
  vbds: 'VBD',
  vifs: 'VIF',
  pbds: 'PBD',
  servers: 'server',
  schedules: 'schedule',
  tasks: 'task',
  'backup-repositories': 'backup repository',
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
const bool = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined)
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined)
const strings = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.map(String) : undefined)
const stringRecord = (value: unknown): Record<string, string> | undefined =>
  value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, String(v)])) : undefined

function vmActions(): ActionDef[] {
  const vm = (action: string, run: ActionDef['run'], extra: Partial<ActionDef> = {}): ActionDef => ({ collection: 'vms', action, run, ...extra })
  return [
    vm('start', ({ ctx, object, body }) => startVm(ctx, object.id, { host: str(body.hostId) })),
    vm('clean_shutdown', ({ ctx, object }) => stopVm(ctx, object.id)),
    vm('hard_shutdown', ({ ctx, object }) => stopVm(ctx, object.id, { force: true })),
    vm('clean_reboot', ({ ctx, object }) => restartVm(ctx, object.id)),
    vm('hard_reboot', ({ ctx, object }) => restartVm(ctx, object.id, { force: true })),
    vm('pause', ({ ctx, object }) => pauseVm(ctx, object.id)),
    vm('suspend', ({ ctx, object }) => suspendVm(ctx, object.id)),
    vm('resume', ({ ctx, object }) => resumeVm(ctx, object.id)),
    vm('unpause', ({ ctx, object }) => unpauseVm(ctx, object.id)),
    vm('snapshot', ({ ctx, object, body }) => snapshotVm(ctx, object.id, { name: str(body.name_label) }), {
      returns: 'created',
      location: 'vm-snapshots',
    }),
    vm(
      'clone',
      ({ ctx, object, body }) => {
        const name = str(body.name_label) ?? String(object.name_label ?? '')
        const srId = str(body.srId)
        return srId === undefined ? cloneVm(ctx, object.id, { name, fullCopy: body.fast === false }) : copyVm(ctx, object.id, srId, { name })
      },
      { returns: 'created', location: 'vms' },
    ),
    vm(
      'revert_snapshot',
      ({ ctx, object, body }) => {
        if (body.snapshotBefore === true) snapshotVm(ctx, object.id)
        revertSnapshot(ctx, String(body.snapshotId))
      },
      {
        check: ({ ctx, object, body }) => {
          const snapshotId = String(body.snapshotId)
          const snapshot = ctx.store.resolve(snapshotId)
          if (snapshot === undefined || snapshot.type !== 'VM-snapshot') throw noSuchObject(snapshotId, 'VM-snapshot')
          if (snapshot.$snapshot_of !== object.id) throw invalidParameters(`the snapshot ${snapshot.id} is not a snapshot of the VM ${object.id}`)
        },
      },
    ),
    vm(
      'migrate',
      ({ ctx, object, body }) =>
        migrateVm(ctx, object.id, String(body.hostId), {
          sr: str(body.srId),
          mapVdisSrs: stringRecord(body.srIdByVdiId),
          mapVifsNetworks: stringRecord(body.networkIdByVifId),
          migrationNetwork: str(body.migrationNetworkId),
        }),
      { name: 'Migrate VM' },
    ),
  ]
}

function hostActions(): ActionDef[] {
  const host = (action: string, run: ActionDef['run'], extra: Partial<ActionDef> = {}): ActionDef => ({ collection: 'hosts', action, run, ...extra })
  return [
    host('management_reconfigure', ({ ctx, object, body }) => managementReconfigureHost(ctx, object.id, String(body.pif))),
    host('disable', ({ ctx, object, body }) => {
      // `autoEnable` (re-enable after a reboot) and `vmIdsToForceMigrate` are not modelled
      if (body.evacuate === true) clearHost(ctx, getHost(ctx, object.id), body.force === true)
      else disableHost(ctx, object.id)
    }),
    host('enable', ({ ctx, object }) => void enableHost(ctx, object.id)),
    host('start', ({ ctx, object }) => void startHost(ctx, object.id)),
    host('clean_shutdown', ({ ctx, object, body }) => void stopHost(ctx, object.id, { bypassBackupCheck: bool(body.bypassBackupCheck), bypassEvacuate: bool(body.bypassEvacuate) })),
    host(
      'clean_reboot',
      ({ ctx, object, body }) =>
        void restartHost(ctx, object.id, { force: bool(body.force), bypassBackupCheck: bool(body.bypassBackupCheck), bypassVersionCheck: bool(body.bypassVersionCheck) }),
    ),
    host(
      'smart_reboot',
      ({ ctx, object, body }) =>
        void restartHost(ctx, object.id, {
          suspendResidentVms: true,
          bypassBackupCheck: bool(body.bypassBackupCheck),
          bypassBlockedSuspend: bool(body.bypassBlockedSuspend),
          bypassCurrentVmCheck: bool(body.bypassCurrentVmCheck),
          bypassVersionCheck: bool(body.bypassVersionCheck),
        }),
    ),
    host('restart_toolstack', ({ ctx, object, body }) => void restartHostAgent(ctx, object.id, { bypassBackupCheck: bool(body.bypassBackupCheck) })),
    host('emergency_shutdown', ({ ctx, object }) => void emergencyShutdownHost(ctx, object.id)),
    host('detach', ({ ctx, object }) => detachHost(ctx, object.id)),
    host('forget', ({ ctx, object }) => {
      // XO refuses to forget a running host itself (409), before XAPI's HOST_IS_LIVE
      const current = getHost(ctx, object.id) as HostObject
      if (current.power_state === 'Running') throw incorrectState({ actual: 'Running', expected: 'Halted', object: current.id, property: 'power_state' })
      forgetHost(ctx, object.id)
    }),
    host('scan_pifs', ({ ctx, object }) => scanHostPifs(ctx, object.id)),
  ]
}

/** XO REST `create_vm` body (`Unbrand_CreateVmBody_`) → `vm.create` params. */
function createVmParams(pool: XoObject, body: Readonly<Record<string, unknown>>): CreateVmParams {
  const params: Record<string, unknown> = { name_label: body.name_label, template: body.template }
  const rename: Readonly<Record<string, string>> = {
    name_description: 'name_description',
    memory: 'memory',
    cpus: 'CPUs',
    secureBoot: 'secureBoot',
    clone: 'clone',
    autoPoweron: 'auto_poweron',
    high_availability: 'high_availability',
    affinity: 'affinityHost',
    hvmBootFirmware: 'hvmBootFirmware',
    copyHostBiosStrings: 'copyHostBiosStrings',
    gpuGroup: 'gpuGroup',
    vgpuType: 'vgpuType',
    cloud_config: 'cloudConfig',
    network_config: 'networkConfig',
    boot: 'bootAfterCreate',
    destroy_cloud_config_vdi: 'destroyCloudConfigVdiAfterBoot',
    createVtpm: 'createVtpm',
  }
  for (const [from, to] of Object.entries(rename)) if (body[from] !== undefined) params[to] = body[from]

  // new interfaces (template VIFs are not copied, so `{device, destroy}` entries have nothing to do)
  const vifs: CreateVmInterface[] = []
  for (const entry of (body.vifs as Record<string, unknown>[] | undefined) ?? []) {
    const network = str(entry.network)
    if (network === undefined) continue
    vifs.push({ network, mac: str(entry.mac), allowedIpv4Addresses: strings(entry.ipv4_allowed), allowedIpv6Addresses: strings(entry.ipv6_allowed) })
  }
  if (vifs.length > 0) params.VIFs = vifs

  // new disks (on the pool's default SR unless `sr`), edits and removals of template disks
  const disks: CreateVmDisk[] = []
  const existingDisks: Record<string, Record<string, unknown>> = {}
  for (const entry of (body.vdis as Record<string, unknown>[] | undefined) ?? []) {
    const destroyed = str(entry.userdervice) // sic, XO's schema
    if (destroyed !== undefined && entry.destroy === true) {
      existingDisks[destroyed] = { destroy: true }
      continue
    }
    const userdevice = str(entry.userdevice)
    if (userdevice !== undefined) {
      existingDisks[userdevice] = { size: num(entry.size), $SR: str(entry.sr), name_label: str(entry.name_label), name_description: str(entry.name_description) }
      continue
    }
    disks.push({
      size: num(entry.size) ?? 0,
      SR: str(entry.sr) ?? str(pool.default_SR),
      name_label: str(entry.name_label),
      name_description: str(entry.name_description),
    })
  }
  if (disks.length > 0) params.VDIs = disks
  if (Object.keys(existingDisks).length > 0) params.existingDisks = existingDisks

  const install = body.install as Record<string, unknown> | undefined
  if (install !== undefined) params.installation = { method: str(install.method), repository: str(install.repository) }
  return params as CreateVmParams
}

function poolActions(): ActionDef[] {
  const pool = (action: string, run: ActionDef['run'], extra: Partial<ActionDef> = {}): ActionDef => ({ collection: 'pools', action, run, ...extra })
  return [
    pool(
      'create_network',
      ({ ctx, object, body }) =>
        createNetwork(ctx, object.id, { name: String(body.name), description: str(body.description), mtu: num(body.mtu), nbd: bool(body.nbd), pif: str(body.pif), vlan: num(body.vlan) }).id,
      { name: 'create network', returns: 'created' },
    ),
    pool(
      'create_bonded_network',
      ({ ctx, object, body }) =>
        createBondedNetwork(ctx, object.id, {
          name: String(body.name),
          description: str(body.description),
          mtu: num(body.mtu),
          pifs: strings(body.pifIds) ?? [],
          bondMode: String(body.bondMode) as BondMode,
        }).id,
      { name: 'create bonded network', returns: 'created' },
    ),
    pool(
      'create_internal_network',
      ({ ctx, object, body }) => createNetwork(ctx, object.id, { name: String(body.name), description: str(body.description), mtu: num(body.mtu), nbd: bool(body.nbd) }).id,
      { name: 'create internal network', returns: 'created' },
    ),
    pool('emergency_shutdown', ({ ctx, object }) => emergencyShutdown(ctx, object.id)),
    // `shutdownPinnedVms` is not modelled: pinned VMs are migrated like the others
    pool('rolling_reboot', ({ ctx, object }) => rollingReboot(ctx, object.id)),
    pool('rolling_update', ({ ctx, object }) => rollingUpdate(ctx, object.id)),
    pool('create_vm', ({ ctx, object, body, user }) => createVm(ctx, createVmParams(object, body), { user: user.id }), { name: 'create VM', returns: 'created' }),
    pool('management_reconfigure', ({ ctx, object, body }) => managementReconfigurePool(ctx, object.id, String(body.network))),
  ]
}

function otherActions(): ActionDef[] {
  return [
    { collection: 'srs', action: 'reclaim_space', run: ({ ctx, object }) => reclaimSrSpace(ctx, object.id) },
    { collection: 'srs', action: 'scan', run: ({ ctx, object }) => scanSr(ctx, object.id) },
    { collection: 'srs', action: 'forget', level: 'administrate', run: ({ ctx, object }) => forgetSr(ctx, object.id) },
    { collection: 'vdis', action: 'migrate', returns: 'ok', run: ({ ctx, object, body }) => migrateVdi(ctx, object.id, String(body.srId)) },
    { collection: 'vbds', action: 'connect', run: ({ ctx, object }) => connectVbd(ctx, object.id) },
    { collection: 'vbds', action: 'disconnect', run: ({ ctx, object }) => disconnectVbd(ctx, object.id) },
    { collection: 'vifs', action: 'connect', run: ({ ctx, object }) => connectVif(ctx, object.id) },
    { collection: 'vifs', action: 'disconnect', run: ({ ctx, object }) => disconnectVif(ctx, object.id) },
    { collection: 'pbds', action: 'plug', run: ({ ctx, object }) => plugPbd(ctx, object.id) },
    { collection: 'pbds', action: 'unplug', run: ({ ctx, object }) => unplugPbd(ctx, object.id) },
    { collection: 'servers', action: 'connect', run: ({ ctx, object }) => void connectServer(ctx, object.id) },
    { collection: 'servers', action: 'disconnect', run: ({ ctx, object }) => void disconnectServer(ctx, object.id) },
    { collection: 'schedules', action: 'run', run: ({ ctx, object }) => runSchedule(ctx, object.id) },
    { collection: 'backup-repositories', action: 'forget', level: 'administrate', run: ({ ctx, object }) => deleteRemote(ctx, object.id) },
    {
      collection: 'backup-repositories',
      action: 'benchmark',
      returns: 'result',
      run: ({ ctx, object }) => {
        const { success } = testRemote(ctx, object.id)
        const last = (getRemoteRecord(ctx, object.id).benchmarks ?? []).at(-1)
        return { success, readRate: last?.readRate, writeRate: last?.writeRate }
      },
    },
    {
      collection: 'tasks',
      action: 'abort',
      // only live tasks can be aborted (XO: 404 otherwise)
      include: (object) => isXoTaskLog(object) && object.status === 'pending',
      run: ({ ctx, object }) => void abortXoTask(ctx, object.id),
    },
  ]
}

/** Every REST action of the mock (reference §7). */
export const ACTIONS: readonly ActionDef[] = [...vmActions(), ...hostActions(), ...poolActions(), ...otherActions()]

// ---------------------------------------------------------------------------------------------
// Route

function taskProperties(ctx: MockContext, def: ActionDef, collection: CollectionDef, object: XoObject, body: Record<string, unknown>, user: UserObject): XoTaskProperties {
  const type = TYPE_OF[def.collection] ?? collection.xoType
  if (isLegacy(ctx)) return { name: `REST: ${def.action} ${collection.xoType}`, objectId: object.id, userId: user.id, type: 'xo:rest-api:action' }
  return {
    ...(Object.keys(body).length === 0 ? {} : { args: body }),
    objectType: def.collection === 'backup-repositories' ? 'backup-repository' : type,
    name: `REST API: ${def.name ?? `${def.action.replace(/_/g, ' ')} ${type}`}`,
    objectId: object.id,
    userId: user.id,
    type: 'xo:rest-api:action',
  }
}

type ActionRequest = FastifyRequest<{ Params: { id: string }; Querystring: Record<string, unknown> }>

function actionRoute(kit: RestKit, def: ActionDef) {
  const { ctx } = kit
  const collection = kit.collections.get(def.collection)
  if (collection === undefined) throw new Error(`unknown collection ${def.collection}`)
  const path = `/${def.collection}/{id}/actions/${def.action}`
  const validate = bodyValidator('POST', path)
  return async function action(request: ActionRequest, reply: FastifyReply): Promise<FastifyReply> {
    const legacy = isLegacy(ctx)
    const user = requestUser(request)
    const viewer = kit.viewerOf(user)
    const object = writeTarget(kit, viewer, collection, request.params.id, def.action, def.level ?? 'operate', def.include)
    let body: Record<string, unknown>
    let sync: boolean
    if (legacy) {
      const errors = legacyBodyErrors('POST', path, request.body)
      if (errors !== undefined) return sendJson(reply.code(400), errors)
      body = (request.body ?? {}) as Record<string, unknown>
      sync = Object.prototype.hasOwnProperty.call(request.query, 'sync')
    } else {
      ;({ body, sync } = validateRequest(validate, request.body, request.query))
    }
    const run: ActionRun = { ctx, object, body, user }
    def.check?.(run)
    const running = runTask(
      ctx,
      taskProperties(ctx, def, collection, object, body, user),
      () => {
        try {
          return def.run(run)
        } catch (error) {
          throw asXapiError(ctx, error)
        }
      },
      { action: `${def.collection}/${def.action}`, toResult: (value) => (value === undefined || legacy || def.returns === 'result' ? value : { id: value }) },
    )
    const taskUrl = `${ctx.restBase}/tasks/${running.id}`
    if (!sync) {
      if (legacy) return sendRaw(reply.header('location', taskUrl), 202, taskUrl)
      return sendJson(reply.code(202).header('location', taskUrl), { taskId: running.id })
    }
    const outcome = await running.done
    if (outcome.status === 'failure') throw outcome.error
    const value = outcome.result
    if (legacy) return reply.code(200).header('content-type', JSON_CONTENT_TYPE).send(value === undefined ? '' : jsonText(value))
    if (value === undefined || def.returns === undefined || def.returns === 'void') return reply.code(204).send()
    if (def.returns === 'created') return sendCreated(ctx, reply, String(value), def.location)
    if (def.returns === 'ok') return sendJson(reply.code(200), { id: value })
    return sendJson(reply.code(200), value)
  }
}

export const actionRoutes: RestPlugin = async (scope, kit) => {
  await jsonBodyScope(scope, (child) => {
    for (const def of ACTIONS) child.post(`/${def.collection}/:id/actions/${def.action}`, actionRoute(kit, def))
  })
}
