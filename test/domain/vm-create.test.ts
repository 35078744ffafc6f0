import { describe, expect, it } from 'vitest'
import { createVm } from '../../src/domain/vm-create.js'
import { deleteVm } from '../../src/domain/vm-delete.js'
import { snapshotVm } from '../../src/domain/vm-copy.js'
import { setVm } from '../../src/domain/vm.js'
import { errorOf, GiB, ids, setup } from './vm-fixture.js'

/** The params the Terraform provider sends (clients.md §4). */
function terraformParams(extra: Record<string, unknown> = {}) {
  return {
    bootAfterCreate: false,
    clone: true,
    name_label: 'tf-vm',
    name_description: 'created by terraform',
    template: ids.template,
    coreOs: false,
    cpuCap: null,
    cpuWeight: null,
    CPUs: 2,
    secureBoot: false,
    expNestedHvm: false,
    VDIs: [
      { $SR: ids.sr, SR: ids.sr, name_label: 'root', name_description: '', size: 30 * GiB, type: 'user', userdevice: '0' },
      { $SR: ids.localSr, SR: ids.localSr, name_label: 'data', name_description: 'data disk', size: 4 * GiB, type: 'user' },
    ],
    VIFs: [{ network: ids.network }, { network: ids.networkB, mac: '02:11:22:33:44:55' }],
    tags: ['tf', 'web'],
    auto_poweron: false,
    high_availability: '',
    memoryMax: 4 * GiB,
    ...extra,
  }
}

