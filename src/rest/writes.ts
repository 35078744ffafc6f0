/**
 * REST writes (reference §1 tokens, §2, §8): PATCH, DELETE, tags, creates, group members, VM data
 * sources, authentication tokens. Every route is a thin translation onto a domain operation; XAPI
 * failures are raw XAPI errors (errors.ts `asXapiError`), bodies are validated with tsoa's rules
 * against XO's OpenAPI schemas (body.ts: unknown properties → 422).
 *
 * Statuses: PATCH / DELETE / tags / members / data sources → 204; creates → 201 `{"id"}`, with
 * `Location: /rest/v0/<collection>/<id>` for VDIs, VBDs and SRs; tokens → 201 `{"token": {…}}`.
 * Checks in XO's order: admin-only route (403) → path object (404) → privileges (403) → body (422) →
 * referenced objects (404) → explicit checks (422) → the operation.
 *
 * Legacy profile: `DELETE` of VMs, templates, snapshots, VDIs and VDI snapshots → 200 `OK` (text);
 * a generic `PATCH /<XAPI collection>/{id}` with snake_case `{name_label?, name_description?, tags?}`
 * → 204 without waiting (its errors are not reported); `POST /users/authentication_tokens` → 200.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MockContext } from '../context.js'
import { createToken, serializeToken } from '../domain/auth.js'
import { forbiddenOperation, invalidParameters, notImplemented } from '../domain/errors.js'
import { addUserToGroup, createGroup, deleteGroup, removeUserFromGroup, setGroup } from '../domain/group.js'
import { setHost } from '../domain/host.js'
import { deleteNetwork, setNetwork } from '../domain/network.js'
import { setPool } from '../domain/pool.js'
import { createRemote, setRemote } from '../domain/remote.js'
import { addServer, removeServer } from '../domain/server.js'
import { createSr, destroySr, setSr } from '../domain/sr.js'
import { addTag, removeTag } from '../domain/tag.js'
import { createUser, deleteUser, setUser } from '../domain/user.js'
import { createVbd, deleteVbd } from '../domain/vbd.js'
import { createVdi, deleteVdi, setVdi } from '../domain/vdi.js'
import { createVif, deleteVif, setVif } from '../domain/vif.js'
import { recordVmDataSource, setVm, type VmSettings } from '../domain/vm.js'
import { deleteVm } from '../domain/vm-delete.js'
import type { TokenObject, UserObject, XoObject } from '../inventory/types.js'
import { isLegacy, jsonBodyScope, requestViewer, sendCreated, validateRequest, writeTarget } from './actions.js'
import { requestUser } from './auth.js'
import { bodyValidator, type BodyValidator } from './body.js'
import type { CollectionDef } from './collections.js'
import { asXapiError, noSuchObject, notEnoughPermissions } from './errors.js'
import type { RestPlugin } from './index.js'
import { assertCanWrite, type Viewer } from './permissions.js'
import type { RestKit } from './routes.js'
import { sendJson } from './serialize.js'
import { registerTaskDeletes } from './tasks.js'

type Params = Record<string, string>
type Request = FastifyRequest<{ Params: Params; Querystring: Record<string, unknown> }>
type Body = Readonly<Record<string, unknown>>

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
const bool = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined)
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined)
const strings = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.map(String) : undefined)
const stringRecord = (value: unknown): Record<string, string> | undefined =>
  value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, String(v)])) : undefined

/** Runs a domain write, with the REST API's view of XAPI failures. */
function apply<T>(ctx: MockContext, write: () => T): T {
  try {
    return write()
  } catch (error) {
    throw asXapiError(ctx, error)
  }
}

const noContent = (reply: FastifyReply) => reply.code(204).send()

function collection(kit: RestKit, name: string): CollectionDef {
  const def = kit.collections.get(name)
  if (def === undefined) throw new Error(`unknown collection ${name}`)
  return def
}

/** Admin-only routes: 403 `not enough permissions` for other users. */
function assertAdmin(viewer: Viewer): void {
  if (!viewer.admin) throw notEnoughPermissions()
}

