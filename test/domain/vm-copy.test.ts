import { describe, expect, it } from 'vitest'
import { cloneVm, convertToTemplate, copyToTemplate, copyVm, migrateVm, revertSnapshot, snapshotVm } from '../../src/domain/vm-copy.js'
import { setVm } from '../../src/domain/vm.js'
import { deleteVm } from '../../src/domain/vm-delete.js'
import { resizeVdi } from '../../src/domain/vdi.js'
import { stopVm } from '../../src/domain/vm-lifecycle.js'
import { errorOf, GiB, ids, setup, trace } from './vm-fixture.js'

describe('vm.snapshot', () => {
  it('creates a VM-snapshot with VDI-snapshots, CD drive and VIFs', () => {
    const t = setup()
    t.ctx.clock.set(Date.UTC(2026, 2, 1, 12))
    const srUsage = t.get(ids.sr).usage
    const id = snapshotVm(t.ctx, ids.running)
    const snapshot = t.get(id)
    expect(snapshot).toMatchObject({
      type: 'VM-snapshot',
      name_label: 'running_2026-03-01T12:00:00.000Z',
      $snapshot_of: ids.running,
      snapshot_time: Date.UTC(2026, 2, 1, 12) / 1000,
      power_state: 'Halted',
      $container: ids.pool,
      CPUs: { max: 4, number: 2 },
      current_operations: {},
      addresses: {},
      startTime: null,
    })
    expect(snapshot).not.toHaveProperty('pvDriversDetected')
    expect(t.get(ids.running)).toMatchObject({ snapshots: [id], parent: id, power_state: 'Running' })
    const [vbd] = snapshot.$VBDs.map((vbdId: string) => t.get(vbdId))
    const vdiSnapshot = t.get(vbd.VDI)
    expect(vdiSnapshot).toMatchObject({ type: 'VDI-snapshot', $snapshot_of: ids.runningDisk, size: 10 * GiB, $SR: ids.sr })
    expect(t.get(ids.runningDisk).snapshots).toEqual([vdiSnapshot.id])
    expect(vbd).toMatchObject({ VM: id, attached: false, position: '0' })
    const [vif] = snapshot.VIFs.map((vifId: string) => t.get(vifId))
    expect(vif).toMatchObject({ $VM: id, MAC: '02:00:00:00:00:02', attached: false })
    expect(t.get(ids.sr).usage).toBe(srUsage + 10 * GiB)
    expect(Object.values((trace(t.changes, ids.running, ['current_operations'])[0] as { current_operations: object }).current_operations)).toEqual(['snapshot'])
  })

  it('skips [NOSNAP] disks, takes name and description, checkpoints with saveMemory', () => {
    const t = setup()
    t.store.update(ids.runningDisk, { name_label: 'scratch [NOSNAP]' })
    const id = snapshotVm(t.ctx, ids.running, { name: 'before upgrade', description: 'safe point', saveMemory: true })
    const snapshot = t.get(id)
    expect(snapshot).toMatchObject({ name_label: 'before upgrade', name_description: 'safe point', power_state: 'Suspended' })
    expect(snapshot.$VBDs).toEqual([])
    expect(t.get(snapshot.suspendVdi)).toMatchObject({ VDI_type: 'suspend', $SR: ids.sr })
  })
})

describe('snapshot chains', () => {
  it('links snapshots through parent and re-parents on delete', () => {
    const t = setup()
    const first = snapshotVm(t.ctx, ids.halted)
    const second = snapshotVm(t.ctx, ids.halted)
    expect(t.get(second).parent).toBe(first)
    expect(t.get(ids.halted).parent).toBe(second)
    expect(t.get(ids.halted).snapshots).toEqual([first, second])
    deleteVm(t.ctx, second)
    expect(t.get(ids.halted).parent).toBe(first)
    expect(t.get(ids.halted).snapshots).toEqual([first])
    expect(t.get(ids.haltedDisk).snapshots).toHaveLength(1)
  })
})

