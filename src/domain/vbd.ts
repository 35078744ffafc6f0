/**
 * VBD operations (`api/vbd.mjs`, `@xen-orchestra/xapi/vbd.mjs`): create (plugged at once on a running
 * VM), plug, unplug, destroy, edit.
 */
import type { MockContext } from '../context.js'
import { PlainError } from './errors.js'
import { buildVbd } from './factories.js'
import { assertPowerState, isResident } from './power.js'
import { allocateVbdUserdevice, assertFreeVbdUserdevice, findObject, getObject, getXapiObject, type Obj, str, VM_TYPES, vbdDeviceName } from './vm-common.js'

export interface CreateVbdOptions {
  /** The VDI (absent for an empty CD drive). */
  readonly vdi?: string
  /** XAPI userdevice (`position`); the first free one otherwise (`3` for a CD drive, avoided for disks). */
  readonly userdevice?: string
  readonly bootable?: boolean
  /** `RW` (default for disks) or `RO` (default for CD drives). */
  readonly mode?: string
  readonly cd?: boolean
}

function readOnlyOf(mode: string | undefined, cd: boolean): boolean {
  if (mode === undefined) return cd
  if (mode !== 'RO' && mode !== 'RW') throw new PlainError(`INVALID_VALUE(mode, ${mode})`)
  return mode === 'RO'
}

/** XAPI `VBD.create` (+ `VBD.plug` when the VM runs). Returns the VBD id. */
export function createVbd(ctx: MockContext, vmId: string, options: CreateVbdOptions): string {
  const vm = getObject(ctx, vmId, VM_TYPES)
  const cd = options.cd === true
  if (options.vdi !== undefined) getXapiObject(ctx, options.vdi, ['VDI', 'VDI-snapshot'])
  let userdevice = options.userdevice
  if (userdevice === undefined) userdevice = allocateVbdUserdevice(ctx, vm, cd)
  else assertFreeVbdUserdevice(ctx, vm, userdevice)
  const plugged = vm.power_state === 'Running' || vm.power_state === 'Paused'
  const vbd = buildVbd(ctx, {
    vm,
    vdi: options.vdi,
    userdevice,
    bootable: options.bootable,
    cd,
    readOnly: readOnlyOf(options.mode, cd),
    attached: plugged,
    device: plugged ? vbdDeviceName(userdevice) : null,
  })
  ctx.store.add(vbd)
  return vbd.id
}

function vmOfVbd(ctx: MockContext, vbd: Obj): Obj {
  const vm = findObject(ctx, vbd.VM)
  if (vm === undefined) throw new PlainError(`HANDLE_INVALID(VM, ${String(vbd.VM)})`)
  return vm
}

/** The plug state of a VBD of a resident VM. */
export function pluggedVbdFields(vbd: Obj): Record<string, unknown> {
  return { attached: true, device: vbdDeviceName(str(vbd, 'position') ?? '0') }
}

/** `vbd.connect` (XAPI `VBD.plug`): the VM must run (code 13), the VBD must be unplugged. */
export function connectVbd(ctx: MockContext, vbdId: string): void {
  const vbd = getObject(ctx, vbdId, 'VBD')
  const vm = vmOfVbd(ctx, vbd)
  assertPowerState(vm, ['Running', 'Paused'])
  if (vbd.attached === true) throw new PlainError(`DEVICE_ALREADY_ATTACHED(${String(vbd._xapiRef)})`)
  ctx.store.update(vbd.id, pluggedVbdFields(vbd))
}

/** `vbd.disconnect` (XAPI `VBD.unplug_force`): the VM must run (code 13), the VBD must be plugged. */
export function disconnectVbd(ctx: MockContext, vbdId: string): void {
  const vbd = getObject(ctx, vbdId, 'VBD')
  const vm = vmOfVbd(ctx, vbd)
  assertPowerState(vm, ['Running', 'Paused'])
  if (vbd.attached !== true) throw new PlainError(`DEVICE_ALREADY_DETACHED(${String(vbd._xapiRef)})`)
  ctx.store.update(vbd.id, { attached: false })
}

/** `vbd.delete` (XAPI `VBD_destroy`): unplugged first when plugged, then destroyed; the VDI stays. */
export function deleteVbd(ctx: MockContext, vbdId: string): void {
  const vbd = getObject(ctx, vbdId, 'VBD')
  const vm = findObject(ctx, vbd.VM)
  if (vbd.attached === true && vm !== undefined && isResident(vm)) ctx.store.update(vbd.id, { attached: false })
  ctx.store.remove(vbd.id)
}

/** `vbd.set`: moves the VBD to another userdevice (`position`). */
export function setVbd(ctx: MockContext, vbdId: string, settings: { position?: string | number }): void {
  const vbd = getObject(ctx, vbdId, 'VBD')
  if (settings.position === undefined) return
  const position = String(settings.position)
  if (position === vbd.position) return
  const vm = vmOfVbd(ctx, vbd)
  assertFreeVbdUserdevice(ctx, vm, position)
  ctx.store.update(vbd.id, { position })
}

/** `vbd.setBootable`. */
export function setVbdBootable(ctx: MockContext, vbdId: string, bootable: boolean): void {
  const vbd = getObject(ctx, vbdId, 'VBD')
  ctx.store.update(vbd.id, { bootable })
}
