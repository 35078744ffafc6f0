/**
 * The `vm.*` methods through xo-lib 0.9.0: each call's result, the `all` notifications it caused, and
 * `xo.getAllObjects` afterwards (reference jsonrpc-api.md §7.3, §8).
 */
import { describe, expect, it } from 'vitest'
import { current, GiB, objectsOf, pick, trackMethodCases, useMock } from './harness.js'

trackMethodCases()
const t = useMock()

/** A halted HVM VM with disks and interfaces in a pool with a running, enabled host. */
const haltedVm = () =>
  pick(
    t.mock,
    'VM',
    (vm) =>
      vm.power_state === 'Halted' &&
      vm.virtualizationMode === 'hvm' &&
      vm.$VBDs.length > 0 &&
      vm.VIFs.length > 0 &&
      objectsOf(t.mock, 'host', (host) => host.$pool === vm.$pool && host.power_state === 'Running' && host.enabled).length > 0,
    'halted HVM VM with disks and VIFs',
  )

/** A running VM with guest tools in a pool with at least two running, enabled hosts. */
const runningVm = () =>
  pick(
    t.mock,
    'VM',
    (vm) =>
      vm.power_state === 'Running' &&
      vm.pvDriversDetected === true &&
      objectsOf(t.mock, 'host', (host) => host.$pool === vm.$pool && host.power_state === 'Running' && host.enabled).length > 1,
    'running VM with tools in a pool of two live hosts',
  )

const diskVbds = (vm: any) => (vm.$VBDs as string[]).map((id) => current(t.mock, id)).filter((vbd) => vbd.is_cd_drive !== true)

describe('vm power operations', () => {
  it('vm.start, vm.pause, vm.suspend, vm.resume, vm.restart and vm.stop change power_state, notified then listed', async () => {
    const vm = haltedVm()
    const client = await t.admin()

    let mark = client.mark()
    expect(await client.call('vm.start', { id: vm.id })).toBe(true)
    // the Running enter came before the result
    expect(client.since(mark).entered[vm.id]).toMatchObject({ power_state: 'Running' })
    let changes = await client.synced(mark)
    const started = changes.entered[vm.id]
    expect(started).toMatchObject({ power_state: 'Running', current_operations: {}, managementAgentDetected: true, pvDriversDetected: true })
    expect(current(t.mock, started.$container)).toMatchObject({ type: 'host', $pool: vm.$pool, power_state: 'Running' })
    expect(started.startTime).toEqual(expect.any(Number))
    expect(Object.keys(started.addresses).every((key) => /^\d+\/ipv[46]\/\d+$/.test(key))).toBe(true)
    // the VM's devices were plugged: their objects entered too
    for (const vbd of diskVbds(vm)) expect(changes.entered[vbd.id], `VBD ${vbd.id}`).toMatchObject({ attached: true })
    for (const vif of vm.VIFs) expect(changes.entered[vif], `VIF ${vif}`).toMatchObject({ attached: true })

    const step = async (method: string, params: Record<string, unknown>, expected: Record<string, unknown>) => {
      mark = client.mark()
      expect(await client.call(method, params)).toBe(true)
      changes = await client.synced(mark)
      expect(changes.entered[vm.id], method).toMatchObject({ ...expected, current_operations: {} })
      return changes.entered[vm.id]
    }
    await step('vm.pause', { id: vm.id }, { power_state: 'Paused' })
    // vm.start on a paused VM unpauses it
    await step('vm.start', { id: vm.id }, { power_state: 'Running' })
    const suspended = await step('vm.suspend', { id: vm.id }, { power_state: 'Suspended', $container: vm.$pool })
    expect(suspended).not.toHaveProperty('pvDriversDetected')
    await step('vm.resume', { id: vm.id }, { power_state: 'Running' })
    const restarted = await step('vm.restart', { id: vm.id }, { power_state: 'Running' })
    expect(restarted.startTime).toBeGreaterThanOrEqual(started.startTime)
    await step('vm.stop', { id: vm.id }, { power_state: 'Halted', $container: vm.$pool, startTime: null })
    for (const vbd of diskVbds(vm)) expect(changes.entered[vbd.id], `VBD ${vbd.id}`).toMatchObject({ attached: false })
    for (const vif of vm.VIFs) expect(changes.entered[vif], `VIF ${vif}`).toMatchObject({ attached: false })

    // a refused operation changes nothing and notifies nothing
    mark = client.mark()
    await expect(client.call('vm.stop', { id: vm.id })).rejects.toMatchObject({ code: 13, data: { expected: 'running', actual: 'halted' } })
    expect((await client.synced(mark)).ids).toEqual([])
    expect((await client.object(vm.id)).power_state).toBe('Halted')
  })

  it('vm.recoveryStart boots a halted VM and keeps its boot order', async () => {
    const vm = haltedVm()
    const client = await t.admin()
    const mark = client.mark()
    expect(await client.call('vm.recoveryStart', { id: vm.id })).toBe(true)
    const changes = await client.synced(mark)
    expect(changes.entered[vm.id]).toMatchObject({ power_state: 'Running', boot: vm.boot })
  })
})