/** A referenced object of a body (`srId`, `vmId`, …): 404 `no such <type> <id>` when absent. */
function referenced(ctx: MockContext, id: unknown, types: readonly string[], xoType = types[0]!): XoObject {
  const object = typeof id === 'string' ? ctx.store.resolve(id) : undefined
  if (object === undefined || !types.includes(object.type)) throw noSuchObject(String(id), xoType)
  return object
}

// ---------------------------------------------------------------------------------------------
// PATCH

/** `UpdateVmRequestBody` (camelCase) → `vm.set` settings. */
const VM_SETTINGS: Readonly<Record<string, keyof VmSettings>> = {
  nameLabel: 'name_label',
  nameDescription: 'name_description',
  tags: 'tags',
  notes: 'notes',
  cpus: 'CPUs',
  cpusStaticMax: 'cpusMax',
  coresPerSocket: 'coresPerSocket',
  cpuCap: 'cpuCap',
  cpuMask: 'cpuMask',
  cpuWeight: 'cpuWeight',
  memory: 'memory',
  memoryMin: 'memoryMin',
  memoryMax: 'memoryMax',
  memoryStaticMax: 'memoryStaticMax',
  affinityHost: 'affinityHost',
  autoPoweron: 'auto_poweron',
  highAvailability: 'high_availability',
  startDelay: 'startDelay',
  vga: 'vga',
  videoram: 'videoram',
  virtualizationMode: 'virtualizationMode',
  xenStoreData: 'xenStoreData',
  blockedOperations: 'blockedOperations',
  secureBoot: 'secureBoot',
  uefiMode: 'uefiMode',
  resourceSet: 'resourceSet',
  share: 'share',
  creation: 'creation',
  expNestedHvm: 'expNestedHvm',
  hasVendorDevice: 'hasVendorDevice',
  hvmBootFirmware: 'hvmBootFirmware',
  nestedVirt: 'nestedVirt',
  nicType: 'nicType',
  PV_args: 'PV_args',
  suspendSr: 'suspendSr',
  viridian: 'viridian',
}

function vmSettings(body: Body): VmSettings {
  const settings: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    const target = VM_SETTINGS[key]
    if (target !== undefined && value !== undefined) settings[target] = value
  }
  return settings as VmSettings
}

interface PatchDef {
  readonly collection: string
  readonly write: (ctx: MockContext, object: XoObject, body: Body, viewer: Viewer) => void
}

const PATCHES: readonly PatchDef[] = [
  { collection: 'vms', write: (ctx, object, body, viewer) => setVm(ctx, object.id, vmSettings(body), { admin: viewer.admin }) },
  {
    collection: 'vdis',
    write: (ctx, object, body) => setVdi(ctx, object.id, { name_label: str(body.name_label), name_description: str(body.name_description), size: num(body.size) }),
  },
  {
    collection: 'vifs',
    write: (ctx, object, body) =>
      void setVif(ctx, object.id, {
        allowedIpv4Addresses: strings(body.allowedIpv4Addresses),
        allowedIpv6Addresses: strings(body.allowedIpv6Addresses),
        lockingMode: str(body.lockingMode),
        rateLimit: body.rateLimit === null ? null : num(body.rateLimit),
        txChecksumming: bool(body.txChecksumming),
      }),
  },
  {
    collection: 'users',
    write: (ctx, object, body, viewer) => {
      // XO's REST API refuses to change one's own permission (403), and edits of synchronized users
      if (body.permission !== undefined && object.id === viewer.user.id) {
        throw forbiddenOperation('update user', 'a user cannot change its own permission')
      }
      setUser(ctx, viewer.user, object.id, {
        email: str(body.name),
        password: str(body.password),
        permission: str(body.permission),
        preferences: body.preferences as Record<string, unknown> | undefined,
      })
    },
  },
  { collection: 'groups', write: (ctx, object, body) => void setGroup(ctx, object.id, { name: str(body.name) }) },
  {
    collection: 'backup-repositories',
    write: (ctx, object, body) =>
      void setRemote(ctx, object.id, {
        enabled: bool(body.enabled),
        name: str(body.name),
        url: str(body.url),
        options: body.options === null ? null : str(body.options),
        proxy: body.proxy === null ? null : str(body.proxy),
      }),
  },
]

