/**
 * The storage methods (`disk.*`, `vdi.*`, `vbd.*`, `sr.*`) through xo-lib 0.9.0: results, `all`
 * notifications and `xo.getAllObjects` afterwards (reference jsonrpc-api.md §7.5).
 */
import { describe, expect, it } from 'vitest'
import { current, GiB, objectsOf, pick, trackMethodCases, useMock } from './harness.js'

trackMethodCases()
const t = useMock()

/** A shared user SR of a pool, and a running VM of that pool. */
function sharedSrAndRunningVm() {
  const vm = pick(t.mock, 'VM', (candidate) => candidate.power_state === 'Running' && candidate.pvDriversDetected === true)
  const sr = pick(t.mock, 'SR', (candidate) => candidate.$pool === vm.$pool && candidate.shared && candidate.content_type === 'user', 'shared user SR')
  return { vm, sr }
}

describe('disks and VDIs', () => {
  it('disk.create, vdi.set, vdi.migrate and vdi.delete', async () => {
    const { mock } = t
    const { vm, sr } = sharedSrAndRunningVm()
    const otherSr = pick(mock, 'SR', (candidate) => candidate.$pool === sr.$pool && candidate.shared && candidate.content_type === 'user' && candidate.id !== sr.id)
    const client = await t.admin()

    // a disk attached to a running VM: VDI and plugged VBD enter, the VM and SR are updated
    let mark = client.mark()
    const vdiId = await client.call('disk.create', { name: 'xo-lib disk', size: '2 GiB', sr: sr.id, vm: vm.id })
    let changes = await client.synced(mark)
    expect(changes.entered[vdiId]).toMatchObject({ type: 'VDI', name_label: 'xo-lib disk', size: 2 * GiB, $SR: sr.id })
    const [vbd] = changes.ofType('VBD')
    expect(vbd).toMatchObject({ VM: vm.id, VDI: vdiId, attached: true, is_cd_drive: false })
    expect(changes.entered[vm.id].$VBDs).toContain(vbd.id)
    expect(changes.entered[sr.id].VDIs).toContain(vdiId)
    expect(changes.entered[sr.id].usage).toBe(sr.usage + 2 * GiB)

    mark = client.mark()
    expect(await client.call('vdi.set', { id: vdiId, name_label: 'renamed disk', name_description: 'via xo-lib' })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[vdiId]).toMatchObject({ name_label: 'renamed disk', name_description: 'via xo-lib', size: 2 * GiB })
    // shrinking is refused with code 10
    await expect(client.call('vdi.set', { id: vdiId, size: GiB })).rejects.toMatchObject({ code: 10 })

    // a detached disk can be migrated: a new VDI on the other SR replaces it
    const free = await client.call('disk.create', { name: 'free disk', size: GiB, sr: sr.id })
    mark = client.mark()
    const migrated = await client.call('vdi.migrate', { id: free, sr_id: otherSr.id })
    changes = await client.synced(mark)
    expect(changes.entered[migrated]).toMatchObject({ type: 'VDI', name_label: 'free disk', $SR: otherSr.id })
    if (migrated !== free) expect(changes.exited.has(free)).toBe(true)

    mark = client.mark()
    expect(await client.call('vdi.delete', { id: migrated })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.exited.has(migrated)).toBe(true)
    expect(changes.entered[otherSr.id].VDIs).not.toContain(migrated)
    // a plugged VDI cannot be deleted
    await expect(client.call('vdi.delete', { id: vdiId })).rejects.toMatchObject({ code: 17 })
  })

  it('vbd.disconnect, vbd.connect, vbd.set, vbd.setBootable and vbd.delete', async () => {
    const { mock } = t
    const { vm, sr } = sharedSrAndRunningVm()
    const client = await t.admin()
    const vdiId = await client.call('disk.create', { name: 'hot-plug', size: GiB, sr: sr.id, vm: vm.id })
    const vbd = pick(mock, 'VBD', (candidate) => candidate.VDI === vdiId)

    let mark = client.mark()
    expect(await client.call('vbd.disconnect', { id: vbd.id })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[vbd.id]).toMatchObject({ attached: false })

    mark = client.mark()
    expect(await client.call('vbd.connect', { id: vbd.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[vbd.id]).toMatchObject({ attached: true })

    mark = client.mark()
    expect(await client.call('vbd.set', { id: vbd.id, position: '9' })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[vbd.id]).toMatchObject({ position: '9' })

    mark = client.mark()
    expect(await client.call('vbd.setBootable', { vbd: vbd.id, bootable: true })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[vbd.id]).toMatchObject({ bootable: true })

    mark = client.mark()
    expect(await client.call('vbd.delete', { id: vbd.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.exited.has(vbd.id)).toBe(true)
    expect(changes.entered[vm.id].$VBDs).not.toContain(vbd.id)
    // the VDI stays
    expect(await client.object(vdiId)).toMatchObject({ $VBDs: [] })

    // on a halted VM, plugging is refused with code 13
    const halted = pick(mock, 'VM', (candidate) => candidate.power_state === 'Halted' && candidate.$VBDs.length > 0)
    await expect(client.call('vbd.connect', { id: halted.$VBDs[0] })).rejects.toMatchObject({ code: 13 })
  })
})

describe('SRs', () => {
  it('sr.set, sr.scan, sr.reclaimSpace, sr.getVdiChainsInfo and sr.getAllUnhealthyVdiChainsLength', async () => {
    const { sr } = sharedSrAndRunningVm()
    const client = await t.admin()
    let mark = client.mark()
    expect(await client.call('sr.set', { id: sr.id, name_label: 'renamed SR', name_description: 'via xo-lib' })).toBe(true)
    const changes = await client.synced(mark)
    expect(changes.entered[sr.id]).toMatchObject({ name_label: 'renamed SR', name_description: 'via xo-lib' })

    mark = client.mark()
    expect(await client.call('sr.scan', { id: sr.id })).toBe(true)
    expect(await client.call('sr.reclaimSpace', { id: sr.id })).toBe(true)
    expect(await client.call('sr.getVdiChainsInfo', { id: sr.id })).toEqual(expect.any(Object))
    expect(await client.call('sr.getAllUnhealthyVdiChainsLength')).toEqual({})
    expect((await client.synced(mark)).ids).toEqual([])
  })

  it('sr.createNfs, sr.createIso, sr.createHba, sr.createLvm, sr.createExt, sr.createIscsi, sr.createSmb and sr.createZfs', async () => {
    const { mock } = t
    const host = pick(mock, 'host', (candidate) => candidate.power_state === 'Running')
    const poolHosts = objectsOf(mock, 'host', (candidate) => candidate.$pool === host.$pool)
    const client = await t.admin()
    const base = { host: host.id, nameDescription: 'created by xo-lib' }
    const creations: Array<[string, Record<string, unknown>, Record<string, unknown>, boolean]> = [
      ['sr.createNfs', { server: 'nas.lab', serverPath: '/export/vms', nfsVersion: '4' }, { SR_type: 'nfs', content_type: 'user' }, true],
      ['sr.createIso', { path: 'nas.lab:/isos', type: 'nfs' }, { SR_type: 'iso', content_type: 'iso' }, true],
      ['sr.createHba', { scsiId: '3600a0980' }, { SR_type: 'lvmohba' }, true],
      ['sr.createLvm', { device: '/dev/sdb' }, { SR_type: 'lvm' }, false],
      ['sr.createExt', { device: '/dev/sdc' }, { SR_type: 'ext' }, false],
      ['sr.createIscsi', { target: '10.0.0.5', targetIqn: 'iqn.2024-01.lab:t1', scsiId: '36001405' }, { SR_type: 'lvmoiscsi' }, true],
      ['sr.createSmb', { server: '\\\\nas\\share', user: 'u', password: 'p' }, { SR_type: 'smb' }, true],
      ['sr.createZfs', { location: 'tank/vms' }, { SR_type: 'zfs' }, false],
    ]
    for (const [method, params, expected, shared] of creations) {
      const mark = client.mark()
      const id = await client.call(method, { ...base, nameLabel: method, ...params })
      expect(id, method).toMatch(/^[0-9a-f-]{36}$/)
      const changes = await client.synced(mark)
      expect(changes.entered[id], method).toMatchObject({ type: 'SR', name_label: method, name_description: 'created by xo-lib', shared, ...expected })
      // one plugged PBD per host that sees it
      const pbds = changes.ofType('PBD')
      expect(pbds.map((pbd) => pbd.host).sort(), method).toEqual((shared ? poolHosts.map((h) => h.id) : [host.id]).sort())
      for (const pbd of pbds) expect(pbd, method).toMatchObject({ SR: id, attached: true })
      expect(changes.entered[id].$PBDs.sort()).toEqual(pbds.map((pbd) => pbd.id).sort())
    }
  })

  it('sr.probeNfs, sr.probeNfsExists, sr.probeIscsiIqns, sr.probeIscsiLuns, sr.probeIscsiExists, sr.probeHba, sr.probeHbaExists and sr.probeZfs', async () => {
    const { mock } = t
    const nfs = pick(mock, 'SR', (sr) => sr.SR_type === 'nfs', 'NFS SR')
    const config = current(mock, nfs.$PBDs[0]).device_config
    const host = pick(mock, 'host', (candidate) => candidate.$pool === nfs.$pool)
    const client = await t.admin()
    const mark = client.mark()
    expect(await client.call('sr.probeNfs', { host: host.id, server: config.server })).toEqual([])
    expect(await client.call('sr.probeNfsExists', { host: host.id, server: config.server, serverPath: config.serverpath })).toEqual([{ uuid: nfs.uuid }])
    expect(await client.call('sr.probeNfsExists', { host: host.id, server: config.server, serverPath: '/elsewhere' })).toEqual([])
    expect(await client.call('sr.probeIscsiIqns', { host: host.id, target: '10.0.0.5' })).toEqual([])
    expect(await client.call('sr.probeIscsiLuns', { host: host.id, target: '10.0.0.5', targetIqn: 'iqn.x' })).toEqual([])
    expect(await client.call('sr.probeIscsiExists', { host: host.id, target: '10.0.0.5', targetIqn: 'iqn.x', scsiId: 'nope' })).toEqual([])
    expect(await client.call('sr.probeHba', { host: host.id })).toEqual([])
    expect(await client.call('sr.probeHbaExists', { host: host.id, scsiId: 'nope' })).toEqual([])
    expect(await client.call('sr.probeZfs', { host: host.id })).toEqual(expect.any(Object))
    expect((await client.synced(mark)).ids).toEqual([])
  })

  it('sr.disconnectAllPbds, sr.connectAllPbds, sr.enableMaintenanceMode and sr.disableMaintenanceMode', async () => {
    const { mock } = t
    const client = await t.admin()
    const host = pick(mock, 'host', (candidate) => candidate.power_state === 'Running')
    const srId = await client.call('sr.createNfs', { host: host.id, nameLabel: 'empty', nameDescription: '', server: 'nas', serverPath: '/e' })
    const pbds: string[] = current(mock, srId).$PBDs

    let mark = client.mark()
    expect(await client.call('sr.disconnectAllPbds', { id: srId })).toBe(true)
    let changes = await client.synced(mark)
    for (const pbd of pbds) expect(changes.entered[pbd]).toMatchObject({ attached: false })

    mark = client.mark()
    expect(await client.call('sr.connectAllPbds', { id: srId })).toBe(true)
    changes = await client.synced(mark)
    for (const pbd of pbds) expect(changes.entered[pbd]).toMatchObject({ attached: true })

    // maintenance mode on an SR in use: its running VMs must be listed, they are shut down then restarted
    const { vm, sr } = sharedSrAndRunningVm()
    const users = objectsOf(mock, 'VM', (candidate) =>
      candidate.power_state !== 'Halted' &&
      candidate.$VBDs.some((vbd: string) => current(mock, current(mock, vbd)?.VDI ?? '')?.$SR === sr.id),
    ).map((candidate) => candidate.id)
    expect(users.length).toBeGreaterThan(0)
    await expect(client.call('sr.enableMaintenanceMode', { id: sr.id })).rejects.toMatchObject({ code: 25 })
    mark = client.mark()
    expect(await client.call('sr.enableMaintenanceMode', { id: sr.id, vmsToShutdown: users })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[sr.id]).toMatchObject({ inMaintenanceMode: true })
    for (const id of users) expect(changes.entered[id], id).toMatchObject({ power_state: 'Halted' })
    for (const pbd of sr.$PBDs) expect(changes.entered[pbd]).toMatchObject({ attached: false })

    mark = client.mark()
    expect(await client.call('sr.disableMaintenanceMode', { id: sr.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[sr.id]).toMatchObject({ inMaintenanceMode: false })
    for (const pbd of sr.$PBDs) expect(changes.entered[pbd]).toMatchObject({ attached: true })
    expect(changes.entered[vm.id] ?? current(mock, vm.id)).toMatchObject({ power_state: 'Running' })
  })

  it('sr.destroy and sr.forget remove the SR, its PBDs and VDIs', async () => {
    const { mock } = t
    const host = pick(mock, 'host', (candidate) => candidate.power_state === 'Running')
    const client = await t.admin()
    for (const method of ['sr.destroy', 'sr.forget']) {
      const srId = await client.call('sr.createNfs', { host: host.id, nameLabel: method, nameDescription: '', server: 'nas', serverPath: `/${method}` })
      const vdiId = await client.call('disk.create', { name: 'on the SR', size: GiB, sr: srId })
      const pbds: string[] = current(mock, srId).$PBDs
      const mark = client.mark()
      expect(await client.call(method, { id: srId })).toBe(true)
      const changes = await client.synced(mark)
      for (const id of [srId, vdiId, ...pbds]) expect(changes.exited.has(id), `${method} ${id}`).toBe(true)
    }
    // an SR with a plugged VDI is refused
    const { sr } = sharedSrAndRunningVm()
    await expect(client.call('sr.destroy', { id: sr.id })).rejects.toMatchObject({ code: expect.any(Number) })
    expect(await client.object(sr.id)).toBeDefined()
  })
})