describe('vm.revert', () => {
  it('restores the configuration and disks, restarting a VM snapshotted running', () => {
    const t = setup()
    const id = snapshotVm(t.ctx, ids.running)
    setVm(t.ctx, ids.running, { CPUs: 4, name_description: 'changed' })
    stopVm(t.ctx, ids.running)
    resizeVdi(t.ctx, ids.runningDisk, 20 * GiB)
    const srUsage = t.get(ids.sr).usage
    revertSnapshot(t.ctx, id)
    expect(t.get(ids.running)).toMatchObject({ CPUs: { max: 4, number: 2 }, name_description: '', power_state: 'Running' })
    expect(t.get(ids.runningDisk).size).toBe(10 * GiB)
    expect(t.get(ids.sr).usage).toBe(srUsage - 10 * GiB)
  })

  it('leaves a VM snapshotted halted halted, and halts a running one first', () => {
    const t = setup()
    const id = snapshotVm(t.ctx, ids.halted)
    revertSnapshot(t.ctx, id)
    expect(t.get(ids.halted).power_state).toBe('Halted')
    const id2 = snapshotVm(t.ctx, ids.halted)
    setVm(t.ctx, ids.halted, { CPUs: 1 })
    revertSnapshot(t.ctx, id2)
    expect(t.get(ids.halted).CPUs.number).toBe(2)
  })

  it('resumes a checkpoint of a running VM', () => {
    const t = setup()
    const id = snapshotVm(t.ctx, ids.running, { saveMemory: true })
    stopVm(t.ctx, ids.running)
    revertSnapshot(t.ctx, id)
    const states = trace(t.changes, ids.running, ['power_state']).map((entry) => (entry as { power_state: string }).power_state)
    expect(states).toContain('Suspended')
    expect(t.get(ids.running).power_state).toBe('Running')
  })
})

describe('vm.clone / vm.copy / templates', () => {
  it('fast-clones a halted VM with new VDIs and MACs', () => {
    const t = setup()
    const id = cloneVm(t.ctx, ids.halted, { name: 'clone' })
    const clone = t.get(id)
    expect(clone).toMatchObject({ type: 'VM', name_label: 'clone', power_state: 'Halted', $container: ids.pool })
    const disk = clone.$VBDs.map((vbdId: string) => t.get(vbdId)).find((vbd: { position: string }) => vbd.position === '0')
    expect(disk.VDI).not.toBe(ids.haltedDisk)
    expect(t.get(disk.VDI)).toMatchObject({ type: 'VDI', size: 10 * GiB, $SR: ids.sr })
    const [vif] = clone.VIFs.map((vifId: string) => t.get(vifId))
    expect(vif.MAC).not.toBe('02:00:00:00:00:01')
    expect(errorOf(() => cloneVm(t.ctx, ids.running, { name: 'x' })).data).toEqual({ objectId: ids.running, expected: 'halted', actual: 'running' })
    const full = cloneVm(t.ctx, ids.running, { name: 'full', fullCopy: true })
    expect(t.get(full).type).toBe('VM')
    expect(t.get(cloneVm(t.ctx, ids.template, { name: 'tpl copy' }))).toMatchObject({ type: 'VM-template', isDefaultTemplate: false })
  })

  it('copies to an SR of the same pool and of another pool', () => {
    const t = setup()
    const id = copyVm(t.ctx, ids.halted, ids.localSr, { name: 'local copy' })
    const copy = t.get(id)
    const disk = t.get(copy.$VBDs.map((vbdId: string) => t.get(vbdId)).find((vbd: { position: string }) => vbd.position === '0').VDI)
    expect(disk).toMatchObject({ $SR: ids.localSr, size: 10 * GiB })
    expect(copy.name_label).toBe('local copy')

    const remote = t.get(copyVm(t.ctx, ids.halted, ids.sr2))
    expect(remote).toMatchObject({ name_label: 'halted', $pool: ids.pool2, $poolId: ids.pool2, $container: ids.pool2 })
    const vbds = remote.$VBDs.map((vbdId: string) => t.get(vbdId))
    expect(vbds.every((vbd: { $pool: string }) => vbd.$pool === ids.pool2)).toBe(true)
    expect(t.get(vbds.find((vbd: { position: string }) => vbd.position === '0').VDI)).toMatchObject({ $SR: ids.sr2, $pool: ids.pool2 })
    const [vif] = remote.VIFs.map((vifId: string) => t.get(vifId))
    expect(vif).toMatchObject({ $network: ids.network2, $pool: ids.pool2 })
  })

  it('converts a halted VM to a template (exit then enter, same id) and copies snapshots to templates', () => {
    const t = setup()
    t.store.update(ids.haltedCd, { VDI: ids.iso })
    expect(errorOf(() => convertToTemplate(t.ctx, ids.running)).code).toBe(13)
    t.changes.length = 0
    convertToTemplate(t.ctx, ids.halted)
    const template = t.get(ids.halted)
    expect(template).toMatchObject({ type: 'VM-template', isDefaultTemplate: false, template_info: { disks: [] } })
    expect(template.$VBDs).toContain(ids.haltedVbd)
    expect(t.get(ids.haltedCd)).not.toHaveProperty('VDI')
    const kinds = t.changes.filter((change) => change.id === ids.halted).map((change) => change.kind)
    expect(kinds).toEqual(['remove', 'add'])

    const snapshotId = snapshotVm(t.ctx, ids.running)
    const templateId = copyToTemplate(t.ctx, snapshotId)
    expect(t.get(templateId)).toMatchObject({ type: 'VM-template', name_label: t.get(snapshotId).name_label })
  })
})

