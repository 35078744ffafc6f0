import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { UserObject, XoObject } from '../../src/inventory/types.js'
import { vmFamilyMethods } from '../../src/rpc/methods/domain-vm.js'
import type { RpcCall } from '../../src/rpc/types.js'
import { errorOf, GiB, ids, setup, type TestContext } from './vm-fixture.js'

const admin = { id: 'admin-id', type: 'user', email: 'admin@admin.net', name: 'admin', permission: 'admin', groups: [], preferences: {} } as UserObject

/** Calls a handler the way the pipeline does: params validated, objects resolved by name. */
function call(t: TestContext, method: string, params: Record<string, unknown>, objects: Record<string, string> = {}, user: UserObject = admin): unknown {
  const handler = vmFamilyMethods[method]
  if (handler === undefined) throw new Error(`no handler for ${method}`)
  const resolved: Record<string, XoObject> = {}
  for (const [name, id] of Object.entries(objects)) resolved[name] = t.store.get(id)!
  const rpcCall = {
    ctx: t.ctx,
    method,
    params,
    objects: resolved,
    user,
    connection: { id: 'c1', remoteAddress: '127.0.0.1', userId: user.id, tokenExpiration: undefined },
  } as unknown as RpcCall
  return handler(rpcCall)
}

describe('vm family JSON-RPC adapters', () => {
  it('registers at least 60 methods, all declared in methods.json, none of the transfer ones', () => {
    const declared = new Set(
      (JSON.parse(readFileSync(new URL('../../src/rpc/catalogue/methods.json', import.meta.url), 'utf8')) as { name: string }[]).map((entry) => entry.name),
    )
    const names = Object.keys(vmFamilyMethods)
    expect(names.length).toBeGreaterThanOrEqual(60)
    for (const name of names) expect(declared.has(name), name).toBe(true)
    for (const name of ['vm.export', 'vm.import', 'disk.import', 'disk.exportContent', 'disk.importContent']) expect(names).not.toContain(name)
  })

  it('vm.start / vm.stop / vm.restart return undefined (true on the wire)', () => {
    const t = setup()
    expect(call(t, 'vm.start', { id: ids.halted, host: ids.host2 }, { vm: ids.halted, host: ids.host2 })).toBeUndefined()
    expect(t.get(ids.halted)).toMatchObject({ power_state: 'Running', $container: ids.host2 })
    expect(call(t, 'vm.stop', { id: ids.halted, forceShutdownDelay: 0 }, { vm: ids.halted })).toBeUndefined()
    expect(t.get(ids.halted).power_state).toBe('Halted')
    expect(errorOf(() => call(t, 'vm.stop', { id: ids.noTools, forceShutdownDelay: 0 }, { vm: ids.noTools }))).toMatchObject({ code: 10 })
    call(t, 'vm.stop', { id: ids.noTools, force: true, forceShutdownDelay: 0 }, { vm: ids.noTools })
    expect(t.get(ids.noTools).power_state).toBe('Halted')
    call(t, 'vm.suspend', { id: ids.running }, { vm: ids.running })
    call(t, 'vm.resume', { id: ids.running }, { vm: ids.running })
    call(t, 'vm.pause', { id: ids.running }, { vm: ids.running })
    call(t, 'vm.start', { id: ids.running }, { vm: ids.running })
    call(t, 'vm.restart', { id: ids.running, force: true }, { vm: ids.running })
    expect(t.get(ids.running).power_state).toBe('Running')
  })

  it('vm.create (Terraform params) returns the new id; vm.set; vm.delete', () => {
    const t = setup()
    const id = call(
      t,
      'vm.create',
      {
        name_label: 'web',
        template: ids.template,
        createVtpm: false,
        bootAfterCreate: false,
        CPUs: 2,
        cpuCap: null,
        cpuWeight: null,
        VDIs: [{ $SR: ids.sr, SR: ids.sr, name_label: 'root', name_description: '', size: 25 * GiB, type: 'user', userdevice: '0' }],
        VIFs: [{ network: ids.network }],
        tags: ['a'],
        auto_poweron: false,
        high_availability: '',
      },
      { template: ids.template },
    ) as string
    expect(typeof id).toBe('string')
    expect(t.get(id)).toMatchObject({ name_label: 'web', creation: { user: 'admin-id', template: ids.template }, tags: ['a'] })
    call(t, 'vm.set', { id, name_description: 'front', memoryMax: '3 GiB', xenStoreData: { k: 'v' } }, { VM: id })
    expect(t.get(id)).toMatchObject({ name_description: 'front', xenStoreData: { 'vm-data/k': 'v' }, memory: { size: 3 * GiB } })
    expect(call(t, 'vm.delete', { id }, { vm: id })).toBeUndefined()
    expect(t.store.has(id)).toBe(false)
  })

  it('snapshot, revert, clone, copy, convert, migrate', () => {
    const t = setup()
    const snapshotId = call(t, 'vm.snapshot', { id: ids.halted, name: 'snap' }, { vm: ids.halted }) as string
    expect(t.get(snapshotId)).toMatchObject({ type: 'VM-snapshot', name_label: 'snap' })
    expect(call(t, 'vm.revert', { snapshot: snapshotId }, { snapshot: snapshotId })).toBeUndefined()
    const cloneId = call(t, 'vm.clone', { id: ids.halted, name: 'c', full_copy: false }, { vm: ids.halted }) as string
    expect(t.get(cloneId).name_label).toBe('c')
    const copyId = call(t, 'vm.copy', { vm: ids.halted, sr: ids.localSr }, { vm: ids.halted, sr: ids.localSr }) as string
    expect(t.get(copyId).name_label).toBe('halted')
    call(t, 'vm.convertToTemplate', { id: copyId }, { vm: copyId })
    expect(t.get(copyId).type).toBe('VM-template')
    expect(call(t, 'vm.copyToTemplate', { id: snapshotId }, { vm: snapshotId })).toBeUndefined()
    call(t, 'vm.migrate', { vm: ids.running, targetHost: ids.host2 }, { vm: ids.running, host: ids.host2 })
    expect(t.get(ids.running).$container).toBe(ids.host2)
  })

  it('device methods', () => {
    const t = setup()
    const vifId = call(t, 'vm.createInterface', { vm: ids.halted, network: ids.networkB, position: 1 }, { vm: ids.halted, network: ids.networkB }) as string
    expect(t.get(vifId)).toMatchObject({ device: '1', $network: ids.networkB })
    call(t, 'vm.attachDisk', { vm: ids.halted, vdi: ids.spareDisk, position: '2' }, { vm: ids.halted, vdi: ids.spareDisk })
    expect(t.get(ids.spareDisk).$VBDs).toHaveLength(1)
    call(t, 'vm.insertCd', { id: ids.halted, cd_id: ids.iso }, { vm: ids.halted, vdi: ids.iso })
    expect(t.get(ids.haltedCd).VDI).toBe(ids.iso)
    call(t, 'vm.ejectCd', { id: ids.halted }, { vm: ids.halted })
    call(t, 'vm.setBootOrder', { vm: ids.halted, order: 'n' }, { vm: ids.halted })
    expect(t.get(ids.halted).boot.order).toBe('n')
    expect(call(t, 'vm.getHaValues', {})).toEqual(['best-effort', 'restart', ''])

    call(t, 'vif.set', { id: vifId, network: ids.network }, { vif: vifId, network: ids.network })
    expect(t.get(vifId).$network).toBe(ids.network)
    call(t, 'vif.delete', { id: vifId }, { vif: vifId })
    expect(call(t, 'vif.getLockingModeValues', {})).toEqual(['disabled', 'locked', 'network_default', 'unlocked'])

    call(t, 'vbd.disconnect', { id: ids.runningVbd }, { vbd: ids.runningVbd })
    call(t, 'vbd.connect', { id: ids.runningVbd }, { vbd: ids.runningVbd })
    call(t, 'vbd.setBootable', { vbd: ids.runningVbd, bootable: false }, { vbd: ids.runningVbd })
    expect(t.get(ids.runningVbd)).toMatchObject({ attached: true, bootable: false })
  })

  it('storage methods', () => {
    const t = setup()
    const vdiId = call(t, 'disk.create', { name: 'd', size: 1073741824, sr: ids.sr, vm: ids.halted }, { sr: ids.sr, vm: ids.halted }) as string
    expect(t.get(vdiId)).toMatchObject({ name_label: 'd', size: GiB })
    call(t, 'vdi.set', { id: vdiId, size: '2 GiB', name_label: 'dd' }, { vdi: vdiId })
    expect(t.get(vdiId)).toMatchObject({ name_label: 'dd', size: 2 * GiB })
    const moved = call(t, 'vdi.migrate', { id: vdiId, sr_id: ids.localSr }, { vdi: vdiId, sr: ids.localSr }) as string
    expect(t.get(moved).$SR).toBe(ids.localSr)
    call(t, 'vdi.delete', { id: moved }, { vdi: moved })
    expect(t.store.has(moved)).toBe(false)

    call(t, 'sr.set', { id: ids.sr, name_label: 'renamed' }, { sr: ids.sr })
    call(t, 'sr.scan', { id: ids.sr }, { SR: ids.sr })
    const srId = call(
      t,
      'sr.createNfs',
      { host: ids.host1, nameLabel: 'n', nameDescription: '', server: 'a', serverPath: '/b' },
      { host: ids.host1 },
    ) as string
    expect(call(t, 'sr.probeNfsExists', { host: ids.host1, server: 'a', serverPath: '/b' }, { host: ids.host1 })).toEqual([{ uuid: srId }])
    expect(call(t, 'sr.probeNfs', { host: ids.host1, server: 'a' }, { host: ids.host1 })).toEqual([])
    call(t, 'sr.enableMaintenanceMode', { id: srId }, { sr: srId })
    expect(t.get(srId).inMaintenanceMode).toBe(true)
    call(t, 'sr.disableMaintenanceMode', { id: srId }, { sr: srId })
    call(t, 'sr.destroy', { id: srId }, { sr: srId })
    expect(t.store.has(srId)).toBe(false)
    expect(call(t, 'sr.getAllUnhealthyVdiChainsLength', {})).toEqual({})
  })
})
