/**
 * SR operations (`api/sr.mjs`): edit, scan, create/reattach/destroy/forget, PBD plugging, maintenance
 * mode, probes; and the SR usage bookkeeping that follows VDI creation, deletion and resizing.
 */
import type { MockContext } from '../context.js'
import { incorrectState, PlainError, vdiInUse } from './errors.js'
import { buildPbd, buildSr } from './factories.js'
import {
  asRecord,
  asString,
  asStringRecord,
  defined,
  findObject,
  GiB,
  getObject,
  nowSeconds,
  num,
  objectsOf,
  type Obj,
  VDI_TYPES,
} from './vm-common.js'

// ---------------------------------------------------------------------------------------------
// Usage bookkeeping

/**
 * Moves an SR's `usage` (XAPI `virtual_allocation`: sum of VDI sizes) and `physical_usage` (XAPI
 * `physical_utilisation`) by these deltas. Deltas keep the values an inventory was loaded with.
 */
export function adjustSrUsage(ctx: MockContext, srId: unknown, virtualDelta: number, physicalDelta: number): void {
  const sr = findObject(ctx, srId)
  if (sr === undefined || sr.type !== 'SR' || (virtualDelta === 0 && physicalDelta === 0)) return
  ctx.store.update(sr.id, (current) => ({
    usage: Math.max(0, num(current, 'usage') + virtualDelta),
    physical_usage: Math.max(0, num(current, 'physical_usage') + physicalDelta),
  }))
}

/** Throws XAPI's refusal when a new VDI cannot go on this SR (ISO SR, or full thick SR). */
export function assertSrCanHoldVdi(sr: Obj, physicalSize: number, allocation: string): void {
  if (sr.content_type === 'iso') throw new PlainError(`SR_OPERATION_NOT_SUPPORTED(${String(sr._xapiRef)})`)
  const size = num(sr, 'size')
  if (allocation === 'thick' && size > 0 && num(sr, 'physical_usage') + physicalSize > size) {
    throw new PlainError('SR_BACKEND_FAILURE_44(, There is insufficient space, )')
  }
}

/** The PBDs of an SR. */
export function pbdsOf(ctx: MockContext, sr: Obj): Obj[] {
  return objectsOf(ctx, sr.$PBDs).filter((pbd) => pbd.type === 'PBD')
}

/** Whether a host sees this SR (shared SR of its pool, or an SR with a PBD on it). */
export function isSrReachableFrom(ctx: MockContext, sr: Obj, host: Obj): boolean {
  if (sr.$pool !== host.$pool) return false
  if (sr.shared === true) return true
  return pbdsOf(ctx, sr).some((pbd) => pbd.host === host.id)
}

// ---------------------------------------------------------------------------------------------
// Simple edits

export interface SrSettings {
  readonly name_label?: string
  readonly name_description?: string
}

export function setSr(ctx: MockContext, srId: string, settings: SrSettings): void {
  const sr = getObject(ctx, srId, 'SR')
  ctx.store.update(sr.id, defined({ name_label: settings.name_label, name_description: settings.name_description }))
}

function assertAttached(ctx: MockContext, sr: Obj): void {
  if (!pbdsOf(ctx, sr).some((pbd) => pbd.attached === true)) throw new PlainError(`SR_HAS_NO_PBDS(${String(sr._xapiRef)})`)
}

/** `SR.scan`: the SR must be plugged; the mock has nothing to discover. */
export function scanSr(ctx: MockContext, srId: string): void {
  const sr = getObject(ctx, srId, 'SR')
  assertAttached(ctx, sr)
}

/** `sr.reclaimSpace` (`SR.reclaim_space` host plugin): the SR must be plugged; nothing changes. */
export function reclaimSrSpace(ctx: MockContext, srId: string): void {
  assertAttached(ctx, getObject(ctx, srId, 'SR'))
}