function patchRoute(kit: RestKit, def: PatchDef) {
  const { ctx } = kit
  const target = collection(kit, def.collection)
  const validate = bodyValidator('PATCH', `/${def.collection}/{id}`)
  return function patch(request: Request, reply: FastifyReply): FastifyReply {
    const viewer = requestViewer(kit, request)
    const object = writeTarget(kit, viewer, target, request.params.id!, 'update', 'administrate')
    if (isLegacy(ctx) && isXapiCollection(target)) return legacyPatch(ctx, object, request.body, reply)
    const { body } = validateRequest(validate, request.body)
    apply(ctx, () => def.write(ctx, object, body, viewer))
    return noContent(reply)
  }
}

const isXapiCollection = (def: CollectionDef) => def.access === 'acl'

/**
 * The legacy generic PATCH: snake_case names and tags of any XAPI object, applied without waiting
 * (XO replied 204 at once; failures were only logged).
 */
function legacyPatch(ctx: MockContext, object: XoObject, input: unknown, reply: FastifyReply): FastifyReply {
  const body = (input ?? {}) as Body
  const names = { name_label: str(body.name_label), name_description: str(body.name_description) }
  const tags = strings(body.tags)
  try {
    switch (object.type) {
      case 'VM':
      case 'VM-template':
      case 'VM-snapshot':
        setVm(ctx, object.id, { ...names, ...(tags === undefined ? {} : { tags }) })
        return noContent(reply)
      case 'VDI':
      case 'VDI-snapshot':
        setVdi(ctx, object.id, names)
        break
      case 'SR':
        setSr(ctx, object.id, names)
        break
      case 'host':
        setHost(ctx, object.id, names)
        break
      case 'pool':
        setPool(ctx, object.id, names)
        break
      case 'network':
        setNetwork(ctx, object.id, names)
        break
    }
    if (tags !== undefined) {
      const current = Array.isArray(ctx.store.get(object.id)?.tags) ? (ctx.store.get(object.id)!.tags as string[]) : []
      for (const tag of current) if (!tags.includes(tag)) removeTag(ctx, object.id, tag)
      for (const tag of tags) addTag(ctx, object.id, tag)
    }
  } catch {
    // not awaited by the legacy router: the client never sees it
  }
  return noContent(reply)
}

// ---------------------------------------------------------------------------------------------
// DELETE

interface DeleteDef {
  readonly collection: string
  /** Admin-only even on one's own record. */
  readonly admin?: boolean
  readonly remove: (ctx: MockContext, object: XoObject, viewer: Viewer) => void
}

const DELETES: readonly DeleteDef[] = [
  ...['vms', 'vm-templates', 'vm-snapshots'].map((name) => ({ collection: name, remove: (ctx: MockContext, object: XoObject) => deleteVm(ctx, object.id) })),
  ...['vdis', 'vdi-snapshots'].map((name) => ({ collection: name, remove: (ctx: MockContext, object: XoObject) => deleteVdi(ctx, object.id) })),
  { collection: 'vbds', remove: (ctx, object) => deleteVbd(ctx, object.id) },
  { collection: 'vifs', remove: (ctx, object) => deleteVif(ctx, object.id) },
  { collection: 'networks', remove: (ctx, object) => deleteNetwork(ctx, object.id) },
  { collection: 'srs', remove: (ctx, object) => destroySr(ctx, object.id) },
  { collection: 'users', admin: true, remove: (ctx, object, viewer) => deleteUser(ctx, viewer.user.id, object.id) },
  { collection: 'groups', remove: (ctx, object) => deleteGroup(ctx, object.id) },
  { collection: 'servers', remove: (ctx, object) => removeServer(ctx, object.id) },
]

