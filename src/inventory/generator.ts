/**
 * Seeded inventory generator (vcsim's `-vm 1000`): builds an AUTHORING document from counts, which is
 * then loaded through the same loader as hand-written fixtures, so generated objects obey the same
 * invariants. `generated:vms=10000,pools=2` names such an inventory.
 */
import type { AuthoringDocument, HostSpec, MessageSpec, NetworkSpec, SrSpec, TemplateSpec, VmPowerState, VmSpec } from './authoring.js'
import { Random } from './ids.js'
import { InventoryError } from './validate.js'

export interface GeneratorOptions {
  /** Number of pools (default 1). */
  readonly pools?: number
  /** Hosts in each pool (default 3). */
  readonly hostsPerPool?: number
  /** VMs in total, spread over the pools (default 100). */
  readonly vms?: number
  /** Shared data SRs in each pool, alternately NFS and iSCSI (default 2); each pool also gets an ISO SR. */
  readonly srsPerPool?: number
  /** Disks of each VM (default 1). */
  readonly vdisPerVm?: number
  /** Networks in each pool: the management network (eth0), then VM networks on eth1 (default 2). */
  readonly networksPerPool?: number
  /** Seed of names, power states and sizes (ids come from the loader's seed). Default `xo-mock`. */
  readonly seed?: string | number
}

export const GENERATOR_DEFAULTS = Object.freeze({
  pools: 1,
  hostsPerPool: 3,
  vms: 100,
  srsPerPool: 2,
  vdisPerVm: 1,
  networksPerPool: 2,
  seed: 'xo-mock' as string | number,
})

const LIMITS: Record<keyof Omit<GeneratorOptions, 'seed'>, [number, number]> = {
  pools: [1, 100],
  hostsPerPool: [1, 64],
  vms: [0, 2_000_000],
  srsPerPool: [1, 50],
  vdisPerVm: [0, 16],
  networksPerPool: [1, 50],
}

const PARAMETER_ALIASES: Record<string, keyof GeneratorOptions> = {
  pools: 'pools',
  hosts: 'hostsPerPool',
  hostsPerPool: 'hostsPerPool',
  vms: 'vms',
  srs: 'srsPerPool',
  srsPerPool: 'srsPerPool',
  vdis: 'vdisPerVm',
  vdisPerVm: 'vdisPerVm',
  networks: 'networksPerPool',
  networksPerPool: 'networksPerPool',
  seed: 'seed',
}

/** Parses `generated` or `generated:vms=10000,pools=2,seed=abc` (errors name the spec as the file). */
export function parseGeneratorSpec(spec: string): GeneratorOptions {
  const match = /^generated(?::(.*))?$/.exec(spec)
  if (match === null) throw new InventoryError(spec, '', 'expected generated:key=value,key=value')
  const options: Record<string, string | number> = {}
  const body = match[1] ?? ''
  if (body.trim() === '') return options
  for (const part of body.split(',')) {
    const eq = part.indexOf('=')
    const rawKey = (eq === -1 ? part : part.slice(0, eq)).trim()
    const key = PARAMETER_ALIASES[rawKey]
    if (key === undefined) throw new InventoryError(spec, rawKey, `unknown parameter (expected ${Object.keys(GENERATOR_DEFAULTS).join(', ')})`)
    if (eq === -1) throw new InventoryError(spec, rawKey, 'expected key=value')
    const value = part.slice(eq + 1).trim()
    if (key === 'seed') {
      options.seed = value
      continue
    }
    if (!/^\d+$/.test(value)) throw new InventoryError(spec, rawKey, `expected a non-negative integer, got '${value}'`)
    options[key] = Number(value)
  }
  checkOptions(options as GeneratorOptions, spec)
  return options as GeneratorOptions
}

function checkOptions(options: GeneratorOptions, file: string): void {
  for (const [key, [min, max]] of Object.entries(LIMITS)) {
    const value = options[key as keyof typeof LIMITS]
    if (value === undefined) continue
    if (!Number.isInteger(value) || value < min || value > max) throw new InventoryError(file, key, `expected an integer from ${min} to ${max}, got ${value}`)
  }
}

