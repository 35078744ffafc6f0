/**
 * VM power-state rules: which XAPI operation each power state allows, and the XO errors a refused
 * operation gives (`VM_BAD_POWER_STATE` → code 13 with XAPI's lowercase states, `OPERATION_BLOCKED` →
 * code 19, `VM_IS_TEMPLATE` → code 12), plus the `current_operations` bracket of an operation.
 */
import type { MockContext } from '../context.js'
import type { PowerState } from '../inventory/types.js'
import { operationBlocked, PlainError, vmBadPowerState, vmIsTemplate } from './errors.js'
import { asRecord, asStringRecord, getObject, hiddenState, type Obj, VM_TYPES } from './vm-common.js'

/** XAPI spelling of a power state (`running`, `halted`, `paused`, `suspended`). */
export function xapiPowerState(state: unknown): string {
  return String(state).toLowerCase()
}

export function powerStateOf(vm: Obj): PowerState {
  const state = vm.power_state
  return state === 'Running' || state === 'Paused' || state === 'Suspended' ? state : 'Halted'
}

/** XO's `isVmRunning`: running or paused (the VM has a domain on a host). */
export function isResident(vm: Obj): boolean {
  const state = powerStateOf(vm)
  return state === 'Running' || state === 'Paused'
}

/**
 * Throws code 13 unless the VM is in one of `allowed`; the error's `expected` is the first allowed
 * state, as XAPI reports it.
 */
export function assertPowerState(vm: Obj, allowed: PowerState | readonly PowerState[]): void {
  const list = typeof allowed === 'string' ? [allowed] : allowed
  const actual = powerStateOf(vm)
  if (!list.includes(actual)) throw vmBadPowerState(vm.id, xapiPowerState(list[0]), xapiPowerState(actual))
}

/**
 * The VM on which a power operation runs: a template or a snapshot gives code 12 (XAPI
 * `VM_IS_TEMPLATE`), a control domain the XAPI refusal.
 */
export function getRunnableVm(ctx: MockContext, id: string): Obj {
  const vm = getObject(ctx, id, VM_TYPES)
  if (vm.type === 'VM-template' || vm.type === 'VM-snapshot') throw vmIsTemplate(vm.id)
  if (vm.type === 'VM-controller') throw new PlainError(`OPERATION_NOT_ALLOWED(${String(vm._xapiRef)}, control domain)`)
  return vm
}

/** XAPI `OPERATION_BLOCKED` (code 19) when `operation` is in the VM's `blockedOperations`. */
export function assertNotBlocked(vm: Obj, operation: string): void {
  const reason = asStringRecord(vm.blockedOperations)[operation]
  if (reason !== undefined) throw operationBlocked(vm.id, reason)
}

export function blockedReason(vm: Obj, operation: string): string | undefined {
  return asStringRecord(vm.blockedOperations)[operation]
}

/**
 * Runs `body` as the XAPI operation `operation` on an object: `current_operations` gains
 * `{<taskId>: operation}` (one `enter`), `body` applies the state changes, then the entry is removed
 * (one more `enter`), also when `body` throws. Returns what `body` returns.
 */
export function runOperation<T>(ctx: MockContext, objectId: string, operation: string, body: () => T): T {
  const taskId = ctx.ids.uuid()
  ctx.store.update(objectId, (object) => ({ current_operations: { ...asRecord(object.current_operations), [taskId]: operation } }))
  try {
    return body()
  } finally {
    if (ctx.store.has(objectId)) {
      ctx.store.update(objectId, (object) => {
        const operations = asRecord(object.current_operations)
        delete operations[taskId]
        return { current_operations: operations }
      })
    }
  }
}

/**
 * Whether the guest agent of this VM reports (PV drivers and management agent). A running VM says it
 * through `pvDriversDetected`/`managementAgentDetected`; a VM that is not running has tools unless it
 * was last seen running without them or its `other['xo-mock:guest-tools']` is `'false'`.
 */
export function hasGuestTools(ctx: MockContext, vm: Obj): boolean {
  if (asStringRecord(vm.other)['xo-mock:guest-tools'] === 'false') return false
  if (isResident(vm) && (typeof vm.pvDriversDetected === 'boolean' || typeof vm.managementAgentDetected === 'boolean')) {
    return vm.pvDriversDetected === true || vm.managementAgentDetected === true
  }
  return !hiddenState(ctx).noGuestTools.has(vm.id)
}