/** The collections whose legacy DELETE existed (and answered 200 `OK`). */
const LEGACY_DELETES = new Set(['vms', 'vm-templates', 'vm-snapshots', 'vdis', 'vdi-snapshots'])

function deleteRoute(kit: RestKit, def: DeleteDef) {
  const { ctx } = kit
  const target = collection(kit, def.collection)
  return function remove(request: Request, reply: FastifyReply): FastifyReply {
    const viewer = requestViewer(kit, request)
    if (def.admin === true) assertAdmin(viewer)
    const object = writeTarget(kit, viewer, target, request.params.id!, 'delete', 'administrate')
    apply(ctx, () => def.remove(ctx, object, viewer))
    // Express `res.sendStatus(200)`
    if (isLegacy(ctx) && LEGACY_DELETES.has(def.collection)) return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send('OK')
    return noContent(reply)
  }
}

// ---------------------------------------------------------------------------------------------
// Tags, group members, data sources

const TAGGED = ['vms', 'vm-templates', 'vm-snapshots', 'vm-controllers', 'hosts', 'pools', 'srs', 'vdis', 'vdi-snapshots', 'networks']

function tagRoute(kit: RestKit, name: string, add: boolean) {
  const { ctx } = kit
  const target = collection(kit, name)
  return function tag(request: Request, reply: FastifyReply): FastifyReply {
    const viewer = requestViewer(kit, request)
    const object = writeTarget(kit, viewer, target, request.params.id!, 'update:tags', 'administrate')
    const tag = request.params.tag!
    apply(ctx, () => (add ? addTag(ctx, object.id, tag) : removeTag(ctx, object.id, tag)))
    return noContent(reply)
  }
}

function groupMemberRoute(kit: RestKit, add: boolean) {
  const { ctx } = kit
  const groups = collection(kit, 'groups')
  return function member(request: Request, reply: FastifyReply): FastifyReply {
    const viewer = requestViewer(kit, request)
    const group = writeTarget(kit, viewer, groups, request.params.id!, 'update', 'administrate')
    const user = referenced(ctx, request.params.userId, ['user'])
    apply(ctx, () => (add ? addUserToGroup(ctx, group.id, user.id) : removeUserFromGroup(ctx, group.id, user.id)))
    return noContent(reply)
  }
}

function dataSourceRoute(kit: RestKit) {
  const { ctx } = kit
  const vms = collection(kit, 'vms')
  return function dataSource(request: Request, reply: FastifyReply): FastifyReply {
    const viewer = requestViewer(kit, request)
    const vm = writeTarget(kit, viewer, vms, request.params.id!, 'update', 'operate')
    apply(ctx, () => recordVmDataSource(ctx, vm.id, request.params.data_source!))
    return noContent(reply)
  }
}

// ---------------------------------------------------------------------------------------------
// Creates

/** SR types whose SRs are shared by the hosts of the pool. */
const SHARED_SR_TYPES = new Set(['nfs', 'smb', 'lvmoiscsi', 'lvmohba', 'lvmofcoe', 'cephfs', 'glusterfs', 'moosefs', 'linstor'])

interface CreateDef {
  readonly path: string
  /** Admin-only route (403 before anything else for other users). */
  readonly admin?: boolean
  /** Collection of the `Location` header. */
  readonly location?: string
  readonly create: (kit: RestKit, body: Body, viewer: Viewer) => string
}

