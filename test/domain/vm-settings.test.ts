import { describe, expect, it } from 'vitest'
import { PlainError } from '../../src/domain/errors.js'
import {
  attachDisk,
  attachPcis,
  coalesceLeaf,
  createCloudInitConfigDrive,
  createInterface,
  detachPcis,
  ejectCd,
  getHaValues,
  getSecurebootReadiness,
  insertCd,
  setAndRestartVm,
  setBootOrder,
  setVm,
} from '../../src/domain/vm.js'
import { errorOf, GiB, ids, setup, trace } from './vm-fixture.js'

describe('vm.set', () => {
  it('applies all settings in one update', () => {
    const t = setup()
    setVm(t.ctx, ids.halted, {
      name_label: 'renamed',
      name_description: 'desc',
      auto_poweron: true,
      high_availability: 'restart',
      CPUs: 8,
      memoryMax: 8 * GiB,
      vga: 'std',
      videoram: 16,
      coresPerSocket: 2,
      secureBoot: true,
      startDelay: 5,
      cpuCap: 50,
      cpuWeight: 512,
      affinityHost: ids.host2,
      hvmBootFirmware: 'uefi',
      nicType: 'e1000',
      notes: 'hello',
      xenStoreData: { foo: 'bar', 'vm-data/baz': 'qux' },
      blockedOperations: { destroy: true, start: 'no', clean_shutdown: false },
    })
    const vm = t.get(ids.halted)
    expect(vm).toMatchObject({
      name_label: 'renamed',
      name_description: 'desc',
      auto_poweron: true,
      high_availability: 'restart',
      CPUs: { max: 8, number: 8 },
      vga: 'std',
      videoram: 16,
      coresPerSocket: 2,
      secureBoot: true,
      startDelay: 5,
      cpuCap: 50,
      cpuWeight: 512,
      affinityHost: ids.host2,
      boot: { firmware: 'uefi', order: 'cd' },
      nicType: 'e1000',
      notes: 'hello',
      xenStoreData: { 'vm-data/foo': 'bar', 'vm-data/baz': 'qux' },
      blockedOperations: { destroy: 'true', start: 'no' },
    })
    expect(vm.memory).toEqual({ dynamic: [2 * GiB, 8 * GiB], static: [GiB, 8 * GiB], size: 8 * GiB })
    expect(vm.other).toMatchObject({ auto_poweron: 'true', 'xo:notes': 'hello' })
    expect(t.changes.filter((change) => change.id === ids.halted)).toHaveLength(1)
    expect(t.get(ids.pool)).toMatchObject({ auto_poweron: true, otherConfig: { auto_poweron: 'true' } })
  })

  it('deletes with null', () => {
    const t = setup()
    setVm(t.ctx, ids.halted, { affinityHost: ids.host1, cpuCap: 10, coresPerSocket: 2, notes: 'x', xenStoreData: { a: 'b' } })
    setVm(t.ctx, ids.halted, { affinityHost: null, cpuCap: null, coresPerSocket: null, notes: null, xenStoreData: { a: null } })
    const vm = t.get(ids.halted)
    for (const key of ['affinityHost', 'cpuCap', 'coresPerSocket', 'notes']) expect(vm).not.toHaveProperty(key)
    expect(vm.xenStoreData).toEqual({})
  })

  it('raises CPUs on a running VM within its max, refuses above it (code 13)', () => {
    const t = setup()
    setVm(t.ctx, ids.running, { CPUs: 4 })
    expect(t.get(ids.running).CPUs).toEqual({ max: 4, number: 4 })
    expect(errorOf(() => setVm(t.ctx, ids.running, { CPUs: 6 }))).toMatchObject({
      code: 13,
      message: 'VM state is running but should be halted',
      data: { objectId: ids.running, expected: 'halted', actual: 'running' },
    })
    expect(errorOf(() => setVm(t.ctx, ids.running, { cpusMax: 8 })).code).toBe(13)
    setVm(t.ctx, ids.halted, { cpusMax: 1 })
    expect(t.get(ids.halted).CPUs).toEqual({ max: 1, number: 1 })
    expect(errorOf(() => setVm(t.ctx, ids.halted, { CPUs: 4, cpusMax: 2 }))).toBeInstanceOf(PlainError)
  })

  it('follows the memory rules of the VM editor', () => {
    const t = setup()
    // static memory needs a halted VM
    expect(errorOf(() => setVm(t.ctx, ids.running, { memoryStaticMax: 8 * GiB })).code).toBe(13)
    // dynamic max of a running VM cannot exceed its static max
    expect(errorOf(() => setVm(t.ctx, ids.running, { memoryMax: 8 * GiB })).message).toBe('Cannot change memory on running VM')
    setVm(t.ctx, ids.running, { memoryMax: '3 GiB' })
    expect(t.get(ids.running).memory).toMatchObject({ dynamic: [2 * GiB, 3 * GiB], static: [GiB, 4 * GiB], size: 3 * GiB })
    // memoryMin above the dynamic max raises the max first
    setVm(t.ctx, ids.halted, { memoryMin: 3 * GiB })
    expect(t.get(ids.halted).memory).toMatchObject({ dynamic: [3 * GiB, 3 * GiB], static: [GiB, 4 * GiB] })
    // `memory` without DMC sets everything (static min stays)
    setVm(t.ctx, ids.halted, { memoryStaticMax: 3 * GiB })
    setVm(t.ctx, ids.halted, { memory: 2 * GiB })
    expect(t.get(ids.halted).memory).toMatchObject({ dynamic: [2 * GiB, 2 * GiB], static: [GiB, 2 * GiB], size: 2 * GiB })
  })

  it('validates vga, videoram and virtualizationMode', () => {
    const t = setup()
    expect(errorOf(() => setVm(t.ctx, ids.halted, { vga: 'vmware' })).message).toBe('The different values that the VGA can take are: std,cirrus')
    expect(errorOf(() => setVm(t.ctx, ids.halted, { videoram: 3 })).message).toBe('The different values that the video RAM can take are: 1,2,4,8,16')
    expect(errorOf(() => setVm(t.ctx, ids.halted, { virtualizationMode: 'pvh' })).message).toBe("The virtualization mode must be 'pv' or 'hvm'")
    setVm(t.ctx, ids.halted, { virtualizationMode: 'pv', PV_args: 'console=hvc0' })
    expect(t.get(ids.halted)).toMatchObject({ virtualizationMode: 'pv', PV_args: 'console=hvc0' })
    expect(t.get(ids.halted)).not.toHaveProperty('vga')
    expect(t.changes).toHaveLength(1)
  })

  it('sets creation (in other) and refuses resourceSet to non-admins', () => {
    const t = setup()
    setVm(t.ctx, ids.halted, { creation: { user: 'u1' } })
    const vm = t.get(ids.halted)
    expect(vm.creation).toEqual({ user: 'u1' })
    expect(JSON.parse(vm.other[`xo:${ids.halted.slice(0, 8)}`])).toEqual({ creation: { user: 'u1' } })
    expect(errorOf(() => setVm(t.ctx, ids.halted, { resourceSet: 'rs' }, { admin: false })).code).toBe(2)
    setVm(t.ctx, ids.halted, { resourceSet: 'rs' })
    expect(t.get(ids.halted)).toMatchObject({ resourceSet: 'rs', other: { 'xo:resource_set': '"rs"' } })
  })

  it('setAndRestart stops, edits and starts again', () => {
    const t = setup()
    setAndRestartVm(t.ctx, ids.running, { cpusMax: 8, CPUs: 8 })
    expect(t.get(ids.running)).toMatchObject({ power_state: 'Running', CPUs: { max: 8, number: 8 } })
    const states = trace(t.changes, ids.running, ['power_state']).map((entry) => (entry as { power_state: string }).power_state)
    expect(states).toContain('Halted')
    expect(errorOf(() => setAndRestartVm(t.ctx, ids.halted, { CPUs: 1 })).code).toBe(13)
  })
})