/** `sr.getVdiChainsInfo`: every VDI chain of the mock is healthy. */
export function getSrVdiChainsInfo(ctx: MockContext, srId: string): Record<string, unknown> {
  getObject(ctx, srId, 'SR')
  return {}
}

/** `sr.getAllUnhealthyVdiChainsLength`: `{srUuid: {vdiUuid: length}}` of unhealthy chains, none in the mock. */
export function getAllUnhealthyVdiChainsLength(_ctx: MockContext): Record<string, unknown> {
  return {}
}

// ---------------------------------------------------------------------------------------------
// PBDs

/** VBDs currently plugged on VDIs of this SR, by VDI id. */
function attachedVdis(ctx: MockContext, sr: Obj): Obj[] {
  return objectsOf(ctx, sr.VDIs).filter((vdi) => objectsOf(ctx, vdi.$VBDs).some((vbd) => vbd.attached === true))
}

function assertNoAttachedVdi(ctx: MockContext, sr: Obj, operation: string): void {
  const vdi = attachedVdis(ctx, sr)[0]
  if (vdi !== undefined) throw vdiInUse(vdi.id, operation)
}

export function connectAllSrPbds(ctx: MockContext, srId: string): void {
  const sr = getObject(ctx, srId, 'SR')
  for (const pbd of pbdsOf(ctx, sr)) ctx.store.update(pbd.id, { attached: true })
}

export function disconnectAllSrPbds(ctx: MockContext, srId: string): void {
  const sr = getObject(ctx, srId, 'SR')
  assertNoAttachedVdi(ctx, sr, 'unplug')
  for (const pbd of pbdsOf(ctx, sr)) ctx.store.update(pbd.id, { attached: false })
}

/** Plugged VBDs of VMs resident on `hostId` whose VDI is on this SR. */
function vdiInUseOnHost(ctx: MockContext, sr: Obj, hostId: unknown): Obj | undefined {
  return objectsOf(ctx, sr.VDIs).find((vdi) =>
    objectsOf(ctx, vdi.$VBDs).some((vbd) => vbd.attached === true && findObject(ctx, vbd.VM)?.$container === hostId),
  )
}

/** XAPI `PBD.plug` (REST `pbds/{id}/actions/plug`): the SR becomes reachable from the PBD's host (no-op when plugged). */
export function plugPbd(ctx: MockContext, pbdId: string): void {
  const pbd = getObject(ctx, pbdId, 'PBD')
  if (pbd.attached === true) return
  const host = findObject(ctx, pbd.host)
  if (host !== undefined && host.power_state !== 'Running') throw new PlainError(`HOST_OFFLINE(${String(host._xapiRef)})`)
  ctx.store.update(pbd.id, { attached: true })
}

/**
 * XAPI `PBD.unplug` (REST `pbds/{id}/actions/unplug`): refused while a VDI of the SR is plugged in a VM
 * running on the PBD's host (`VDI_IN_USE`); no-op when unplugged.
 */
export function unplugPbd(ctx: MockContext, pbdId: string): void {
  const pbd = getObject(ctx, pbdId, 'PBD')
  if (pbd.attached !== true) return
  const sr = findObject(ctx, pbd.SR)
  const vdi = sr === undefined ? undefined : vdiInUseOnHost(ctx, sr, pbd.host)
  if (vdi !== undefined) throw vdiInUse(vdi.id, 'unplug')
  ctx.store.update(pbd.id, { attached: false })
}

// ---------------------------------------------------------------------------------------------
// Create / reattach / destroy / forget

export interface CreateSrOptions {
  readonly host: string
  readonly nameLabel: string
  readonly nameDescription: string
  /** XAPI SR type: `nfs`, `iso`, `lvm`, `ext`, `lvmoiscsi`, `lvmohba`, `smb`, `zfs`, … */
  readonly type: string
  readonly contentType?: string
  readonly shared: boolean
  readonly deviceConfig: Record<string, string>
  /** Reattach (`SR.introduce`) an SR with this uuid instead of creating a new one. */
  readonly srUuid?: string
  /** Physical size; a per-type default otherwise. */
  readonly size?: number
}