describe('vm.create', () => {
  it('creates the VM with its disks, interfaces and settings before returning', () => {
    const t = setup()
    const srUsage = t.get(ids.sr).usage
    const localUsage = t.get(ids.localSr).physical_usage
    const id = createVm(t.ctx, terraformParams() as never, { user: 'user-1' })
    const vm = t.get(id)
    expect(vm).toMatchObject({
      type: 'VM',
      id,
      uuid: id,
      name_label: 'tf-vm',
      name_description: 'created by terraform',
      power_state: 'Halted',
      $container: ids.pool,
      $pool: ids.pool,
      $poolId: ids.pool,
      CPUs: { max: 2, number: 2 },
      tags: ['tf', 'web'],
      high_availability: '',
      creation: { template: ids.template, user: 'user-1', date: new Date(t.ctx.clock.now()).toISOString() },
      current_operations: {},
      snapshots: [],
    })
    expect(vm._xapiRef).toMatch(/^OpaqueRef:/)
    expect(vm.memory).toMatchObject({ dynamic: [2 * GiB, 4 * GiB], static: [GiB, 4 * GiB], size: 4 * GiB })
    expect(vm).not.toHaveProperty('isDefaultTemplate')
    expect(vm).not.toHaveProperty('template_info')
    expect(JSON.parse(vm.other[`xo:${id.slice(0, 8)}`]).creation.user).toBe('user-1')

    const vbds = vm.$VBDs.map((vbdId: string) => t.get(vbdId))
    expect(vbds.map((vbd: { position: string }) => vbd.position).sort()).toEqual(['0', '1', '3'])
    const root = vbds.find((vbd: { position: string }) => vbd.position === '0')
    expect(root).toMatchObject({ bootable: true, attached: false, VM: id })
    const rootVdi = t.get(root.VDI)
    // the template disk was cloned, renamed and grown
    expect(rootVdi).toMatchObject({ type: 'VDI', name_label: 'root', size: 30 * GiB, $SR: ids.sr })
    expect(root.VDI).not.toBe(ids.templateDisk)
    const data = t.get(vbds.find((vbd: { position: string }) => vbd.position === '1').VDI)
    expect(data).toMatchObject({ name_label: 'data', name_description: 'data disk', size: 4 * GiB, $SR: ids.localSr, usage: 4 * GiB })
    expect(vbds.find((vbd: { position: string }) => vbd.position === '1').bootable).toBe(false)
    expect(t.get(ids.sr).usage).toBe(srUsage + 30 * GiB)
    expect(t.get(ids.localSr).physical_usage).toBe(localUsage + 4 * GiB)

    const vifs = vm.VIFs.map((vifId: string) => t.get(vifId))
    expect(vifs.map((vif: { device: string }) => vif.device)).toEqual(['0', '1'])
    expect(vifs[0]).toMatchObject({ $network: ids.network, lockingMode: 'network_default', attached: false })
    expect(vifs[0].MAC).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/)
    expect(vifs[1]).toMatchObject({ $network: ids.networkB, MAC: '02:11:22:33:44:55', MTU: 9000 })
    expect(t.get(ids.network).VIFs).toContain(vifs[0].id)

    // the VM entered before its devices, and every device entered
    const adds = t.changes.filter((change) => change.kind === 'add').map((change) => change.type)
    expect(adds[0]).toBe('VM')
    expect(adds.filter((type) => type === 'VBD')).toHaveLength(3)
    expect(adds.filter((type) => type === 'VIF')).toHaveLength(2)
  })

  it('boots after the reply with bootAfterCreate and drops the cloud-config drive when asked', () => {
    const t = setup()
    const id = createVm(t.ctx, terraformParams({ bootAfterCreate: true, cloudConfig: '#cloud-config', destroyCloudConfigVdiAfterBoot: true }) as never)
    const vm = t.get(id)
    expect(vm.power_state).toBe('Halted')
    const drive = vm.$VBDs.map((vbdId: string) => t.get(vbdId)).find((vbd: { VDI?: string }) => vbd.VDI !== undefined && t.get(vbd.VDI).name_label === 'XO CloudConfigDrive')
    expect(drive).toBeDefined()
    expect(t.get(drive.VDI).$SR).toBe(ids.sr)
    t.ctx.clock.advance(0)
    expect(t.get(id)).toMatchObject({ power_state: 'Running', $container: ids.host1 })
    expect(t.store.has(drive.VDI)).toBe(false)
    expect(t.store.has(drive.id)).toBe(false)
  })

  it('creates from a default template without its provisioned disks, network boot first', () => {
    const t = setup()
    const id = createVm(t.ctx, { name_label: 'bare', template: ids.defaultTemplate, VIFs: [{ network: ids.network }] })
    const vm = t.get(id)
    expect(vm.$VBDs).toEqual([])
    expect(vm.boot.order).toBe('ncd')
    expect(vm.other).not.toHaveProperty('default_template')
    expect(vm.other).not.toHaveProperty('disks')
  })

  it('installs from an ISO in a bootable CD drive and destroys template disks marked destroy', () => {
    const t = setup()
    const id = createVm(t.ctx, {
      name_label: 'iso',
      template: ids.template,
      installation: { method: 'cdrom', repository: ids.iso },
      VDIs: [{ userdevice: '0', destroy: true, size: 0, SR: ids.sr, type: 'user' }, { size: '8 GiB', SR: ids.sr, type: 'user', name_label: 'new root' }],
    })
    const vbds = t.get(id).$VBDs.map((vbdId: string) => t.get(vbdId))
    const cd = vbds.find((vbd: { is_cd_drive: boolean }) => vbd.is_cd_drive)
    expect(cd).toMatchObject({ VDI: ids.iso, bootable: true, position: '3' })
    const disks = vbds.filter((vbd: { is_cd_drive: boolean }) => !vbd.is_cd_drive)
    expect(disks).toHaveLength(1)
    expect(disks[0]).toMatchObject({ position: '0', bootable: false })
    expect(t.get(disks[0].VDI)).toMatchObject({ name_label: 'new root', size: 8 * GiB })
  })

  it('refuses a smaller template disk (and rolls back) and unknown objects', () => {
    const t = setup()
    const counts = () => ['VM', 'VBD', 'VDI', 'VIF'].map((type) => t.store.count(type))
    const initial = counts()
    const usage = t.get(ids.sr).usage
    expect(errorOf(() => createVm(t.ctx, terraformParams({ VDIs: [{ SR: ids.sr, size: GiB, type: 'user', userdevice: '0' }] }) as never)).message).toBe(
      `Unable to update to a smaller VDI size for VDI with PBD userdevice: 0. Current size: ${20 * GiB}, new size: ${GiB}`,
    )
    expect(counts()).toEqual(initial)
    expect(t.get(ids.sr).usage).toBe(usage)
    expect(errorOf(() => createVm(t.ctx, terraformParams({ VIFs: [{ network: 'nope' }] }) as never)).code).toBe(1)
    expect(errorOf(() => createVm(t.ctx, terraformParams({ template: ids.halted }) as never)).code).toBe(1)
    expect(counts()).toEqual(initial)
  })
})

