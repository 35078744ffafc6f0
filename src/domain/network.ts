/**
 * Network and bond operations (`api/network.mjs`, `xapi/index.mjs` `createNetwork`,
 * `createBondedNetwork`, `deleteNetwork`, `editPif`), with XAPI's rules for `pool.create_VLAN_from_PIF`,
 * `Bond.create`/`Bond.destroy` and `network.destroy`.
 *
 * Store shapes follow `xapi-object-to-xo.mjs`: network `{name_label, name_description, MTU, bridge,
 * automatic, defaultIsLocked, other_config, tags, PIFs, VIFs, nbd, insecureNbd, current_operations}`,
 * bond `{master, mode}`. Bond masters and slaves additionally carry `bondSlaves` / `bondMaster` (the
 * fields the Go SDK decodes) so that a bond can be undone.
 */
import type { MockContext } from '../context.js'
import type { HostObject, XapiObject, XoObject } from '../inventory/types.js'
import { isHostLive } from './host.js'
import { getPool, newXapiIdentity, requireObject, xapiError } from './pool.js'

export const BOND_MODES = ['balance-slb', 'active-backup', 'lacp'] as const
export type BondMode = (typeof BOND_MODES)[number]

export interface NetworkObject extends XapiObject {
  readonly type: 'network'
  readonly name_label: string
  readonly name_description: string
  readonly MTU: number
  readonly bridge: string
  readonly automatic: boolean
  readonly defaultIsLocked: boolean
  readonly other_config: Record<string, string>
  readonly tags: readonly string[]
  readonly PIFs: readonly string[]
  readonly VIFs: readonly string[]
  readonly nbd: boolean
  readonly insecureNbd: boolean
}

export interface PifObject extends XapiObject {
  readonly type: 'PIF'
  readonly device: string
  readonly attached: boolean
  readonly physical: boolean
  readonly vlan: number
  readonly management: boolean
  readonly isBondMaster: boolean
  readonly isBondSlave: boolean
  readonly mac: string
  readonly mtu: number
  readonly mode: string
  readonly ipv6Mode?: string
  readonly ip: string
  readonly netmask: string
  readonly gateway: string
  readonly dns: string
  readonly ipv6?: readonly string[]
  readonly disallowUnplug?: boolean
  readonly $host: string
  readonly $network: string
  readonly bondSlaves?: readonly string[]
  readonly bondMaster?: string
}

export interface BondObject extends XapiObject {
  readonly type: 'bond'
  readonly master: string
  readonly mode: BondMode
}

export const getNetwork = (ctx: MockContext, id: string) => requireObject<NetworkObject>(ctx, id, 'network')

function pifsOf(ctx: MockContext, predicate: (pif: PifObject) => boolean): PifObject[] {
  return [...ctx.store.ofType<PifObject>('PIF')].filter(predicate)
}

function nextBridge(ctx: MockContext, poolId: string): string {
  let max = -1
  for (const network of ctx.store.ofType<NetworkObject>('network')) {
    const match = network.$pool === poolId && typeof network.bridge === 'string' ? /^xapi(\d+)$/.exec(network.bridge) : null
    if (match !== null) max = Math.max(max, Number(match[1]))
  }
  return `xapi${max + 1}`
}

export interface CreateNetworkOptions {
  readonly name: string
  readonly description?: string
  readonly mtu?: number
  /** A PIF whose network's PIFs are tagged with `vlan` (XAPI `pool.create_VLAN_from_PIF`). */
  readonly pif?: string
  readonly vlan?: number
  readonly nbd?: boolean
}

function addNetworkRecord(ctx: MockContext, poolId: string, options: CreateNetworkOptions, isBonded = false): NetworkObject {
  return ctx.store.add<NetworkObject>({
    ...newXapiIdentity(ctx, poolId),
    type: 'network',
    automatic: false,
    bridge: nextBridge(ctx, poolId),
    current_operations: {},
    defaultIsLocked: false,
    MTU: options.mtu ?? 1500,
    name_description: options.description ?? 'Created with Xen Orchestra',
    name_label: options.name,
    other_config: { automatic: 'false' },
    tags: [],
    PIFs: [],
    VIFs: [],
    nbd: options.nbd === true,
    insecureNbd: false,
    isBonded,
  })
}