const DEFAULT_SR_SIZES: Record<string, number> = { lvm: 500 * GiB, ext: 500 * GiB, zfs: 500 * GiB, iso: 100 * GiB }

/** `SR.create` (or `SR.introduce` + PBDs when `srUuid` is given): a new SR plugged on the host (or on every host of the pool when shared). */
export function createSr(ctx: MockContext, options: CreateSrOptions): string {
  const host = getObject(ctx, options.host, 'host')
  const poolId = host.$pool as string
  if (options.srUuid !== undefined && ctx.store.has(options.srUuid)) {
    throw new PlainError(`SR_ALREADY_EXISTS(${options.srUuid})`)
  }
  const sr = buildSr(ctx, {
    poolId,
    host,
    name_label: options.nameLabel,
    name_description: options.nameDescription,
    SR_type: options.type,
    content_type: options.contentType ?? (options.type === 'iso' ? 'iso' : 'user'),
    shared: options.shared,
    size: options.size ?? DEFAULT_SR_SIZES[options.type] ?? 1024 * GiB,
    uuid: options.srUuid,
  })
  ctx.store.add(sr)
  const hosts = options.shared ? [...ctx.store.ofType('host')].filter((candidate) => candidate.$pool === poolId) : [host]
  for (const target of hosts) {
    const pbd = buildPbd(ctx, { sr, host: target, deviceConfig: options.deviceConfig })
    ctx.store.add(pbd)
  }
  return sr.id
}

export type SrKind = 'nfs' | 'iso' | 'hba' | 'lvm' | 'ext' | 'iscsi' | 'smb' | 'zfs'

/** The params of the `sr.create<Kind>` methods (`host`, `nameLabel`, `nameDescription`, then per kind). */
export interface CreateSrParams {
  readonly host: string
  readonly nameLabel: string
  readonly nameDescription?: string
  readonly srUuid?: string
  readonly [key: string]: unknown
}

/**
 * `sr.createNfs` / `createIso` / `createHba` / `createLvm` / `createExt` / `createIscsi` / `createSmb` /
 * `createZfs`: the XAPI SR type, sharing and `device_config` each of them uses. Returns the SR uuid.
 */
export function createSrOfKind(ctx: MockContext, kind: SrKind, params: CreateSrParams): string {
  const text = (key: string): string | undefined => (typeof params[key] === 'string' && params[key] !== '' ? (params[key] as string) : undefined)
  const config: Record<string, string | undefined> = {}
  let type: string = kind
  let shared = true
  let contentType: string | undefined
  switch (kind) {
    case 'nfs':
      Object.assign(config, { server: text('server'), serverpath: text('serverPath'), nfsversion: text('nfsVersion'), options: text('nfsOptions') })
      break
    case 'iso': {
      const isoType = text('type')
      contentType = 'iso'
      shared = isoType !== 'local'
      if (isoType === 'local') config.legacy_mode = 'true'
      else if (isoType === 'smb') Object.assign(config, { type: 'cifs', username: text('user'), cifspassword: text('password') })
      else if (isoType === 'nfs') Object.assign(config, { nfsversion: text('nfsVersion'), options: text('nfsOptions') })
      config.location = isoType === 'smb' ? text('path')?.replace(/\\/g, '/') : text('path')
      break
    }
    case 'hba':
      type = 'lvmohba'
      config.SCSIid = text('scsiId')
      break
    case 'lvm':
    case 'ext':
      shared = false
      config.device = text('device')
      break
    case 'iscsi':
      type = 'lvmoiscsi'
      Object.assign(config, { target: text('target'), targetIQN: text('targetIqn'), SCSIid: text('scsiId') })
      if (text('chapUser') !== undefined && text('chapPassword') !== undefined) {
        Object.assign(config, { chapuser: text('chapUser'), chappassword: text('chapPassword') })
      }
      if (typeof params.port === 'number') config.port = String(params.port)
      break
    case 'smb':
      Object.assign(config, { server: text('server'), username: text('user'), password: text('password') })
      break
    case 'zfs':
      shared = false
      config.location = text('location')
      break
  }
  const deviceConfig: Record<string, string> = {}
  for (const [key, value] of Object.entries(config)) if (value !== undefined) deviceConfig[key] = value
  return createSr(ctx, {
    host: params.host,
    nameLabel: params.nameLabel,
    nameDescription: params.nameDescription ?? '',
    type,
    contentType,
    shared,
    deviceConfig,
    srUuid: params.srUuid,
  })
}

