/**
 * Builds XO objects from an authoring document (`authoring.ts`): resolves aliases to seeded UUIDs,
 * places objects in pools, fills every field of the real XO shapes with realistic defaults
 * (`defaults.ts`), then derives back-references and checks the graph invariants.
 *
 * Every identifier, MAC address, random size and timestamp comes from the seeded `IdGenerator` and
 * from `now`, so building twice with the same seed and `now` gives deep-equal objects.
 */
import type {
  AuthoringDocument,
  DiskSpec,
  HostSpec,
  MemorySpec,
  MessageSpec,
  NetworkSpec,
  PifSpec,
  PoolSpec,
  ServerSpec,
  SrSpec,
  TemplateSpec,
  VdiSpec,
  VifSpec,
  VmLikeSpec,
  VmSpec,
} from './authoring.js'
import {
  ALLOCATION_BY_TYPE,
  bootOf,
  CPU_MODELS,
  cpuInfoOf,
  DEFAULT_PCIS,
  DOM0_PERFMON,
  EMPTY_ARRAY,
  EMPTY_OBJECT,
  HOST_CHIPSET_INFO,
  HOST_LICENSE_PARAMS,
  HOST_LICENSE_SERVER,
  hostBiosStrings,
  HVM_XENSTORE_DATA,
  NIC_MODEL,
  NIC_OUI,
  OS_CATALOGUE,
  type OsInfo,
  SERVER_VENDORS,
  SM_CATALOGUE,
  VM_BIOS_STRINGS,
  VM_VULNERABILITIES,
  xenToolsOf,
} from './defaults.js'
import { isUuid, type IdGenerator, type Random } from './ids.js'
import { relationsOfParent } from './relations.js'
import { deriveBackReferences } from './store.js'
import type { XoObject } from './types.js'
import { checkInvariants, InventoryError, joinPath, parseSize, parseTime, quote } from './validate.js'

type Obj = { id: string; type: string; [key: string]: unknown }

export interface BuildOptions {
  readonly ids: IdGenerator
  /** Milliseconds since the epoch. */
  readonly now: number
  /** Name of the document in error messages. */
  readonly file: string
}

export const DEFAULT_ADMIN = { email: 'admin@admin.net', password: 'admin' } as const

/**
 * Placeholder of the back-reference arrays that `deriveBackReferences` (store.ts) fills from the forward
 * references once every object is built; it replaces them with fresh arrays.
 */
const DERIVED = EMPTY_ARRAY

const GiB = 2 ** 30
const MiB = 2 ** 20
const DAY = 86_400

type Kind = 'pool' | 'host' | 'PIF' | 'PCI' | 'PGPU' | 'network' | 'SR' | 'VDI' | 'template' | 'VM' | 'VM-snapshot' | 'VIF' | 'user' | 'group' | 'server' | 'message'

const XAPI_KINDS: readonly Kind[] = ['pool', 'host', 'PIF', 'PCI', 'PGPU', 'network', 'SR', 'VDI', 'template', 'VM', 'VM-snapshot', 'VIF']

/** Order of types in the built inventory (objects of one type keep their creation order). */
const TYPE_ORDER = [
  'pool',
  'host',
  'VM-controller',
  'network',
  'PIF',
  'PCI',
  'PGPU',
  'gpuGroup',
  'SR',
  'PBD',
  'SM',
  'VDI',
  'VDI-snapshot',
  'VM-template',
  'VM',
  'VM-snapshot',
  'VBD',
  'VIF',
  'message',
  'user',
  'group',
  'server',
]

interface Entry {
  readonly kind: Kind
  readonly path: string
  readonly uuid: string
  /** Set when the object is built. */
  state?: unknown
  /** XO id (first pool's for default templates) and pool, set when the object is built. */
  id?: string
  pool?: PoolState
}

interface PoolState {
  readonly index: number
  readonly path: string
  readonly spec: PoolSpec
  readonly id: string
  readonly object: Obj
  readonly hosts: HostState[]
  readonly networks: NetworkState[]
  readonly srs: SrState[]
  readonly gpuGroups: Map<string, Obj>
  nextHost: number
}

interface HostState {
  readonly path: string
  readonly spec: HostSpec
  readonly id: string
  readonly pool: PoolState
  readonly object: Obj
  readonly running: boolean
  readonly dom0: Obj
  readonly pcis: Map<string, Obj>
  memoryUsed: number
}

interface NetworkState {
  readonly path: string
  readonly spec: NetworkSpec
  readonly id: string
  readonly pool: PoolState
  readonly object: Obj
  readonly allocator: SubnetAllocator | undefined
}

interface SrState {
  readonly path: string
  readonly spec: SrSpec
  readonly id: string
  readonly pool: PoolState
  readonly host: HostState | undefined
  readonly type: string
  readonly thin: boolean
  readonly iso: boolean
  readonly object: Obj
  virtual: number
  physical: number
}

interface TemplateState {
  readonly path: string
  readonly spec: TemplateSpec
  readonly uuid: string
  readonly name: string
  readonly os: string | undefined
  readonly byPool: Map<PoolState, Obj>
}

interface VdiState {
  readonly id: string
  readonly sr: SrState
}

interface UserState {
  readonly id: string
  readonly object: Obj
}

// ---------------------------------------------------------------------------------------------
// IPv4 helpers

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || +part > 255) return undefined
    n = n * 256 + +part
  }
  return n
}