describe('vm.delete', () => {
  it('hard-shuts a running VM down, then removes it with its VBDs, VIFs and own disks', () => {
    const t = setup()
    const srUsage = t.get(ids.sr).usage
    deleteVm(t.ctx, ids.running)
    for (const id of [ids.running, ids.runningVbd, ids.runningVif, ids.runningDisk]) expect(t.store.has(id)).toBe(false)
    expect(t.get(ids.sr).usage).toBe(srUsage - 10 * GiB)
    expect(t.get(ids.host1).residentVms).not.toContain(ids.running)
    const sequence = t.changes.filter((change) => change.id === ids.running).map((change) => [change.kind, change.object.power_state])
    expect(sequence).toContainEqual(['update', 'Halted'])
    expect(sequence.at(-1)).toEqual(['remove', 'Halted'])
    // the VM leaves before its disks
    const order = t.changes.filter((change) => change.kind === 'remove').map((change) => change.id)
    expect(order.indexOf(ids.running)).toBeLessThan(order.indexOf(ids.runningDisk))
  })

  it('keeps the disks with deleteDisks false and shared disks always', () => {
    const t = setup()
    t.ctx.store.add({ ...t.get(ids.haltedVbd), id: 'shared-vbd', uuid: 'shared-vbd', _xapiRef: 'OpaqueRef:shared', VM: ids.suspended, position: '5' } as never)
    deleteVm(t.ctx, ids.halted)
    expect(t.store.has(ids.haltedDisk)).toBe(true)
    expect(t.get(ids.haltedDisk).$VBDs).toEqual(['shared-vbd'])
    deleteVm(t.ctx, ids.noTools, { deleteDisks: false })
    expect(t.store.has(ids.noToolsDisk)).toBe(true)
    expect(t.get(ids.noToolsDisk).$VBDs).toEqual([])
  })

  it('removes the snapshots and their disks', () => {
    const t = setup()
    const snapshotId = snapshotVm(t.ctx, ids.halted)
    const snapshotVdi = t.get(ids.haltedDisk).snapshots[0]
    expect(t.get(snapshotVdi).$snapshot_of).toBe(ids.haltedDisk)
    deleteVm(t.ctx, ids.halted)
    expect(t.store.has(snapshotId)).toBe(false)
    expect(t.store.has(snapshotVdi)).toBe(false)
    expect(t.store.count('VM-snapshot')).toBe(0)
  })

  it('refuses blocked destroys (code 5) and default templates (code 25) unless forced', () => {
    const t = setup()
    setVm(t.ctx, ids.halted, { blockedOperations: { destroy: true } })
    expect(errorOf(() => deleteVm(t.ctx, ids.halted))).toMatchObject({
      code: 5,
      message: 'forbidden operation: destroy is blocked: protected from accidental deletion',
    })
    deleteVm(t.ctx, ids.halted, { forceBlockedOperation: true })
    expect(t.store.has(ids.halted)).toBe(false)
    expect(errorOf(() => deleteVm(t.ctx, ids.defaultTemplate))).toMatchObject({
      code: 25,
      message: 'incorrect state',
      data: { actual: true, expected: false, object: ids.defaultTemplate, property: 'isDefaultTemplate' },
    })
    deleteVm(t.ctx, ids.defaultTemplate, { force: true })
    expect(t.store.has(ids.defaultTemplate)).toBe(false)
    deleteVm(t.ctx, ids.template)
    expect(t.store.has(ids.templateDisk)).toBe(false)
  })
})
