/**
 * Method tables of the infrastructure and XO-side families (host, pool, network, pif, tag, message,
 * task, user, group, acl, server, cloudConfig, resourceSet, schedule, job, remote).
 *
 * Every handler is wrapped so that the XAPI errors thrown by the domain are translated the way
 * xo-server's api.mjs does (`XAPI_ERROR_TO_XO_ERROR`): e.g. `HOST_OFFLINE` → code 18,
 * `NO_HOSTS_AVAILABLE` → code 7, `PIF_VLAN_EXISTS` → code 16; other XAPI errors stay plain errors.
 */
import type { MockContext } from '../../context.js'
import * as errors from '../../domain/errors.js'
import { XapiError } from '../../domain/pool.js'
import type { MethodTable, RpcHandler } from '../types.js'
import { aclMethods } from './acl.js'
import { cloudConfigMethods } from './cloud-config.js'
import { groupMethods } from './group.js'
import { hostMethods } from './host.js'
import { jobMethods } from './job.js'
import { messageMethods } from './message.js'
import { networkMethods } from './network.js'
import { pifMethods } from './pif.js'
import { poolMethods } from './pool.js'
import { remoteMethods } from './remote.js'
import { resourceSetMethods } from './resource-set.js'
import { scheduleMethods } from './schedule.js'
import { serverMethods } from './server.js'
import { tagMethods } from './tag.js'
import { taskMethods } from './task.js'
import { userMethods } from './user.js'

type Mapper = (params: readonly string[], idOf: (ref: string | undefined) => string) => errors.XoApiError

/** `XAPI_ERROR_TO_XO_ERROR` of `xo-mixins/api.mjs`; refs become XO ids when known. */
const XAPI_ERROR_TO_XO_ERROR: Readonly<Record<string, Mapper>> = {
  EHOSTUNREACH: () => new errors.XoApiError(9, 'server unreachable', {}),
  HOST_OFFLINE: ([host], idOf) => errors.hostOffline(idOf(host)),
  NO_HOSTS_AVAILABLE: () => errors.noHostsAvailable(),
  NOT_SUPPORTED_DURING_UPGRADE: () => new errors.XoApiError(15, 'not supported during upgrade'),
  OPERATION_BLOCKED: ([ref, code], idOf) => errors.operationBlocked(idOf(ref), code ?? ''),
  PIF_VLAN_EXISTS: ([pif], idOf) => errors.objectAlreadyExists(idOf(pif), 'PIF'),
  SESSION_AUTHENTICATION_FAILED: () => new errors.XoApiError(8, 'authentication failed'),
  VDI_IN_USE: ([vdi, operation], idOf) => errors.vdiInUse(idOf(vdi), operation),
  VM_BAD_POWER_STATE: ([vm, expected, actual], idOf) => errors.vmBadPowerState(idOf(vm), expected ?? '', actual ?? ''),
  VM_IS_TEMPLATE: ([vm], idOf) => errors.vmIsTemplate(idOf(vm)),
  VM_LACKS_FEATURE: ([vm], idOf) => errors.vmLacksFeature(idOf(vm)),
  VM_LACKS_FEATURE_SHUTDOWN: ([vm], idOf) => errors.vmLacksFeature(idOf(vm), 'shutdown'),
  VM_MISSING_PV_DRIVERS: ([vm], idOf) => new errors.XoApiError(11, 'missing PV drivers', { objectId: idOf(vm) }),
}

/** The XO error for a XAPI error that xo-server maps, else the error itself. */
export function xapiErrorToXoError(ctx: MockContext, error: unknown): unknown {
  if (!(error instanceof XapiError)) return error
  const mapper = XAPI_ERROR_TO_XO_ERROR[error.code]
  if (mapper === undefined) return error
  const idOf = (ref: string | undefined) => (ref === undefined ? '' : (ctx.store.resolve(ref)?.id ?? ref))
  return mapper(error.params, idOf)
}

function withXapiErrorMapping(handler: RpcHandler): RpcHandler {
  return (call) => {
    try {
      const result = handler(call)
      return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(xapiErrorToXoError(call.ctx, error))) : result
    } catch (error) {
      throw xapiErrorToXoError(call.ctx, error)
    }
  }
}

const tables: readonly MethodTable[] = [
  hostMethods,
  poolMethods,
  networkMethods,
  pifMethods,
  tagMethods,
  messageMethods,
  taskMethods,
  userMethods,
  groupMethods,
  aclMethods,
  serverMethods,
  cloudConfigMethods,
  resourceSetMethods,
  scheduleMethods,
  jobMethods,
  remoteMethods,
]

export const infraMethods: MethodTable = Object.freeze(
  Object.fromEntries(tables.flatMap((table) => Object.entries(table)).map(([name, handler]) => [name, withXapiErrorMapping(handler)])),
)
