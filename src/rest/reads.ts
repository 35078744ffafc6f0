/**
 * The GET routes of XO's REST API beyond the plain collections (routes.ts), reference §2, §5, §13:
 * - dashboards: `/dashboard` (admin-only), `/pools/{id}/dashboard`, `/vms/{id}/dashboard`, each with
 *   `?ndjson` (one line per part, nested by its path);
 * - stats: `/vms|hosts|pools/{id}/stats?granularity` with plausible, deterministic series (a value
 *   depends on the object, the metric and the timestamp only, so successive calls agree);
 * - hosts: `missing_patches` (also pools), `smt`, `audit.txt`, `logs.tgz`;
 * - backups: `backup-archives` (`?backup-repository`), `backup-repositories/{id}/health`,
 *   `vms/{id}/backup-jobs`, the deprecated `backup/jobs/{vm,metadata,mirror}`, `backup/logs`,
 *   `restore/logs` (hrefs point to the new collections) and the hidden 308
 *   `GET /backup/jobs/{id}` → `/backup/jobs/vm/{id}`;
 * - RBAC: `acl-roles` (+ `privileges`, `users`, `groups`), `acl-privileges`, `users/{id}/acl-privileges`,
 *   `groups/{id}/acl-roles`; `users/{id}/authentication_tokens`.
 * - legacy profile only: `GET /backup`, `/backup/jobs`, `/restore` (href lists) and `/backups*` → 308.
 *
 * Every route is registered only if no earlier plugin answers it yet (coverage.ts `isAnswered`), so
 * another part of the API may implement any of them without a clash.
 */
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import type { MockContext } from '../context.js'
import { serializeToken } from '../domain/auth.js'
import { XapiError } from '../domain/errors.js'
import { isHyperThreadingEnabled } from '../domain/host.js'
import { fnv1a, listMissingPatches } from '../domain/pool.js'
import type { TokenObject, XoObject } from '../inventory/types.js'
import { isAlarm, parseAlarm } from './alarms.js'
import { requestUser } from './auth.js'
import { jobTypeOf, findIn, objectsOf, type CollectionDef, type SubCollectionDef, type SubCollectionName } from './collections.js'
import { fastifyPath, isAnswered } from './coverage.js'
import { LegacyReply, RestApiError, ValidationError, noSuchObject, notEnoughPermissions } from './errors.js'
import type { RestKit } from './index.js'
import { assertCanRead, assertObjectRouteAllowed } from './permissions.js'
import { legacyJsonArray, listRoute, objectRoute, requestPath, subCollectionRoute } from './routes.js'
import { NDJSON_CONTENT_TYPE, ndjsonLine, sendJson } from './serialize.js'

type Obj = Record<string, unknown>
type IdRequest = FastifyRequest<{ Params: { id: string } }>

// --- small helpers -------------------------------------------------------------------------------

const num = (value: unknown, fallback = 0): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback)
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
const round = (value: number, digits = 4): number => Number(value.toFixed(digits))

/** Deterministic noise in [0, 1) from a key. */
function noise(key: string): number {
  return fnv1a(key) / 4294967296
}

const withoutStoreType = (object: XoObject): Obj => {
  const { type: _type, ...rest } = object
  return rest
}

/** XAPI's `HOST_OFFLINE(<ref>)`: 500 with XO's `info` (errors.ts). */
function hostOffline(host: XoObject): Error {
  return new XapiError('HOST_OFFLINE', [String(host._xapiRef ?? host.id)])
}

/**
 * value-matcher (`createPredicate`) as backup jobs use it for `vms`: `__or`/`__and`/`__not`, objects
 * match key by key, array patterns need every element matched by some element of the value.
 */
function matches(pattern: unknown, value: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object') return pattern === value
  if (Array.isArray(pattern)) return Array.isArray(value) && pattern.every((sub) => value.some((item) => matches(sub, item)))
  const p = pattern as Obj
  if (Array.isArray(p.__or)) return p.__or.some((sub) => matches(sub, value))
  if (Array.isArray(p.__and)) return p.__and.every((sub) => matches(sub, value))
  if ('__not' in p) return !matches(p.__not, value)
  if (value === null || typeof value !== 'object') return false
  const v = value as Obj
  return Object.keys(p).every((key) => matches(p[key], v[key]))
}

/** Whether a VM belongs to a backup job (its `vms` pattern). */
function jobIncludesVm(job: XoObject, vm: XoObject): boolean {
  return job.vms !== undefined && matches(job.vms, vm)
}

/** tsoa's boolean rule for `ndjson` on dashboards (a bare flag counts as true, like collections). */
function parseNdjsonFlag(ctx: MockContext, query: unknown): boolean {
  const value = (query as Obj | undefined)?.ndjson
  if (ctx.config.apiProfile === 'legacy') return false // the legacy dashboard was plain JSON
  if (value === undefined) return false
  if (value === '' || (typeof value === 'string' && value.toLowerCase() === 'true')) return true
  if (typeof value === 'string' && value.toLowerCase() === 'false') return false
  throw new ValidationError({ ndjson: { message: 'invalid boolean value', value } })
}

/**
 * A dashboard: pretty JSON, or with `ndjson` one line per part, nested by its path
 * (`{"hosts":{"status":{…}}}`).
 */
function sendDashboard(reply: FastifyReply, parts: readonly [string, unknown][], ndjson: boolean): FastifyReply {
  if (ndjson) {
    let body = ''
    for (const [path, value] of parts) {
      if (value === undefined) continue
      const keys = path.split('.')
      let line: unknown = value
      for (let i = keys.length - 1; i >= 0; i--) line = { [keys[i]!]: line }
      body += ndjsonLine(line)
    }
    // a Buffer: Fastify would append a charset to a string body
    return reply.header('content-type', NDJSON_CONTENT_TYPE).send(Buffer.from(body))
  }
  const out: Obj = {}
  for (const [path, value] of parts) {
    if (value === undefined) continue
    const keys = path.split('.')
    let target = out
    for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Obj
    target[keys[keys.length - 1]!] = value
  }
  return sendJson(reply, out)
}

