/**
 * Resource sets (`api/resource-set.mjs`, `xo-mixins/resource-sets.mjs`): `{id, name, subjects, objects,
 * tags, limits, ipPools, shareByDefault}` with `limits` as `{<resource>: {available, total}}`. Ids are
 * 11-character base64url strings (8 random bytes). VMs belong to a set through their `resourceSet`.
 */
import type { MockContext } from '../context.js'
import type { UserObject, VmObject, XoObject } from '../inventory/types.js'
import { aclsOfSubject, removeAclsOfObject } from './acl.js'
import { noSuchObject } from './errors.js'
import { base64url } from './pool.js'

export interface Limit {
  readonly available: number
  readonly total: number
}

export interface ResourceSetObject extends XoObject {
  readonly type: 'resourceSet'
  readonly name: string
  readonly subjects: readonly string[]
  readonly objects: readonly string[]
  readonly tags: readonly string[]
  readonly limits: Readonly<Record<string, Limit>>
  readonly ipPools: readonly string[]
  readonly shareByDefault: boolean
}

const VM_RESOURCES = new Set(['cpus', 'disk', 'disks', 'memory', 'vms'])

const normalizeLimits = (limits: unknown): Record<string, Limit> => {
  const out: Record<string, Limit> = {}
  if (limits !== null && typeof limits === 'object') {
    for (const [key, value] of Object.entries(limits as Record<string, unknown>)) {
      out[key] = value !== null && typeof value === 'object' ? (value as Limit) : { available: Number(value), total: Number(value) }
    }
  }
  return out
}

/** A set as XO serves it (`normalize`). */
export function serializeResourceSet(set: ResourceSetObject): Record<string, unknown> {
  return {
    id: set.id,
    ipPools: set.ipPools ?? [],
    limits: normalizeLimits(set.limits),
    name: set.name ?? '',
    objects: set.objects ?? [],
    subjects: set.subjects ?? [],
    shareByDefault: set.shareByDefault ?? false,
    tags: set.tags ?? [],
  }
}

export function getResourceSet(ctx: MockContext, id: string): ResourceSetObject {
  const set = ctx.store.get(id)
  if (set === undefined || set.type !== 'resourceSet') throw noSuchObject(id, 'resourceSet')
  return set as ResourceSetObject
}

function newId(ctx: MockContext): string {
  let id: string
  do id = base64url(ctx.ids.random.bytes(8))
  while (ctx.store.has(id))
  return id
}

export interface ResourceSetProps {
  readonly name: string
  readonly subjects?: readonly string[]
  readonly objects?: readonly string[]
  /** `{<resource>: quantity}` (or already `{available, total}`). */
  readonly limits?: Record<string, unknown>
  readonly tags?: readonly string[]
  readonly shareByDefault?: boolean
}

/** `resourceSet.create`: returns the served set. */
export function createResourceSet(ctx: MockContext, props: ResourceSetProps): Record<string, unknown> {
  const set = ctx.store.add<ResourceSetObject>({
    id: newId(ctx),
    type: 'resourceSet',
    name: props.name,
    subjects: [...(props.subjects ?? [])],
    objects: [...(props.objects ?? [])],
    tags: [...(props.tags ?? [])],
    limits: normalizeLimits(props.limits),
    ipPools: [],
    shareByDefault: props.shareByDefault ?? false,
  })
  return serializeResourceSet(set)
}

/** `resourceSet.delete`: its VMs leave it (and lose the ACLs it gave). */
export function deleteResourceSet(ctx: MockContext, id: string): void {
  const set = getResourceSet(ctx, id)
  for (const vm of [...ctx.store.all()]) {
    if ((vm.type === 'VM' || vm.type === 'VM-snapshot' || vm.type === 'VM-template') && vm.resourceSet === set.id) {
      ctx.store.update(vm.id, { resourceSet: undefined })
      removeAclsOfObject(ctx, vm.id)
    }
  }
  ctx.store.remove(set.id)
}

export interface ResourceSetSettings {
  readonly name?: string
  readonly subjects?: readonly string[]
  readonly objects?: readonly string[]
  readonly ipPools?: readonly string[]
  readonly tags?: readonly string[]
  readonly limits?: Record<string, number>
  readonly shareByDefault?: boolean
}

/**
 * `resourceSet.set`. New `limits` replace the old ones, keeping the usage of the limits that remain
 * (`available - total + quantity`). Subjects removed from the set lose their ACLs on the set's VMs.
 */
export function setResourceSet(ctx: MockContext, id: string, settings: ResourceSetSettings): ResourceSetObject {
  const set = getResourceSet(ctx, id)
  const patch: Record<string, unknown> = {}
  if (settings.name) patch.name = settings.name
  if (settings.subjects !== undefined) {
    for (const subject of (set.subjects ?? []).filter((s) => !settings.subjects!.includes(s))) {
      for (const acl of aclsOfSubject(ctx, subject)) {
        const object = ctx.store.get(acl.object)
        if ((object?.type === 'VM' || object?.type === 'VM-snapshot') && object.resourceSet === set.id) ctx.store.remove(acl.id)
      }
    }
    patch.subjects = [...settings.subjects]
  }
  if (settings.objects !== undefined) patch.objects = [...settings.objects]
  if (settings.limits !== undefined) {
    const previous = normalizeLimits(set.limits)
    const limits: Record<string, Limit> = {}
    for (const [key, quantity] of Object.entries(settings.limits)) {
      const old = previous[key]
      limits[key] = old === undefined ? { available: quantity, total: quantity } : { available: old.available - old.total + quantity, total: quantity }
    }
    patch.limits = limits
  }
  if (settings.ipPools !== undefined) patch.ipPools = [...settings.ipPools]
  if (settings.tags !== undefined) patch.tags = [...settings.tags]
  if (settings.shareByDefault !== undefined) patch.shareByDefault = settings.shareByDefault
  return ctx.store.update<ResourceSetObject>(set.id, patch)
}