describe('VM devices', () => {
  it('inserts and ejects CDs', () => {
    const t = setup()
    insertCd(t.ctx, ids.halted, ids.iso)
    expect(t.get(ids.haltedCd)).toMatchObject({ VDI: ids.iso, bootable: false })
    expect(t.get(ids.iso).$VBDs).toContain(ids.haltedCd)
    expect(errorOf(() => insertCd(t.ctx, ids.halted, ids.iso, { force: false })).message).toMatch(/^VBD_NOT_EMPTY/)
    ejectCd(t.ctx, ids.halted)
    expect(t.get(ids.haltedCd)).not.toHaveProperty('VDI')
    expect(t.get(ids.iso).$VBDs).toEqual([])
    expect(errorOf(() => ejectCd(t.ctx, ids.halted)).message).toMatch(/^VBD_IS_EMPTY/)
    // no drive: one is created at userdevice 3, plugged on a running VM
    insertCd(t.ctx, ids.running, ids.iso)
    const drive = t.get(ids.running).$VBDs.map((id: string) => t.get(id)).find((vbd: { is_cd_drive: boolean }) => vbd.is_cd_drive)
    expect(drive).toMatchObject({ position: '3', VDI: ids.iso, read_only: true, attached: true, device: 'xvdd' })
  })

  it('attaches disks and creates interfaces, plugged when the VM runs', () => {
    const t = setup()
    const vbdId = attachDisk(t.ctx, ids.running, ids.spareDisk, { bootable: false })
    expect(t.get(vbdId)).toMatchObject({ VM: ids.running, VDI: ids.spareDisk, position: '1', attached: true, device: 'xvdb', read_only: false })
    expect(t.get(ids.running).$VBDs).toContain(vbdId)
    expect(errorOf(() => attachDisk(t.ctx, ids.halted, ids.spareDisk, { position: '0' })).message).toBe('DEVICE_ALREADY_EXISTS(0)')
    const ro = attachDisk(t.ctx, ids.halted, ids.spareDisk, { mode: 'RO' })
    expect(t.get(ro)).toMatchObject({ attached: false, device: null, read_only: true, position: '1' })

    const vifId = createInterface(t.ctx, ids.running, ids.networkB, { mac: 'aa:bb:cc:dd:ee:ff' })
    expect(t.get(vifId)).toMatchObject({ $VM: ids.running, $network: ids.networkB, device: '1', MAC: 'aa:bb:cc:dd:ee:ff', MTU: 9000, attached: true })
    expect(t.get(ids.networkB).VIFs).toEqual([vifId])
    expect(errorOf(() => createInterface(t.ctx, ids.running, ids.network, { position: 0 })).message).toBe('DEVICE_ALREADY_EXISTS(0)')
    expect(errorOf(() => createInterface(t.ctx, ids.running, ids.network, { mac: 'zz' })).message).toBe('MAC_INVALID(zz)')
    expect(errorOf(() => createInterface(t.ctx, ids.running, ids.network2)).message).toMatch(/^HANDLE_INVALID/)
  })

  it('sets the boot order of HVM guests only', () => {
    const t = setup()
    setBootOrder(t.ctx, ids.halted, 'dc')
    expect(t.get(ids.halted).boot).toEqual({ firmware: 'bios', order: 'dc' })
    setVm(t.ctx, ids.halted, { virtualizationMode: 'pv' })
    expect(errorOf(() => setBootOrder(t.ctx, ids.halted, 'c'))).toMatchObject({ code: 10, message: 'You can only set the boot order on a HVM guest' })
  })

  it('attaches and detaches PCIs', () => {
    const t = setup()
    attachPcis(t.ctx, ids.halted, [ids.pci])
    expect(t.get(ids.halted)).toMatchObject({ attachedPcis: ['0000:18:00.0'], other: { pci: '0/0000:18:00.0' } })
    detachPcis(t.ctx, ids.halted, ['0000:18:00.0'])
    expect(t.get(ids.halted)).not.toHaveProperty('attachedPcis')
    expect(t.get(ids.halted).other).not.toHaveProperty('pci')
  })

  it('creates a cloud-init config drive', () => {
    const t = setup()
    const usage = t.get(ids.sr).usage
    const vdiId = createCloudInitConfigDrive(t.ctx, ids.halted, ids.sr, '#cloud-config')
    expect(t.get(vdiId)).toMatchObject({ name_label: 'XO CloudConfigDrive', size: 10 * 1024 ** 2, $SR: ids.sr })
    expect(t.get(ids.sr).usage).toBe(usage + 10 * 1024 ** 2)
  })

  it('answers the read-only helpers', () => {
    const t = setup()
    expect(getHaValues()).toEqual(['best-effort', 'restart', ''])
    expect(getSecurebootReadiness(t.ctx, ids.halted)).toBe('not_supported')
    coalesceLeaf(t.ctx, ids.halted)
    coalesceLeaf(t.ctx, ids.running)
    expect(t.get(ids.running).power_state).toBe('Running')
    expect(trace(t.changes, ids.running, ['power_state']).some((entry) => (entry as { power_state: string }).power_state === 'Suspended')).toBe(true)
  })
})