function intToIp(n: number): string {
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`
}

class SubnetAllocator {
  readonly netmask: string
  readonly gateway: string
  #next = 10

  constructor(
    readonly base: number,
    readonly size: number,
    prefix: number,
    gateway: string | undefined,
    readonly used: ReadonlySet<string>,
  ) {
    this.netmask = intToIp(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0)
    this.gateway = gateway ?? intToIp(base + 1)
  }

  static parse(subnet: string, gateway: string | undefined, used: ReadonlySet<string>): SubnetAllocator | undefined {
    const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(subnet)
    if (match === null) return undefined
    const address = ipToInt(match[1]!)
    const prefix = +match[2]!
    if (address === undefined || prefix > 30) return undefined
    const size = 2 ** (32 - prefix)
    return new SubnetAllocator(address - (address % size), size, prefix, gateway, used)
  }

  /** Next free address of the subnet, or undefined when exhausted. */
  next(): string | undefined {
    while (this.#next < this.size - 1) {
      const ip = intToIp(this.base + this.#next++)
      if (ip !== this.gateway && !this.used.has(ip)) return ip
    }
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------

function slug(name: string): string {
  return (
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'host'
  )
}

function deviceOfPosition(position: string): string {
  const n = Number(position)
  if (!Number.isInteger(n) || n < 0) return `xvd${position}`
  let suffix = ''
  let i = n
  do {
    suffix = String.fromCharCode(97 + (i % 26)) + suffix
    i = Math.floor(i / 26) - 1
  } while (i >= 0)
  return `xvd${suffix}`
}

function hex(random: Random, bytes: number, separator = ''): string {
  const out: string[] = []
  for (const b of random.bytes(bytes)) out.push(b.toString(16).padStart(2, '0'))
  return flat(out.join(separator))
}

/**
 * Returns `s` flattened. `IdGenerator` builds identifiers by concatenation, which V8 keeps as trees of
 * cons strings (~490 bytes per UUID instead of ~66): reading a character flattens the string in place
 * and the garbage collector then drops the tree. This matters with 100k-VM inventories.
 */
function flat(s: string): string {
  s.charCodeAt(0)
  return s
}

/**
 * An empty object in V8 dictionary mode, for records whose keys are unique per object (other_config's
 * `xo:<uuid prefix>`): adding such keys to ordinary objects creates one hidden class per object, which
 * makes every later copy of any object slow (a 100k-VM inventory took 50 µs per object copy).
 */
function dictionary(): Record<string, string> {
  const object: Record<string, string> = { a: '', b: '' }
  delete object.a
  delete object.b
  return object
}

/** A copy of `object` with `key` inserted before `before` (rare optional keys keep XO's key order). */
function insertBefore(object: Obj, before: string, key: string, value: unknown): Obj {
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(object)) {
    if (k === before) out[key] = value
    out[k] = object[k]
  }
  return out as Obj
}

/** Rounds down to a multiple of `unit`. */
function floorTo(value: number, unit: number): number {
  return Math.floor(value / unit) * unit
}

/**
 * Trims the back-reference arrays `deriveBackReferences` built by pushing (V8 reserves 17 slots on the
 * first push: ~200 bytes for a one-element array): exact-size copies, one shared frozen empty array.
 */
function compactBackReferences(objects: Obj[]): void {
  for (const object of objects) {
    for (const relation of relationsOfParent(object.type)) {
      for (const field of relation.parentFields) {
        const list = object[field] as string[]
        object[field] = list.length === 0 ? EMPTY_ARRAY : list.slice()
      }
    }
  }
}

export function buildInventory(doc: AuthoringDocument, options: BuildOptions): XoObject[] {
  return new Builder(doc, options).build()
}

class Builder {
  readonly #doc: AuthoringDocument
  readonly #ids: IdGenerator
  readonly #random: Random
  readonly #now: number
  readonly #nowS: number
  readonly #file: string
  readonly #aliases = new Map<string, Entry>()
  readonly #buckets = new Map<string, Obj[]>()
  readonly #pools: PoolState[] = []
  readonly #users: UserState[] = []
  readonly #usersByEmail = new Map<string, UserState>()
  readonly #usedIps = new Set<string>()
  /** Frozen values shared by many objects (vCPU counts, tools versions, descriptions). */
  readonly #interned = new Map<string, unknown>()
  #admin: string | undefined

  constructor(doc: AuthoringDocument, options: BuildOptions) {
    this.#doc = doc
    this.#ids = options.ids
    this.#random = options.ids.random
    this.#now = options.now
    this.#nowS = Math.floor(options.now / 1000)
    this.#file = options.file
    for (const type of TYPE_ORDER) this.#buckets.set(type, [])
  }

  #uuid(): string {
    return flat(this.#ids.uuid())
  }

  #ref(): string {
    return flat(this.#ids.opaqueRef())
  }

  #mac(): string {
    return flat(this.#ids.mac())
  }

  #fail(path: string, reason: string): never {
    throw new InventoryError(this.#file, path, reason)
  }

  #push(object: Obj): Obj {
    let bucket = this.#buckets.get(object.type)
    if (bucket === undefined) this.#buckets.set(object.type, (bucket = []))
    bucket.push(object)
    return object
  }

  // -------------------------------------------------------------------------------------------
  // Aliases

  #register(kind: Kind, spec: { id?: string }, path: string): void {
    if (spec.id === undefined) return
    const existing = this.#aliases.get(spec.id)
    if (existing !== undefined) this.#fail(joinPath(path, 'id'), `duplicate id ${quote(spec.id)} (also ${joinPath(existing.path, 'id')})`)
    this.#aliases.set(spec.id, { kind, path, uuid: isUuid(spec.id) ? flat(spec.id.toLowerCase()) : this.#uuid() })
  }

  #uuidOf(spec: { id?: string }): string {
    return spec.id === undefined ? this.#uuid() : this.#aliases.get(spec.id)!.uuid
  }

  #bind(spec: { id?: string }, id: string, pool: PoolState | undefined, state: unknown): void {
    if (spec.id === undefined) return
    const entry = this.#aliases.get(spec.id)!
    if (entry.id === undefined) {
      entry.id = id
      entry.pool = pool
      entry.state = state
    }
  }

  #resolve(value: string, kinds: readonly Kind[], path: string, what: string): Entry {
    const entry = this.#aliases.get(value)
    if (entry === undefined || !kinds.includes(entry.kind)) this.#fail(path, `no such ${what} ${quote(value)}`)
    if (entry.state === undefined) this.#fail(path, `${what} ${quote(value)} must be declared before this entry (it is ${entry.path})`)
    return entry
  }

  #registerAll(): void {
    const doc = this.#doc
    doc.pools?.forEach((spec, i) => this.#register('pool', spec, joinPath('pools', i)))
    doc.users?.forEach((spec, i) => this.#register('user', spec, joinPath('users', i)))
    doc.groups?.forEach((spec, i) => this.#register('group', spec, joinPath('groups', i)))
    doc.networks?.forEach((spec, i) => this.#register('network', spec, joinPath('networks', i)))
    doc.hosts?.forEach((spec, i) => {
      const path = joinPath('hosts', i)
      this.#register('host', spec, path)
      spec.pifs?.forEach((pif, j) => this.#register('PIF', pif, joinPath(joinPath(path, 'pifs'), j)))
      spec.pcis?.forEach((pci, j) => this.#register('PCI', pci, joinPath(joinPath(path, 'pcis'), j)))
      spec.pgpus?.forEach((pgpu, j) => this.#register('PGPU', pgpu, joinPath(joinPath(path, 'pgpus'), j)))
    })
    doc.srs?.forEach((spec, i) => {
      const path = joinPath('srs', i)
      this.#register('SR', spec, path)
      spec.vdis?.forEach((vdi, j) => this.#register('VDI', vdi, joinPath(joinPath(path, 'vdis'), j)))
    })
    doc.templates?.forEach((spec, i) => {
      const path = joinPath('templates', i)
      this.#register('template', spec, path)
      spec.disks?.forEach((disk, j) => this.#register('VDI', disk, joinPath(joinPath(path, 'disks'), j)))
      spec.vifs?.forEach((vif, j) => this.#register('VIF', vif, joinPath(joinPath(path, 'vifs'), j)))
    })
    doc.vms?.forEach((spec, i) => {
      const path = joinPath('vms', i)
      this.#register('VM', spec, path)
      spec.disks?.forEach((disk, j) => this.#register('VDI', disk, joinPath(joinPath(path, 'disks'), j)))
      spec.vifs?.forEach((vif, j) => this.#register('VIF', vif, joinPath(joinPath(path, 'vifs'), j)))
      spec.snapshots?.forEach((snapshot, j) => this.#register('VM-snapshot', snapshot, joinPath(joinPath(path, 'snapshots'), j)))
    })
    doc.servers?.forEach((spec, i) => this.#register('server', spec, joinPath('servers', i)))
    doc.messages?.forEach((spec, i) => this.#register('message', spec, joinPath('messages', i)))
  }

  // -------------------------------------------------------------------------------------------

  build(): XoObject[] {
    this.#registerAll()
    this.#collectExplicitIps()
    this.#buildUsers()
    this.#buildGroups()
    this.#buildPools()
    this.#buildNetworks()
    this.#buildHosts()
    this.#buildSrs()
    this.#buildTemplates()
    this.#buildVms()
    this.#finishPools()
    this.#buildServers()
    this.#buildMessages()

    const objects: Obj[] = []
    for (const bucket of this.#buckets.values()) for (const object of bucket) objects.push(object)
    deriveBackReferences(objects)
    compactBackReferences(objects)
    const problems = checkInvariants(objects, { strict: true, skipDerived: true })
    if (problems.length > 0) this.#fail(problems[0]!.path, problems[0]!.reason)
    return objects
  }

  #collectExplicitIps(): void {
    for (const host of this.#doc.hosts ?? []) {
      if (host.address !== undefined) this.#usedIps.add(host.address)
      for (const pif of host.pifs ?? []) if (pif.ip !== undefined && pif.ip !== '') this.#usedIps.add(pif.ip)
    }
    for (const vm of [...(this.#doc.vms ?? []), ...(this.#doc.templates ?? [])]) {
      for (const vif of vm.vifs ?? []) {
        if (vif.ip === undefined) continue
        for (const ip of typeof vif.ip === 'string' ? [vif.ip] : vif.ip) this.#usedIps.add(ip)
      }
    }
  }

  /** The pool of an entry that may omit it when there is exactly one pool. */
  #poolOf(alias: string | undefined, path: string, key = 'pool'): PoolState {
    if (alias !== undefined) return this.#resolve(alias, ['pool'], joinPath(path, key), 'pool').state as PoolState
    if (this.#pools.length === 1) return this.#pools[0]!
    if (this.#pools.length === 0) this.#fail(path, 'the inventory has no pool')
    return this.#fail(joinPath(path, key), 'required when there are several pools')
  }

  #xapi(object: Obj, uuid: string, pool: PoolState | string): Obj {
    const poolId = typeof pool === 'string' ? pool : pool.id
    object.uuid = uuid
    object.$pool = poolId
    object.$poolId = poolId
    object._xapiRef = this.#ref()
    return object
  }

  #time(value: string | number | undefined, fallback: number): number {
    if (value === undefined) return fallback
    return parseTime(value, this.#now) ?? fallback
  }

  #size(value: string | number | undefined, fallback: number): number {
    return value === undefined ? fallback : (parseSize(value) ?? fallback)
  }

  /** A random integer in [min, max] from the seeded generator. */
  #int(min: number, max: number): number {
    return this.#random.int(min, max)
  }

  // -------------------------------------------------------------------------------------------
  // Users and groups

  #buildUsers(): void {
    const specs = this.#doc.users ?? []
    const list = specs.length === 0 ? [{ email: DEFAULT_ADMIN.email, password: DEFAULT_ADMIN.password, permission: 'admin' as const }] : specs
    list.forEach((spec, i) => {
      const path = joinPath('users', i)
      const key = spec.email.toLowerCase()
      if (this.#usersByEmail.has(key)) this.#fail(joinPath(path, 'email'), `duplicate email ${quote(spec.email)}`)
      const id = this.#uuidOf(spec)
      const object = this.#push({
        id,
        type: 'user',
        email: spec.email,
        name: spec.name ?? spec.email,
        permission: spec.permission ?? 'none',
        groups: [],
        preferences: spec.preferences ?? {},
        password: spec.password,
      })
      const state = { id, object }
      this.#users.push(state)
      this.#usersByEmail.set(key, state)
      this.#bind(spec, id, undefined, state)
      if (this.#admin === undefined && object.permission === 'admin') this.#admin = id
    })
  }

  #user(value: string, path: string): UserState {
    const byEmail = this.#usersByEmail.get(value.toLowerCase())
    if (byEmail !== undefined && !this.#aliases.has(value)) return byEmail
    return this.#resolve(value, ['user'], path, 'user').state as UserState
  }

  #buildGroups(): void {
    this.#doc.groups?.forEach((spec, i) => {
      const path = joinPath('groups', i)
      const id = this.#uuidOf(spec)
      const users: string[] = []
      spec.users?.forEach((value, j) => {
        const userPath = joinPath(joinPath(path, 'users'), j)
        const user = this.#user(value, userPath)
        if (users.includes(user.id)) this.#fail(userPath, `user ${quote(value)} is listed twice`)
        users.push(user.id)
        ;(user.object.groups as string[]).push(id)
      })
      this.#push({ id, type: 'group', name: spec.name, users, aclRoleIds: spec.aclRoleIds ?? [] })
      this.#bind(spec, id, undefined, { id })
    })
  }

  // -------------------------------------------------------------------------------------------
  // Pools, networks, hosts

  #buildPools(): void {
    this.#doc.pools?.forEach((spec, index) => {
      const path = joinPath('pools', index)
      const id = this.#uuidOf(spec)
      const otherConfig: Record<string, string> = { 'memory-ratio-hvm': '0.25', 'memory-ratio-pv': '0.25' }
      if (spec.auto_poweron === true) otherConfig.auto_poweron = 'true'
      const object: Obj = {
        id,
        type: 'pool',
        auto_poweron: spec.auto_poweron ?? false,
        crashDumpSr: undefined,
        current_operations: EMPTY_OBJECT,
        default_SR: undefined,
        HA_enabled: spec.HA_enabled ?? false,
        // XAPI `pool.ha_reboot_vm_on_internal_shutdown` (default true): HA restarts a protected VM shut down from inside
        haRebootVmOnInternalShutdown: true,
        haSrs: [],
        master: '',
        tags: spec.tags ?? EMPTY_ARRAY,
        name_description: spec.name_description ?? '',
        name_label: spec.name_label,
        otherConfig: { ...otherConfig, ...spec.otherConfig },
        cpus: { cores: 0, sockets: 0 },
        zstdSupported: spec.zstdSupported ?? true,
        vtpmSupported: spec.vtpmSupported ?? false,
        platform_version: spec.platform_version ?? '3.2.1',
      }
      this.#xapi(object, id, id)
      const state: PoolState = { index, path, spec, id, object, hosts: [], networks: [], srs: [], gpuGroups: new Map(), nextHost: 0 }
      this.#pools.push(state)
      this.#push(object)
      this.#bind(spec, id, state, state)
    })
  }

  #buildNetworks(): void {
    const bridges = new Map<PoolState, number>()
    this.#doc.networks?.forEach((spec, i) => {
      const path = joinPath('networks', i)
      const pool = this.#poolOf(spec.pool, path)
      const id = this.#uuidOf(spec)
      let allocator: SubnetAllocator | undefined
      if (spec.subnet !== undefined) {
        allocator = SubnetAllocator.parse(spec.subnet, spec.gateway, this.#usedIps)
        if (allocator === undefined) this.#fail(joinPath(path, 'subnet'), `invalid IPv4 subnet ${quote(spec.subnet)} (expected like "10.1.0.0/16", prefix ≤ 30)`)
      }
      let bridge = spec.bridge
      if (bridge === undefined) {
        const physical = spec.device !== undefined && spec.vlan === undefined ? /^eth(\d+)$/.exec(spec.device) : null
        if (physical !== null) bridge = `xenbr${physical[1]}`
        else {
          const n = bridges.get(pool) ?? 0
          bridges.set(pool, n + 1)
          bridge = `xapi${n}`
        }
      }
      const object = this.#xapi(
        {
          automatic: spec.automatic ?? false,
          bridge,
          current_operations: EMPTY_OBJECT,
          defaultIsLocked: spec.defaultIsLocked ?? false,
          MTU: spec.MTU ?? 1500,
          name_description: spec.name_description ?? '',
          name_label: spec.name_label,
          other_config: spec.other_config ?? {},
          tags: spec.tags ?? EMPTY_ARRAY,
          PIFs: DERIVED,
          VIFs: DERIVED,
          nbd: spec.nbd ?? false,
          insecureNbd: spec.insecureNbd ?? false,
          // whether a bond PIF is on the network: the loader creates no bonds
          isBonded: false,
          id,
          type: 'network',
        },
        id,
        pool,
      )
      const state: NetworkState = { path, spec, id, pool, object: this.#push(object), allocator }
      pool.networks.push(state)
      this.#bind(spec, id, pool, state)
    })
  }

  #network(alias: string, pool: PoolState, path: string): NetworkState {
    const network = this.#resolve(alias, ['network'], path, 'network').state as NetworkState
    if (network.pool !== pool) this.#fail(path, `network ${quote(alias)} is in another pool`)
    return network
  }

  #buildHosts(): void {
    const hosts = this.#doc.hosts ?? []
    if (hosts.length > 0 && this.#pools.length === 0) this.#fail('pools', 'at least one pool is required')
    hosts.forEach((spec, i) => this.#buildHost(spec, joinPath('hosts', i)))
    for (const pool of this.#pools) {
      if (pool.hosts.length === 0) this.#fail(pool.path, 'a pool needs at least one host')
    }
  }

  #buildHost(spec: HostSpec, path: string): void {
    const pool = this.#poolOf(spec.pool, path)
    const id = this.#uuidOf(spec)
    const running = (spec.power_state ?? 'Running') === 'Running'
    const indexInPool = pool.hosts.length
    const cpu = CPU_MODELS[spec.cpu ?? 'xeon-silver-4314']!
    const cores = spec.cores ?? 32
    const sockets = spec.sockets ?? 2
    const memory = this.#size(spec.memory, 256 * GiB)
    const hostname = spec.hostname ?? slug(spec.name_label)
    const vendor = SERVER_VENDORS[(pool.index + indexInPool) % SERVER_VENDORS.length]!
    const serial = hex(this.#random, 5).toUpperCase()
    const startTime = this.#time(spec.startTime, this.#nowS - this.#int(3 * DAY, 60 * DAY))
    const patchTime = spec.rebootRequired === true ? startTime + this.#int(DAY, 2 * DAY) : startTime - this.#int(DAY, 30 * DAY)
    const iqn = spec.iscsiIqn ?? `iqn.2024-01.com.example:${hex(this.#random, 4)}`

    // management network and address
    const explicitManagement = spec.pifs?.find((pif) => pif.management === true)
    let managementNetwork: NetworkState | undefined
    if (explicitManagement !== undefined) {
      const j = spec.pifs!.indexOf(explicitManagement)
      managementNetwork = this.#network(explicitManagement.network, pool, joinPath(joinPath(joinPath(path, 'pifs'), j), 'network'))
    } else {
      managementNetwork = pool.networks.find((n) => n.spec.management === true) ?? pool.networks.find((n) => n.spec.device !== undefined)
    }
    const address = spec.address ?? explicitManagement?.ip ?? managementNetwork?.allocator?.next() ?? `10.${pool.index}.0.${10 + indexInPool}`

    const dom0Ref = this.#ref()
    const dom0Id = this.#uuid()
    const object: Obj = {
      CPUs: cpuInfoOf(cpu, cores, sockets),
      address,
      bios_strings: hostBiosStrings(vendor, serial),
      build: spec.build ?? '8.3.0',
      chipset_info: HOST_CHIPSET_INFO,
      enabled: spec.enabled ?? running,
      controlDomain: dom0Id,
      cpus: { cores, sockets },
      current_operations: EMPTY_OBJECT,
      hostname,
      iscsiIqn: iqn,
      zstdSupported: true,
      license_params: HOST_LICENSE_PARAMS,
      license_server: HOST_LICENSE_SERVER,
      license_expiry: null,
      logging: EMPTY_OBJECT,
      name_description: spec.name_description ?? '',
      name_label: spec.name_label,
      memory: { usage: 0, size: Math.ceil(memory / GiB) * GiB },
      multipathing: spec.multipathing ?? false,
      otherConfig: {
        agent_start_time: `${startTime + 66}.`,
        boot_time: `${startTime}.`,
        rpm_patch_installation_time: `${patchTime}.${String(this.#int(0, 999)).padStart(3, '0')}`,
        iscsi_iqn: iqn,
        ...spec.otherConfig,
      },
      patches: EMPTY_ARRAY,
      powerOnMode: '',
      power_state: running ? 'Running' : 'Halted',
      residentVms: DERIVED,
      startTime,
      supplementalPacks: EMPTY_ARRAY,
      agentStartTime: startTime + 66,
      rebootRequired: spec.rebootRequired ?? false,
      tags: spec.tags ?? EMPTY_ARRAY,
      version: spec.version ?? '8.3.0',
      productBrand: spec.productBrand ?? 'XCP-ng',
      hvmCapable: true,
      certificates: [{ fingerprint: hex(this.#random, 32, ':').toUpperCase(), notAfter: startTime + 3650 * DAY }],
      PIFs: DERIVED,
      $PIFs: DERIVED,
      PCIs: DERIVED,
      $PCIs: DERIVED,
      PGPUs: DERIVED,
      $PGPUs: DERIVED,
      $PBDs: DERIVED,
      id,
      type: 'host',
    }
    this.#xapi(object, id, pool)
    this.#push(object)

    // control domain
    const dom0Memory = this.#size(spec.controlDomain?.memory, Math.min(8 * GiB, floorTo(GiB + memory * 0.05, MiB)))
    const dom0Cpus = spec.controlDomain?.CPUs ?? Math.min(16, cores)
    const dom0: Obj = {
      type: 'VM-controller',
      addresses: EMPTY_OBJECT,
      affinityHost: id,
      auto_poweron: false,
      bios_strings: EMPTY_OBJECT,
      blockedOperations: EMPTY_OBJECT,
      boot: EMPTY_OBJECT,
      CPUs: { max: dom0Cpus, number: dom0Cpus },
      current_operations: EMPTY_OBJECT,
      expNestedHvm: false,
      isNestedVirtEnabled: false,
      viridian: false,
      high_availability: '',
      isFirmwareSupported: true,
      memory: { dynamic: [dom0Memory, dom0Memory], static: [dom0Memory, dom0Memory], size: dom0Memory },
      installTime: null,
      name_description: 'The domain which manages physical devices and manages other domains',
      name_label: `Control domain on host: ${hostname}`,
      needsVtpm: false,
      other: { storage_driver_domain: dom0Ref, is_system_domain: 'true', perfmon: DOM0_PERFMON },
      os_version: null,
      power_state: running ? 'Running' : 'Halted',
      hasVendorDevice: false,
      snapshots: EMPTY_ARRAY,
      startDelay: 0,
      startTime: null,
      secureBoot: false,
      tags: EMPTY_ARRAY,
      VIFs: DERIVED,
      VTPMs: EMPTY_ARRAY,
      virtualizationMode: 'pv',
      ...(running ? { xenTools: false } : {}),
      $container: id,
      $VBDs: DERIVED,
      VGPUs: EMPTY_ARRAY,
      $VGPUs: EMPTY_ARRAY,
      xenStoreData: EMPTY_OBJECT,
      PV_args: '',
      id: dom0Id,
      uuid: dom0Id,
      $pool: pool.id,
      $poolId: pool.id,
      _xapiRef: dom0Ref,
    }
    this.#push(dom0)

    const state: HostState = { path, spec, id, pool, object, running, dom0, pcis: new Map(), memoryUsed: running ? dom0Memory : 0 }
    pool.hosts.push(state)
    this.#bind(spec, id, pool, state)

    this.#buildPifs(state, managementNetwork, address)
    this.#buildPcis(state)
  }

  #buildPifs(host: HostState, managementNetwork: NetworkState | undefined, address: string): void {
    const { spec, pool, path } = host
    const macs = new Map<string, string>()
    const macOf = (device: string, explicit?: string): string => {
      if (explicit !== undefined) return explicit
      let mac = macs.get(device)
      if (mac === undefined) {
        mac = `${NIC_OUI}:${hex(this.#random, 3, ':')}`
        macs.set(device, mac)
      }
      return mac
    }
    // one PIF per network with a device, overridden by the host's own entry for that network
    const plan: { network: NetworkState; spec: PifSpec | undefined; path: string | undefined }[] = []
    for (const network of pool.networks) {
      if (network.spec.device !== undefined) plan.push({ network, spec: undefined, path: undefined })
    }
    spec.pifs?.forEach((pif, j) => {
      const pifPath = joinPath(joinPath(path, 'pifs'), j)
      const network = this.#network(pif.network, pool, joinPath(pifPath, 'network'))
      const existing = plan.find((item) => item.network === network)
      if (existing !== undefined && existing.spec !== undefined) this.#fail(joinPath(pifPath, 'network'), `a PIF on network ${quote(pif.network)} is already declared`)
      if (existing !== undefined) {
        existing.spec = pif
        existing.path = pifPath
      } else plan.push({ network, spec: pif, path: pifPath })
    })
    const hasManagement = plan.some((item) => (item.spec?.management ?? item.network.spec.management) === true)
    let fallbackManagement = !hasManagement
    let nextDevice = 0
    const usedDevices = new Set(plan.map((item) => item.spec?.device ?? item.network.spec.device).filter((d) => d !== undefined))
    for (const item of plan) {
      const pif = item.spec ?? ({ network: '' } as PifSpec)
      let device = pif.device ?? item.network.spec.device
      if (device === undefined) {
        while (usedDevices.has(`eth${nextDevice}`)) nextDevice++
        device = `eth${nextDevice}`
        usedDevices.add(device)
      }
      const vlan = pif.vlan ?? item.network.spec.vlan ?? -1
      let management = pif.management ?? item.network.spec.management ?? false
      if (fallbackManagement && pif.management === undefined && item.network === managementNetwork) {
        management = true
        fallbackManagement = false
      }
      const allocator = item.network.allocator
      const ip = pif.ip ?? (management ? address : '')
      const id = this.#uuidOf(pif)
      const object = this.#xapi(
        {
          type: 'PIF',
          attached: pif.attached ?? host.running,
          isBondMaster: false,
          isBondSlave: false,
          device,
          deviceName: pif.deviceName ?? NIC_MODEL,
          dns: pif.dns ?? (ip === '' ? '' : (allocator?.gateway ?? '')),
          disallowUnplug: false,
          gateway: pif.gateway ?? (ip === '' ? '' : (allocator?.gateway ?? '')),
          ip,
          ipv6: EMPTY_ARRAY,
          mac: macOf(device, pif.mac),
          management,
          carrier: pif.carrier ?? host.running,
          mode: pif.mode ?? (ip === '' ? 'None' : 'Static'),
          ipv6Mode: 'None',
          mtu: pif.mtu ?? (item.network.object.MTU as number),
          netmask: pif.netmask ?? (ip === '' ? '' : (allocator?.netmask ?? '255.255.255.0')),
          physical: vlan === -1,
          primaryAddressType: 'IPv4',
          vlan,
          speed: pif.speed ?? 10000,
          $host: host.id,
          $network: item.network.id,
          id,
        },
        id,
        pool,
      )
      this.#push(object)
      if (item.spec !== undefined) this.#bind(item.spec, id, pool, { id })
    }
  }

  #buildPcis(host: HostState): void {
    const { spec, pool, path } = host
    const pcis: readonly { id?: string; class_name: string; device_name: string; pci_id: string }[] = spec.pcis ?? DEFAULT_PCIS
    for (const pci of pcis) {
      const id = this.#uuidOf(pci)
      const object = this.#xapi({ type: 'PCI', class_name: pci.class_name, device_name: pci.device_name, pci_id: pci.pci_id, $host: host.id, id }, id, pool)
      this.#push(object)
      host.pcis.set(pci.pci_id, object)
      this.#bind(pci, id, pool, { id, object, host })
    }
    spec.pgpus?.forEach((pgpu, j) => {
      const pgpuPath = joinPath(joinPath(path, 'pgpus'), j)
      let pci = host.pcis.get(pgpu.pci)
      if (pci === undefined) {
        const entry = this.#aliases.get(pgpu.pci)
        const state = entry?.kind === 'PCI' ? (entry.state as { object: Obj; host: HostState } | undefined) : undefined
        if (state !== undefined && state.host === host) pci = state.object
      }
      if (pci === undefined) this.#fail(joinPath(pgpuPath, 'pci'), `no such PCI ${quote(pgpu.pci)} on this host`)
      const groupName = pgpu.gpuGroup ?? `Group of ${String(pci.device_name)} GPUs`
      let group = pool.gpuGroups.get(groupName)
      if (group === undefined) {
        const groupId = this.#uuid()
        group = this.#xapi(
          {
            type: 'gpuGroup',
            allocation: 'depth_first',
            enabledVgpuTypes: EMPTY_ARRAY,
            gpuTypes: EMPTY_ARRAY,
            name_description: '',
            name_label: groupName,
            otherConfig: EMPTY_OBJECT,
            pgpus: [],
            supportedVgpuTypes: EMPTY_ARRAY,
            vgpus: EMPTY_ARRAY,
            id: groupId,
          },
          groupId,
          pool,
        )
        this.#push(group)
        pool.gpuGroups.set(groupName, group)
      }
      const id = this.#uuidOf(pgpu)
      ;(group.pgpus as string[]).push(id)
      const object = this.#xapi(
        {
          type: 'PGPU',
          dom0Access: pgpu.dom0Access ?? 'enabled',
          enabledVgpuTypes: EMPTY_ARRAY,
          gpuGroup: group.id,
          isSystemDisplayDevice: pgpu.isSystemDisplayDevice ?? false,
          pci: pci.id,
          supportedVgpuTypes: EMPTY_ARRAY,
          host: host.id,
          $host: host.id,
          vgpus: EMPTY_ARRAY,
          $vgpus: EMPTY_ARRAY,
          id,
        },
        id,
        pool,
      )
      this.#push(object)
      this.#bind(pgpu, id, pool, { id })
    })
  }

  // -------------------------------------------------------------------------------------------
  // Storage

  #buildSrs(): void {
    const smTypes = new Map<PoolState, Set<string>>()
    this.#doc.srs?.forEach((spec, i) => {
      const path = joinPath('srs', i)
      let host: HostState | undefined
      let pool: PoolState
      if (spec.host !== undefined) {
        if (spec.shared === true) this.#fail(joinPath(path, 'shared'), 'a shared SR has no host (remove host or shared)')
        host = this.#resolve(spec.host, ['host'], joinPath(path, 'host'), 'host').state as HostState
        pool = host.pool
        if (spec.pool !== undefined && this.#poolOf(spec.pool, path) !== pool) this.#fail(joinPath(path, 'pool'), `host ${quote(spec.host)} is in another pool`)
      } else if (spec.shared === true) {
        pool = this.#poolOf(spec.pool, path)
      } else {
        return this.#fail(path, 'either host (a local SR) or shared: true is required')
      }
      const type = spec.SR_type ?? (host === undefined ? 'nfs' : 'ext')
      const iso = type === 'iso'
      const id = this.#uuidOf(spec)
      const allocation = ALLOCATION_BY_TYPE[type]
      const contentType = spec.content_type ?? (iso ? 'iso' : type === 'udev' ? 'disk' : 'user')
      const sizeDefault = iso ? 512 * GiB : type === 'udev' ? 0 : host === undefined ? 8 * 2 ** 40 : 2 * 2 ** 40
      const local = host !== undefined && (type === 'ext' || type === 'lvm')
      const object: Obj = {
        type: 'SR',
        content_type: contentType,
        physical_usage: 0,
        ...(allocation === undefined ? {} : { allocationStrategy: allocation }),
        current_operations: EMPTY_OBJECT,
        inMaintenanceMode: spec.inMaintenanceMode ?? false,
        name_description: spec.name_description ?? '',
        name_label: spec.name_label,
        size: this.#size(spec.size, sizeDefault),
        shared: host === undefined,
        SR_type: type,
        tags: spec.tags ?? EMPTY_ARRAY,
        usage: 0,
        VDIs: DERIVED,
        other_config:
          spec.other_config ??
          (spec.name_label === 'Local storage' ? { 'i18n-original-value-name_label': 'Local storage', 'i18n-key': 'local-storage' } : {}),
        sm_config: spec.sm_config ?? (local ? { devserial: `scsi-3${hex(this.#random, 8)}` } : {}),
        $container: host?.id ?? pool.id,
        $PBDs: DERIVED,
        id,
      }
      if (spec.inMaintenanceMode === true) (object.other_config as Record<string, string>)['xo:maintenanceState'] = '{}'
      this.#xapi(object, id, pool)
      this.#push(object)
      const state: SrState = { path, spec, id, pool, host, type, thin: allocation !== 'thick', iso, object, virtual: 0, physical: 0 }
      pool.srs.push(state)
      this.#bind(spec, id, pool, state)
      let types = smTypes.get(pool)
      if (types === undefined) smTypes.set(pool, (types = new Set()))
      types.add(type)

      // PBDs: the SR's host, or every host of the pool
      const deviceConfig = spec.device_config ?? this.#deviceConfig(type, spec, host !== undefined)
      for (const pbdHost of host === undefined ? pool.hosts : [host]) {
        const pbdId = this.#uuid()
        this.#push(
          this.#xapi(
            {
              type: 'PBD',
              attached: pbdHost.running,
              host: pbdHost.id,
              SR: id,
              device_config: deviceConfig,
              otherConfig: { storage_driver_domain: pbdHost.dom0._xapiRef as string },
              id: pbdId,
            },
            pbdId,
            pool,
          ),
        )
      }

      // standalone VDIs (ISO files, detached disks)
      for (const vdi of spec.vdis ?? []) {
        const vdiId = this.#buildVdi(vdi, state, this.#size(vdi.size, 0), undefined)
        this.#bind(vdi, vdiId, pool, { id: vdiId, sr: state } satisfies VdiState)
      }
    })

    // one SM per SR type used in the pool
    for (const [pool, types] of smTypes) {
      for (const type of types) {
        const sm = SM_CATALOGUE[type]!
        const id = this.#uuid()
        this.#push({
          type: 'SM',
          uuid: id,
          name_description: sm.name_description,
          name_label: sm.name_label,
          SM_type: type,
          configuration: sm.configuration,
          vendor: sm.vendor,
          features: sm.features,
          driver_filename: sm.driver_filename,
          required_cluster_stack: EMPTY_ARRAY,
          supported_image_formats: EMPTY_ARRAY,
          id,
          $pool: pool.id,
          $poolId: pool.id,
          _xapiRef: this.#ref(),
        })
      }
    }
  }

  #deviceConfig(type: string, spec: SrSpec, local: boolean): Record<string, string> {
    const name = slug(spec.name_label)
    switch (type) {
      case 'ext':
      case 'lvm':
        return { device: `/dev/disk/by-id/scsi-3${hex(this.#random, 8)}-part3` }
      case 'nfs':
        return { server: '10.0.0.50', serverpath: `/srv/xcp/${name}`, nfsversion: '4.1' }
      case 'smb':
        return { server: `//fileserver/${name}`, username: 'xcp', password: '* obfuscated *' }
      case 'lvmoiscsi':
        return { target: '10.0.0.60', targetIQN: `iqn.2005-10.org.freenas.ctl:${name}`, SCSIid: `36589cfc000000${hex(this.#random, 13)}` }
      case 'iso':
        return local ? { location: '/opt/xensource/packages/iso', legacy_mode: 'true' } : { location: `10.0.0.50:/srv/iso/${name}`, type: 'nfs_iso' }
      case 'udev':
        return { location: '/dev/xapi/cd' }
      default:
        return { location: `/srv/${name}` }
    }
  }

  #usageOf(sr: SrState, size: number, explicit: string | number | undefined): number {
    if (explicit !== undefined) return this.#size(explicit, size)
    if (sr.iso || !sr.thin) return size
    return floorTo(size * (0.05 + this.#random.next() * 0.6), MiB)
  }

  #buildVdi(spec: VdiSpec | DiskSpec, sr: SrState, size: number, nameFallback: string | undefined, snapshot?: { of: string; time: number }): string {
    const id = snapshot === undefined ? this.#uuidOf(spec) : this.#uuid()
    const usage = this.#usageOf(sr, size, snapshot === undefined ? spec.usage : undefined)
    const poolId = sr.pool.id
    const common = {
      cbt_enabled: spec.cbt_enabled ?? false,
      missing: false,
      name_description: spec.name_description ?? (sr.iso ? '' : 'Created by XO'),
      name_label: spec.name_label ?? nameFallback ?? '',
      size,
    }
    const tags = spec.tags ?? EMPTY_ARRAY
    const type = spec.VDI_type ?? 'user'
    const object: Obj =
      snapshot === undefined
        ? {
            type: 'VDI',
            ...common,
            snapshots: DERIVED,
            tags,
            usage,
            // usage of the VDI and of its parent VHDs: the loader models no VHD chains
            chainPhysicalUsage: usage,
            VDI_type: type,
            current_operations: EMPTY_OBJECT,
            other_config: spec.other_config ?? EMPTY_OBJECT,
            $SR: sr.id,
            $VBDs: DERIVED,
            id,
            uuid: id,
            $pool: poolId,
            $poolId: poolId,
            _xapiRef: this.#ref(),
          }
        : {
            type: 'VDI-snapshot',
            ...common,
            snapshots: EMPTY_ARRAY,
            tags,
            usage,
            VDI_type: type,
            current_operations: EMPTY_OBJECT,
            other_config: { content_id: this.#uuid() },
            $SR: sr.id,
            $VBDs: DERIVED,
            snapshot_time: snapshot.time,
            $snapshot_of: snapshot.of,
            id,
            uuid: id,
            $pool: poolId,
            $poolId: poolId,
            _xapiRef: this.#ref(),
          }
    this.#push(object)
    sr.virtual += size
    sr.physical += usage
    return id
  }

  #vbd(vm: string, vdi: string | undefined, pool: PoolState, position: string, options: { attached: boolean; bootable: boolean; cd: boolean; readOnly: boolean }): void {
    const id = this.#uuid()
    const device = deviceOfPosition(position)
    const { attached, bootable, cd, readOnly } = options
    const ref = this.#ref()
    const poolId = pool.id
    // object literals with every key (an empty CD drive has no VDI key at all): the fast path for big inventories
    const object: Obj =
      vdi === undefined
        ? { type: 'VBD', attached, bootable, device, is_cd_drive: cd, position, read_only: readOnly, VM: vm, id, uuid: id, $pool: poolId, $poolId: poolId, _xapiRef: ref }
        : { type: 'VBD', attached, bootable, device, is_cd_drive: cd, position, read_only: readOnly, VDI: vdi, VM: vm, id, uuid: id, $pool: poolId, $poolId: poolId, _xapiRef: ref }
    this.#push(object)
  }

  // -------------------------------------------------------------------------------------------
  // VMs and templates

  #intern<T>(key: string, make: () => T): T {
    let value = this.#interned.get(key) as T | undefined
    if (value === undefined) this.#interned.set(key, (value = Object.freeze(make())))
    return value
  }

  #cpus(spec: VmLikeSpec['CPUs'], fallback: number, path: string): { max: number; number: number } {
    let max = fallback
    let number = fallback
    if (typeof spec === 'number') max = number = spec
    else if (spec !== undefined) {
      if (spec.number > spec.max) this.#fail(joinPath(joinPath(path, 'CPUs'), 'number'), `must be at most max (${spec.max}), got ${spec.number}`)
      max = spec.max
      number = spec.number
    }
    return this.#intern(`CPUs:${max}:${number}`, () => ({ max, number }))
  }

  #memory(spec: VmLikeSpec['memory'], fallback: number, path: string): { dynamic: [number, number]; static: [number, number]; size: number; usage?: number } {
    const at = joinPath(path, 'memory')
    if (spec === undefined || typeof spec !== 'object') {
      const size = spec === undefined ? fallback : parseSize(spec)!
      return { dynamic: [size, size], static: [Math.min(size, floorTo(size / 2, MiB)), size], size }
    }
    const m = spec as MemorySpec
    const pair = (value: [string | number, string | number] | undefined, key: string): [number, number] | undefined => {
      if (value === undefined) return undefined
      if (value.length !== 2) this.#fail(joinPath(at, key), `expected [min, max], got ${value.length} values`)
      return [parseSize(value[0])!, parseSize(value[1])!]
    }
    const dynamic = pair(m.dynamic, 'dynamic')
    const stat = pair(m.static, 'static')
    const size = m.size === undefined ? (dynamic?.[1] ?? stat?.[1] ?? fallback) : parseSize(m.size)!
    const d: [number, number] = dynamic ?? [size, size]
    const st: [number, number] = stat ?? [Math.min(d[0], floorTo(size / 2, MiB)), Math.max(d[1], size)]
    if (!(st[0] <= d[0] && d[0] <= d[1] && d[1] <= st[1])) this.#fail(at, 'expected static min ≤ dynamic min ≤ dynamic max ≤ static max')
    const memory: { dynamic: [number, number]; static: [number, number]; size: number; usage?: number } = { dynamic: d, static: st, size }
    if (m.usage !== undefined) memory.usage = parseSize(m.usage)!
    return memory
  }

  #templateOf(vm: VmSpec, pool: PoolState | undefined, path: string): { state: TemplateState; object: Obj | undefined } | undefined {
    if (vm.template === undefined) return undefined
    const state = this.#resolve(vm.template, ['template'], joinPath(path, 'template'), 'template').state as TemplateState
    return { state, object: pool === undefined ? undefined : state.byPool.get(pool) }
  }

  #buildTemplates(): void {
    this.#doc.templates?.forEach((spec, i) => {
      const path = joinPath('templates', i)
      const isDefault = spec.default === true
      const os = spec.os
      const info = os === undefined ? undefined : OS_CATALOGUE[os]
      const name = spec.name_label ?? info?.template
      if (name === undefined) this.#fail(joinPath(path, 'name_label'), 'required key missing (or give os)')
      let uuid: string
      if (spec.uuid !== undefined) {
        if (!isUuid(spec.uuid)) this.#fail(joinPath(path, 'uuid'), `expected a UUID, got ${quote(spec.uuid)}`)
        uuid = flat(spec.uuid.toLowerCase())
      } else uuid = this.#uuidOf(spec)
      const pools = spec.pool !== undefined || !isDefault ? [this.#poolOf(spec.pool, path)] : this.#pools
      if (!isDefault && pools.length === 1 && spec.pool === undefined && this.#pools.length > 1) this.#fail(joinPath(path, 'pool'), 'required when there are several pools')
      const state: TemplateState = { path, spec, uuid, name, os, byPool: new Map() }
      const hvm = (spec.virtualizationMode ?? 'hvm') === 'hvm'
      const firmware = spec.firmware ?? info?.firmware ?? 'bios'
      const windows = info?.windows === true
      const templateDisks = spec.disks ?? (isDefault ? [{ size: windows ? 64 * GiB : 10 * GiB, bootable: true }] : [])
      for (const pool of pools) {
        const id = isDefault ? flat(`${pool.id}-${uuid}`) : uuid
        const other: Record<string, string> = {}
        if (isDefault) other.default_template = 'true'
        other.mac_seed = this.#uuid()
        if (!windows) other.linux_template = 'true'
        const installMethods = spec.install_methods ?? (windows ? ['cdrom'] : ['cdrom', 'nfs', 'http', 'ftp'])
        other['install-methods'] = installMethods.join(',')
        if (spec.arch !== undefined) other['install-arch'] = spec.arch
        const provision: Record<string, unknown>[] = []
        if (isDefault) {
          templateDisks.forEach((disk, j) => {
            const sr = disk.sr === undefined ? undefined : (this.#resolve(disk.sr, ['SR'], joinPath(joinPath(joinPath(path, 'disks'), j), 'sr'), 'SR').state as SrState)
            provision.push({
              bootable: disk.bootable ?? j === 0,
              device: disk.device ?? String(j),
              size: parseSize(disk.size)!,
              type: disk.type ?? 'system',
              SR: sr?.id ?? '',
            })
          })
          other.disks = `<provision>${provision
            .map((d) => `<disk bootable="${String(d.bootable)}" device="${String(d.device)}" size="${String(d.size)}" sr="${String(d.SR)}" type="${String(d.type)}"/>`)
            .join('')}</provision>`
        }
        Object.assign(other, spec.other)
        const templateInfo = {
          ...(spec.arch === undefined ? {} : { arch: spec.arch }),
          disks: provision,
          install_methods: installMethods,
        }
        const object = this.#vmRecord({
          type: 'VM-template',
          id,
          uuid,
          pool,
          spec,
          path,
          name,
          description: spec.name_description ?? (isDefault ? `Template for ${name}` : ''),
          power: 'Halted',
          hvm,
          firmware,
          cpus: this.#cpus(spec.CPUs, 1, path),
          memory: this.#memory(spec.memory, windows ? 4 * GiB : 2 * GiB, path),
          other,
          container: pool.id,
          biosStrings: isDefault ? EMPTY_OBJECT : VM_BIOS_STRINGS,
          xenStoreData: spec.xenStoreData ?? (isDefault ? EMPTY_OBJECT : HVM_XENSTORE_DATA),
          windows,
          template: { isDefaultTemplate: isDefault, template_info: templateInfo },
        })
        this.#push(object)
        state.byPool.set(pool, object)
        this.#bind(spec, id, pool, state)
        if (!isDefault) {
          const attached = { attached: false, cd: false, readOnly: false }
          templateDisks.forEach((disk, j) => {
            const diskPath = joinPath(joinPath(path, 'disks'), j)
            if (disk.sr === undefined) this.#fail(joinPath(diskPath, 'sr'), 'required key missing (disks of custom templates are real VDIs)')
            const sr = this.#diskSr(disk.sr, pool, undefined, joinPath(diskPath, 'sr'))
            const vdi = this.#buildVdi(disk, sr, parseSize(disk.size)!, `${name} ${deviceOfPosition(String(j))}`)
            this.#bind(disk, vdi, pool, { id: vdi, sr } satisfies VdiState)
            this.#vbd(id, vdi, pool, disk.position ?? String(j), { ...attached, bootable: disk.bootable ?? false })
          })
          spec.vifs?.forEach((vif, j) => this.#vif(vif, id, pool, joinPath(joinPath(path, 'vifs'), j), String(j), false))
        }
      }
    })
  }

  #diskSr(alias: string, pool: PoolState, host: HostState | undefined, path: string): SrState {
    const sr = this.#resolve(alias, ['SR'], path, 'SR').state as SrState
    if (sr.pool !== pool) this.#fail(path, `SR ${quote(alias)} is in another pool`)
    if (sr.iso) this.#fail(path, `SR ${quote(alias)} is an ISO SR`)
    if (host !== undefined && sr.host !== undefined && sr.host !== host) this.#fail(path, `SR ${quote(alias)} is local to another host than the VM's`)
    return sr
  }

  #vif(spec: VifSpec, vm: string, pool: PoolState, path: string, device: string, attached: boolean, mac?: string): { id: string; network: NetworkState; device: string; mac: string } {
    const network = this.#network(spec.network, pool, joinPath(path, 'network'))
    const id = mac === undefined ? this.#uuidOf(spec) : this.#uuid()
    const vifDevice = spec.device ?? device
    const vifMac = mac ?? spec.mac ?? this.#mac()
    const poolId = pool.id
    const object: Obj = {
      type: 'VIF',
      allowedIpv4Addresses: spec.allowedIpv4Addresses ?? EMPTY_ARRAY,
      allowedIpv6Addresses: spec.allowedIpv6Addresses ?? EMPTY_ARRAY,
      attached: mac === undefined ? (spec.attached ?? attached) : false,
      device: vifDevice,
      lockingMode: spec.lockingMode ?? 'network_default',
      MAC: vifMac,
      MTU: spec.MTU ?? (network.object.MTU as number),
      other_config: EMPTY_OBJECT,
      txChecksumming: spec.txChecksumming ?? true,
      $network: network.id,
      $VM: vm,
      id,
      uuid: id,
      $pool: poolId,
      $poolId: poolId,
      _xapiRef: this.#ref(),
    }
    this.#push(spec.rateLimit === undefined ? object : insertBefore(object, '$network', 'rateLimit', spec.rateLimit))
    if (mac === undefined) this.#bind(spec, id, pool, { id })
    return { id, network, device: vifDevice, mac: vifMac }
  }

  #inferPool(spec: VmSpec, path: string): PoolState {
    if (this.#pools.length === 1) return this.#pools[0]!
    if (spec.template !== undefined) {
      const template = this.#templateOf(spec, undefined, path)!.state
      if (template.byPool.size === 1) return [...template.byPool.keys()][0]!
    }
    const disk = spec.disks?.[0]
    if (disk?.sr !== undefined) return (this.#resolve(disk.sr, ['SR'], joinPath(joinPath(joinPath(path, 'disks'), 0), 'sr'), 'SR').state as SrState).pool
    const vif = spec.vifs?.[0]
    if (vif !== undefined) return (this.#resolve(vif.network, ['network'], joinPath(joinPath(joinPath(path, 'vifs'), 0), 'network'), 'network').state as NetworkState).pool
    if (this.#pools.length === 0) this.#fail(path, 'the inventory has no pool')
    return this.#fail(joinPath(path, '$container'), 'required when there are several pools')
  }

  #buildVms(): void {
    const vms = this.#doc.vms ?? []
    if (vms.length > 0 && this.#pools.length === 0) this.#fail('pools', 'at least one pool is required')
    vms.forEach((spec, i) => this.#buildVm(spec, joinPath('vms', i)))
  }

  #buildVm(spec: VmSpec, path: string): void {
    const power = spec.power_state ?? 'Halted'
    const resident = power === 'Running' || power === 'Paused'
    const containerPath = joinPath(path, '$container')
    let host: HostState | undefined
    let pool: PoolState
    if (spec.$container !== undefined) {
      const entry = resident
        ? this.#resolve(spec.$container, ['host'], containerPath, 'host')
        : this.#resolve(spec.$container, ['pool', 'host'], containerPath, 'pool or host')
      if (entry.kind === 'host') {
        const state = entry.state as HostState
        pool = state.pool
        if (resident) {
          if (!state.running) this.#fail(containerPath, `host ${quote(spec.$container)} is not running`)
          host = state
        }
      } else pool = entry.state as PoolState
    } else {
      pool = this.#inferPool(spec, path)
      if (resident) {
        const localSr = spec.disks
          ?.map((disk) => this.#aliases.get(disk.sr ?? ''))
          .map((entry) => (entry?.kind === 'SR' ? (entry.state as SrState | undefined) : undefined))
          .find((sr) => sr?.host !== undefined)
        if (localSr !== undefined) host = localSr.host
        else {
          const running = pool.hosts.filter((h) => h.running)
          if (running.length === 0) this.#fail(containerPath, `required: no running host in the pool`)
          host = running[pool.nextHost++ % running.length]
        }
        if (!host!.running) this.#fail(containerPath, `the host of its local SR is not running`)
      }
    }

    const template = this.#templateOf(spec, pool, path)
    if (template !== undefined && template.object === undefined) this.#fail(joinPath(path, 'template'), `template ${quote(spec.template!)} is not in the pool of this VM`)
    const templateSpec = template?.state.spec
    const os = spec.os ?? template?.state.os
    const info: OsInfo | undefined = os === undefined ? undefined : OS_CATALOGUE[os]
    const windows = info?.windows === true
    const hvm = (spec.virtualizationMode ?? templateSpec?.virtualizationMode ?? 'hvm') === 'hvm'
    const firmware = spec.firmware ?? templateSpec?.firmware ?? info?.firmware ?? 'bios'
    const uuid = this.#uuidOf(spec)
    const id = uuid
    const cpus = this.#cpus(spec.CPUs ?? templateSpec?.CPUs, 2, path)
    const memory = this.#memory(spec.memory ?? templateSpec?.memory, windows ? 4 * GiB : 2 * GiB, path)
    const tools = resident && spec.tools !== false
    const toolsVersion = typeof spec.tools === 'string' ? spec.tools : (info?.tools ?? '8.4.0-1')
    if (tools && memory.usage === undefined) memory.usage = floorTo(memory.size * (0.2 + this.#random.next() * 0.6), 4096)
    if (!tools) delete memory.usage

    const creationDate = this.#time(spec.creation?.date, this.#nowS - this.#int(30 * DAY, 700 * DAY))
    const creationUser = spec.creation?.user === undefined ? this.#admin : this.#user(spec.creation.user, joinPath(joinPath(path, 'creation'), 'user')).id
    const creation: Record<string, string> = { date: new Date(creationDate * 1000).toISOString() }
    if (template !== undefined) creation.template = template.state.uuid
    if (creationUser !== undefined) creation.user = creationUser
    const installTime = this.#time(spec.installTime, creationDate)
    const startTime = resident ? this.#time(spec.startTime, Math.max(installTime, this.#nowS - this.#int(3600, 90 * DAY))) : null

    const other = dictionary()
    other[`xo:${uuid.slice(0, 8)}`] = JSON.stringify({ creation })
    if (template !== undefined) other.base_template_name = template.state.name
    other.mac_seed = this.#uuid()
    other.vgpu_pci = ''
    if (info !== undefined && !windows) other.linux_template = 'true'
    if (spec.notes !== undefined) other['xo:notes'] = spec.notes
    Object.assign(other, spec.other)

    // disks and CD drive
    const hasCd = spec.cdrom !== undefined && spec.cdrom !== false
    const usedPositions = new Set<string>()
    if (hasCd) usedPositions.add('3')
    const disks: { spec: DiskSpec; sr: SrState; vdi: string; position: string; size: number }[] = []
    let nextPosition = 0
    spec.disks?.forEach((disk, j) => {
      const diskPath = joinPath(joinPath(path, 'disks'), j)
      const sr = this.#diskSr(disk.sr!, pool, host, joinPath(diskPath, 'sr'))
      let position = disk.position
      if (position === undefined) {
        while (usedPositions.has(String(nextPosition))) nextPosition++
        position = String(nextPosition)
      } else if (usedPositions.has(position)) this.#fail(joinPath(diskPath, 'position'), `position ${quote(position)} is already used`)
      usedPositions.add(position)
      const size = parseSize(disk.size)!
      const vdi = this.#buildVdi(disk, sr, size, `${spec.name_label} ${deviceOfPosition(position)}`)
      this.#bind(disk, vdi, pool, { id: vdi, sr } satisfies VdiState)
      disks.push({ spec: disk, sr, vdi, position, size })
      this.#vbd(id, vdi, pool, position, { attached: resident, bootable: disk.bootable ?? false, cd: false, readOnly: disk.read_only ?? false })
    })
    let cdVdi: string | undefined
    if (hasCd) {
      const value = spec.cdrom === null ? null : (spec.cdrom as { vdi?: string | null }).vdi
      if (value !== undefined && value !== null) {
        const vdi = this.#resolve(value, ['VDI'], joinPath(joinPath(path, 'cdrom'), 'vdi'), 'VDI').state as VdiState
        if (vdi.sr.pool !== pool) this.#fail(joinPath(joinPath(path, 'cdrom'), 'vdi'), `VDI ${quote(value)} is in another pool`)
        cdVdi = vdi.id
      }
      this.#vbd(id, cdVdi, pool, '3', { attached: resident, bootable: true, cd: true, readOnly: true })
    }

    // VIFs and addresses
    const vifs: { spec: VifSpec; device: string; mac: string }[] = []
    const addresses: Record<string, string> = {}
    spec.vifs?.forEach((vif, j) => {
      const created = this.#vif(vif, id, pool, joinPath(joinPath(path, 'vifs'), j), String(j), resident)
      vifs.push({ spec: vif, device: created.device, mac: created.mac })
      if (!tools) return
      let ips = vif.ip === undefined ? [] : typeof vif.ip === 'string' ? [vif.ip] : vif.ip
      if (vif.ip === undefined) {
        const ip = created.network.allocator?.next()
        if (ip !== undefined) ips = [ip]
      }
      let v4 = 0
      let v6 = 0
      for (const ip of ips) {
        if (ip.includes(':')) addresses[`${created.device}/ipv6/${v6++}`] = ip
        else addresses[`${created.device}/ipv4/${v4++}`] = ip
      }
    })
    const finalAddresses = tools ? (spec.addresses ?? addresses) : EMPTY_OBJECT
    let mainIpAddress: string | undefined
    if (tools) {
      const values = Object.entries(finalAddresses)
      mainIpAddress = (values.find(([key]) => key.includes('/ipv4/')) ?? values.find(([key]) => key.includes('/ipv6/')))?.[1]
    }

    const params: VmParams = {
      type: 'VM',
      id,
      uuid,
      pool,
      spec,
      path,
      name: spec.name_label,
      description: spec.name_description ?? templateSpec?.name_description ?? (info === undefined ? '' : this.#intern(`os:${os}`, () => info.osVersion.name!.split('|')[0]!)),
      power,
      hvm,
      firmware,
      cpus,
      memory,
      other,
      container: host?.id ?? pool.id,
      biosStrings: VM_BIOS_STRINGS,
      xenStoreData: spec.xenStoreData ?? (hvm ? HVM_XENSTORE_DATA : EMPTY_OBJECT),
      windows,
      coresPerSocket: spec.coresPerSocket ?? cpus.max,
      creation,
      installTime,
      startTime,
      addresses: finalAddresses,
      osVersion: spec.os_version !== undefined ? spec.os_version : tools ? (info?.osVersion ?? OS_CATALOGUE.debian12!.osVersion) : null,
      tools: resident ? (tools ? toolsVersion : false) : undefined,
      mainIpAddress,
    }
    const object = this.#vmRecord(params)
    if (spec.affinityHost !== undefined) {
      const affinity = this.#resolve(spec.affinityHost, ['host'], joinPath(path, 'affinityHost'), 'host').state as HostState
      if (affinity.pool !== pool) this.#fail(joinPath(path, 'affinityHost'), `host ${quote(spec.affinityHost)} is in another pool`)
      object.affinityHost = affinity.id
    }
    this.#push(object)
    this.#bind(spec, id, pool, { id })
    if (host !== undefined) host.memoryUsed += memory.size

    // snapshots
    const count = spec.snapshots?.length ?? 0
    spec.snapshots?.forEach((snapshot, j) => {
      const snapshotPath = joinPath(joinPath(path, 'snapshots'), j)
      const time = this.#time(snapshot.time, this.#nowS - (count - j) * DAY - this.#int(0, 20 * 3600))
      const snapshotId = this.#uuidOf(snapshot)
      const snapshotObject = this.#vmRecord({
        ...params,
        type: 'VM-snapshot',
        id: snapshotId,
        uuid: snapshotId,
        path: snapshotPath,
        name: snapshot.name_label,
        description: snapshot.name_description ?? params.description,
        power: 'Halted',
        container: pool.id,
        memory: { dynamic: memory.dynamic, static: memory.static, size: memory.dynamic[1] },
        startTime: null,
        addresses: EMPTY_OBJECT,
        osVersion: null,
        tools: undefined,
        mainIpAddress: undefined,
        snapshot: { snapshot_time: time, $snapshot_of: id },
      })
      this.#push(snapshotObject)
      this.#bind(snapshot, snapshotId, pool, { id: snapshotId })
      for (const disk of disks) {
        const vdi = this.#buildVdi(disk.spec, disk.sr, disk.size, `${spec.name_label} ${deviceOfPosition(disk.position)}`, { of: disk.vdi, time })
        this.#vbd(snapshotId, vdi, pool, disk.position, { attached: false, bootable: disk.spec.bootable ?? false, cd: false, readOnly: disk.spec.read_only ?? false })
      }
      if (hasCd) this.#vbd(snapshotId, cdVdi, pool, '3', { attached: false, bootable: true, cd: true, readOnly: true })
      vifs.forEach((vif, k) => this.#vif(vif.spec, snapshotId, pool, joinPath(joinPath(path, 'vifs'), k), vif.device, false, vif.mac))
    })
  }

  #vmRecord(p: VmParams): Obj {
    const spec = p.spec
    const o: Obj = { type: p.type } as Obj
    o.addresses = p.addresses ?? EMPTY_OBJECT
    o.auto_poweron = spec.auto_poweron ?? false
    o.bios_strings = p.biosStrings
    o.blockedOperations = spec.blockedOperations ?? EMPTY_OBJECT
    o.boot = p.hvm ? bootOf(p.firmware, p.type === 'VM-template') : EMPTY_OBJECT
    o.CPUs = p.cpus
    if (p.coresPerSocket !== undefined) o.coresPerSocket = p.coresPerSocket
    if (p.creation !== undefined) o.creation = p.creation
    o.current_operations = (spec as VmSpec).current_operations ?? EMPTY_OBJECT
    o.expNestedHvm = spec.expNestedHvm ?? false
    o.isNestedVirtEnabled = spec.isNestedVirtEnabled ?? false
    if (p.type === 'VM') o.vulnerabilities = VM_VULNERABILITIES
    o.viridian = spec.viridian ?? p.windows
    o.high_availability = spec.high_availability ?? ''
    o.isFirmwareSupported = true
    o.memory = p.memory
    o.installTime = p.installTime ?? null
    o.name_description = p.description
    o.name_label = p.name
    o.needsVtpm = spec.needsVtpm ?? false
    o.other = p.other
    o.os_version = p.osVersion ?? null
    o.power_state = p.power
    o.hasVendorDevice = spec.hasVendorDevice ?? false
    o.snapshots = p.type === 'VM-snapshot' ? EMPTY_ARRAY : DERIVED
    o.startDelay = spec.startDelay ?? 0
    o.startTime = p.startTime ?? null
    o.secureBoot = spec.secureBoot ?? false
    o.tags = spec.tags ?? EMPTY_ARRAY
    o.VIFs = DERIVED
    o.VTPMs = EMPTY_ARRAY
    o.virtualizationMode = spec.virtualizationMode ?? (p.hvm ? 'hvm' : 'pv')
    if (p.tools !== undefined) {
      if (p.tools === false) o.xenTools = false
      else {
        const version = p.tools
        o.xenTools = this.#intern(`xenTools:${version}`, () => xenToolsOf(version))
        o.managementAgentDetected = true
        o.pvDriversDetected = true
        o.pvDriversVersion = p.tools
        o.pvDriversUpToDate = true
      }
    }
    if (p.mainIpAddress !== undefined) o.mainIpAddress = p.mainIpAddress
    o.$container = p.container
    o.$VBDs = DERIVED
    o.VGPUs = EMPTY_ARRAY
    o.$VGPUs = EMPTY_ARRAY
    o.xenStoreData = p.xenStoreData
    if (p.hvm) {
      o.vga = spec.vga ?? 'std'
      o.videoram = spec.videoram ?? 8
    } else {
      o.PV_args = spec.PV_args ?? ''
    }
    const vm = spec as VmSpec
    if (vm.notes !== undefined && p.type === 'VM') o.notes = vm.notes
    if (vm.cpuCap !== undefined) o.cpuCap = vm.cpuCap
    if (vm.cpuWeight !== undefined) o.cpuWeight = vm.cpuWeight
    if (vm.nicType !== undefined) o.nicType = vm.nicType
    if (p.template !== undefined) {
      o.isDefaultTemplate = p.template.isDefaultTemplate
      o.template_info = p.template.template_info
    }
    if (p.snapshot !== undefined) {
      o.snapshot_time = p.snapshot.snapshot_time
      o.$snapshot_of = p.snapshot.$snapshot_of
    }
    o.id = p.id
    return this.#xapi(o, p.uuid, p.pool)
  }

  // -------------------------------------------------------------------------------------------

  #finishPools(): void {
    for (const pool of this.#pools) {
      const { object, spec, path } = pool
      const master = spec.master === undefined ? pool.hosts[0]! : (this.#resolve(spec.master, ['host'], joinPath(path, 'master'), 'host').state as HostState)
      if (master.pool !== pool) this.#fail(joinPath(path, 'master'), `host ${quote(spec.master!)} is in another pool`)
      object.master = master.id
      const srRef = (key: 'default_SR' | 'crashDumpSr' | 'suspendSr'): string | undefined => {
        const value = spec[key]
        if (value === undefined) return undefined
        const sr = this.#resolve(value, ['SR'], joinPath(path, key), 'SR').state as SrState
        if (sr.pool !== pool) this.#fail(joinPath(path, key), `SR ${quote(value)} is in another pool`)
        return sr.id
      }
      const candidates = pool.srs.filter((sr) => !sr.iso && sr.type !== 'udev')
      const defaultSr = srRef('default_SR') ?? (candidates.find((sr) => sr.host === undefined) ?? candidates[0])?.id
      const crashDumpSr = srRef('crashDumpSr') ?? defaultSr
      const suspendSr = srRef('suspendSr')
      if (crashDumpSr === undefined) delete object.crashDumpSr
      else object.crashDumpSr = crashDumpSr
      if (defaultSr === undefined) delete object.default_SR
      else object.default_SR = defaultSr
      if (object.HA_enabled === true && defaultSr !== undefined) object.haSrs = [defaultSr]
      if (suspendSr !== undefined) object.suspendSr = suspendSr
      let cores = 0
      let sockets = 0
      for (const host of pool.hosts) {
        const cpus = host.object.cpus as { cores: number; sockets: number }
        cores += cpus.cores
        sockets += cpus.sockets
        const memory = host.object.memory as { usage: number; size: number }
        memory.usage = host.memoryUsed
      }
      object.cpus = { cores, sockets }
      for (const sr of pool.srs) {
        sr.object.usage = this.#size(sr.spec.usage, sr.virtual)
        sr.object.physical_usage = this.#size(sr.spec.physical_usage, sr.physical)
      }
    }
  }

  #buildServers(): void {
    if (this.#doc.servers === undefined) {
      for (const pool of this.#pools) this.#buildServer({}, joinPath('servers', 0), pool)
      return
    }
    this.#doc.servers.forEach((spec, i) => {
      const path = joinPath('servers', i)
      this.#buildServer(spec, path, spec.pool === undefined ? undefined : this.#poolOf(spec.pool, path))
    })
  }

  #buildServer(spec: ServerSpec, path: string, pool: PoolState | undefined): void {
    const master = pool?.hosts.find((host) => host.id === pool.object.master)
    const status = spec.status ?? (pool === undefined ? 'disconnected' : 'connected')
    const id = this.#uuidOf(spec)
    const object: Obj = {
      id,
      type: 'server',
      host: spec.host ?? (master?.object.address as string | undefined) ?? '',
      label: spec.label ?? (pool?.object.name_label as string | undefined) ?? spec.host ?? '',
      username: spec.username ?? 'root',
      allowUnauthorized: spec.allowUnauthorized ?? false,
      enabled: spec.enabled ?? status !== 'disconnected',
      readOnly: spec.readOnly ?? false,
      status,
    }
    if (object.host === '') this.#fail(joinPath(path, 'host'), 'required key missing (or give pool)')
    if (pool !== undefined && status === 'connected') {
      object.poolId = pool.id
      object.poolNameLabel = pool.object.name_label
    }
    if (spec.error !== undefined) object.error = spec.error
    this.#push(object)
    this.#bind(spec, id, undefined, { id })
  }

  #buildMessages(): void {
    let byUuid: Map<string, Obj> | undefined
    const count = this.#doc.messages?.length ?? 0
    this.#doc.messages?.forEach((spec: MessageSpec, i) => {
      const path = joinPath('messages', i)
      const at = joinPath(path, '$object')
      let uuid: string
      let poolId: string
      const entry = this.#aliases.get(spec.$object)
      if (entry !== undefined && entry.state !== undefined) {
        if (!XAPI_KINDS.includes(entry.kind)) this.#fail(at, `no such XAPI object ${quote(spec.$object)} (${entry.kind}s have no messages)`)
        uuid = entry.kind === 'template' ? (entry.state as TemplateState).uuid : entry.uuid
        poolId = entry.pool!.id
      } else {
        if (byUuid === undefined) {
          byUuid = new Map()
          for (const bucket of this.#buckets.values()) {
            for (const object of bucket) if (typeof object.uuid === 'string' && typeof object.$pool === 'string') byUuid.set(object.uuid, object)
          }
        }
        const target = byUuid.get(spec.$object)
        if (target === undefined) this.#fail(at, `no such object ${quote(spec.$object)}`)
        uuid = target.uuid as string
        poolId = target.$pool as string
      }
      if (spec.alarm !== undefined && (spec.body !== undefined || (spec.name !== undefined && spec.name !== 'ALARM'))) {
        this.#fail(joinPath(path, 'alarm'), 'an alarm is a message named ALARM whose body is generated: remove name/body')
      }
      if (spec.alarm === undefined && spec.name === undefined) this.#fail(joinPath(path, 'name'), 'required key missing (or give alarm)')
      const id = this.#uuidOf(spec)
      const time = this.#time(spec.time, this.#nowS - (count - i) * 3600 - this.#int(0, 3000))
      this.#push(
        this.#xapi(
          {
            body: spec.alarm === undefined ? (spec.body ?? '') : alarmBody(spec.alarm.metric, spec.alarm.value, spec.alarm.level, spec.alarm.period),
            name: spec.alarm === undefined ? spec.name! : 'ALARM',
            time,
            $object: uuid,
            id,
            type: 'message',
          },
          id,
          poolId,
        ),
      )
      this.#bind(spec, id, undefined, { id })
    })
  }
}