// --- stats ---------------------------------------------------------------------------------------

/** RRD archives of XAPI: step (s) and number of points kept. */
const GRANULARITIES: Readonly<Record<string, { readonly interval: number; readonly points: number }>> = {
  seconds: { interval: 5, points: 120 },
  minutes: { interval: 60, points: 120 },
  hours: { interval: 3600, points: 168 },
  days: { interval: 86400, points: 366 },
}

function parseGranularity(query: unknown): { interval: number; points: number } {
  const value = (query as Obj | undefined)?.granularity
  if (value === undefined) return GRANULARITIES.seconds!
  const found = typeof value === 'string' ? GRANULARITIES[value] : undefined
  if (found === undefined) {
    throw new ValidationError({
      granularity: { message: `should be one of the following; ['${Object.keys(GRANULARITIES).join("','")}']`, value },
    })
  }
  return found
}

interface SeriesClock {
  readonly end: number
  readonly interval: number
  readonly points: number
}

/** A series around `base` (± `spread` relative), one value per step ending at `end`. */
function series(clock: SeriesClock, key: string, base: number, spread: number, min = 0, max = Infinity): number[] {
  const values: number[] = []
  for (let i = clock.points - 1; i >= 0; i--) {
    const t = clock.end - i * clock.interval
    const wave = Math.sin((t / clock.interval / 12) * Math.PI + noise(key) * 6)
    const value = base * (1 + spread * (0.6 * wave + 0.8 * (noise(`${key}:${t}`) - 0.5)))
    values.push(round(Math.min(max, Math.max(min, value))))
  }
  return values
}

function statsClock(ctx: MockContext, query: unknown): SeriesClock {
  const { interval, points } = parseGranularity(query)
  return { end: Math.floor(ctx.clock.now() / 1000 / interval) * interval, interval, points }
}

function vmStats(ctx: MockContext, vm: XoObject, clock: SeriesClock): Obj {
  const id = vm.id
  const cpus: Obj = {}
  const nCpus = Math.max(1, num((vm.CPUs as Obj | undefined)?.number, 1))
  const load = 2 + 30 * noise(`${id}:load`)
  for (let i = 0; i < nCpus; i++) cpus[i] = series(clock, `${id}:cpu${i}`, load, 0.5, 0, 100)
  const memory = num((vm.memory as Obj | undefined)?.size, 1 << 30)
  const vifs: { rx: Obj; tx: Obj } = { rx: {}, tx: {} }
  for (const vifId of list(vm.VIFs)) {
    const vif = typeof vifId === 'string' ? ctx.store.get(vifId) : undefined
    const device = str(vif?.device) ?? String(Object.keys(vifs.rx).length)
    vifs.rx[device] = series(clock, `${id}:vif${device}:rx`, 2000 + 50000 * noise(`${id}:${device}:rx`), 0.9)
    vifs.tx[device] = series(clock, `${id}:vif${device}:tx`, 1000 + 20000 * noise(`${id}:${device}:tx`), 0.9)
  }
  const xvds: { r: Obj; w: Obj } = { r: {}, w: {} }
  const iops: { r: Obj; w: Obj } = { r: {}, w: {} }
  for (const vbdId of list(vm.$VBDs)) {
    const vbd = typeof vbdId === 'string' ? ctx.store.get(vbdId) : undefined
    const device = str(vbd?.device)
    if (vbd === undefined || vbd.is_cd_drive === true || device === undefined) continue
    const key = device.replace(/^xvd/, '')
    xvds.r[key] = series(clock, `${id}:${key}:r`, 5000 + 200000 * noise(`${id}:${key}:r`), 0.9)
    xvds.w[key] = series(clock, `${id}:${key}:w`, 2000 + 100000 * noise(`${id}:${key}:w`), 0.9)
    iops.r[key] = series(clock, `${id}:${key}:iops:r`, 1 + 40 * noise(`${id}:${key}:iops:r`), 0.9)
    iops.w[key] = series(clock, `${id}:${key}:iops:w`, 1 + 20 * noise(`${id}:${key}:iops:w`), 0.9)
  }
  return {
    endTimestamp: clock.end,
    interval: clock.interval,
    stats: {
      cpus,
      iops,
      memory: series(clock, `${id}:memory`, memory, 0),
      memoryFree: series(clock, `${id}:memoryFree`, memory * (0.3 + 0.4 * noise(`${id}:free`)), 0.1, 0, memory),
      vifs,
      xvds,
    },
  }
}

function hostStats(ctx: MockContext, host: XoObject, clock: SeriesClock): Obj {
  const id = host.id
  const cpus: Obj = {}
  const nCpus = Math.max(1, num((host.cpus as Obj | undefined)?.cores, 4))
  const busy = 2 + 25 * noise(`${id}:busy`)
  for (let i = 0; i < nCpus; i++) cpus[i] = series(clock, `${id}:cpu${i}`, busy, 0.6, 0, 100)
  const memory = num((host.memory as Obj | undefined)?.size, 32 * 2 ** 30)
  const used = num((host.memory as Obj | undefined)?.usage, memory / 4)
  const pifs: { rx: Obj; tx: Obj } = { rx: {}, tx: {} }
  for (const pifId of list(host.$PIFs ?? host.PIFs)) {
    const pif = typeof pifId === 'string' ? ctx.store.get(pifId) : undefined
    const device = (str(pif?.device) ?? String(Object.keys(pifs.rx).length)).replace(/^eth/, '')
    pifs.rx[device] = series(clock, `${id}:pif${device}:rx`, 100 + 5000 * noise(`${id}:${device}:rx`), 0.9)
    pifs.tx[device] = series(clock, `${id}:pif${device}:tx`, 50 + 3000 * noise(`${id}:${device}:tx`), 0.9)
  }
  const io = { ioThroughput: { r: {} as Obj, w: {} as Obj }, iops: { r: {} as Obj, w: {} as Obj }, iowait: {} as Obj, latency: { r: {} as Obj, w: {} as Obj } }
  for (const pbdId of list(host.$PBDs)) {
    const pbd = typeof pbdId === 'string' ? ctx.store.get(pbdId) : undefined
    const sr = str(pbd?.SR)
    if (sr === undefined) continue
    const key = sr.slice(0, 8)
    const k = `${id}:${key}`
    io.ioThroughput.r[key] = series(clock, `${k}:tr`, 1e5 * noise(`${k}:tr`), 0.9)
    io.ioThroughput.w[key] = series(clock, `${k}:tw`, 1e5 * noise(`${k}:tw`), 0.9)
    io.iops.r[key] = series(clock, `${k}:ir`, 30 * noise(`${k}:ir`), 0.9)
    io.iops.w[key] = series(clock, `${k}:iw`, 30 * noise(`${k}:iw`), 0.9)
    io.iowait[key] = series(clock, `${k}:wait`, 0.05 * noise(`${k}:wait`), 0.9)
    io.latency.r[key] = series(clock, `${k}:lr`, 0.2 + 2 * noise(`${k}:lr`), 0.5)
    io.latency.w[key] = series(clock, `${k}:lw`, 0.2 + 2 * noise(`${k}:lw`), 0.5)
  }
  return {
    endTimestamp: clock.end,
    interval: clock.interval,
    stats: {
      cpus,
      load: series(clock, `${id}:load`, 0.1 + nCpus * 0.05 * noise(`${id}:loadavg`), 0.5),
      memory: series(clock, `${id}:memory`, memory, 0),
      memoryFree: series(clock, `${id}:memoryFree`, memory - used, 0.05, 0, memory),
      pifs,
      ...io,
    },
  }
}