const CREATES: readonly CreateDef[] = [
  {
    path: '/vdis',
    location: 'vdis',
    create: (kit, body, viewer) => {
      const { ctx } = kit
      const sr = referenced(ctx, body.srId, ['SR'])
      assertCanWrite(viewer, sr, 'acl', 'sr', 'create:vdi', 'administrate')
      return createVdi(ctx, sr.id, {
        name_label: str(body.name_label),
        name_description: str(body.name_description),
        size: num(body.virtual_size) ?? 0,
        VDI_type: str(body.type),
        other_config: stringRecord(body.other_config),
        tags: strings(body.tags),
      })
    },
  },
  {
    path: '/vbds',
    location: 'vbds',
    create: (kit, body, viewer) => {
      const { ctx } = kit
      const vm = referenced(ctx, body.VM, ['VM', 'VM-template', 'VM-snapshot'], 'VM')
      const vdi = referenced(ctx, body.VDI, ['VDI', 'VDI-snapshot'], 'VDI')
      assertCanWrite(viewer, vm, 'acl', 'vm', 'create:vbd', 'administrate')
      if (vm.$pool !== vdi.$pool) throw invalidParameters(`the VM ${vm.id} and VDI ${vdi.id} do not belong to the same pool`)
      return createVbd(ctx, vm.id, {
        vdi: vdi.id,
        userdevice: str(body.userdevice),
        bootable: bool(body.bootable),
        mode: str(body.mode),
        cd: body.type === 'CD',
      })
    },
  },
  {
    path: '/vifs',
    create: (kit, body, viewer) => {
      const { ctx } = kit
      const vm = referenced(ctx, body.vmId, ['VM', 'VM-template', 'VM-snapshot'], 'VM')
      const network = referenced(ctx, body.networkId, ['network'])
      assertCanWrite(viewer, vm, 'acl', 'vm', 'create:vif', 'administrate')
      if (vm.$pool !== network.$pool) throw invalidParameters(`the VM ${vm.id} and network ${network.id} do not belong to the same pool`)
      return createVif(ctx, vm.id, network.id, {
        mac: str(body.MAC),
        device: str(body.device),
        mtu: num(body.MTU),
        attached: bool(body.currently_attached),
        allowedIpv4Addresses: strings(body.ipv4_allowed),
        allowedIpv6Addresses: strings(body.ipv6_allowed),
        lockingMode: str(body.locking_mode),
      })
    },
  },
  {
    path: '/srs',
    location: 'srs',
    create: (kit, body, viewer) => {
      const { ctx } = kit
      const host = referenced(ctx, body.hostId, ['host'])
      assertCanWrite(viewer, host, 'acl', 'host', 'create:sr', 'administrate')
      const type = String(body.SR_type)
      if (type === 'linstor') throw notImplemented()
      return createSr(ctx, {
        host: host.id,
        nameLabel: String(body.name_label ?? ''),
        nameDescription: str(body.name_description) ?? '',
        type,
        contentType: str(body.content_type),
        shared: SHARED_SR_TYPES.has(type),
        deviceConfig: stringRecord(body.device_config) ?? {},
        size: num(body.size),
      })
    },
  },
  {
    path: '/users',
    admin: true,
    create: ({ ctx }, body) => createUser(ctx, { email: String(body.name), password: str(body.password), permission: str(body.permission) }).id,
  },
  { path: '/groups', admin: true, create: ({ ctx }, body) => createGroup(ctx, String(body.name)).id },
  {
    path: '/backup-repositories',
    admin: true,
    create: ({ ctx }, body) => String(createRemote(ctx, { name: String(body.name), url: String(body.url), options: str(body.options), proxy: str(body.proxy) }).id),
  },
  {
    path: '/servers',
    admin: true,
    create: ({ ctx }, body) =>
      addServer(ctx, {
        host: String(body.host),
        username: String(body.username),
        password: String(body.password),
        label: str(body.label),
        allowUnauthorized: bool(body.allowUnauthorized),
        readOnly: bool(body.readOnly),
        httpProxy: str(body.httpProxy),
      }).id,
  },
]

function createRoute(kit: RestKit, def: CreateDef) {
  const { ctx } = kit
  const validate = bodyValidator('POST', def.path)
  return function create(request: Request, reply: FastifyReply): FastifyReply {
    const viewer = requestViewer(kit, request)
    if (def.admin === true) assertAdmin(viewer)
    const { body } = validateRequest(validate, request.body)
    const id = apply(ctx, () => def.create(kit, body, viewer))
    return sendCreated(ctx, reply, id, def.location)
  }
}

