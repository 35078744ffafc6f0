/**
 * `vm.delete` (`api/vm.mjs` delete, `@xen-orchestra/xapi/vm.mjs` destroy): a non-halted VM is
 * hard-shut-down first, then the VM leaves with its VBDs and VIFs, then its snapshots (recursively)
 * and, by default, the VDIs no other VM uses.
 */
import type { MockContext } from '../context.js'
import { forbiddenOperation, incorrectState } from './errors.js'
import { hardShutdownVm } from './vm-lifecycle.js'
import { destroyVdi } from './vdi.js'
import { asStringRecord, disksOf, findObject, getObject, objectsOf, type Obj, vbdsOf, vifsOf } from './vm-common.js'

export interface DeleteVmOptions {
  /** Destroy the VDIs only this VM uses (default true). */
  readonly deleteDisks?: boolean
  /** Default for `forceDeleteDefaultTemplate` and `forceBlockedOperation`. */
  readonly force?: boolean
  readonly forceDeleteDefaultTemplate?: boolean
  readonly forceBlockedOperation?: boolean
}

/** Whether a VDI is used by a VM other than `vmId` (control domains aside). */
function usedElsewhere(ctx: MockContext, vdi: Obj, vmId: string): boolean {
  return objectsOf(ctx, vdi.$VBDs).some((vbd) => {
    if (vbd.VM === vmId) return false
    const other = findObject(ctx, vbd.VM)
    return other !== undefined && other.type !== 'VM-controller'
  })
}

/**
 * Deletes a VM, snapshot or template. A blocked destroy gives code 5 (`destroy is blocked: …`) and a
 * default template code 25, unless forced.
 */
export function deleteVm(ctx: MockContext, vmId: string, options: DeleteVmOptions = {}): void {
  const vm = getObject(ctx, vmId, ['VM', 'VM-snapshot', 'VM-template'])
  const force = options.force === true
  const bypassBlocked = options.forceBlockedOperation ?? force
  const forceDefaultTemplate = options.forceDeleteDefaultTemplate ?? force
  const deleteDisks = options.deleteDisks !== false

  const blocked = asStringRecord(vm.blockedOperations).destroy
  if (!bypassBlocked && blocked !== undefined) {
    throw forbiddenOperation(`destroy is blocked: ${blocked === 'true' ? 'protected from accidental deletion' : blocked}`)
  }
  if (!forceDefaultTemplate && vm.isDefaultTemplate === true) {
    throw incorrectState({ actual: true, expected: false, object: vm.id, property: 'isDefaultTemplate' })
  }
  if (vm.type === 'VM' && vm.power_state !== 'Halted') hardShutdownVm(ctx, vm.id)
  destroyVmRecord(ctx, vm.id, deleteDisks)
}

function destroyVmRecord(ctx: MockContext, vmId: string, deleteDisks: boolean): void {
  const vm = ctx.store.get(vmId)
  if (vm === undefined) return
  const disks = disksOf(ctx, vm)
  const vbds = vbdsOf(ctx, vm)
  const vifs = vifsOf(ctx, vm)
  const snapshots = objectsOf(ctx, vm.snapshots).filter((snapshot) => snapshot.$snapshot_of === vm.id)
  ctx.store.remove(vm.id)
  // XAPI re-parents the snapshotted VM on the snapshot's own parent
  const snapshotOf = findObject(ctx, vm.$snapshot_of)
  if (snapshotOf !== undefined && snapshotOf.parent === vm.id) ctx.store.update(snapshotOf.id, { parent: vm.parent })
  for (const vbd of vbds) if (ctx.store.has(vbd.id)) ctx.store.remove(vbd.id)
  for (const vif of vifs) if (ctx.store.has(vif.id)) ctx.store.remove(vif.id)
  for (const snapshot of snapshots) destroyVmRecord(ctx, snapshot.id, true)
  if (typeof vm.suspendVdi === 'string') destroyVdi(ctx, vm.suspendVdi)
  if (deleteDisks) {
    for (const vdi of disks) {
      const current = ctx.store.get(vdi.id)
      if (current !== undefined && !usedElsewhere(ctx, current, vm.id)) destroyVdi(ctx, current.id)
    }
  }
}