// --- dashboards ----------------------------------------------------------------------------------

const isWritableSr = (sr: XoObject): boolean => sr.content_type !== 'iso' && sr.SR_type !== 'iso' && sr.SR_type !== 'udev' && num(sr.size) > 0

function srTotals(srs: readonly XoObject[]): { available: number; other: number; replicated: number; total: number; used: number } {
  let total = 0
  let used = 0
  for (const sr of srs) {
    total += num(sr.size)
    used += num(sr.physical_usage)
  }
  return { available: total - used, other: used, replicated: 0, total, used }
}

function vmsStatusOf(vms: Iterable<XoObject>) {
  const status = { running: 0, halted: 0, paused: 0, suspended: 0, unknown: 0, total: 0 }
  for (const vm of vms) {
    status.total++
    switch (vm.power_state) {
      case 'Running':
        status.running++
        break
      case 'Halted':
        status.halted++
        break
      case 'Paused':
        status.paused++
        break
      case 'Suspended':
        status.suspended++
        break
      default:
        status.unknown++
    }
  }
  return status
}

function hostsStatusOf(hosts: Iterable<XoObject>) {
  const status = { running: 0, disabled: 0, halted: 0, unknown: 0, total: 0 }
  for (const host of hosts) {
    status.total++
    if (host.power_state === 'Running') {
      if (host.enabled === false) status.disabled++
      else status.running++
    } else if (host.power_state === 'Halted') status.halted++
    else status.unknown++
  }
  return status
}

function backupJobs(ctx: MockContext): XoObject[] {
  return [...ctx.store.ofType('job')].filter((job) => ['backup', 'metadataBackup', 'mirrorBackup'].includes(jobTypeOf(job)))
}

/** Backup logs of a job (`message` backup/metadata), oldest first. */
function logsOfJob(ctx: MockContext, jobId: string): XoObject[] {
  return [...ctx.store.ofType('backupLog')].filter((log) => log.jobId === jobId).sort((a, b) => num(a.start) - num(b.start))
}

function hasEnabledSchedule(ctx: MockContext, job: XoObject): boolean {
  for (const schedule of ctx.store.ofType('schedule')) if (schedule.jobId === job.id && schedule.enabled === true) return true
  return false
}

const isReplica = (vm: XoObject): boolean => typeof (vm.other as Obj | undefined)?.['xo:backup:job'] === 'string'

function backupsInfo(ctx: MockContext): Obj {
  const jobs = backupJobs(ctx)
  if (jobs.length === 0) return { isEmpty: true }
  const vms = [...ctx.store.ofType('VM')].filter((vm) => !isReplica(vm))
  const protectedIds = new Set<string>()
  const unprotectedIds = new Set<string>()
  const mark = (job: XoObject, isProtected: boolean) => {
    if (jobTypeOf(job) !== 'backup') return
    for (const vm of vms) {
      if (!jobIncludesVm(job, vm) || protectedIds.has(vm.id)) continue
      if (isProtected) {
        protectedIds.add(vm.id)
        unprotectedIds.delete(vm.id)
      } else unprotectedIds.add(vm.id)
    }
  }
  const counts = { disabled: 0, failed: 0, noRecentRun: 0, skipped: 0, successful: 0, total: jobs.length }
  const issues: Obj[] = []
  for (const job of jobs) {
    if (!hasEnabledSchedule(ctx, job)) {
      mark(job, false)
      counts.disabled++
      continue
    }
    const logs = logsOfJob(ctx, job.id).slice(-3).reverse()
    if (logs.length === 0) {
      mark(job, false)
      counts.noRecentRun++
      continue
    }
    mark(job, logs[0]!.status === 'success')
    const failed = logs.find((log) => log.status !== 'success')
    if (failed === undefined) counts.successful++
    else {
      if (failed.status === 'skipped') counts.skipped++
      else counts.failed++
      issues.push({ logs: logs.map((log) => String(log.status)), name: job.name, type: jobTypeOf(job), uuid: job.id })
    }
  }
  return {
    jobs: counts,
    issues,
    vmsProtection: { protected: protectedIds.size, unprotected: unprotectedIds.size, notInJob: vms.length - protectedIds.size - unprotectedIds.size },
  }
}