interface VmParams {
  type: 'VM' | 'VM-template' | 'VM-snapshot'
  id: string
  uuid: string
  pool: PoolState
  spec: VmLikeSpec
  path: string
  name: string
  description: string
  power: string
  hvm: boolean
  firmware: string
  cpus: { max: number; number: number }
  memory: { dynamic: [number, number]; static: [number, number]; size: number; usage?: number }
  other: Record<string, string>
  container: string
  biosStrings: Readonly<Record<string, string>>
  xenStoreData: Readonly<Record<string, string>>
  windows: boolean
  coresPerSocket?: number
  creation?: Record<string, string>
  installTime?: number | null
  startTime?: number | null
  addresses?: Readonly<Record<string, string>>
  osVersion?: Readonly<Record<string, string>> | null
  /** Guest tools version of a resident VM, `false` for a resident VM without tools, undefined otherwise. */
  tools?: string | false
  mainIpAddress?: string
  template?: { isDefaultTemplate: boolean; template_info: Record<string, unknown> }
  snapshot?: { snapshot_time: number; $snapshot_of: string }
}

/** The body of an ALARM message, as XAPI's perfmon writes it (parsed by XO's alarm service). */
export function alarmBody(metric: string, value: number, level?: number, period = 60): string {
  const trigger = level ?? (value >= 0.9 ? 0.9 : Math.max(0, Math.floor(value * 10) / 10))
  return (
    `value: ${value.toFixed(6)}\nconfig:\n<variable>\n\t<name value="${metric}"/>\n\t<alarm_trigger_level value="${trigger}"/>\n` +
    `\t<alarm_trigger_period value="${period}"/>\n\t<alarm_auto_inhibit_period value="3600"/>\n</variable>`
  )
}