const SITES = ['Lyon', 'Paris', 'Grenoble', 'Nantes', 'Lille', 'Bordeaux', 'Zürich', 'Berlin', 'Madrid', 'Milano']
const ROLES = ['web', 'db', 'app', 'cache', 'ci-runner', 'k8s-node', 'mail', 'backup', 'monitoring', 'vpn', 'proxy', 'ldap', 'build', 'files']
const TEMPLATE_OS = ['debian12', 'ubuntu2404', 'rocky9', 'windows2022'] as const
const CPUS = [1, 2, 2, 2, 4, 4, 8, 16]
const GiB = 2 ** 30
const MEMORY = [1, 2, 2, 4, 4, 8, 16, 32].map((n) => n * GiB)
const DISK_SIZES = [10, 20, 20, 40, 60, 100, 250, 500].map((n) => n * GiB)
const TAGS: readonly (readonly string[])[] = [[], [], [], ['prod'], ['prod', 'backup'], ['dev'], ['staging'], ['ci']]

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

/** A subnet with room for `count` addresses. */
function subnetFor(pool: number, network: number, count: number): string {
  const bits = Math.max(8, Math.ceil(Math.log2(count + 64)))
  if (bits <= 8) return `10.${pool}.${network}.0/24`
  if (bits <= 16) return `10.${(pool * 16 + network) % 256}.0.0/16`
  return `${10 + ((pool * 8 + network) % 100)}.0.0.0/${Math.max(8, 32 - bits)}`
}