describe('vm create / delete / settings', () => {
  it('vm.create clones a template with disks, VIFs and a cloud-config drive; vm.delete removes them', async () => {
    const { mock } = t
    const template = pick(mock, 'VM-template', (tpl) => tpl.$VBDs.length > 0 && !tpl.isDefaultTemplate, 'custom template with a disk')
    const pool = current(mock, template.$pool)
    const network = pick(mock, 'network', (net) => net.$pool === template.$pool && net.PIFs.length > 0)
    const sr = current(mock, pool.default_SR)
    const client = await t.admin()

    const mark = client.mark()
    const id = await client.call('vm.create', {
      name_label: 'created by xo-lib',
      name_description: 'integration',
      template: template.id,
      CPUs: 2,
      memory: 2 * GiB,
      tags: ['xo-lib'],
      VIFs: [{ network: network.id }, { network: network.id, mac: '02:00:00:00:00:42' }],
      VDIs: [{ SR: sr.id, size: 5 * GiB, type: 'user', name_label: 'data disk' }],
      cloudConfig: '#cloud-config\nhostname: created\n',
    })
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    // the VM and its devices entered before the result (reference §8)
    expect(client.since(mark).entered[id]).toMatchObject({ type: 'VM', power_state: 'Halted' })
    const changes = await client.synced(mark)
    const vm = changes.entered[id]
    expect(vm).toMatchObject({
      type: 'VM',
      name_label: 'created by xo-lib',
      name_description: 'integration',
      power_state: 'Halted',
      CPUs: { number: 2 },
      tags: ['xo-lib'],
      $pool: template.$pool,
      creation: { template: template.id, user: pick(mock, 'user', (user) => user.email === mock.email).id },
    })
    // its VBDs, VDIs (cloned template disk, the data disk, the config drive) and VIFs entered with it
    expect(vm.VIFs).toHaveLength(2)
    expect(vm.VIFs.map((vif: string) => changes.entered[vif])).toEqual([
      expect.objectContaining({ type: 'VIF', $VM: id, $network: network.id }),
      expect.objectContaining({ type: 'VIF', $VM: id, $network: network.id, MAC: '02:00:00:00:00:42' }),
    ])
    const vbds = vm.$VBDs.map((vbd: string) => changes.entered[vbd])
    expect(vbds).toHaveLength(template.$VBDs.length + 2)
    const vdis = vbds.map((vbd: any) => changes.entered[vbd.VDI])
    for (const vdi of vdis) expect(vdi).toMatchObject({ type: 'VDI' })
    expect(vdis.map((vdi: any) => vdi.name_label)).toEqual(expect.arrayContaining(['data disk', 'XO CloudConfigDrive']))
    expect(vdis.find((vdi: any) => vdi.name_label === 'data disk')).toMatchObject({ size: 5 * GiB, $SR: sr.id })
    // the VM was listed right away
    expect(await client.objects({ type: 'VM', name_label: 'created by xo-lib' })).toEqual({ [id]: vm })

    const deleteMark = client.mark()
    expect(await client.call('vm.delete', { id })).toBe(true)
    const deleted = await client.synced(deleteMark)
    const gone = [id, ...vm.$VBDs, ...vm.VIFs, ...vdis.map((vdi: any) => vdi.id)]
    for (const object of gone) expect(deleted.exited.has(object), object).toBe(true)
    for (const object of gone) expect(current(mock, object)).toBeUndefined()
    // the legacy `existingDisks` edits a template disk in place (resized, renamed, moved to another SR)
    const templateDisk = current(mock, current(mock, template.$VBDs[0]).VDI)
    const position = current(mock, template.$VBDs[0]).position
    const otherSr = pick(mock, 'SR', (candidate) => candidate.$pool === template.$pool && candidate.shared && candidate.content_type === 'user' && candidate.id !== sr.id)
    const legacyMark = client.mark()
    const legacy = await client.call('vm.create', {
      name_label: 'legacy disks',
      template: template.id,
      existingDisks: { [position]: { name_label: 'system', size: templateDisk.size + GiB, $SR: otherSr.id } },
    })
    const legacyChanges = await client.synced(legacyMark)
    const [legacyVdi] = legacyChanges.ofType('VDI')
    expect(legacyVdi).toMatchObject({ name_label: 'system', size: templateDisk.size + GiB, $SR: otherSr.id })
    expect(legacyChanges.entered[legacy].$VBDs.map((vbd: string) => legacyChanges.entered[vbd].VDI)).toContain(legacyVdi.id)

    // a default template cannot be deleted without forceDeleteDefaultTemplate
    const builtIn = pick(mock, 'VM-template', (tpl) => tpl.isDefaultTemplate === true)
    await expect(client.call('vm.delete', { id: builtIn.id })).rejects.toMatchObject({ code: 25, data: { property: 'isDefaultTemplate' } })
  })

  it('vm.set edits settings (one enter per call); vm.setAndRestart restarts a running VM with them', async () => {
    const vm = haltedVm()
    const client = await t.admin()
    let mark = client.mark()
    expect(
      await client.call('vm.set', {
        id: vm.id,
        name_label: 'renamed',
        name_description: 'set by xo-lib',
        CPUs: 1,
        memoryMax: 3 * GiB,
        auto_poweron: true,
        high_availability: 'best-effort',
        blockedOperations: { destroy: 'protected' },
        xenStoreData: { role: 'web' },
      }),
    ).toBe(true)
    let changes = await client.synced(mark)
    expect(client.notifications.slice(mark).filter((n) => vm.id in n.items)).toHaveLength(1)
    expect(changes.entered[vm.id]).toMatchObject({
      name_label: 'renamed',
      name_description: 'set by xo-lib',
      CPUs: { number: 1 },
      auto_poweron: true,
      high_availability: 'best-effort',
      blockedOperations: { destroy: 'protected' },
      xenStoreData: { 'vm-data/role': 'web' },
    })
    expect(changes.entered[vm.id].memory.dynamic[1]).toBe(3 * GiB)
    // the blocked destroy is enforced
    await expect(client.call('vm.delete', { id: vm.id })).rejects.toMatchObject({ code: 5 })

    const running = runningVm()
    mark = client.mark()
    expect(await client.call('vm.setAndRestart', { id: running.id, name_description: 'restarted with new settings' })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[running.id]).toMatchObject({ name_description: 'restarted with new settings', power_state: 'Running' })
  })
})

