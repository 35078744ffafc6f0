import { describe, expect, it } from 'vitest'
import {
  connectAllSrPbds,
  createSrOfKind,
  destroySr,
  disableSrMaintenanceMode,
  disconnectAllSrPbds,
  enableSrMaintenanceMode,
  forgetSr,
  probeNfsExists,
  scanSr,
  setSr,
} from '../../src/domain/sr.js'
import { connectVbd, deleteVbd, disconnectVbd, setVbd, setVbdBootable } from '../../src/domain/vbd.js'
import { createDisk, deleteVdi, migrateVdi, setVdi } from '../../src/domain/vdi.js'
import { connectVif, deleteVif, disconnectVif, setVif } from '../../src/domain/vif.js'
import { shutdownVm, startVm } from '../../src/domain/vm-lifecycle.js'
import { errorOf, GiB, ids, setup } from './vm-fixture.js'

describe('disks and VDIs', () => {
  it('disk.create makes a VDI (thin usage) and attaches it, SR usage follows', () => {
    const t = setup()
    const { usage, physical_usage } = t.get(ids.sr)
    const id = createDisk(t.ctx, { name: 'data', size: '16 GiB', sr: ids.sr, vm: ids.running, bootable: false })
    expect(t.get(id)).toMatchObject({ type: 'VDI', name_label: 'data', name_description: '', size: 16 * GiB, usage: 34304, $SR: ids.sr, VDI_type: 'user' })
    expect(t.get(ids.sr)).toMatchObject({ usage: usage + 16 * GiB, physical_usage: physical_usage + 34304 })
    expect(t.get(ids.sr).VDIs).toContain(id)
    const [vbdId] = t.get(id).$VBDs
    expect(t.get(vbdId)).toMatchObject({ VM: ids.running, position: '1', attached: true, bootable: false })
    // thick SR: the whole size is allocated, and must fit
    const thick = createDisk(t.ctx, { name: 'thick', size: GiB, sr: ids.localSr })
    expect(t.get(thick).usage).toBe(GiB)
    expect(errorOf(() => createDisk(t.ctx, { name: 'huge', size: 1000 * GiB, sr: ids.localSr })).message).toMatch(/^SR_BACKEND_FAILURE_44/)
    expect(errorOf(() => createDisk(t.ctx, { name: 'iso', size: GiB, sr: ids.isoSr })).message).toMatch(/^SR_OPERATION_NOT_SUPPORTED/)
    expect(errorOf(() => createDisk(t.ctx, { name: 'bad', size: '12 parsecs', sr: ids.sr })).message).toBe('invalid size: 12 parsecs')
  })

  it('vdi.set renames, grows (never shrinks: code 10) and refuses to resize a plugged disk (code 17)', () => {
    const t = setup()
    const usage = t.get(ids.sr).usage
    setVdi(t.ctx, ids.haltedDisk, { name_label: 'root', name_description: 'boot disk', size: 12 * GiB, cbt: true })
    expect(t.get(ids.haltedDisk)).toMatchObject({ name_label: 'root', name_description: 'boot disk', size: 12 * GiB, cbt_enabled: true })
    expect(t.get(ids.sr).usage).toBe(usage + 2 * GiB)
    expect(errorOf(() => setVdi(t.ctx, ids.haltedDisk, { size: GiB }))).toMatchObject({
      code: 10,
      message: `cannot set new size (${GiB}) below the current size (${12 * GiB})`,
      data: {},
    })
    expect(errorOf(() => setVdi(t.ctx, ids.runningDisk, { size: 20 * GiB }))).toMatchObject({ code: 17, data: { objectId: ids.runningDisk, operation: 'resize' } })
  })

  it('vdi.delete refuses plugged VDIs (code 17) and removes unplugged ones with their VBDs', () => {
    const t = setup()
    expect(errorOf(() => deleteVdi(t.ctx, ids.runningDisk))).toMatchObject({ code: 17, message: 'VDI in use', data: { objectId: ids.runningDisk, operation: 'destroy' } })
    const { usage, physical_usage } = t.get(ids.sr)
    deleteVdi(t.ctx, ids.haltedDisk)
    expect(t.store.has(ids.haltedDisk)).toBe(false)
    expect(t.store.has(ids.haltedVbd)).toBe(false)
    expect(t.get(ids.halted).$VBDs).toEqual([ids.haltedCd])
    expect(t.get(ids.sr)).toMatchObject({ usage: usage - 10 * GiB, physical_usage: physical_usage - 2.5 * GiB })
    expect(t.get(ids.sr).VDIs).not.toContain(ids.haltedDisk)
  })

  it('vdi.migrate replaces the VDI by a new one on the other SR', () => {
    const t = setup()
    const newId = migrateVdi(t.ctx, ids.runningDisk, ids.localSr)
    expect(newId).not.toBe(ids.runningDisk)
    expect(t.store.has(ids.runningDisk)).toBe(false)
    expect(t.get(newId)).toMatchObject({ $SR: ids.localSr, size: 10 * GiB, name_label: 'running root' })
    expect(t.get(ids.runningVbd)).toMatchObject({ VDI: newId, attached: true })
    expect(migrateVdi(t.ctx, newId, ids.localSr)).toBe(newId)
  })
})

