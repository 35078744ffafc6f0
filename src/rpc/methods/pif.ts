// JSON-RPC adapters of `pif.*` (`api/pif.mjs`).
import * as pif from '../../domain/pif.js'
import type { MethodTable, RpcCall } from '../types.js'

const pifId = (call: RpcCall) => call.objects.pif!.id

export const pifMethods: MethodTable = {
  'pif.connect': (call) => {
    pif.connectPif(call.ctx, pifId(call))
  },
  'pif.disconnect': (call) => {
    pif.disconnectPif(call.ctx, pifId(call))
  },
  'pif.delete': (call) => {
    pif.deletePif(call.ctx, pifId(call))
  },
  'pif.reconfigureIp': (call) => {
    pif.reconfigurePifIp(call.ctx, pifId(call), call.params as pif.ReconfigureIpOptions)
  },
  'pif.editPif': (call) => {
    pif.editPif(call.ctx, pifId(call), call.params.vlan as number | string)
  },
  'pif.getIpv4ConfigurationModes': () => [...pif.IPV4_CONFIG_MODES],
  'pif.getIpv6ConfigurationModes': () => [...pif.IPV6_CONFIG_MODES],
}