describe('vm snapshots, copies and templates', () => {
  it('vm.snapshot, vm.revert and vm.copyToTemplate', async () => {
    const vm = runningVm()
    const client = await t.admin()

    let mark = client.mark()
    const snapshotId = await client.call('vm.snapshot', { id: vm.id, name: 'xo-lib snapshot' })
    let changes = await client.synced(mark)
    const snapshot = changes.entered[snapshotId]
    expect(snapshot).toMatchObject({ type: 'VM-snapshot', name_label: 'xo-lib snapshot', $snapshot_of: vm.id })
    expect(snapshot.snapshot_time).toEqual(expect.any(Number))
    expect(changes.entered[vm.id]).toMatchObject({ parent: snapshotId })
    expect(changes.entered[vm.id].snapshots).toContain(snapshotId)
    const snapshotVdis = changes.ofType('VDI-snapshot')
    expect(snapshotVdis.length).toBe(diskVbds(vm).length)

    // change the VM, then revert: the snapshot's configuration comes back, the VM runs again
    await client.call('vm.set', { id: vm.id, name_description: 'changed after the snapshot' })
    mark = client.mark()
    expect(await client.call('vm.revert', { snapshot: snapshotId })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[vm.id]).toMatchObject({ name_description: vm.name_description, power_state: 'Running' })

    mark = client.mark()
    expect(await client.call('vm.copyToTemplate', { id: snapshotId })).toBe(true)
    changes = await client.synced(mark)
    const [template] = changes.ofType('VM-template')
    expect(template).toMatchObject({ name_label: 'xo-lib snapshot' })
    expect(template.$VBDs.length).toBe(snapshot.$VBDs.length)
  })

  it('vm.clone, vm.copy, vm.convertToTemplate and its alias vm.convert', async () => {
    const { mock } = t
    const vm = haltedVm()
    const client = await t.admin()

    let mark = client.mark()
    const cloneId = await client.call('vm.clone', { id: vm.id, name: 'fast clone', full_copy: false })
    let changes = await client.synced(mark)
    expect(changes.entered[cloneId]).toMatchObject({ type: 'VM', name_label: 'fast clone', power_state: 'Halted' })
    expect(changes.entered[cloneId].$VBDs).toHaveLength(vm.$VBDs.length)
    expect(changes.entered[cloneId].VIFs).toHaveLength(vm.VIFs.length)

    const otherSr = pick(mock, 'SR', (sr) => sr.$pool === vm.$pool && sr.shared === true && sr.content_type === 'user', 'shared SR')
    mark = client.mark()
    const copyId = await client.call('vm.copy', { vm: vm.id, sr: otherSr.id, name: 'full copy' })
    changes = await client.synced(mark)
    expect(changes.entered[copyId]).toMatchObject({ type: 'VM', name_label: 'full copy' })
    const copiedVdis = changes.entered[copyId].$VBDs
      .map((vbd: string) => changes.entered[vbd])
      .filter((vbd: any) => vbd.is_cd_drive !== true)
      .map((vbd: any) => changes.entered[vbd.VDI])
    expect(copiedVdis.length).toBeGreaterThan(0)
    for (const vdi of copiedVdis) expect(vdi.$SR).toBe(otherSr.id)

    // a VM becomes a template: it exits as VM and enters as VM-template with the same id
    mark = client.mark()
    expect(await client.call('vm.convertToTemplate', { id: cloneId })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[cloneId]).toMatchObject({ type: 'VM-template', name_label: 'fast clone' })
    expect((await client.objects({ type: 'VM' }))[cloneId]).toBeUndefined()

    mark = client.mark()
    expect(await client.call('vm.convert', { id: copyId })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[copyId]).toMatchObject({ type: 'VM-template' })
  })

  it('vm.migrate moves a running VM to another host of its pool', async () => {
    const { mock } = t
    const vm = runningVm()
    // a VM on shared storage only can move live
    const target = pick(mock, 'host', (host) => host.$pool === vm.$pool && host.id !== vm.$container && host.power_state === 'Running' && host.enabled)
    const client = await t.admin()
    const mark = client.mark()
    expect(await client.call('vm.migrate', { vm: vm.id, targetHost: target.id })).toBe(true)
    const changes = await client.synced(mark)
    expect(changes.entered[vm.id]).toMatchObject({ power_state: 'Running', $container: target.id })
    expect((await client.object(vm.id)).$container).toBe(target.id)
  })
})