describe('VBDs', () => {
  it('plugs and unplugs on a running VM only', () => {
    const t = setup()
    disconnectVbd(t.ctx, ids.runningVbd)
    expect(t.get(ids.runningVbd).attached).toBe(false)
    expect(errorOf(() => disconnectVbd(t.ctx, ids.runningVbd)).message).toMatch(/^DEVICE_ALREADY_DETACHED/)
    connectVbd(t.ctx, ids.runningVbd)
    expect(t.get(ids.runningVbd)).toMatchObject({ attached: true, device: 'xvda' })
    expect(errorOf(() => connectVbd(t.ctx, ids.runningVbd)).message).toMatch(/^DEVICE_ALREADY_ATTACHED/)
    expect(errorOf(() => connectVbd(t.ctx, ids.haltedVbd))).toMatchObject({ code: 13, data: { objectId: ids.halted, expected: 'running', actual: 'halted' } })
  })

  it('edits and deletes', () => {
    const t = setup()
    setVbd(t.ctx, ids.haltedVbd, { position: 2 })
    expect(t.get(ids.haltedVbd).position).toBe('2')
    expect(errorOf(() => setVbd(t.ctx, ids.haltedVbd, { position: '3' })).message).toBe('DEVICE_ALREADY_EXISTS(3)')
    setVbdBootable(t.ctx, ids.haltedVbd, false)
    expect(t.get(ids.haltedVbd).bootable).toBe(false)
    deleteVbd(t.ctx, ids.runningVbd)
    expect(t.store.has(ids.runningVbd)).toBe(false)
    expect(t.get(ids.runningDisk).$VBDs).toEqual([])
    expect(t.get(ids.running).$VBDs).toEqual([])
  })
})

describe('VIFs', () => {
  it('plugs, unplugs and deletes', () => {
    const t = setup()
    disconnectVif(t.ctx, ids.runningVif)
    expect(t.get(ids.runningVif).attached).toBe(false)
    connectVif(t.ctx, ids.runningVif)
    expect(t.get(ids.runningVif).attached).toBe(true)
    expect(errorOf(() => connectVif(t.ctx, ids.haltedVif)).code).toBe(13)
    deleteVif(t.ctx, ids.runningVif)
    expect(t.store.has(ids.runningVif)).toBe(false)
    expect(t.get(ids.running).VIFs).toEqual([])
    expect(t.get(ids.network).VIFs).not.toContain(ids.runningVif)
  })

  it('vif.set edits in place, moves to a network, re-creates for a new MAC', () => {
    const t = setup()
    expect(setVif(t.ctx, ids.runningVif, { allowedIpv4Addresses: ['10.0.0.9'], lockingMode: 'locked', rateLimit: 100, txChecksumming: false })).toBe(ids.runningVif)
    expect(t.get(ids.runningVif)).toMatchObject({
      allowedIpv4Addresses: ['10.0.0.9'],
      lockingMode: 'locked',
      rateLimit: 100,
      txChecksumming: false,
      other_config: { 'ethtool-tx': 'false' },
    })
    setVif(t.ctx, ids.runningVif, { rateLimit: null })
    expect(t.get(ids.runningVif)).not.toHaveProperty('rateLimit')
    expect(setVif(t.ctx, ids.runningVif, { network: ids.networkB })).toBe(ids.runningVif)
    expect(t.get(ids.runningVif)).toMatchObject({ $network: ids.networkB, allowedIpv4Addresses: [], lockingMode: 'network_default' })
    expect(t.get(ids.networkB).VIFs).toEqual([ids.runningVif])
    const newId = setVif(t.ctx, ids.runningVif, { mac: '02:aa:bb:cc:dd:ee' })
    expect(newId).not.toBe(ids.runningVif)
    expect(t.store.has(ids.runningVif)).toBe(false)
    expect(t.get(newId)).toMatchObject({ MAC: '02:aa:bb:cc:dd:ee', device: '0', $network: ids.networkB, attached: true })
    expect(errorOf(() => setVif(t.ctx, newId, { lockingMode: 'open' })).message).toMatch(/^INVALID_VALUE/)
  })
})