// ---------------------------------------------------------------------------------------------
// Authentication tokens

/** A token as the REST API returns it on creation (XO's key order). */
function createdToken(token: TokenObject): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (token.client !== undefined) out.client = token.client
  out.created_at = token.created_at
  if (token.description !== undefined) out.description = token.description
  out.id = token.id
  out.user_id = token.user_id
  out.expiration = token.expiration
  return out
}

function newToken(ctx: MockContext, validate: BodyValidator, request: Request, user: UserObject): Record<string, unknown> {
  const { body } = validateRequest(validate, request.body)
  const client = body.client as { id?: unknown } | undefined
  const expiresIn = body.expiresIn as string | number | undefined
  const token = createToken(ctx, user.id, { clientId: str(client?.id), description: str(body.description), expiresIn })
  return { token: createdToken(token) }
}

function registerTokens(scope: FastifyInstance, kit: RestKit): void {
  const { ctx } = kit
  const ownOnly = (request: Request, operation: string): UserObject => {
    const user = requestUser(request)
    if (request.params.id !== user.id) throw forbiddenOperation(operation, 'you can only access your own authentication tokens')
    return user
  }
  const validateOwn = bodyValidator('POST', '/users/{id}/authentication_tokens')
  scope.post('/users/:id/authentication_tokens', (request: Request, reply) => {
    const user = ownOnly(request, 'create authentication token')
    return sendJson(reply.code(201), newToken(ctx, validateOwn, request, user))
  })
  scope.get('/users/:id/authentication_tokens', (request: Request, reply) => {
    const user = ownOnly(request, 'get authentication tokens')
    const tokens = [...ctx.store.ofType<TokenObject>('token')].filter((token) => token.user_id === user.id).map(serializeToken)
    return sendJson(reply, tokens)
  })
  // deprecated: the current user's token, admin-only (legacy: Basic auth, 200)
  const validateDeprecated = bodyValidator('POST', '/users/authentication_tokens')
  scope.post('/users/authentication_tokens', (request: Request, reply) => {
    const user = requestUser(request)
    const legacy = isLegacy(ctx)
    if (!legacy) assertAdmin(kit.viewerOf(user))
    return sendJson(reply.code(legacy ? 200 : 201), newToken(ctx, validateDeprecated, request, user))
  })
}

// ---------------------------------------------------------------------------------------------

export const writeRoutes: RestPlugin = async (scope, kit) => {
  const legacy = isLegacy(kit.ctx)
  await jsonBodyScope(scope, (child) => {
    const patched = new Set<string>()
    for (const def of PATCHES) {
      child.patch(`/${def.collection}/:id`, patchRoute(kit, def))
      patched.add(def.collection)
    }
    if (legacy) {
      // the legacy router's generic PATCH of any XAPI collection
      for (const def of kit.collections.values()) {
        if (patched.has(def.name) || !isXapiCollection(def) || def.name === 'messages' || def.name === 'alarms') continue
        child.patch(`/${def.name}/:id`, patchRoute(kit, { collection: def.name, write: () => {} }))
      }
    }
    for (const def of DELETES) child.delete(`/${def.collection}/:id`, deleteRoute(kit, def))
    registerTaskDeletes(child, kit)
    for (const name of TAGGED) {
      child.put(`/${name}/:id/tags/:tag`, tagRoute(kit, name, true))
      child.delete(`/${name}/:id/tags/:tag`, tagRoute(kit, name, false))
    }
    child.put('/groups/:id/users/:userId', groupMemberRoute(kit, true))
    child.delete('/groups/:id/users/:userId', groupMemberRoute(kit, false))
    child.put('/vms/:id/stats/data_source/:data_source', dataSourceRoute(kit))
    child.delete('/vms/:id/stats/data_source/:data_source', dataSourceRoute(kit))
    for (const def of CREATES) child.post(def.path, createRoute(kit, def))
    registerTokens(child, kit)
  })
}