/** Checks of XAPI `pool.create_VLAN_from_PIF`; returns the PIFs to tag (those of the PIF's network). */
function checkVlanFromPif(ctx: MockContext, pif: PifObject, vlan: number): PifObject[] {
  if (!Number.isInteger(vlan) || vlan < 0 || vlan > 4094) throw xapiError('VLAN_TAG_INVALID', String(vlan))
  if (pif.vlan !== -1) throw xapiError('PIF_IS_VLAN', pif._xapiRef)
  const tagged = pifsOf(ctx, (other) => other.$network === pif.$network)
  for (const base of tagged) {
    if (base.isBondSlave) throw xapiError('CANNOT_ADD_VLAN_TO_BOND_SLAVE', base._xapiRef)
    const existing = pifsOf(ctx, (other) => other.$host === base.$host && other.device === base.device && other.vlan === vlan)[0]
    if (existing !== undefined) throw xapiError('PIF_VLAN_EXISTS', existing._xapiRef)
  }
  return tagged
}

/**
 * XAPI `pool.create_VLAN_from_PIF`: on every host having a PIF on the same network as `pif`, a VLAN
 * PIF tagged `vlan` is added to `network` and plugged. Checks everything before creating anything.
 */
export function createVlanFromPif(ctx: MockContext, pifId: string, networkId: string, vlan: number): PifObject[] {
  const pif = requireObject<PifObject>(ctx, pifId, 'PIF')
  const network = getNetwork(ctx, networkId)
  const tagged = checkVlanFromPif(ctx, pif, vlan)
  return tagged.map((base) => {
    const host = ctx.store.get(base.$host) as HostObject | undefined
    return ctx.store.add<PifObject>({
      ...newXapiIdentity(ctx, network.$pool),
      type: 'PIF',
      attached: host !== undefined && isHostLive(host),
      isBondMaster: false,
      isBondSlave: false,
      device: base.device,
      ...(base.deviceName === undefined ? {} : { deviceName: base.deviceName }),
      dns: '',
      disallowUnplug: false,
      gateway: '',
      ip: '',
      ipv6: [],
      mac: base.mac,
      management: false,
      carrier: base.carrier ?? true,
      mode: 'None',
      ipv6Mode: 'None',
      mtu: network.MTU,
      netmask: '',
      physical: false,
      primaryAddressType: 'IPv4',
      vlan,
      ...(base.speed === undefined ? {} : { speed: base.speed }),
      $host: base.$host,
      $network: network.id,
    })
  })
}

/**
 * `network.create`: a network in the pool (`automatic: false`, description `Created with Xen
 * Orchestra`, MTU 1500 by default), with VLAN PIFs when `pif` is given (VLAN 0 by default).
 */
export function createNetwork(ctx: MockContext, poolId: string, options: CreateNetworkOptions): NetworkObject {
  const pool = getPool(ctx, poolId)
  // validate before creating the network, so that a failure leaves nothing behind
  if (options.pif !== undefined) checkVlanFromPif(ctx, requireObject<PifObject>(ctx, options.pif, 'PIF'), options.vlan ?? 0)
  const network = addNetworkRecord(ctx, pool.id, options)
  if (options.pif !== undefined) createVlanFromPif(ctx, options.pif, network.id, options.vlan ?? 0)
  return ctx.store.get(network.id) as NetworkObject
}

export interface CreateBondedNetworkOptions {
  readonly name: string
  readonly description?: string
  readonly mtu?: number
  /** PIF ids: for each, the PIFs of its network are bonded host by host. */
  readonly pifs: readonly string[]
  readonly bondMode: BondMode
}

/** The XAPI record of a network, as `network.createBonded` returns it (XAPI field names). */
export function rawNetworkRecord(network: NetworkObject, pifRefs: readonly string[] = []): Record<string, unknown> {
  return {
    uuid: network.uuid,
    name_label: network.name_label,
    name_description: network.name_description,
    allowed_operations: [],
    current_operations: {},
    VIFs: [],
    PIFs: pifRefs,
    MTU: network.MTU,
    other_config: network.other_config,
    bridge: network.bridge,
    managed: true,
    blobs: {},
    tags: network.tags,
    default_locking_mode: network.defaultIsLocked ? 'disabled' : 'unlocked',
    assigned_ips: {},
    purpose: network.nbd ? ['nbd'] : [],
  }
}