describe('vm.migrate', () => {
  it('live-migrates a running VM within the pool', () => {
    const t = setup()
    migrateVm(t.ctx, ids.running, ids.host2)
    expect(t.get(ids.running)).toMatchObject({ $container: ids.host2, power_state: 'Running' })
    expect(t.get(ids.host2).residentVms).toContain(ids.running)
    expect(t.get(ids.host1).residentVms).not.toContain(ids.running)
    expect(errorOf(() => migrateVm(t.ctx, ids.halted, ids.host2)).data).toEqual({ objectId: ids.halted, expected: 'running', actual: 'halted' })
    expect(errorOf(() => migrateVm(t.ctx, ids.running, ids.hostOff)).code).toBe(18)
  })

  it('moves disks with storage motion', () => {
    const t = setup()
    const local = t.get(ids.localSr).usage
    migrateVm(t.ctx, ids.running, ids.host1, { mapVdisSrs: { [ids.runningDisk]: ids.localSr } })
    expect(t.get(ids.runningDisk).$SR).toBe(ids.localSr)
    expect(t.get(ids.localSr).usage).toBe(local + 10 * GiB)
    expect(t.get(ids.localSr).VDIs).toContain(ids.runningDisk)
    expect(t.get(ids.sr).VDIs).not.toContain(ids.runningDisk)
  })

  it('migrates to another pool with its snapshots', () => {
    const t = setup()
    const snapshotId = snapshotVm(t.ctx, ids.running)
    migrateVm(t.ctx, ids.running, ids.host3)
    expect(t.get(ids.running)).toMatchObject({ $pool: ids.pool2, $container: ids.host3, power_state: 'Running' })
    expect(t.get(ids.runningDisk)).toMatchObject({ $SR: ids.sr2, $pool: ids.pool2 })
    expect(t.get(ids.runningVif)).toMatchObject({ $network: ids.network2, $pool: ids.pool2 })
    expect(t.get(snapshotId)).toMatchObject({ $pool: ids.pool2 })
    const snapshotDisk = t.get(ids.runningDisk).snapshots[0]
    expect(t.get(snapshotDisk).$SR).toBe(ids.sr2)
    expect(t.get(ids.host3).residentVms).toContain(ids.running)
  })
})