describe('SRs', () => {
  it('sr.set and sr.scan', () => {
    const t = setup()
    setSr(t.ctx, ids.sr, { name_label: 'NAS', name_description: 'main' })
    expect(t.get(ids.sr)).toMatchObject({ name_label: 'NAS', name_description: 'main' })
    scanSr(t.ctx, ids.sr)
    disconnectAllSrPbds(t.ctx, ids.isoSr)
    expect(t.get(ids.pbdIso).attached).toBe(false)
    expect(errorOf(() => scanSr(t.ctx, ids.isoSr)).message).toMatch(/^SR_HAS_NO_PBDS/)
    connectAllSrPbds(t.ctx, ids.isoSr)
    expect(t.get(ids.pbdIso).attached).toBe(true)
    expect(errorOf(() => disconnectAllSrPbds(t.ctx, ids.sr))).toMatchObject({ code: 17 })
  })

  it('creates shared and local SRs with their PBDs, finds them by probe', () => {
    const t = setup()
    const nfs = createSrOfKind(t.ctx, 'nfs', { host: ids.host1, nameLabel: 'NFS 2', nameDescription: '', server: 'nas2', serverPath: '/vms', nfsVersion: '4' })
    expect(t.get(nfs)).toMatchObject({ type: 'SR', SR_type: 'nfs', shared: true, $container: ids.pool, allocationStrategy: 'thin', usage: 0, content_type: 'user' })
    expect(t.get(nfs).$PBDs).toHaveLength(3)
    expect(t.get(t.get(nfs).$PBDs[0]).device_config).toEqual({ server: 'nas2', serverpath: '/vms', nfsversion: '4' })
    expect(probeNfsExists(t.ctx, ids.host2, 'nas2', '/vms')).toEqual([{ uuid: nfs }])
    expect(probeNfsExists(t.ctx, ids.host3, 'nas2', '/vms')).toEqual([])

    const lvm = createSrOfKind(t.ctx, 'lvm', { host: ids.host2, nameLabel: 'Local', nameDescription: 'disk', device: '/dev/sdb' })
    expect(t.get(lvm)).toMatchObject({ SR_type: 'lvm', shared: false, $container: ids.host2, allocationStrategy: 'thick' })
    expect(t.get(ids.host2).$PBDs).toContain(t.get(lvm).$PBDs[0])

    const smbIso = createSrOfKind(t.ctx, 'iso', { host: ids.host1, nameLabel: 'ISO', nameDescription: '', path: '\\\\srv\\iso', type: 'smb', user: 'u', password: 'p' })
    expect(t.get(smbIso)).toMatchObject({ SR_type: 'iso', content_type: 'iso', shared: true })
    expect(t.get(t.get(smbIso).$PBDs[0]).device_config).toEqual({ type: 'cifs', username: 'u', cifspassword: '* obfuscated *', location: '//srv/iso' })

    const reattached = createSrOfKind(t.ctx, 'iscsi', {
      host: ids.host1,
      nameLabel: 'LUN',
      nameDescription: '',
      target: '10.0.0.5',
      targetIqn: 'iqn.x',
      scsiId: '36000',
      srUuid: 'dddddddd-0000-4000-8000-000000000001',
    })
    expect(reattached).toBe('dddddddd-0000-4000-8000-000000000001')
    expect(t.get(reattached).SR_type).toBe('lvmoiscsi')
  })

  it('destroys and forgets SRs with their VDIs and PBDs, refusing plugged VDIs', () => {
    const t = setup()
    expect(errorOf(() => destroySr(t.ctx, ids.sr))).toMatchObject({ code: 17 })
    destroySr(t.ctx, ids.isoSr)
    expect(t.store.has(ids.isoSr)).toBe(false)
    expect(t.store.has(ids.iso)).toBe(false)
    expect(t.store.has(ids.pbdIso)).toBe(false)
    expect(t.get(ids.host1).$PBDs).not.toContain(ids.pbdIso)
    forgetSr(t.ctx, ids.sr2)
    expect(t.store.has(ids.sr2)).toBe(false)
    expect(t.get(ids.pool2)).not.toHaveProperty('default_SR')
  })

  it('maintenance mode stops the listed VMs and unplugs the PBDs, then restores them', () => {
    const t = setup()
    expect(errorOf(() => enableSrMaintenanceMode(t.ctx, ids.sr, [], shutdownVm))).toMatchObject({ code: 25, data: { object: ids.sr } })
    enableSrMaintenanceMode(t.ctx, ids.sr, [ids.running, ids.paused, ids.suspended], shutdownVm)
    expect(t.get(ids.sr).inMaintenanceMode).toBe(true)
    expect(t.get(ids.pbd1).attached).toBe(false)
    for (const id of [ids.running, ids.paused, ids.suspended]) expect(t.get(id).power_state).toBe('Halted')
    disableSrMaintenanceMode(t.ctx, ids.sr, (ctx, vmId) => startVm(ctx, vmId))
    expect(t.get(ids.sr).inMaintenanceMode).toBe(false)
    expect(t.get(ids.sr).other_config).toEqual({})
    expect(t.get(ids.pbd1).attached).toBe(true)
    for (const id of [ids.running, ids.paused, ids.suspended]) expect(t.get(id).power_state).toBe('Running')
  })
})