function backupRepositoriesInfo(ctx: MockContext): Obj {
  const remotes = [...ctx.store.ofType('remote')].filter((remote) => remote.enabled !== false)
  if (remotes.length === 0) return { isEmpty: true }
  const s3 = { backups: 0 }
  const other = { available: 0, backups: 0, other: 0, total: 0, used: 0 }
  const archives = [...ctx.store.ofType('backupArchive')]
  for (const remote of remotes) {
    const backups = archives.filter((archive) => archive.backupRepository === remote.id).reduce((sum, archive) => sum + num(archive.size), 0)
    if (String(remote.url).startsWith('s3')) {
      s3.backups += backups
      continue
    }
    const info = (remote.info ?? {}) as Obj
    const used = Math.max(num(info.used), backups)
    other.backups += backups
    other.used += used
    other.other += used - backups
    other.total += num(info.size, used)
    other.available += num(info.available, num(info.size, used) - used)
  }
  return { s3: { size: s3 }, other: { size: other } }
}

function missingPatchesOf(ctx: MockContext, hosts: readonly XoObject[]): Map<string, unknown[]> {
  const byHost = new Map<string, unknown[]>()
  for (const host of hosts) byHost.set(host.id, listMissingPatches(ctx, host.id))
  return byHost
}

function xoaDashboard(ctx: MockContext): [string, unknown][] {
  const pools = [...ctx.store.ofType('pool')]
  const hosts = [...ctx.store.ofType('host')]
  const srs = [...ctx.store.ofType('SR')].filter(isWritableSr)
  const poolIds = new Set(pools.map((pool) => pool.id))
  const servers = [...ctx.store.ofType('server')]
  let poolsStatus: Obj
  if (servers.length === 0) {
    poolsStatus = { connected: pools.length, disconnected: 0, unreachable: 0, unknown: 0, total: pools.length }
  } else {
    const status = { connected: 0, disconnected: 0, unreachable: 0, unknown: 0, total: servers.length }
    for (const server of servers) {
      if (server.status === 'connected' && poolIds.has(String(server.poolId))) status.connected++
      else if (server.status === 'disconnected' && server.error !== undefined && server.error !== null) status.unreachable++
      else if (server.status === 'disconnected') status.disconnected++
      else status.unknown++
    }
    poolsStatus = status
  }
  const sizes = srTotals(srs)
  const nCpus = pools.reduce((sum, pool) => sum + num((pool.cpus as Obj | undefined)?.cores), 0) || hosts.reduce((sum, host) => sum + num((host.cpus as Obj | undefined)?.cores), 0)
  const patches = missingPatchesOf(ctx, hosts)
  const hostsWithPatches = hosts.filter((host) => (patches.get(host.id) ?? []).length > 0)
  const vmsStatus = vmsStatusOf(ctx.store.ofType('VM'))
  return [
    ['nPools', pools.length],
    ['nHosts', hosts.length],
    ['poolsStatus', poolsStatus],
    ['resourcesOverview', { nCpus, memorySize: hosts.reduce((sum, host) => sum + num((host.memory as Obj | undefined)?.size), 0), srSize: sizes.total }],
    ['storageRepositories', { size: sizes }],
    ['backups', backupsInfo(ctx)],
    ['backupRepositories', backupRepositoriesInfo(ctx)],
    [
      'missingPatches',
      {
        hasAuthorization: true,
        nHosts: hosts.length,
        nHostsEol: 0,
        nHostsFailed: 0,
        nHostsWithMissingPatches: hostsWithPatches.length,
        nPools: pools.length,
        nPoolsWithMissingPatches: new Set(hostsWithPatches.map((host) => host.$pool)).size,
      },
    ],
    [
      'vmsStatus',
      {
        active: vmsStatus.running + vmsStatus.paused,
        inactive: vmsStatus.halted + vmsStatus.suspended,
        ...vmsStatus,
      },
    ],
    ['hostsStatus', hostsStatusOf(hosts)],
  ]
}

function top5<T extends { percent: number }>(items: T[]): T[] {
  return items.sort((a, b) => (Number.isNaN(a.percent) ? 1 : Number.isNaN(b.percent) ? -1 : b.percent - a.percent)).slice(0, 5)
}

function poolDashboard(ctx: MockContext, pool: XoObject): [string, unknown][] {
  const inPool = (object: XoObject) => object.$pool === pool.id
  const hosts = [...ctx.store.ofType('host')].filter(inPool)
  const vms = [...ctx.store.ofType('VM')].filter(inPool)
  const running = hosts.filter((host) => host.power_state === 'Running')
  const patches = new Map<string, unknown>()
  for (const host of hosts) {
    for (const patch of listMissingPatches(ctx, host.id) as Obj[]) {
      patches.set(str(patch.uuid) ?? `${String(patch.name)}-${String(patch.version)}-${String(patch.release)}`, patch)
    }
  }
  const runningVms = vms.filter((vm) => vm.power_state === 'Running')
  const status = vmsStatusOf(vms)
  const { unknown: _unknown, ...hostStatus } = hostsStatusOf(hosts)
  const totalCpus = hosts.reduce((sum, host) => sum + num((host.cpus as Obj | undefined)?.cores), 0)
  const assigned = runningVms.reduce((sum, vm) => sum + num((vm.CPUs as Obj | undefined)?.number), 0)
  return [
    ['hosts.status', hostStatus],
    [
      'hosts.topFiveUsage',
      {
        ram: top5(
          running.map((host) => {
            const memory = (host.memory ?? {}) as Obj
            const size = num(memory.size)
            const usage = num(memory.usage)
            return { name_label: String(host.name_label), id: host.id, size, usage, percent: size === 0 ? NaN : (usage / size) * 100 }
          }),
        ),
        cpu: top5(running.map((host) => ({ percent: round(2 + 25 * noise(`${host.id}:busy`), 6), id: host.id, name_label: String(host.name_label) }))),
      },
    ],
    ['hosts.missingPatches', { hasAuthorization: true, missingPatches: [...patches.values()] }],
    ['vms.status', { running: status.running, halted: status.halted, paused: status.paused, total: status.total, suspended: status.suspended }],
    [
      'vms.topFiveUsage',
      {
        ram: top5(
          runningVms.map((vm) => {
            const memory = num((vm.memory as Obj | undefined)?.size)
            const memoryFree = Math.round(memory * (0.3 + 0.4 * noise(`${vm.id}:free`)))
            return { id: vm.id, name_label: String(vm.name_label), memory, memoryFree, percent: memory === 0 ? NaN : ((memory - memoryFree) / memory) * 100 }
          }),
        ),
        cpu: top5(runningVms.map((vm) => ({ id: vm.id, name_label: String(vm.name_label), percent: round(2 + 30 * noise(`${vm.id}:load`), 6) }))),
      },
    ],
    [
      'srs.topFiveUsage',
      top5(
        [...ctx.store.ofType('SR')]
          .filter((sr) => inPool(sr) && isWritableSr(sr))
          .map((sr) => ({ name_label: String(sr.name_label), id: sr.id, percent: (num(sr.physical_usage) / num(sr.size)) * 100, physical_usage: num(sr.physical_usage), size: num(sr.size) })),
      ),
    ],
    ['alarms', [...ctx.store.ofType('message')].filter((message) => inPool(message) && isAlarm(message)).map((message) => parseAlarm(ctx.store, message, ctx.restBase))],
    ['cpuProvisioning', { total: totalCpus, assigned, percent: totalCpus === 0 ? 0 : (assigned / totalCpus) * 100 }],
  ]
}

