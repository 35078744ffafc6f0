/**
 * PIF operations (`api/pif.mjs`; XAPI `PIF.plug`, `PIF.unplug`, `PIF.forget`, `PIF.reconfigure_ip`,
 * `PIF.reconfigure_ipv6`; `xapi.editPif`).
 */
import type { MockContext } from '../context.js'
import type { HostObject } from '../inventory/types.js'
import { PlainError } from './errors.js'
import { isHostLive } from './host.js'
import type { PifObject } from './network.js'
import { createVlanFromPif, getNetwork } from './network.js'
import { requireObject, setManagementPif, xapiError } from './pool.js'

export const IPV4_CONFIG_MODES = ['None', 'DHCP', 'Static'] as const
export const IPV6_CONFIG_MODES = ['None', 'DHCP', 'Static', 'Autoconf'] as const

export const getPif = (ctx: MockContext, id: string) => requireObject<PifObject>(ctx, id, 'PIF')

function assertHostLive(ctx: MockContext, pif: PifObject): void {
  const host = ctx.store.get(pif.$host) as HostObject | undefined
  if (host !== undefined && !isHostLive(host)) throw xapiError('HOST_OFFLINE', host._xapiRef)
}

/** `pif.connect` (XAPI `PIF.plug`). */
export function connectPif(ctx: MockContext, pifId: string): PifObject {
  const pif = getPif(ctx, pifId)
  assertHostLive(ctx, pif)
  if (pif.isBondSlave) throw xapiError('CANNOT_PLUG_BOND_SLAVE', pif._xapiRef)
  return ctx.store.update<PifObject>(pif.id, { attached: true })
}

/** `pif.disconnect` (XAPI `PIF.unplug`): not the management interface nor a PIF disallowing unplug. */
export function disconnectPif(ctx: MockContext, pifId: string): PifObject {
  const pif = getPif(ctx, pifId)
  assertHostLive(ctx, pif)
  if (pif.management) throw xapiError('PIF_IS_MANAGEMENT_INTERFACE', pif._xapiRef)
  if (pif.disallowUnplug === true) throw xapiError('PIF_DOES_NOT_ALLOW_UNPLUG', pif._xapiRef)
  return ctx.store.update<PifObject>(pif.id, { attached: false })
}

/**
 * `pif.delete` (XAPI `PIF.forget`): not the management interface, not bonded, no VLAN on top of it.
 * The PIF leaves the inventory (its network keeps existing).
 */
export function deletePif(ctx: MockContext, pifId: string): void {
  const pif = getPif(ctx, pifId)
  if (pif.management) throw xapiError('PIF_IS_MANAGEMENT_INTERFACE', pif._xapiRef)
  if (pif.isBondSlave || pif.isBondMaster) throw xapiError('PIF_ALREADY_BONDED', pif._xapiRef)
  if (pif.vlan === -1) {
    for (const other of ctx.store.ofType<PifObject>('PIF')) {
      if (other.$host === pif.$host && other.device === pif.device && other.vlan !== -1) {
        throw xapiError('PIF_VLAN_STILL_EXISTS', pif._xapiRef)
      }
    }
  }
  ctx.store.remove(pif.id)
}

export interface ReconfigureIpOptions {
  readonly mode?: string
  readonly ip?: string
  readonly netmask?: string
  readonly gateway?: string
  readonly dns?: string
  /** `''` leaves the IPv6 address alone. */
  readonly ipv6?: string
  readonly ipv6Mode?: string
}

/**
 * `pif.reconfigureIp`: IPv6 is reconfigured when the address or the mode changes, IPv4 when the mode
 * changes (XO compares with the current mode, so changing only the IP of a static PIF does nothing).
 * A management PIF also moves the host address.
 */
export function reconfigurePifIp(ctx: MockContext, pifId: string, options: ReconfigureIpOptions): PifObject {
  const pif = getPif(ctx, pifId)
  const { mode, ip = '', netmask = '', gateway = '', dns = '', ipv6 = '', ipv6Mode } = options
  const patch: Record<string, unknown> = {}
  if ((ipv6 !== '' && pif.ipv6?.[0] !== ipv6) || (ipv6Mode !== undefined && ipv6Mode !== pif.ipv6Mode)) {
    const newMode = ipv6Mode ?? pif.ipv6Mode ?? 'None'
    if (!(IPV6_CONFIG_MODES as readonly string[]).includes(newMode)) throw xapiError('INVALID_VALUE', 'mode', newMode)
    patch.ipv6Mode = newMode
    patch.ipv6 = newMode === 'None' ? [] : ipv6 === '' ? (pif.ipv6 ?? []) : [ipv6]
  }
  if (mode !== undefined && mode !== pif.mode) {
    if (!(IPV4_CONFIG_MODES as readonly string[]).includes(mode)) throw xapiError('INVALID_VALUE', 'mode', mode)
    if (mode === 'Static' && (ip === '' || netmask === '')) throw xapiError('INVALID_IP_ADDRESS_SPECIFIED', ip === '' ? 'IP' : 'netmask')
    Object.assign(patch, mode === 'None' ? { mode, ip: '', netmask: '', gateway: '', dns: '' } : { mode, ip, netmask, gateway, dns })
  }
  const updated = ctx.store.update<PifObject>(pif.id, patch)
  if (updated.management) setManagementPif(ctx, updated)
  return ctx.store.get(pif.id) as PifObject
}

/**
 * `pif.editPif` (`xapi.editPif`): the VLAN PIFs of this PIF's network are replaced by new ones tagged
 * `vlan` (new ids), created from the physical PIF (or bond master) of the same device; hosts where
 * the old PIF was unplugged get an unplugged one.
 */
export function editPif(ctx: MockContext, pifId: string, vlan: number | string): PifObject[] {
  const pif = getPif(ctx, pifId)
  const tag = typeof vlan === 'number' ? vlan : Number.parseInt(vlan, 10)
  const physical = [...ctx.store.ofType<PifObject>('PIF')].find(
    (other) => (other.physical || other.isBondMaster) && other.$pool === pif.$pool && other.device === pif.device,
  )
  if (physical === undefined) throw new PlainError('PIF not found')
  const network = getNetwork(ctx, pif.$network)
  const old = [...ctx.store.ofType<PifObject>('PIF')].filter((other) => other.$network === network.id)
  const wasAttached = new Map(old.map((other) => [other.$host, other.attached]))
  for (const other of old) if (other.vlan !== -1) ctx.store.remove(other.id)
  const created = createVlanFromPif(ctx, physical.id, network.id, tag)
  return created.map((other) =>
    wasAttached.get(other.$host) === true || !other.attached ? other : ctx.store.update<PifObject>(other.id, { attached: false }),
  )
}