/**
 * `network.createBonded`: a new network, then on each host a bond (XAPI `Bond.create`) of the PIFs of
 * the given PIFs' networks. The bond master PIF (`bond<N>`, MAC of the first slave) is plugged, the
 * slaves unplugged; a management slave hands its role and IP configuration to the master. Returns the
 * created network.
 */
export function createBondedNetwork(ctx: MockContext, poolId: string, options: CreateBondedNetworkOptions): NetworkObject {
  const pool = getPool(ctx, poolId)
  if (!(BOND_MODES as readonly string[]).includes(options.bondMode)) throw xapiError('INVALID_VALUE', 'mode', String(options.bondMode))
  const byHost = new Map<string, PifObject[]>()
  for (const id of options.pifs) {
    const pif = requireObject<PifObject>(ctx, id, 'PIF')
    for (const member of pifsOf(ctx, (other) => other.$network === pif.$network)) {
      const list = byHost.get(member.$host) ?? []
      if (!list.some((other) => other.id === member.id)) list.push(member)
      byHost.set(member.$host, list)
    }
  }
  for (const members of byHost.values()) {
    if (members.length < 2) throw xapiError('PIF_BOND_NEEDS_MORE_MEMBERS')
    if (members.length > 4) throw xapiError('PIF_BOND_MORE_THAN_FOUR_MEMBERS')
    for (const member of members) {
      if (member.isBondSlave || member.isBondMaster) throw xapiError('PIF_ALREADY_BONDED', member._xapiRef)
      if (member.vlan !== -1) throw xapiError('PIF_IS_VLAN', member._xapiRef)
    }
  }
  const network = addNetworkRecord(ctx, pool.id, options, true)
  for (const [hostId, members] of byHost) createBond(ctx, network, hostId, members, options.bondMode)
  return ctx.store.get(network.id) as NetworkObject
}

function createBond(ctx: MockContext, network: NetworkObject, hostId: string, slaves: PifObject[], mode: BondMode): void {
  const used = new Set(pifsOf(ctx, (pif) => pif.$host === hostId).map((pif) => pif.device))
  let n = 0
  while (used.has(`bond${n}`)) n++
  const management = slaves.find((slave) => slave.management)
  const first = slaves[0]!
  const ipSource = management ?? first
  const host = ctx.store.get(hostId) as HostObject | undefined
  const identity = newXapiIdentity(ctx, network.$pool)
  const master = ctx.store.add<PifObject>({
    ...identity,
    type: 'PIF',
    attached: host !== undefined && isHostLive(host),
    isBondMaster: true,
    isBondSlave: false,
    bondSlaves: slaves.map((slave) => slave.id),
    device: `bond${n}`,
    dns: management === undefined ? '' : ipSource.dns,
    disallowUnplug: management !== undefined,
    gateway: management === undefined ? '' : ipSource.gateway,
    ip: management === undefined ? '' : ipSource.ip,
    ipv6: [],
    mac: first.mac,
    management: management !== undefined,
    carrier: true,
    mode: management === undefined ? 'None' : ipSource.mode,
    ipv6Mode: 'None',
    mtu: network.MTU,
    netmask: management === undefined ? '' : ipSource.netmask,
    physical: false,
    primaryAddressType: 'IPv4',
    vlan: -1,
    $host: hostId,
    $network: network.id,
  })
  for (const slave of slaves) {
    ctx.store.update(slave.id, { isBondSlave: true, bondMaster: master.id, attached: false, management: false })
  }
  ctx.store.add<BondObject>({ ...newXapiIdentity(ctx, network.$pool), type: 'bond', master: master.id, mode })
}

/** XAPI `Bond.destroy`: the master PIF goes, the slaves come back (the first one gets the management role). */
export function destroyBond(ctx: MockContext, bondId: string): void {
  const bond = requireObject<BondObject>(ctx, bondId, 'bond')
  const master = ctx.store.get(bond.master) as PifObject | undefined
  if (master !== undefined) {
    const slaves = pifsOf(ctx, (pif) => pif.bondMaster === master.id)
    slaves.forEach((slave, index) => {
      const patch: Record<string, unknown> = { isBondSlave: false, bondMaster: undefined, attached: true }
      if (index === 0 && master.management) {
        Object.assign(patch, { management: true, mode: master.mode, ip: master.ip, netmask: master.netmask, gateway: master.gateway, dns: master.dns })
      }
      ctx.store.update(slave.id, patch)
    })
    ctx.store.remove(master.id)
  }
  ctx.store.remove(bond.id)
}