function vmDashboard(ctx: MockContext, vm: XoObject): [string, unknown][] {
  const quickInfo: Obj = {
    id: vm.id,
    power_state: vm.power_state,
    uuid: vm.uuid,
    name_description: vm.name_description,
    CPUs: { number: (vm.CPUs as Obj | undefined)?.number },
    mainIpAddress: vm.mainIpAddress,
    os_version: { name: (vm.os_version as Obj | null | undefined)?.name },
    memory: { size: (vm.memory as Obj | undefined)?.size },
    creation: { date: (vm.creation as Obj | undefined)?.date, user: (vm.creation as Obj | undefined)?.user },
    $pool: vm.$pool,
    virtualizationMode: vm.virtualizationMode,
    tags: vm.tags,
    host: vm.$container === vm.$pool ? undefined : vm.$container,
    pvDriversDetected: vm.pvDriversDetected ?? false,
    pvDriversVersion: vm.pvDriversVersion,
    pvDriversUpToDate: vm.pvDriversUpToDate,
    startTime: vm.startTime,
  }
  const alarms = [...ctx.store.ofType('message')].filter((message) => isAlarm(message) && (message.$object === vm.id || message.$object === vm.uuid)).map((message) => message.id)

  // last replica: a VM whose other_config says it is a replica of this one
  let replication: Obj = {}
  let last = -Infinity
  for (const candidate of ctx.store.ofType('VM')) {
    const other = (candidate.other ?? {}) as Obj
    if (other['xo:backup:vm'] !== vm.id) continue
    const datetime = str(other['xo:backup:datetime'])
    const timestamp = datetime === undefined ? NaN : Date.parse(datetime.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'))
    if (!(timestamp > last)) continue
    last = timestamp
    replication = { id: candidate.id, timestamp }
    const sr = [...ctx.store.ofType('VBD')].filter((vbd) => vbd.VM === vm.id).map((vbd) => ctx.store.get(String(vbd.VDI))?.$SR)
    if (sr.length > 0 && sr.every((value) => value === sr[0]) && typeof sr[0] === 'string') replication.sr = sr[0]
  }

  const jobs = backupJobs(ctx).filter((job) => jobTypeOf(job) === 'backup' && jobIncludesVm(job, vm))
  const jobIds = new Set(jobs.map((job) => job.id))
  const logs = [...ctx.store.ofType('backupLog')].filter((log) => log.message === 'backup' && jobIds.has(String(log.jobId))).sort((a, b) => num(a.start) - num(b.start))
  const lastRuns = logs
    .slice(-3)
    .reverse()
    .map((log) => ({ backupJobId: String(log.jobId), timestamp: num(log.end, num(log.start)), status: String(log.status) }))
  let vmProtection = 'not-in-active-job'
  const activeJobs = jobs.filter((job) => hasEnabledSchedule(ctx, job))
  if (activeJobs.length > 0) {
    const isProtected = activeJobs.some((job) => {
      const jobLogs = logs.filter((log) => log.jobId === job.id && log.status !== 'pending').slice(-3)
      return (
        jobLogs.length > 0 &&
        jobLogs.every((log) => log.status === 'success' || list(log.tasks).some((task) => (task as Obj).status === 'success' && ((task as Obj).data as Obj | undefined)?.id === vm.id))
      )
    })
    vmProtection = isProtected ? 'protected' : 'unprotected'
  }
  const backupArchives = [...ctx.store.ofType('backupArchive')]
    .filter((archive) => (archive.vm as Obj | undefined)?.uuid === vm.uuid)
    .sort((a, b) => num(b.timestamp) - num(a.timestamp))
    .slice(0, 3)
    .map((archive) => ({ id: archive.id, timestamp: num(archive.timestamp), backupRepository: String(archive.backupRepository), size: num(archive.size) }))
  return [
    ['quickInfo', JSON.parse(JSON.stringify(quickInfo)) as Obj],
    ['alarms', alarms],
    ['backupsInfo.lastRuns', lastRuns],
    ['backupsInfo.vmProtection', vmProtection],
    ['backupsInfo.replication', replication],
    ['backupsInfo.backupArchives', backupArchives],
  ]
}

// --- host downloads ------------------------------------------------------------------------------

/** The name XO puts in the audit log file name: the oa-example host's (a real XO bug, reference §5). */
const AUDIT_FILE_HOST_NAME = 'XCP XO 8.3.0 master'

function auditLog(ctx: MockContext, host: XoObject): string {
  const lines: string[] = []
  const hostname = str(host.hostname) ?? str(host.name_label) ?? 'xcp-ng'
  const start = ctx.clock.now() - 3600_000
  const calls = ['session.login_with_password', 'VM.get_all_records', 'host.get_servertime', 'VM.start', 'event.from', 'session.logout']
  for (let i = 0; i < 12; i++) {
    const date = new Date(start + i * 300_000)
    const stamp = `${date.toUTCString().slice(8, 11)} ${String(date.getUTCDate()).padStart(2, ' ')} ${date.toISOString().slice(11, 19)}`
    const call = calls[i % calls.length]!
    lines.push(
      `${stamp} ${hostname} xapi: [ info||${1000 + i} HTTPS 10.0.0.${10 + (i % 5)}->:::80|${call} D:${(fnv1a(`${host.id}${i}`) >>> 0).toString(16).padStart(8, '0')}|audit] ` +
        `('trackid=${fnv1a(`${host.id}:${i}`).toString(16)}' 'LOCAL_SUPERUSER' 'root' 'ALLOWED' 'OK' 'API' '${call}' ())`,
    )
  }
  return lines.join('\n') + '\n'
}

/** A minimal ustar archive of text files. */
function tar(files: readonly { name: string; content: string; mtime: number }[]): Buffer {
  const blocks: Buffer[] = []
  for (const file of files) {
    const data = Buffer.from(file.content)
    const header = Buffer.alloc(512)
    const write = (text: string, offset: number, length: number) => header.write(text.slice(0, length), offset, length, 'ascii')
    const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0'
    write(file.name, 0, 100)
    write(octal(0o644, 8), 100, 8)
    write(octal(0, 8), 108, 8)
    write(octal(0, 8), 116, 8)
    write(octal(data.length, 12), 124, 12)
    write(octal(Math.floor(file.mtime / 1000), 12), 136, 12)
    header.fill(' ', 148, 156)
    write('0', 156, 1)
    write('ustar\u000000', 257, 8)
    write('root', 265, 32)
    write('root', 297, 32)
    let sum = 0
    for (const byte of header) sum += byte
    write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8)
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

function hostLogs(ctx: MockContext, host: XoObject): Buffer {
  const now = ctx.clock.now()
  const hostname = str(host.hostname) ?? 'xcp-ng'
  const stamp = new Date(now).toISOString()
  return gzipSync(
    tar([
      { name: 'var/log/xensource.log', content: `${stamp} ${hostname} xapi: [ info||1 |xapi init|] xapi starting up (${String(host.version ?? '8.3.0')})\n`, mtime: now },
      { name: 'var/log/SMlog', content: `${stamp} ${hostname} SM: [1234] lock: opening lock file /var/lock/sm/sr/sr\n`, mtime: now },
      { name: 'var/log/daemon.log', content: `${stamp} ${hostname} systemd[1]: Started XAPI toolstack.\n`, mtime: now },
      { name: 'etc/xensource-inventory', content: `INSTALLATION_UUID='${String(host.uuid ?? host.id)}'\nPRODUCT_BRAND='${String(host.productBrand ?? 'XCP-ng')}'\n`, mtime: now },
    ]),
  )
}

function acceptsGzip(request: FastifyRequest): boolean {
  const header = request.headers['accept-encoding']
  const text = Array.isArray(header) ? header.join(',') : (header ?? '')
  return text.split(',').some((part) => {
    const coding = part.split(';')[0]!.trim().toLowerCase()
    return coding === 'gzip' || coding === 'x-gzip'
  })
}

// --- RBAC collections ----------------------------------------------------------------------------

function xoSideDef(name: string, type: string, xoType: string, resource: string, serialize: (object: XoObject) => Obj = withoutStoreType): CollectionDef {
  return { name, types: [type], xoType, resource, access: 'admin', serialize, subCollections: [], cacheable: true }
}

function sub(name: SubCollectionName, target: CollectionDef, items: (ctx: MockContext, parent: XoObject) => Iterable<XoObject>, access: SubCollectionDef['access'] = 'any'): SubCollectionDef {
  return { name, access, cacheable: true, items, targetOf: () => target }
}

/** Roles of a user: naming the user, or one of their groups (role `groupIds` or group `aclRoleIds`). */
function rolesOfUser(ctx: MockContext, user: XoObject): XoObject[] {
  const groups = new Set(list(user.groups).map(String))
  for (const group of ctx.store.ofType('group')) if (list(group.users).includes(user.id)) groups.add(group.id)
  const roleIds = new Set<string>()
  for (const group of ctx.store.ofType('group')) if (groups.has(group.id)) for (const id of list(group.aclRoleIds)) roleIds.add(String(id))
  return [...ctx.store.ofType('aclRole')].filter(
    (role) => roleIds.has(role.id) || list(role.userIds).includes(user.id) || list(role.groupIds).some((id) => groups.has(String(id))),
  )
}

function privilegesOfRole(ctx: MockContext, role: XoObject): XoObject[] {
  const ids = new Set(list(role.privilegeIds).map(String))
  return [...ctx.store.ofType('aclPrivilege')].filter((privilege) => privilege.roleId === role.id || ids.has(privilege.id))
}

// --- registration --------------------------------------------------------------------------------

export function registerReadRoutes(scope: FastifyInstance, kit: RestKit): void {
  const { ctx } = kit
  const base = ctx.restBase
  const legacy = ctx.config.apiProfile === 'legacy'
  const collection = (name: string): CollectionDef => kit.collections.get(name)!

  /** Registers a GET route (OpenAPI path syntax) unless an earlier plugin answers it. */
  const get = (path: string, handler: (request: IdRequest, reply: FastifyReply) => unknown): void => {
    if (isAnswered(scope, ctx, 'GET', path)) return
    scope.get(fastifyPath(path), handler as RouteHandlerMethod)
  }

  /** The XAPI object of an object route: 404, then ACL read (403). */
  const xapiObjectOf = (request: IdRequest, def: CollectionDef): XoObject => {
    const viewer = kit.viewerOf(requestUser(request))
    const { id } = request.params
    assertObjectRouteAllowed(viewer, def.access, id)
    const object = findIn(ctx, def, id)
    if (object === undefined) throw noSuchObject(id, def.xoType)
    assertCanRead(viewer, object, def.access, def.resource)
    return object
  }

  const vms = collection('vms')
  const hosts = collection('hosts')
  const pools = collection('pools')
  const users = collection('users')
  const groups = collection('groups')

  // dashboards
  get('/dashboard', (request, reply) => {
    if (!kit.viewerOf(requestUser(request)).admin) throw notEnoughPermissions()
    return sendDashboard(reply, xoaDashboard(ctx), parseNdjsonFlag(ctx, request.query))
  })
  get('/pools/{id}/dashboard', (request, reply) => {
    const pool = xapiObjectOf(request as IdRequest, pools)
    return sendDashboard(reply, poolDashboard(ctx, pool), parseNdjsonFlag(ctx, request.query))
  })
  get('/vms/{id}/dashboard', (request, reply) => {
    const vm = xapiObjectOf(request as IdRequest, vms)
    return sendDashboard(reply, vmDashboard(ctx, vm), parseNdjsonFlag(ctx, request.query))
  })

  // stats
  get('/vms/{id}/stats', (request, reply) => {
    const vm = xapiObjectOf(request as IdRequest, vms)
    const clock = statsClock(ctx, request.query)
    const host = typeof vm.$container === 'string' ? ctx.store.get(vm.$container) : undefined
    if (vm.power_state !== 'Running' || host?.type !== 'host') throw new RestApiError(`VM ${vm.id} is halted or host could not be found.`, 422)
    return sendJson(reply, vmStats(ctx, vm, clock))
  })
  get('/hosts/{id}/stats', (request, reply) => {
    const host = xapiObjectOf(request as IdRequest, hosts)
    const clock = statsClock(ctx, request.query)
    if (host.power_state !== 'Running') throw hostOffline(host)
    return sendJson(reply, hostStats(ctx, host, clock))
  })
  get('/pools/{id}/stats', (request, reply) => {
    const pool = xapiObjectOf(request as IdRequest, pools)
    const clock = statsClock(ctx, request.query)
    const out: Obj = {}
    for (const host of ctx.store.ofType('host')) {
      if (host.$pool !== pool.id) continue
      const ref = String(host._xapiRef ?? host.id)
      out[host.id] =
        host.power_state === 'Running'
          ? hostStats(ctx, host, clock)
          : { error: { code: 'HOST_OFFLINE', params: [ref], call: { method: 'host.get_servertime', params: ['* session id *', ref] } } }
    }
    return sendJson(reply, out)
  })

  // hosts
  get('/hosts/{id}/missing_patches', (request, reply) => {
    const host = xapiObjectOf(request as IdRequest, hosts)
    if (host.power_state !== 'Running') throw hostOffline(host)
    return sendJson(reply, listMissingPatches(ctx, host.id))
  })
  get('/pools/{id}/missing_patches', (request, reply) => {
    const pool = xapiObjectOf(request as IdRequest, pools)
    const patches = new Map<string, unknown>()
    for (const host of ctx.store.ofType('host')) {
      if (host.$pool !== pool.id || host.power_state !== 'Running') continue
      for (const patch of listMissingPatches(ctx, host.id) as Obj[]) {
        patches.set(str(patch.uuid) ?? `${String(patch.name)}-${String(patch.version)}-${String(patch.release)}`, patch)
      }
    }
    return sendJson(reply, [...patches.values()])
  })
  get('/hosts/{id}/smt', (request, reply) => {
    const host = xapiObjectOf(request as IdRequest, hosts)
    if (host.power_state !== 'Running') throw hostOffline(host)
    return sendJson(reply, { enabled: isHyperThreadingEnabled(ctx, host.id) === true })
  })
  get('/hosts/{id}/audit.txt', (request, reply) => {
    const host = xapiObjectOf(request as IdRequest, hosts)
    if (host.power_state !== 'Running') throw hostOffline(host)
    const text = auditLog(ctx, host)
    reply.header('content-type', legacy ? 'text/plain' : 'application/octet-stream')
    if (!legacy) reply.header('content-disposition', `attachment; filename="${AUDIT_FILE_HOST_NAME}-${new Date(ctx.clock.now()).toISOString()}-audit.txt"`)
    if (acceptsGzip(request)) return reply.header('content-encoding', 'gzip').send(gzipSync(text))
    return reply.send(Buffer.from(text))
  })
  get('/hosts/{id}/logs.tgz', (request, reply) => {
    const host = xapiObjectOf(request as IdRequest, hosts)
    if (host.power_state !== 'Running') throw hostOffline(host)
    return reply.header('content-type', 'application/gzip').send(hostLogs(ctx, host))
  })

  // backups
  const backupJobsDef = collection('backup-jobs')
  const backupLogs = collection('backup-logs')
  const restoreLogs = collection('restore-logs')
  const repositories = collection('backup-repositories')
  const archives = xoSideDef('backup-archives', 'backupArchive', 'backup-archive', 'backup-archive', (object) => {
    const { type: _type, archiveType, ...rest } = object
    return { ...rest, type: archiveType ?? 'xo-vm-backup' }
  })
  get(
    '/backup-archives',
    listRoute(kit, archives, {
      objects: (request) => {
        const raw = (request.query as Obj)['backup-repository']
        const wanted = (Array.isArray(raw) ? raw : raw === undefined ? ['*'] : [raw]).map(String)
        if (wanted.includes('*')) return objectsOf(ctx, archives)
        for (const id of wanted) if (findIn(ctx, repositories, id) === undefined) throw noSuchObject(id, 'backup-repository')
        return [...objectsOf(ctx, archives)].filter((archive) => wanted.includes(String(archive.backupRepository)))
      },
    }),
  )
  get('/backup-archives/{id}', objectRoute(kit, archives))
  get('/backup-repositories/{id}/health', (request, reply) => {
    const remote = xapiObjectOf(request as IdRequest, repositories)
    if (remote.enabled === false) throw new RestApiError(`remote ${remote.id} is disabled`, 500)
    if (typeof remote.error === 'string' && remote.error !== '') throw new RestApiError(remote.error, 500)
    return sendJson(reply, { success: true })
  })
  get(
    '/vms/{id}/backup-jobs',
    subCollectionRoute(
      kit,
      vms,
      sub(
        'backup-jobs',
        backupJobsDef,
        function* (context, vm) {
          for (const job of objectsOf(context, backupJobsDef)) if (jobTypeOf(job) === 'backup' && jobIncludesVm(job, vm)) yield job
        },
        'admin',
      ),
    ),
  )
  for (const [segment, jobType] of [
    ['vm', 'backup'],
    ['metadata', 'metadataBackup'],
    ['mirror', 'mirrorBackup'],
  ] as const) {
    const def: CollectionDef = { ...backupJobsDef, include: (object) => jobTypeOf(object) === jobType }
    get(`/backup/jobs/${segment}`, listRoute(kit, def, { hrefBase: `${base}/backup-jobs` }))
    get(`/backup/jobs/${segment}/{id}`, objectRoute(kit, def))
  }
  // hidden redirect of the current code (not in the spec): /backup/jobs/{id} → /backup/jobs/vm/{id}
  get('/backup/jobs/{id}', (request, reply) => {
    const location = `${base}/backup/jobs/vm/${encodeURIComponent(request.params.id)}`
    return reply.code(308).header('location', location).header('content-type', 'text/plain; charset=utf-8').send(`Permanent Redirect. Redirecting to ${location}`)
  })
  get('/backup/logs', listRoute(kit, backupLogs, { hrefBase: `${base}/backup-logs` }))
  get('/backup/logs/{id}', objectRoute(kit, backupLogs))
  get('/restore/logs', listRoute(kit, restoreLogs, { hrefBase: `${base}/restore-logs` }))
  get('/restore/logs/{id}', objectRoute(kit, restoreLogs))

  // RBAC
  const roles = xoSideDef('acl-roles', 'aclRole', 'acl-role', 'acl-role')
  const privileges = xoSideDef('acl-privileges', 'aclPrivilege', 'acl-privilege', 'acl-privilege')
  get('/acl-roles', listRoute(kit, roles))
  get('/acl-roles/{id}', objectRoute(kit, roles))
  get('/acl-roles/{id}/privileges', subCollectionRoute(kit, roles, sub('privileges', privileges, privilegesOfRole)))
  get(
    '/acl-roles/{id}/users',
    subCollectionRoute(
      kit,
      roles,
      sub('users', users, (context, role) => objectsOfIds(context, 'user', role.userIds)),
    ),
  )
  get(
    '/acl-roles/{id}/groups',
    subCollectionRoute(
      kit,
      roles,
      sub('groups', groups, (context, role) => objectsOfIds(context, 'group', role.groupIds)),
    ),
  )
  get('/acl-privileges', listRoute(kit, privileges))
  get('/acl-privileges/{id}', objectRoute(kit, privileges))
  get(
    '/users/{id}/acl-privileges',
    subCollectionRoute(
      kit,
      users,
      sub('acl-privileges', privileges, (context, user) => {
        const seen = new Map<string, XoObject>()
        for (const role of rolesOfUser(context, user)) for (const privilege of privilegesOfRole(context, role)) seen.set(privilege.id, privilege)
        return seen.values()
      }),
    ),
  )
  get(
    '/groups/{id}/acl-roles',
    subCollectionRoute(
      kit,
      groups,
      sub('acl-roles', roles, (context, group) => {
        const ids = new Set(list(group.aclRoleIds).map(String))
        return [...context.store.ofType('aclRole')].filter((role) => ids.has(role.id) || list(role.groupIds).includes(group.id))
      }),
    ),
  )

  // authentication tokens (own only): a plain JSON array, `filter` and `limit` only
  get('/users/{id}/authentication_tokens', (request, reply) => {
    const me = requestUser(request)
    const { id } = request.params
    const query = request.query as Obj
    const user = findIn(ctx, users, id)
    if (user === undefined) throw noSuchObject(id, 'user')
    if (user.id !== me.id) {
      if (legacy) throw new LegacyReply(403, 'You can only see your own authentication tokens')
      throw new RestApiError('forbidden operation: get authentication tokens', 403, {
        operation: 'get authentication tokens',
        reason: 'You can only see your own authentication tokens',
      })
    }
    const filter = kit.filter(typeof query.filter === 'string' ? query.filter : undefined)
    const limitText = query.limit
    const limit = limitText === undefined ? Infinity : Number(limitText)
    if (Number.isNaN(limit)) throw new ValidationError({ limit: { message: 'invalid float number', value: limitText } })
    const now = ctx.clock.now()
    const tokens: Obj[] = []
    for (const token of ctx.store.ofType<TokenObject>('token')) {
      if (tokens.length >= limit) break
      if (token.user_id !== user.id || token.expiration <= now) continue
      const served = serializeToken(token)
      if (filter === undefined || filter(served)) tokens.push(served)
    }
    return sendJson(reply, tokens)
  })

  // legacy profile: the discoverability lists of the hand-written router, and /backups* → /backup*
  if (legacy) {
    const hrefs = (request: FastifyRequest, reply: FastifyReply, ids: readonly string[]) => {
      const path = requestPath(request)
      return reply.header('content-type', 'application/json').send(Buffer.from(legacyJsonArray(ids.map((id) => `${path}/${id}`))))
    }
    const legacyGet = (path: string, handler: RouteHandlerMethod) => {
      if (scope.findRoute({ method: 'GET', url: base + path }) === null) scope.get(path, handler)
    }
    legacyGet('/backup', (request, reply) => hrefs(request, reply, ['jobs', 'logs']))
    legacyGet('/backup/jobs', (request, reply) => hrefs(request, reply, ['vm', 'metadata', 'mirror']))
    legacyGet('/restore', (request, reply) => hrefs(request, reply, ['logs']))
    const backups = (request: FastifyRequest, reply: FastifyReply) => {
      const url = request.url
      const at = url.toLowerCase().indexOf('/backups')
      const location = `${base}/backup${url.slice(at + '/backups'.length)}`
      return reply.code(308).header('location', location).header('content-type', 'text/plain; charset=utf-8').send(`Permanent Redirect. Redirecting to ${location}`)
    }
    legacyGet('/backups', backups)
    legacyGet('/backups/*', backups)
  }
}

function* objectsOfIds(ctx: MockContext, type: string, ids: unknown): Generator<XoObject> {
  for (const id of list(ids)) {
    const object = typeof id === 'string' ? ctx.store.get(id) : undefined
    if (object?.type === type) yield object
  }
}
