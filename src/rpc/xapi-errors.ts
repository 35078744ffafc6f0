/**
 * XAPI errors thrown by domain operations are translated at the JSON-RPC boundary the way xo-server's
 * api.mjs does (`XAPI_ERROR_TO_XO_ERROR`): e.g. `HOST_OFFLINE` → code 18, `NO_HOSTS_AVAILABLE` → code 7,
 * `VM_BAD_POWER_STATE` → code 13; other XAPI errors stay plain errors (-32000).
 */
import type { MockContext } from '../context.js'
import * as errors from '../domain/errors.js'
import { XapiError } from '../domain/errors.js'
import type { MethodTable, RpcHandler } from './types.js'

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


/** Wraps every handler of a table with the XAPI → XO error translation. */
export function withXapiErrors(table: MethodTable): MethodTable {
  return Object.freeze(Object.fromEntries(Object.entries(table).map(([name, handler]) => [name, withXapiErrorMapping(handler)])))
}
