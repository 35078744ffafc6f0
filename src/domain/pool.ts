/**
 * Pool operations (`api/pool.mjs`, `xapi/mixins/pool.mjs`, `@xen-orchestra/xapi/pool.mjs`), plus the
 * helpers shared by the infrastructure family (host, network, PIF): object lookup with XO's
 * `no such <type>` error, XAPI errors, XAPI identities, the backup guard.
 */
import type { MockContext } from '../context.js'
import type { HostObject, VmObject, XapiObject, XoObject } from '../inventory/types.js'
import { forbiddenOperation, incorrectState, noSuchObject, xapiError } from './errors.js'
import { jobTypeOf } from './job.js'
import { clearHost, evacuationPlan, hostsOfPool, isHostLive, rebootHostRecord, shutdownHostRecord, suspendVmRecord } from './host.js'

// ---------------------------------------------------------------------------------------------------
// Shared helpers

export { XapiError, xapiError } from './errors.js'

/** The object with this id and one of these types, else XO's `no such <type> <id>` (code 1). */
export function requireObject<T extends XoObject = XoObject>(
  ctx: MockContext,
  id: string,
  types: string | readonly string[],
  errorType: string | readonly string[] = types,
): T {
  const object = ctx.store.get(id)
  const list = typeof types === 'string' ? [types] : types
  if (object === undefined || !list.includes(object.type)) throw noSuchObject(id, errorType)
  return object as T
}

/** Current time in seconds, as XO serves XAPI timestamps (`startTime`, `agentStartTime`, …). */
export const nowSeconds = (ctx: MockContext) => Math.floor(ctx.clock.now() / 1000)

/** The identity fields of a new XAPI object of a pool: `id` = `uuid`, `$pool`, `$poolId`, `_xapiRef`. */
export function newXapiIdentity(ctx: MockContext, poolId: string) {
  const uuid = ctx.ids.uuid()
  return { id: uuid, uuid, $pool: poolId, $poolId: poolId, _xapiRef: ctx.ids.opaqueRef() }
}

/** XAPI ref of an object id (the id itself when unknown), for XAPI error params. */
export function refOf(ctx: MockContext, id: string): string {
  const ref = ctx.store.get(id)?._xapiRef
  return typeof ref === 'string' ? ref : id
}

/** 32-bit FNV-1a of a string. */
export function fnv1a(input: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash >>> 0
}

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}