/** Removes an SR's VDIs (with their VBDs), PBDs and the SR itself; pool fields that pointed at it are cleared. */
function removeSr(ctx: MockContext, sr: Obj): void {
  for (const vdi of objectsOf(ctx, sr.VDIs)) {
    if (!(VDI_TYPES as readonly string[]).includes(vdi.type)) continue
    for (const vbd of objectsOf(ctx, vdi.$VBDs)) if (ctx.store.has(vbd.id)) ctx.store.remove(vbd.id)
    ctx.store.remove(vdi.id)
  }
  for (const pbd of pbdsOf(ctx, sr)) ctx.store.remove(pbd.id)
  ctx.store.remove(sr.id)
  const pool = findObject(ctx, sr.$pool)
  if (pool !== undefined && pool.type === 'pool') {
    const patch: Record<string, unknown> = {}
    for (const key of ['default_SR', 'crashDumpSr', 'suspendSr']) if (pool[key] === sr.id) patch[key] = undefined
    if (Object.keys(patch).length > 0) ctx.store.update(pool.id, patch)
  }
}

/** `sr.destroy`: refused while a VDI of the SR is plugged; destroys its VDIs, PBDs and the SR. */
export function destroySr(ctx: MockContext, srId: string): void {
  const sr = getObject(ctx, srId, 'SR')
  assertNoAttachedVdi(ctx, sr, 'destroy')
  removeSr(ctx, sr)
}

/** `sr.forget`: like destroy for XO (the SR records disappear), the data would stay on the storage. */
export function forgetSr(ctx: MockContext, srId: string): void {
  const sr = getObject(ctx, srId, 'SR')
  assertNoAttachedVdi(ctx, sr, 'forget')
  removeSr(ctx, sr)
}

// ---------------------------------------------------------------------------------------------
// Maintenance mode

const MAINTENANCE_KEY = 'xo:maintenanceState'

/** VMs (not control domains) with a disk on this SR. */
function vmsUsingSr(ctx: MockContext, sr: Obj): Obj[] {
  const vms = new Map<string, Obj>()
  for (const vdi of objectsOf(ctx, sr.VDIs)) {
    for (const vbd of objectsOf(ctx, vdi.$VBDs)) {
      const vm = findObject(ctx, vbd.VM)
      if (vm !== undefined && vm.type === 'VM') vms.set(vm.id, vm)
    }
  }
  return [...vms.values()]
}

/**
 * `sr.enableMaintenanceMode`: the running VMs using the SR must all be listed in `vmsToShutdown`
 * (code 25 otherwise); they are shut down (`stopVm`), the PBDs unplugged, the state kept in
 * `other_config['xo:maintenanceState']`.
 */
export function enableSrMaintenanceMode(
  ctx: MockContext,
  srId: string,
  vmsToShutdown: readonly string[] = [],
  stopVm: (ctx: MockContext, vmId: string) => void,
): void {
  const sr = getObject(ctx, srId, 'SR')
  if (sr.inMaintenanceMode === true) return
  const running = vmsUsingSr(ctx, sr).filter((vm) => vm.power_state !== 'Halted')
  const notAllowed = running.filter((vm) => !vmsToShutdown.includes(vm.id))
  if (notAllowed.length > 0) {
    throw incorrectState({ actual: notAllowed.map((vm) => vm.id), expected: [], object: sr.id, property: 'vmsToShutdown' })
  }
  for (const vm of running) stopVm(ctx, vm.id)
  const pbds = pbdsOf(ctx, sr).filter((pbd) => pbd.attached === true)
  for (const pbd of pbds) ctx.store.update(pbd.id, { attached: false })
  const state = { timestamp: nowSeconds(ctx), pbds: pbds.map((pbd) => pbd.id), vms: running.map((vm) => vm.id) }
  ctx.store.update(sr.id, (current) => ({
    inMaintenanceMode: true,
    other_config: { ...asStringRecord(current.other_config), [MAINTENANCE_KEY]: JSON.stringify(state) },
  }))
}

