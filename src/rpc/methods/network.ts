// JSON-RPC adapters of `network.*` (`api/network.mjs`).
import * as network from '../../domain/network.js'
import type { MethodTable, RpcCall } from '../types.js'

const poolId = (call: RpcCall) => call.objects.pool!.id
const networkId = (call: RpcCall) => call.objects.network!.id

export const networkMethods: MethodTable = {
  'network.create': (call) => {
    const p = call.params
    return network.createNetwork(call.ctx, poolId(call), {
      name: p.name as string,
      description: p.description as string | undefined,
      mtu: p.mtu as number | undefined,
      pif: p.pif as string | undefined,
      vlan: p.vlan as number | undefined,
      nbd: p.nbd as boolean | undefined,
    }).id
  },
  'network.createBonded': (call) => {
    const p = call.params
    const created = network.createBondedNetwork(call.ctx, poolId(call), {
      name: p.name as string,
      description: p.description as string | undefined,
      mtu: p.mtu as number | undefined,
      pifs: p.pifs as string[],
      bondMode: p.bondMode as network.BondMode,
    })
    return network.rawNetworkRecord(created)
  },
  'network.set': (call) => {
    const p = call.params as network.NetworkSettings
    network.setNetwork(call.ctx, networkId(call), {
      name_label: p.name_label,
      name_description: p.name_description,
      mtu: p.mtu,
      automatic: p.automatic,
      defaultIsLocked: p.defaultIsLocked,
      nbd: p.nbd,
    })
  },
  'network.delete': (call) => {
    network.deleteNetwork(call.ctx, networkId(call))
  },
  'network.getBondModes': () => [...network.BOND_MODES],
}