/** Minimal value-matcher predicate (`value-matcher`'s `createPredicate`) for scalar values. */
export function matchesPattern(pattern: unknown, value: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object') return pattern === value
  const p = pattern as Record<string, unknown>
  if (Array.isArray(p.__or)) return p.__or.some((sub) => matchesPattern(sub, value))
  if (Array.isArray(p.__and)) return p.__and.every((sub) => matchesPattern(sub, value))
  if ('__not' in p) return !matchesPattern(p.__not, value)
  if (value === null || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  return Object.keys(p).every((key) => matchesPattern(p[key], v[key]))
}

/** Ids of a simple pattern `{id: 'x'}` or `{id: {__or: ['x', 'y']}}` (`extractIdsFromSimplePattern`). */
export function idsOfSimplePattern(pattern: unknown): string[] {
  const id = (pattern as { id?: unknown } | null)?.id
  if (typeof id === 'string') return [id]
  const or = (id as { __or?: unknown } | null)?.__or
  return Array.isArray(or) ? or.filter((value): value is string => typeof value === 'string') : []
}

/**
 * `api/_backupGuard.mjs`: refuses an operation on a pool while a backup job runs on it (code 5).
 * Backup jobs are store objects of type `job` with `jobType: 'backup'` (the default); a running one has
 * `runId`.
 */
export function backupGuard(ctx: MockContext, poolId: string): void {
  for (const job of ctx.store.ofType('job')) {
    if (jobTypeOf(job) !== 'backup' || job.runId === undefined || job.runId === null) continue
    const vms = (job.vms ?? {}) as Record<string, unknown>
    if (vms.id !== undefined) {
      for (const id of idsOfSimplePattern(vms)) {
        if (ctx.store.get(id)?.$poolId === poolId) {
          throw forbiddenOperation('Backup is running', `A backup is running on the pool: ${poolId}`)
        }
      }
    } else {
      const isPoolSafe = vms.$pool === undefined ? false : !matchesPattern(vms.$pool, poolId)
      if (!isPoolSafe) throw forbiddenOperation('May have running backup', `A backup may run on the pool: ${poolId}`)
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Pool

export interface PoolObject extends XapiObject {
  readonly type: 'pool'
  readonly name_label: string
  readonly name_description: string
  readonly master: string
  readonly default_SR?: string
  readonly HA_enabled: boolean
  readonly haSrs: readonly string[]
  readonly auto_poweron: boolean
  readonly otherConfig: Record<string, string>
  readonly suspendSr?: string
  readonly crashDumpSr?: string
  readonly migrationCompression?: boolean
  readonly tags: readonly string[]
}

export const getPool = (ctx: MockContext, id: string) => requireObject<PoolObject>(ctx, id, 'pool')

export interface PoolSettings {
  readonly name_label?: string
  readonly name_description?: string
  readonly auto_poweron?: boolean
  readonly migrationCompression?: boolean
  /** Network id, or null to unset (`other_config['xo:migrationNetwork']`). */
  readonly migrationNetwork?: string | null
  /** Network id, or null to unset (`other_config['xo:backupNetwork']`). */
  readonly backupNetwork?: string | null
  /** SR id, or null to unset. */
  readonly suspendSr?: string | null
  readonly crashDumpSr?: string | null
}

/** `pool.set`. */
export function setPool(ctx: MockContext, poolId: string, settings: PoolSettings): PoolObject {
  const pool = getPool(ctx, poolId)
  const patch: Record<string, unknown> = {}
  const otherConfig = { ...pool.otherConfig }
  let otherConfigChanged = false
  const setOther = (key: string, value: string | null) => {
    if (value === null) delete otherConfig[key]
    else otherConfig[key] = value
    otherConfigChanged = true
  }
  if (settings.name_label !== undefined) patch.name_label = settings.name_label
  if (settings.name_description !== undefined) patch.name_description = settings.name_description
  if (settings.auto_poweron !== undefined) {
    patch.auto_poweron = settings.auto_poweron
    setOther('auto_poweron', String(settings.auto_poweron))
  }
  if (settings.migrationCompression !== undefined) patch.migrationCompression = settings.migrationCompression
  if (settings.migrationNetwork !== undefined) setOther('xo:migrationNetwork', settings.migrationNetwork)
  if (settings.backupNetwork !== undefined) setOther('xo:backupNetwork', settings.backupNetwork)
  for (const key of ['suspendSr', 'crashDumpSr'] as const) {
    const value = settings[key]
    if (value === undefined) continue
    if (value !== null) requireObject(ctx, value, 'SR')
    patch[key] = value ?? undefined
  }
  if (otherConfigChanged) patch.otherConfig = otherConfig
  return ctx.store.update<PoolObject>(pool.id, patch)
}

/** `pool.setDefaultSr`: the SR's pool gets it as default SR. */
export function setDefaultSr(ctx: MockContext, srId: string): PoolObject {
  const sr = requireObject(ctx, srId, 'SR')
  return ctx.store.update<PoolObject>(getPool(ctx, sr.$pool as string).id, { default_SR: sr.id })
}

/** `pool.setPoolMaster` (XAPI `pool.designate_new_master`). */
export function setPoolMaster(ctx: MockContext, hostId: string): PoolObject {
  const host = requireObject<HostObject>(ctx, hostId, 'host')
  const pool = getPool(ctx, host.$pool)
  if (pool.master === host.id) return pool
  if (!isHostLive(host)) throw xapiError('HOST_OFFLINE', host._xapiRef)
  return ctx.store.update<PoolObject>(pool.id, { master: host.id })
}

/** `pool.enableHa` (XAPI `pool.enable_ha`). */
export function enableHa(ctx: MockContext, poolId: string, heartbeatSrs: readonly string[], _configuration?: unknown): PoolObject {
  const pool = getPool(ctx, poolId)
  if (pool.HA_enabled) throw xapiError('HA_IS_ENABLED')
  for (const id of heartbeatSrs) requireObject(ctx, id, 'SR')
  return ctx.store.update<PoolObject>(pool.id, { HA_enabled: true, haSrs: [...new Set(heartbeatSrs)] })
}

/** `pool.disableHa` (XAPI `pool.disable_ha`). */
export function disableHa(ctx: MockContext, poolId: string): PoolObject {
  const pool = getPool(ctx, poolId)
  if (!pool.HA_enabled) throw xapiError('HA_NOT_ENABLED')
  return ctx.store.update<PoolObject>(pool.id, { HA_enabled: false, haSrs: [] })
}

export interface RollingOptions {
  readonly bypassBackupCheck?: boolean
}

/**
 * `pool.rollingReboot` (`xapi/mixins/pool.mjs` `rollingPoolReboot`): every host must run; hosts are
 * evacuated and rebooted one at a time, master first, then the VMs go back where they were. HA is
 * disabled during the run and restored afterwards. Synchronous in the mock.
 */
export function rollingReboot(ctx: MockContext, poolId: string, options: RollingOptions = {}): void {
  const pool = getPool(ctx, poolId)
  if (options.bypassBackupCheck !== true) backupGuard(ctx, pool.id)
  const hosts = hostsOfPool(ctx, pool.id)
  const dead = hosts.find((host) => !isHostLive(host))
  if (dead !== undefined) {
    throw incorrectState({ actual: 'Halted', expected: 'Running', object: dead.id, property: 'power_state' })
  }
  for (const host of hosts) evacuationPlan(ctx, host) // XAPI host.assert_can_evacuate, on every host first
  const ha = pool.HA_enabled ? { haSrs: pool.haSrs } : undefined
  if (ha !== undefined) ctx.store.update(pool.id, { HA_enabled: false, haSrs: [] })
  try {
    const placement = new Map<string, string>()
    for (const vm of ctx.store.ofType<VmObject>('VM')) {
      if (vm.$pool === pool.id && vm.power_state === 'Running') placement.set(vm.id, vm.$container)
    }
    const masterFirst = [...hosts].sort((a, b) => Number(b.id === pool.master) - Number(a.id === pool.master))
    for (const host of masterFirst) {
      clearHost(ctx, ctx.store.get(host.id) as HostObject, false)
      rebootHostRecord(ctx, host.id)
    }
    // migrate the VMs back to where they were
    for (const [vmId, hostId] of placement) {
      const vm = ctx.store.get(vmId) as VmObject | undefined
      if (vm !== undefined && vm.power_state === 'Running' && vm.$container !== hostId && ctx.store.has(hostId)) {
        ctx.store.update(vmId, { $container: hostId })
      }
    }
  } finally {
    if (ha !== undefined) ctx.store.update(pool.id, { HA_enabled: true, haSrs: ha.haSrs })
  }
}

/**
 * `pool.rollingUpdate`: the mock has no patches to install, so it is a rolling reboot that also clears
 * `rebootRequired` (done by the reboots).
 */
export function rollingUpdate(ctx: MockContext, poolId: string, options: RollingOptions = {}): void {
  rollingReboot(ctx, poolId, options)
}

/**
 * `@xen-orchestra/xapi/pool.mjs` `emergencyShutdown` (REST `pools/{id}/actions/emergency_shutdown`):
 * disable HA, disable every host and suspend its VMs, shut the slaves down, then the master.
 */
export function emergencyShutdown(ctx: MockContext, poolId: string): void {
  const pool = getPool(ctx, poolId)
  if (pool.HA_enabled) ctx.store.update(pool.id, { HA_enabled: false, haSrs: [] })
  const hosts = hostsOfPool(ctx, pool.id)
  for (const host of hosts) {
    if (!isHostLive(host)) continue
    ctx.store.update(host.id, { enabled: false })
    for (const vmId of [...(ctx.store.get(host.id) as HostObject).residentVms]) {
      const vm = ctx.store.get(vmId) as VmObject | undefined
      if (vm?.type === 'VM' && vm.power_state === 'Running') suspendVmRecord(ctx, vm.id)
    }
  }
  const order = [...hosts.filter((host) => host.id !== pool.master), ...hosts.filter((host) => host.id === pool.master)]
  for (const host of order) {
    if (isHostLive(ctx.store.get(host.id) as HostObject)) shutdownHostRecord(ctx, host.id)
  }
}

/** `pool.listMissingPatches`: the mock hosts are always up to date. */
export function listMissingPatches(ctx: MockContext, hostId: string): unknown[] {
  requireObject(ctx, hostId, 'host')
  return []
}

/**
 * `pool.managementReconfigure` (XAPI `pool.management_reconfigure`): on every host, the PIF of this
 * network becomes the management interface. Every host needs a configured PIF on the network.
 */
export function managementReconfigurePool(ctx: MockContext, poolId: string, networkId: string): void {
  const pool = getPool(ctx, poolId)
  const network = requireObject(ctx, networkId, 'network')
  const hosts = hostsOfPool(ctx, pool.id)
  const pifByHost = new Map<string, XoObject>()
  for (const pif of ctx.store.ofType('PIF')) {
    if (pif.$network === network.id) pifByHost.set(pif.$host as string, pif)
  }
  for (const host of hosts) {
    const pif = pifByHost.get(host.id)
    if (pif === undefined) throw xapiError('PIF_NOT_PRESENT', host._xapiRef, network._xapiRef as string)
    if (pif.mode === 'None' && pif.ipv6Mode !== 'Static' && pif.ipv6Mode !== 'DHCP' && pif.ipv6Mode !== 'Autoconf') {
      throw xapiError('PIF_HAS_NO_NETWORK_CONFIGURATION', pif._xapiRef as string)
    }
  }
  for (const host of hosts) setManagementPif(ctx, pifByHost.get(host.id)!)
}

/** Makes this PIF its host's management interface (and the host address its IP, when it has one). */
export function setManagementPif(ctx: MockContext, pif: XoObject): void {
  for (const other of ctx.store.ofType('PIF')) {
    if (other.$host === pif.$host && other.id !== pif.id && other.management === true) ctx.store.update(other.id, { management: false })
  }
  ctx.store.update(pif.id, { management: true })
  if (typeof pif.ip === 'string' && pif.ip !== '') ctx.store.update(pif.$host as string, { address: pif.ip })
}

export interface PoolCriteria {
  readonly minAvailableHostMemory?: number
  readonly minAvailableSrSize?: number
  readonly minHostCpus?: number
  readonly minHostVersion?: string
  readonly poolNameRegExp?: string
  readonly srNameRegExp?: string
}

/** `pool.listPoolsMatchingCriteria` (`xo-mixins/pool.mjs`): the pool objects matching every criterion. */
export function listPoolsMatchingCriteria(ctx: MockContext, criteria: PoolCriteria = {}): PoolObject[] {
  const { minAvailableHostMemory = 0, minAvailableSrSize = 0, minHostCpus = 0, minHostVersion } = criteria
  const poolName = criteria.poolNameRegExp === undefined ? undefined : new RegExp(criteria.poolNameRegExp)
  const srName = criteria.srNameRegExp === undefined ? undefined : new RegExp(criteria.srNameRegExp)
  const num = (value: unknown) => (typeof value === 'number' ? value : 0)
  return [...ctx.store.ofType<PoolObject>('pool')].filter((pool) => {
    if (poolName !== undefined && !poolName.test(pool.name_label)) return false
    const hostOk = hostsOfPool(ctx, pool.id).some((host) => {
      const memory = (host.memory ?? {}) as { size?: number; usage?: number }
      const cpus = (host.cpus ?? {}) as { cores?: number }
      return (
        (minHostVersion === undefined || compareVersions(String(host.version ?? '0'), minHostVersion) >= 0) &&
        num(cpus.cores) >= minHostCpus &&
        num(memory.size) - num(memory.usage) >= minAvailableHostMemory
      )
    })
    if (!hostOk) return false
    return [...ctx.store.ofType('SR')].some(
      (sr) =>
        sr.$pool === pool.id &&
        num(sr.size) - num(sr.physical_usage) >= minAvailableSrSize &&
        (srName === undefined || srName.test(String(sr.name_label))),
    )
  })
}

/** Compares dotted numeric versions (`8.2.1` < `8.3.0`); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((part) => Number.parseInt(part, 10) || 0)
  const pb = b.split('.').map((part) => Number.parseInt(part, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return 0
}