/**
 * `network.delete` (`xapi.deleteNetwork`): the network's VLAN PIFs and bonds are destroyed first (as
 * XO does, even when the destroy then fails), then XAPI `network.destroy`: attached VIFs →
 * `NETWORK_CONTAINS_VIF`, remaining (physical) PIFs → `NETWORK_CONTAINS_PIF`, the host internal
 * management network → `CANNOT_DESTROY_SYSTEM_NETWORK`; detached VIFs are destroyed with it.
 */
export function deleteNetwork(ctx: MockContext, networkId: string): void {
  const network = getNetwork(ctx, networkId)
  const pifs = pifsOf(ctx, (pif) => pif.$network === network.id)
  for (const pif of pifs) {
    if (pif.vlan !== -1 && pif.management) throw xapiError('PIF_IS_MANAGEMENT_INTERFACE', pif._xapiRef)
  }
  for (const pif of pifs) if (pif.vlan !== -1) ctx.store.remove(pif.id)
  for (const bond of [...ctx.store.ofType<BondObject>('bond')]) {
    if (pifs.some((pif) => pif.id === bond.master && ctx.store.has(pif.id))) destroyBond(ctx, bond.id)
  }
  const current = getNetwork(ctx, network.id)
  const vifs = (current.VIFs ?? []).map((id) => ctx.store.get(id)).filter((vif): vif is XoObject => vif !== undefined)
  const attached = vifs.filter((vif) => vif.attached === true)
  if (attached.length > 0) throw xapiError('NETWORK_CONTAINS_VIF', ...attached.map((vif) => vif._xapiRef as string))
  const remaining = pifsOf(ctx, (pif) => pif.$network === network.id)
  if (remaining.length > 0) throw xapiError('NETWORK_CONTAINS_PIF', ...remaining.map((pif) => pif._xapiRef))
  if (current.other_config?.is_host_internal_management_network !== undefined) {
    throw xapiError('CANNOT_DESTROY_SYSTEM_NETWORK', current._xapiRef)
  }
  for (const vif of vifs) ctx.store.remove(vif.id)
  ctx.store.remove(network.id)
}

export interface NetworkSettings {
  readonly name_label?: string
  readonly name_description?: string
  readonly mtu?: number
  readonly automatic?: boolean
  readonly defaultIsLocked?: boolean
  readonly nbd?: boolean
}

/**
 * `network.set`. A new MTU is applied to the network's plugged PIFs and to the VIFs of its running VMs
 * (XO unplugs and replugs them).
 */
export function setNetwork(ctx: MockContext, networkId: string, settings: NetworkSettings): NetworkObject {
  const network = getNetwork(ctx, networkId)
  const patch: Record<string, unknown> = {}
  if (settings.name_label !== undefined) patch.name_label = settings.name_label
  if (settings.name_description !== undefined) patch.name_description = settings.name_description
  if (settings.automatic !== undefined) {
    const otherConfig = { ...(network.other_config ?? {}) }
    if (settings.automatic) otherConfig.automatic = 'true'
    else delete otherConfig.automatic
    patch.other_config = otherConfig
    patch.automatic = settings.automatic
  }
  if (settings.defaultIsLocked !== undefined) patch.defaultIsLocked = settings.defaultIsLocked
  if (settings.nbd !== undefined) {
    patch.nbd = settings.nbd
    patch.insecureNbd = false
  }
  if (settings.mtu !== undefined) {
    patch.MTU = settings.mtu
    for (const pif of pifsOf(ctx, (pif) => pif.$network === network.id && pif.attached)) ctx.store.update(pif.id, { mtu: settings.mtu })
    for (const vifId of network.VIFs ?? []) {
      const vif = ctx.store.get(vifId)
      const vm = typeof vif?.$VM === 'string' ? ctx.store.get(vif.$VM) : undefined
      if (vif !== undefined && vif.attached === true && vm?.power_state === 'Running') ctx.store.update(vif.id, { MTU: settings.mtu })
    }
  }
  return ctx.store.update<NetworkObject>(network.id, patch)
}
