// JSON-RPC adapters of `pool.*` (`api/pool.mjs`).
import * as pool from '../../domain/pool.js'
import type { MethodTable, RpcCall } from '../types.js'

const id = (call: RpcCall, key = 'pool') => call.objects[key]!.id
/** A resolved optional SR param: its id, null to unset, undefined to keep. */
const srParam = (call: RpcCall, key: string) => (call.params[key] === null ? null : call.objects[key]?.id)

export const poolMethods: MethodTable = {
  'pool.set': (call) => {
    const p = call.params as pool.PoolSettings
    pool.setPool(call.ctx, id(call), {
      name_label: p.name_label,
      name_description: p.name_description,
      auto_poweron: p.auto_poweron,
      migrationCompression: p.migrationCompression,
      migrationNetwork: p.migrationNetwork,
      backupNetwork: p.backupNetwork,
      suspendSr: srParam(call, 'suspendSr'),
      crashDumpSr: srParam(call, 'crashDumpSr'),
    })
  },
  'pool.setDefaultSr': (call) => {
    pool.setDefaultSr(call.ctx, id(call, 'sr'))
  },
  'pool.setPoolMaster': (call) => {
    pool.setPoolMaster(call.ctx, id(call, 'host'))
  },
  'pool.enableHa': (call) => {
    pool.enableHa(call.ctx, id(call), call.params.heartbeatSrs as string[], call.params.configuration)
  },
  'pool.disableHa': (call) => {
    pool.disableHa(call.ctx, id(call))
  },
  'pool.rollingReboot': (call) => {
    pool.rollingReboot(call.ctx, id(call), { bypassBackupCheck: call.params.bypassBackupCheck === true })
  },
  'pool.rollingUpdate': (call) => {
    pool.rollingUpdate(call.ctx, id(call), { bypassBackupCheck: call.params.bypassBackupCheck === true })
  },
  'pool.listMissingPatches': (call) => pool.listMissingPatches(call.ctx, id(call, 'host')),
  'pool.managementReconfigure': (call) => {
    pool.managementReconfigurePool(call.ctx, id(call), id(call, 'network'))
  },
  'pool.listPoolsMatchingCriteria': (call) => pool.listPoolsMatchingCriteria(call.ctx, call.params as pool.PoolCriteria),
}