describe('vm devices', () => {
  it('vm.attachDisk, vm.createInterface, vm.insertCd and vm.ejectCd add and edit VBDs and VIFs', async () => {
    const { mock } = t
    const vm = haltedVm()
    const iso = pick(mock, 'VDI', (vdi) => vdi.$pool === vm.$pool && current(mock, vdi.$SR).content_type === 'iso', 'ISO')
    const network = pick(mock, 'network', (net) => net.$pool === vm.$pool && net.PIFs.length > 0)
    const client = await t.admin()
    const sr = pick(mock, 'SR', (candidate) => candidate.$pool === vm.$pool && candidate.shared && candidate.content_type === 'user')
    const free = current(mock, await client.call('disk.create', { name: 'free disk', size: GiB, sr: sr.id }))

    let mark = client.mark()
    expect(await client.call('vm.attachDisk', { vm: vm.id, vdi: free.id, position: '7', mode: 'RO' })).toBe(true)
    let changes = await client.synced(mark)
    const [vbd] = changes.ofType('VBD')
    expect(vbd).toMatchObject({ VM: vm.id, VDI: free.id, position: '7', read_only: true, attached: false })
    expect(changes.entered[vm.id].$VBDs).toContain(vbd.id)
    expect(changes.entered[free.id].$VBDs).toEqual([vbd.id])

    mark = client.mark()
    const vifId = await client.call('vm.createInterface', { vm: vm.id, network: network.id, mac: '02:00:00:00:00:07' })
    changes = await client.synced(mark)
    expect(changes.entered[vifId]).toMatchObject({ type: 'VIF', $VM: vm.id, $network: network.id, MAC: '02:00:00:00:00:07' })
    expect(changes.entered[vm.id].VIFs).toContain(vifId)
    expect(changes.entered[network.id].VIFs).toContain(vifId)

    mark = client.mark()
    expect(await client.call('vm.insertCd', { id: vm.id, cd_id: iso.id })).toBe(true)
    changes = await client.synced(mark)
    const drive = changes.ofType('VBD').find((candidate) => candidate.is_cd_drive === true)
    expect(drive).toMatchObject({ VM: vm.id, VDI: iso.id })

    mark = client.mark()
    expect(await client.call('vm.ejectCd', { id: vm.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[drive.id]).toMatchObject({ is_cd_drive: true })
    expect(changes.entered[drive.id]).not.toHaveProperty('VDI')
  })

  it('vif.disconnect, vif.connect, vif.set, vif.getLockingModeValues and vif.delete', async () => {
    const { mock } = t
    const vm = runningVm()
    const vif = current(mock, vm.VIFs[0])
    const network = pick(mock, 'network', (net) => net.$pool === vm.$pool && net.id !== vif.$network && net.PIFs.length > 0)
    const client = await t.admin()
    expect(await client.call('vif.getLockingModeValues')).toEqual(['disabled', 'locked', 'network_default', 'unlocked'])

    let mark = client.mark()
    expect(await client.call('vif.disconnect', { id: vif.id })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[vif.id]).toMatchObject({ attached: false })

    mark = client.mark()
    expect(await client.call('vif.connect', { id: vif.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[vif.id]).toMatchObject({ attached: true })

    // locking mode and allowed IPs are edited in place
    mark = client.mark()
    expect(await client.call('vif.set', { id: vif.id, lockingMode: 'locked', allowedIpv4Addresses: ['10.1.2.3'] })).toBe(vif.id)
    changes = await client.synced(mark)
    expect(changes.entered[vif.id]).toMatchObject({ lockingMode: 'locked', allowedIpv4Addresses: ['10.1.2.3'] })

    // another network alone moves it (same id), both networks are updated
    mark = client.mark()
    expect(await client.call('vif.set', { id: vif.id, network: network.id })).toBe(vif.id)
    changes = await client.synced(mark)
    expect(changes.entered[vif.id]).toMatchObject({ $network: network.id, lockingMode: 'network_default', allowedIpv4Addresses: [] })
    expect(changes.entered[network.id].VIFs).toContain(vif.id)
    expect(changes.entered[vif.$network].VIFs).not.toContain(vif.id)

    // a new MAC re-creates it: the old id exits, a new one enters on the same device
    mark = client.mark()
    const recreated = await client.call('vif.set', { id: vif.id, mac: '02:00:00:00:00:99' })
    expect(recreated).not.toBe(vif.id)
    changes = await client.synced(mark)
    expect(changes.exited.has(vif.id)).toBe(true)
    expect(changes.entered[recreated]).toMatchObject({ MAC: '02:00:00:00:00:99', device: vif.device, $VM: vm.id, attached: true })

    mark = client.mark()
    expect(await client.call('vif.delete', { id: recreated })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.exited.has(recreated)).toBe(true)
    expect(changes.entered[vm.id].VIFs).not.toContain(recreated)
  })

  it('vm.setBootOrder, vm.attachPcis, vm.detachPcis, vm.createCloudInitConfigDrive and vm.coalesceLeaf', async () => {
    const { mock } = t
    const vm = haltedVm()
    const pci = pick(mock, 'PCI', (candidate) => current(mock, candidate.$host)?.$pool === vm.$pool, 'PCI device')
    const sr = pick(mock, 'SR', (candidate) => candidate.$pool === vm.$pool && candidate.shared && candidate.content_type === 'user')
    const client = await t.admin()

    let mark = client.mark()
    expect(await client.call('vm.setBootOrder', { vm: vm.id, order: 'ndc' })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[vm.id].boot).toMatchObject({ order: 'ndc' })

    mark = client.mark()
    expect(await client.call('vm.attachPcis', { id: vm.id, pcis: [pci.id] })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[vm.id].attachedPcis).toEqual([pci.pci_id])
    expect(changes.entered[vm.id].other.pci).toBe(`0/${pci.pci_id}`)

    mark = client.mark()
    expect(await client.call('vm.detachPcis', { id: vm.id, pciIds: [pci.pci_id] })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[vm.id]).not.toHaveProperty('attachedPcis')

    mark = client.mark()
    expect(await client.call('vm.createCloudInitConfigDrive', { vm: vm.id, sr: sr.id, config: '#cloud-config\n' })).toBe(true)
    changes = await client.synced(mark)
    const [drive] = changes.ofType('VDI')
    expect(drive).toMatchObject({ name_label: 'XO CloudConfigDrive', $SR: sr.id })
    expect(changes.ofType('VBD')).toEqual([expect.objectContaining({ VM: vm.id, VDI: drive.id })])

    // coalesceLeaf suspends and resumes a running VM: it ends running
    const running = runningVm()
    mark = client.mark()
    expect(await client.call('vm.coalesceLeaf', { id: running.id })).toBe(true)
    changes = await client.synced(mark)
    expect((await client.object(running.id)).power_state).toBe('Running')
  })

  it('vm.getCloudInitConfig, vm.getHaValues, vm.getSecurebootReadiness, vm.addDataSource and vm.removeDataSource change nothing', async () => {
    const { mock } = t
    const template = pick(mock, 'VM-template')
    const uefi = pick(mock, 'VM', (vm) => vm.boot?.firmware === 'uefi' && vm.power_state === 'Running')
    const bios = pick(mock, 'VM', (vm) => vm.boot?.firmware === 'bios')
    const client = await t.admin()
    const mark = client.mark()
    expect(await client.call('vm.getCloudInitConfig', { template: template.id })).toMatch(/^#cloud-config\n/)
    expect(await client.call('vm.getHaValues')).toEqual(['best-effort', 'restart', ''])
    expect(await client.call('vm.getSecurebootReadiness', { id: uefi.id })).toBe('ready')
    expect(await client.call('vm.getSecurebootReadiness', { id: bios.id })).toBe('not_supported')
    expect(await client.call('vm.addDataSource', { id: uefi.id, dataSource: 'cpu0' })).toBe(true)
    expect(await client.call('vm.removeDataSource', { id: uefi.id, dataSource: 'cpu0' })).toBe(true)
    expect((await client.synced(mark)).ids).toEqual([])
  })
})