type ListField = 'objects' | 'subjects' | 'ipPools'

function addToList(ctx: MockContext, id: string, field: ListField, value: string): ResourceSetObject {
  const set = getResourceSet(ctx, id)
  const list = set[field] ?? []
  return list.includes(value) ? set : ctx.store.update<ResourceSetObject>(set.id, { [field]: [...list, value] })
}

function removeFromList(ctx: MockContext, id: string, field: ListField, value: string): ResourceSetObject {
  const set = getResourceSet(ctx, id)
  return ctx.store.update<ResourceSetObject>(set.id, { [field]: (set[field] ?? []).filter((item) => item !== value) })
}

/** `resourceSet.addObject` (an object already in the set is not added twice). */
export const addObjectToResourceSet = (ctx: MockContext, id: string, object: string) => addToList(ctx, id, 'objects', object)
/** `resourceSet.removeObject`. */
export const removeObjectFromResourceSet = (ctx: MockContext, id: string, object: string) => removeFromList(ctx, id, 'objects', object)
/** `resourceSet.addSubject`. */
export const addSubjectToResourceSet = (ctx: MockContext, id: string, subject: string) => addToList(ctx, id, 'subjects', subject)
/** `resourceSet.removeSubject`. */
export const removeSubjectFromResourceSet = (ctx: MockContext, id: string, subject: string) => removeFromList(ctx, id, 'subjects', subject)

/** `resourceSet.addLimit`: the limit is (re)set to `{available: quantity, total: quantity}`. */
export function addLimitToResourceSet(ctx: MockContext, id: string, limitId: string, quantity: number): ResourceSetObject {
  const set = getResourceSet(ctx, id)
  return ctx.store.update<ResourceSetObject>(set.id, {
    limits: { ...normalizeLimits(set.limits), [limitId]: { available: quantity, total: quantity } },
  })
}

/** `resourceSet.removeLimit`. */
export function removeLimitFromResourceSet(ctx: MockContext, id: string, limitId: string): ResourceSetObject {
  const set = getResourceSet(ctx, id)
  const limits = normalizeLimits(set.limits)
  delete limits[limitId]
  return ctx.store.update<ResourceSetObject>(set.id, { limits })
}

/** `resourceSet.get`: any signed-in user may read any set. */
export const getServedResourceSet = (ctx: MockContext, id: string) => serializeResourceSet(getResourceSet(ctx, id))

/** `resourceSet.getAll`: non-admins only see the sets of which they or their groups are subjects. */
export function getAllResourceSets(ctx: MockContext, user?: Pick<UserObject, 'id' | 'permission' | 'groups'>): Array<Record<string, unknown>> {
  const subjects = user === undefined || user.permission === 'admin' ? undefined : new Set([...(user.groups ?? []), user.id])
  return [...ctx.store.ofType<ResourceSetObject>('resourceSet')]
    .filter((set) => subjects === undefined || (set.subjects ?? []).some((subject) => subjects.has(subject)))
    .map(serializeResourceSet)
}

/** Resources used by a VM (`computeVmXapiResourcesUsage`): cpus, memory, disks, disk, vms. */
export function computeVmResourcesUsage(ctx: MockContext, vm: VmObject): Record<string, number> {
  const seen = new Set<string>()
  let disk = 0
  for (const vbdId of vm.$VBDs ?? []) {
    const vbd = ctx.store.get(vbdId)
    if (vbd === undefined || vbd.is_cd_drive === true || typeof vbd.VDI !== 'string' || seen.has(vbd.VDI)) continue
    const vdi = ctx.store.get(vbd.VDI)
    if (vdi === undefined) continue
    seen.add(vdi.id)
    disk += Number(vdi.size ?? 0)
  }
  return { cpus: vm.CPUs?.number ?? 0, disk, disks: seen.size, memory: vm.memory?.dynamic?.[1] ?? 0, vms: 1 }
}

/**
 * `resourceSet.recomputeAllLimits`: VM-related limits are reset to their total, then the usage of every
 * VM of each set (backup copies excluded) is subtracted.
 */
export function recomputeResourceSetsLimits(ctx: MockContext): void {
  const sets = new Map<string, Record<string, Limit>>()
  for (const set of ctx.store.ofType<ResourceSetObject>('resourceSet')) {
    const limits = normalizeLimits(set.limits)
    for (const [key, limit] of Object.entries(limits)) {
      if (VM_RESOURCES.has(key) || key.startsWith('ipPool:')) limits[key] = { available: limit.total, total: limit.total }
    }
    sets.set(set.id, limits)
  }
  for (const vm of ctx.store.ofType<VmObject>('VM')) {
    const limits = typeof vm.resourceSet === 'string' ? sets.get(vm.resourceSet) : undefined
    const other = (vm.other ?? {}) as Record<string, unknown>
    if (limits === undefined || other['xo:backup:job'] !== undefined) continue
    for (const [resource, usage] of Object.entries(computeVmResourcesUsage(ctx, vm))) {
      const limit = limits[resource]
      if (limit !== undefined) limits[resource] = { available: limit.available - usage, total: limit.total }
    }
  }
  for (const [id, limits] of sets) ctx.store.update(id, { limits })
}