/** `sr.disableMaintenanceMode`: replugs the PBDs and restarts the VMs maintenance mode stopped. */
export function disableSrMaintenanceMode(ctx: MockContext, srId: string, startVm: (ctx: MockContext, vmId: string) => void): void {
  const sr = getObject(ctx, srId, 'SR')
  const otherConfig = asStringRecord(sr.other_config)
  const raw = otherConfig[MAINTENANCE_KEY]
  if (raw === undefined) return
  let state: Record<string, unknown> = {}
  try {
    state = asRecord(JSON.parse(raw))
  } catch {
    state = {}
  }
  for (const pbd of pbdsOf(ctx, sr)) ctx.store.update(pbd.id, { attached: true })
  delete otherConfig[MAINTENANCE_KEY]
  ctx.store.update(sr.id, { inMaintenanceMode: false, other_config: otherConfig })
  const vms = Array.isArray(state.vms) ? state.vms : []
  for (const vmId of vms) {
    const vm = findObject(ctx, vmId)
    if (vm !== undefined && vm.type === 'VM' && vm.power_state === 'Halted') startVm(ctx, vm.id)
  }
}

// ---------------------------------------------------------------------------------------------
// Probes

function srsMatching(ctx: MockContext, hostId: string, type: string, match: (deviceConfig: Record<string, string>) => boolean): { uuid: string }[] {
  const host = getObject(ctx, hostId, 'host')
  const out: { uuid: string }[] = []
  for (const sr of ctx.store.ofType('SR')) {
    if (sr.$pool !== host.$pool || sr.SR_type !== type) continue
    if (pbdsOf(ctx, sr).some((pbd) => match(asStringRecord(pbd.device_config)))) out.push({ uuid: asString(sr.uuid) ?? sr.id })
  }
  return out
}

/** `sr.probeNfsExists`: SRs of the host's pool on this NFS export. */
export function probeNfsExists(ctx: MockContext, hostId: string, server: string, serverPath: string): { uuid: string }[] {
  return srsMatching(ctx, hostId, 'nfs', (config) => config.server === server && config.serverpath === serverPath)
}

/** `sr.probeIscsiExists`: SRs of the host's pool on this iSCSI LUN. */
export function probeIscsiExists(ctx: MockContext, hostId: string, target: string, targetIqn: string, scsiId: string): { uuid: string }[] {
  return srsMatching(ctx, hostId, 'lvmoiscsi', (config) => config.target === target && config.targetIQN === targetIqn && config.SCSIid === scsiId)
}

/** `sr.probeHbaExists`: SRs of the host's pool on this HBA LUN. */
export function probeHbaExists(ctx: MockContext, hostId: string, scsiId: string): { uuid: string }[] {
  return srsMatching(ctx, hostId, 'lvmohba', (config) => config.SCSIid === scsiId)
}

/** The discovery probes (`probeNfs`, `probeIscsiIqns`, `probeIscsiLuns`, `probeHba`): the mock's storage network is empty. */
export function probeNothing(ctx: MockContext, hostId: string): [] {
  getObject(ctx, hostId, 'host')
  return []
}

/** `sr.probeZfs`: no ZFS pool on the mock's hosts. */
export function probeZfs(ctx: MockContext, hostId: string): Record<string, unknown> {
  getObject(ctx, hostId, 'host')
  return {}
}