/** Generates an authoring document; load it with `loadInventory` (the `generated:…` NAME does both). */
export function generateInventory(options: GeneratorOptions = {}): AuthoringDocument {
  checkOptions(options, 'generateInventory')
  const o = { ...GENERATOR_DEFAULTS, ...options }
  const random = new Random(`generator:${o.seed}`)
  const doc: Required<Pick<AuthoringDocument, 'pools' | 'hosts' | 'srs' | 'networks' | 'templates' | 'vms' | 'messages' | 'users' | 'groups'>> & AuthoringDocument = {
    xoMock: 1,
    $comment: `generated: ${JSON.stringify(o)}`,
    pools: [],
    hosts: [],
    srs: [],
    networks: [],
    templates: [],
    vms: [],
    messages: [],
    users: [
      { id: 'admin', email: 'admin@admin.net', password: 'admin', permission: 'admin' },
      { id: 'user', email: 'user@lab.local', password: 'user', permission: 'none' },
    ],
    groups: [{ id: 'operators', name: 'Operators', users: ['user'] }],
  }

  const vmsPerPool = Math.ceil(o.vms / o.pools)
  const vmNetworks = Math.max(1, o.networksPerPool - 1)
  for (let p = 1; p <= o.pools; p++) {
    const pool = `pool-${p}`
    const site = SITES[(p - 1) % SITES.length]!
    doc.pools.push({ id: pool, name_label: o.pools === 1 ? `${site} lab` : `${site} DC ${p}`, name_description: `Generated pool ${p}` })

    for (let n = 1; n <= o.networksPerPool; n++) {
      const network: NetworkSpec = { id: `${pool}-net-${n}`, pool, name_label: '' }
      if (n === 1) {
        Object.assign(network, { name_label: 'Management', device: 'eth0', management: true, subnet: subnetFor(p, 0, o.hostsPerPool) })
      } else {
        const vms = Math.ceil(vmsPerPool / vmNetworks)
        Object.assign(network, { name_label: n === 2 ? 'VM network' : `VLAN ${100 + n}`, device: 'eth1', subnet: subnetFor(p, n, vms) })
        if (n > 2) network.vlan = 100 + n
      }
      doc.networks.push(network)
    }

    const avgMemory = MEMORY.reduce((a, b) => a + b, 0) / MEMORY.length
    const hostMemory = Math.max(256, Math.ceil((vmsPerPool / o.hostsPerPool) * (avgMemory / GiB) * 0.9 / 64) * 64) * GiB
    for (let h = 1; h <= o.hostsPerPool; h++) {
      const host: HostSpec = {
        id: `${pool}-host-${h}`,
        pool,
        name_label: `xcp-${site.toLowerCase().replace(/[^a-z]/g, '')}-${pad(p, 2)}-${pad(h, 2)}`,
        memory: hostMemory,
        cores: random.pick([16, 32, 48, 64]),
        sockets: 2,
      }
      doc.hosts.push(host)
    }

    for (let s = 1; s <= o.srsPerPool; s++) {
      const nfs = s % 2 === 1
      const sr: SrSpec = {
        id: `${pool}-sr-${s}`,
        shared: true,
        pool,
        SR_type: nfs ? 'nfs' : 'lvmoiscsi',
        name_label: nfs ? `NFS ${s}` : `iSCSI ${s}`,
        size: Math.max(4, Math.ceil((vmsPerPool * o.vdisPerVm * 100) / o.srsPerPool / 1024)) * 2 ** 40,
      }
      doc.srs.push(sr)
    }
    doc.srs.push({
      id: `${pool}-iso`,
      shared: true,
      pool,
      SR_type: 'iso',
      name_label: 'ISO library',
      vdis: [
        { id: `${pool}-iso-debian`, name_label: 'debian-12.8.0-amd64-netinst.iso', size: 661651456 },
        { id: `${pool}-iso-windows`, name_label: 'SERVER_EVAL_x64FRE_en-us.iso', size: 5_296_713_728 },
      ],
    })
  }

  for (const os of TEMPLATE_OS) {
    const template: TemplateSpec = { id: `tpl-${os}`, default: true, os }
    doc.templates.push(template)
  }

  const statePick: VmPowerState[] = []
  for (let i = 0; i < 14; i++) statePick.push('Running')
  for (let i = 0; i < 4; i++) statePick.push('Halted')
  statePick.push('Suspended', 'Paused')
  const width = Math.max(4, String(o.vms).length)
  for (let v = 0; v < o.vms; v++) {
    const p = (v % o.pools) + 1
    const pool = `pool-${p}`
    const index = Math.floor(v / o.pools)
    // the first VMs of a pool cover every power state
    const power = index < 4 ? (['Running', 'Halted', 'Suspended', 'Paused'] as const)[index]! : random.pick(statePick)
    const resident = power === 'Running' || power === 'Paused'
    const role = random.pick(ROLES)
    const templateOs = random.pick(TEMPLATE_OS)
    const vm: VmSpec = {
      name_label: `${role}-${pad(v + 1, width)}`,
      power_state: power,
      $container: resident ? `${pool}-host-${(index % o.hostsPerPool) + 1}` : pool,
      template: `tpl-${templateOs}`,
      CPUs: random.pick(CPUS),
      memory: random.pick(MEMORY),
      tags: random.pick(TAGS) as string[],
      disks: [],
      vifs: [{ network: `${pool}-net-${o.networksPerPool === 1 ? 1 : 2 + (index % vmNetworks)}` }],
    }
    for (let d = 0; d < o.vdisPerVm; d++) {
      vm.disks!.push({ sr: `${pool}-sr-${((index + d) % o.srsPerPool) + 1}`, size: random.pick(DISK_SIZES) })
    }
    if (index % 20 === 7) vm.snapshots = [{ name_label: `${vm.name_label} before upgrade` }]
    if (index % 50 === 3) vm.cdrom = null
    if (index < 4) vm.id = `${pool}-vm-${index + 1}`
    doc.vms.push(vm)
  }

  for (let p = 1; p <= o.pools; p++) {
    const pool = `pool-${p}`
    const messages: MessageSpec[] = [
      { $object: `${pool}-host-1`, name: 'HOST_CLOCK_SKEW_DETECTED', body: 'The clock of this host is 4 seconds ahead of the pool master.' },
      { $object: `${pool}-sr-1`, alarm: { metric: 'physical_utilisation', value: 0.87, level: 0.8 } },
      { $object: `${pool}-host-1`, alarm: { metric: 'mem_usage', value: 0.96, level: 0.95 } },
    ]
    const firstVm = `${pool}-vm-1`
    if (o.vms >= p) {
      messages.push({ $object: firstVm, name: 'VM_STARTED', body: 'VM started' }, { $object: firstVm, alarm: { metric: 'cpu_usage', value: 0.98, level: 0.9 } })
    }
    doc.messages.push(...messages)
  }
  return doc
}
