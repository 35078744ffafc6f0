import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createContext } from '../../src/index.js'
import { generateInventory } from '../../src/inventory/generator.js'
import { isUuid } from '../../src/inventory/ids.js'
import { fixturesDirectory } from '../../src/inventory/load.js'
import { deriveBackReferences, ObjectStore } from '../../src/inventory/store.js'
import type { XoObject } from '../../src/inventory/types.js'
import { checkBackReferences, checkInvariants } from '../../src/inventory/validate.js'
import { byType, load, NOW, referenceObject } from './helpers.js'

const ALARM_BODY_REGEX = /^value:\s*(Infinity|NaN|-Infinity|\d+(?:\.\d+)?)\s*config:\s*<variable>\s*<name value="(.*?)"/

describe('default inventory', () => {
  const loaded = load('default')
  const { objects } = loaded
  const types = byType(objects)
  const of = (type: string): XoObject[] => types.get(type) ?? []
  const byId = new Map(objects.map((object) => [object.id, object]))

  it('loads without warnings; the loader already derived back-references', () => {
    expect(loaded.warnings).toEqual([])
    expect(loaded.deriveBackReferences).toBe(false)
  })

  it('has two pools: one of three hosts and one single host, each host with its control domain', () => {
    const pools = of('pool')
    expect(pools).toHaveLength(2)
    const hostsOf = (pool: XoObject) => of('host').filter((host) => host.$pool === pool.id)
    expect(pools.map((pool) => hostsOf(pool).length).sort()).toEqual([1, 3])
    for (const pool of pools) expect(hostsOf(pool).map((host) => host.id)).toContain(pool.master)
    for (const host of of('host')) {
      const dom0 = byId.get(host.controlDomain as string)!
      expect(dom0.type).toBe('VM-controller')
      expect(dom0.$container).toBe(host.id)
      expect(host.residentVms).toContain(dom0.id)
      expect(dom0.name_label).toBe(`Control domain on host: ${String(host.hostname)}`)
    }
    expect(of('VM-controller')).toHaveLength(4)
  })

  it('has at least 25 VMs in every power state, with varied names', () => {
    const vms = of('VM')
    expect(vms.length).toBeGreaterThanOrEqual(25)
    const states = new Set(vms.map((vm) => vm.power_state))
    expect([...states].sort()).toEqual(['Halted', 'Paused', 'Running', 'Suspended'])
    const names = vms.map((vm) => vm.name_label as string)
    expect(names).toContain("Serveur d'impression — Zürich")
    expect(names).toContain('数据库')
    expect(names.some((name) => name.includes(' '))).toBe(true)
    expect(names.some((name) => name.includes('.'))).toBe(true)
    expect(new Set(names).size).toBe(names.length)
    expect(vms.some((vm) => (vm.tags as string[]).length > 1)).toBe(true)
    expect(new Set(vms.map((vm) => (vm.CPUs as { number: number }).number)).size).toBeGreaterThan(3)
    expect(new Set(vms.map((vm) => (vm.memory as { size: number }).size)).size).toBeGreaterThan(3)
  })

  it('places running and paused VMs on running hosts, halted and suspended ones on their pool', () => {
    for (const vm of of('VM')) {
      const container = byId.get(vm.$container as string)!
      if (vm.power_state === 'Running' || vm.power_state === 'Paused') {
        expect(container.type).toBe('host')
        expect(container.power_state).toBe('Running')
        expect(container.residentVms).toContain(vm.id)
      } else {
        expect(container.type).toBe('pool')
        expect(container.id).toBe(vm.$pool)
      }
    }
  })

  it('gives running VMs with tools an os_version, addresses and a main IP; others null and nothing', () => {
    const running = of('VM').filter((vm) => vm.power_state === 'Running' && vm.managementAgentDetected === true)
    expect(running.length).toBeGreaterThan(10)
    for (const vm of running) {
      expect(vm.os_version).toMatchObject({ distro: expect.any(String), name: expect.any(String), uname: expect.any(String) })
      expect(Object.keys(vm.addresses as object).length).toBeGreaterThan(0)
      expect(Object.values(vm.addresses as object)).toContain(vm.mainIpAddress)
      expect(vm.xenTools).toMatchObject({ major: expect.any(Number), minor: expect.any(Number) })
      expect(vm.startTime).toBeGreaterThan(0)
      expect((vm.memory as { usage: number }).usage).toBeGreaterThan(0)
    }
    const withoutTools = of('VM').find((vm) => vm.name_label === 'dev-sandbox-ALICE')!
    expect(withoutTools).toMatchObject({ power_state: 'Running', xenTools: false, os_version: null, addresses: {} })
    expect('mainIpAddress' in withoutTools).toBe(false)
    for (const vm of of('VM').filter((vm) => vm.power_state === 'Halted' || vm.power_state === 'Suspended')) {
      expect(vm.os_version).toBeNull()
      expect(vm.startTime).toBeNull()
      expect(vm.addresses).toEqual({})
      for (const key of ['mainIpAddress', 'xenTools', 'managementAgentDetected', 'pvDriversVersion']) expect(key in vm).toBe(false)
    }
    const web = of('VM').find((vm) => vm.name_label === 'web-01.prod.lyon.lab')!
    expect(web.addresses).toEqual({ '0/ipv4/0': '10.20.0.21', '1/ipv4/0': '172.16.20.21', '1/ipv6/0': '2001:db8:20::21' })
    expect(web.mainIpAddress).toBe('10.20.0.21')
  })

  it('has default templates with XO ids <pool>-<uuid> in every pool, and custom templates keeping their uuid', () => {
    const templates = of('VM-template')
    const defaults = templates.filter((t) => t.isDefaultTemplate === true)
    const custom = templates.filter((t) => t.isDefaultTemplate === false)
    expect(defaults.length).toBeGreaterThanOrEqual(8)
    expect(custom.length).toBeGreaterThanOrEqual(2)
    for (const template of defaults) {
      expect(template.id).toBe(`${String(template.$pool)}-${String(template.uuid)}`)
      expect(template.$container).toBe(template.$pool)
      expect(template.other).toMatchObject({ default_template: 'true' })
      expect((template.template_info as { disks: unknown[] }).disks.length).toBeGreaterThan(0)
    }
    for (const template of custom) expect(template.id).toBe(template.uuid)
    // the same default template has the same uuid in both pools
    const debian = defaults.filter((t) => t.name_label === 'Debian Bookworm 12')
    expect(debian).toHaveLength(2)
    expect(debian[0]!.uuid).toBe(debian[1]!.uuid)
    expect(debian[0]!.id).not.toBe(debian[1]!.id)
    // VMs created from a template reference its uuid
    const web = of('VM').find((vm) => vm.name_label === 'web-02.prod.lyon.lab')!
    const golden = custom.find((t) => t.name_label === 'Debian 12 golden image (cloud-init)')!
    expect(web.creation).toMatchObject({ template: golden.uuid, user: of('user').find((u) => u.email === 'admin@admin.net')!.id })
    expect((web.other as Record<string, string>)[`xo:${web.id.slice(0, 8)}`]).toBe(JSON.stringify({ creation: web.creation }))
  })

  it('has disks (VDI + VBD), an empty CD drive, a CD drive with an ISO, VIFs and snapshots', () => {
    const vbds = of('VBD')
    const emptyCd = vbds.filter((vbd) => vbd.is_cd_drive === true && !('VDI' in vbd))
    expect(emptyCd.length).toBeGreaterThanOrEqual(1)
    for (const cd of emptyCd) expect(cd).toMatchObject({ position: '3', device: 'xvdd', read_only: true })
    const isoCd = vbds.find((vbd) => vbd.is_cd_drive === true && 'VDI' in vbd)!
    expect(byId.get(byId.get(isoCd.VDI as string)!.$SR as string)!.SR_type).toBe('iso')
    for (const vbd of vbds.filter((vbd) => vbd.is_cd_drive === false)) {
      const vdi = byId.get(vbd.VDI as string)!
      expect(['VDI', 'VDI-snapshot']).toContain(vdi.type)
      expect(vdi.$VBDs).toContain(vbd.id)
    }
    const db = of('VM').find((vm) => vm.name_label === '数据库')!
    const disks = (db.$VBDs as string[]).map((id) => byId.get(id)!).map((vbd) => byId.get(vbd.VDI as string)!)
    expect(disks.map((vdi) => vdi.size)).toEqual([100 * 2 ** 30, 500 * 2 ** 30])
    expect(disks.map((vdi) => vdi.name_label)).toEqual(['数据库 system', '数据库 data'])

    const snapshots = of('VM-snapshot')
    expect(snapshots.length).toBeGreaterThanOrEqual(3)
    for (const snapshot of snapshots) {
      const vm = byId.get(snapshot.$snapshot_of as string)!
      expect(vm.snapshots).toContain(snapshot.id)
      expect(snapshot.snapshot_time).toBeLessThan(NOW / 1000)
      expect(snapshot).toMatchObject({ power_state: 'Halted', $container: vm.$pool })
      expect((snapshot.$VBDs as string[]).length).toBe((vm.$VBDs as string[]).length)
      expect((snapshot.VIFs as string[]).length).toBe((vm.VIFs as string[]).length)
    }
    for (const vdiSnapshot of of('VDI-snapshot')) {
      const vdi = byId.get(vdiSnapshot.$snapshot_of as string)!
      expect(vdi.type).toBe('VDI')
      expect(vdi.snapshots).toContain(vdiSnapshot.id)
    }
    expect(of('VIF').length).toBeGreaterThan(of('VM').length)
    expect(new Set(of('VIF').map((vif) => `${String(vif.$VM)} ${String(vif.MAC)}`)).size).toBe(of('VIF').length)
  })

  it('has local (ext, lvm), shared NFS and iSCSI, ISO and udev SRs with PBDs and one SM per SR type', () => {
    const srs = of('SR')
    expect(new Set(srs.map((sr) => sr.SR_type))).toEqual(new Set(['ext', 'lvm', 'udev', 'nfs', 'lvmoiscsi', 'iso']))
    for (const sr of srs) {
      const pbds = sr.$PBDs as string[]
      if (sr.shared === true) {
        expect(sr.$container).toBe(sr.$pool)
        expect(pbds).toHaveLength(of('host').filter((host) => host.$pool === sr.$pool).length)
      } else {
        expect(byId.get(sr.$container as string)!.type).toBe('host')
        expect(pbds).toHaveLength(1)
        expect(byId.get(pbds[0]!)!.host).toBe(sr.$container)
      }
      const vdis = (sr.VDIs as string[]).map((id) => byId.get(id)!)
      expect(sr.usage).toBe(vdis.reduce((sum, vdi) => sum + (vdi.size as number), 0))
    }
    for (const pool of of('pool')) {
      const srTypes = new Set(srs.filter((sr) => sr.$pool === pool.id).map((sr) => sr.SR_type))
      const smTypes = of('SM').filter((sm) => sm.$pool === pool.id).map((sm) => sm.SM_type)
      expect(new Set(smTypes)).toEqual(srTypes)
      expect(smTypes).toHaveLength(srTypes.size)
    }
    const lyon = of('pool').find((pool) => pool.name_label === 'Lyon HQ')!
    expect(byId.get(lyon.default_SR as string)!.name_label).toBe('NFS SAN (TrueNAS)')
  })

  it('has networks with PIFs on every host, PCIs and a PGPU in its GPU group', () => {
    for (const network of of('network')) {
      for (const pifId of network.PIFs as string[]) expect(byId.get(pifId)!.$network).toBe(network.id)
    }
    for (const host of of('host')) {
      const pifs = (host.PIFs as string[]).map((id) => byId.get(id)!)
      expect(pifs.filter((pif) => pif.management === true)).toHaveLength(1)
      expect(pifs.find((pif) => pif.management === true)!.ip).toBe(host.address)
      expect((host.PCIs as string[]).length).toBeGreaterThan(0)
    }
    const vlan = of('PIF').find((pif) => pif.vlan === 20)!
    expect(vlan.physical).toBe(false)
    const pgpu = of('PGPU')[0]!
    expect(byId.get(pgpu.pci as string)!.device_name).toBe('TU104GL [Tesla T4]')
    expect(byId.get(pgpu.gpuGroup as string)!.pgpus).toEqual([pgpu.id])
    expect(byId.get(pgpu.$host as string)!.PGPUs).toEqual([pgpu.id])
  })

  it('has messages and at least 3 alarms whose body XO parses', () => {
    const messages = of('message')
    const alarms = messages.filter((message) => message.name === 'ALARM')
    expect(alarms.length).toBeGreaterThanOrEqual(3)
    expect(messages.length - alarms.length).toBeGreaterThanOrEqual(5)
    for (const alarm of alarms) {
      const match = ALARM_BODY_REGEX.exec(alarm.body as string)
      expect(match).not.toBeNull()
      expect(Number(match![1])).toBeGreaterThan(0)
    }
    const uuids = new Set(objects.map((object) => object.uuid))
    for (const message of messages) {
      expect(uuids.has(message.$object)).toBe(true)
      expect(Number.isInteger(message.time)).toBe(true)
      expect(message.time).toBeLessThan(NOW / 1000)
    }
  })

  it('has an admin, a non-admin user, groups and one connected server per pool', () => {
    const users = of('user')
    expect(users.find((user) => user.email === 'admin@admin.net')).toMatchObject({ password: 'admin', permission: 'admin' })
    expect(users.find((user) => user.email === 'user@lab.local')).toMatchObject({ password: 'user', permission: 'none' })
    const groups = of('group')
    expect(groups.length).toBeGreaterThanOrEqual(1)
    for (const group of groups) for (const userId of group.users as string[]) expect(byId.get(userId)!.groups).toContain(group.id)
    const servers = of('server')
    expect(servers.map((server) => server.poolId).sort()).toEqual(of('pool').map((pool) => pool.id).sort())
    for (const server of servers) expect(server).toMatchObject({ status: 'connected', username: 'root', poolNameLabel: byId.get(server.poolId as string)!.name_label })
  })

  it('satisfies every invariant: references resolve, back-references match the forward ones', () => {
    expect(checkInvariants(objects, { strict: true })).toEqual([])
    expect(checkBackReferences(objects, deriveBackReferences)).toEqual([])
    for (const object of objects) {
      if (object.type === 'VM-template' && object.isDefaultTemplate === true) continue
      if ('uuid' in object) {
        expect(object.id).toBe(object.uuid)
        expect(isUuid(object.id)).toBe(true)
      }
    }
    expect(new Set(objects.map((object) => object._xapiRef).filter(Boolean)).size).toBe(objects.filter((object) => '_xapiRef' in object).length)
  })

  it('loads into a store (createContext) as is', () => {
    const ctx = createContext({ inventory: 'default', seed: 'test', clock: 'manual' })
    expect(ctx.store.count('VM')).toBe(of('VM').length)
    const vm = of('VM')[0]!
    expect(ctx.store.get(vm.id)!.name_label).toBe(vm.name_label)
    expect(ctx.store.count('user')).toBe(of('user').length)
  })
})

describe('shapes: every object has the keys of the reference object of its type', () => {
  const { objects } = load('default')
  const types = byType(objects)

  // keys that exist only in some states (see xapi-object-to-xo.mjs): running VMs with tools, PV VMs,
  // optional settings, users' and groups' store-only keys
  const running = ['xenTools', 'managementAgentDetected', 'pvDriversDetected', 'pvDriversVersion', 'pvDriversUpToDate', 'mainIpAddress']
  const cases: [type: string, file: string, extra: string[], absent: string[]][] = [
    ['VM', 'VM', [...running, 'PV_args', 'notes', 'affinityHost'], ['vga', 'videoram']],
    ['VM-template', 'VM-template', [], []],
    ['VM-snapshot', 'VM-snapshot', [], []],
    ['VM-controller', 'VM-controller', [], []],
    ['host', 'host', [], []],
    ['pool', 'pool', ['suspendSr', 'haRebootVmOnInternalShutdown'], []],
    ['SR', 'SR', [], ['allocationStrategy']],
    ['VDI', 'VDI', ['chainPhysicalUsage'], []],
    ['VDI-snapshot', 'VDI-snapshot', [], []],
    ['VBD', 'VBD', [], ['VDI']],
    ['VIF', 'VIF', ['rateLimit'], []],
    ['network', 'network', ['isBonded'], []],
    ['PIF', 'PIF', [], []],
    ['PBD', 'PBD', [], []],
    ['PCI', 'PCI', [], []],
    ['PGPU', 'PGPU', [], []],
    ['SM', 'SM', [], []],
    ['message', 'message', [], []],
    ['user', 'user', ['type', 'password'], ['pw_hash']],
    ['group', 'group', ['type'], []],
    ['server', 'server', ['type'], []],
  ]

  it.each(cases)('%s', (type, file, extra, absent) => {
    const reference = new Set(Object.keys(referenceObject(file)))
    const list = types.get(type) ?? []
    expect(list.length).toBeGreaterThan(0)
    const seenAbsent = new Set<string>()
    for (const object of list) {
      const keys = new Set(Object.keys(object))
      const missing = [...reference].filter((key) => !keys.has(key))
      for (const key of missing) seenAbsent.add(key)
      expect(missing.filter((key) => !absent.includes(key)), `${type} ${object.id} misses keys`).toEqual([])
      expect([...keys].filter((key) => !reference.has(key) && !extra.includes(key)), `${type} ${object.id} has unknown keys`).toEqual([])
    }
    // objects in the reference's own state have exactly its keys
    if (type === 'VM') {
      const halted = list.find((vm) => vm.power_state === 'Halted' && vm.virtualizationMode === 'hvm' && !('notes' in vm) && !('affinityHost' in vm))!
      expect(new Set(Object.keys(halted))).toEqual(reference)
    }
  })

  it('value types match the reference objects', () => {
    for (const [type, file] of cases.map(([type, file]) => [type, file] as const)) {
      const reference = referenceObject(file)
      for (const object of types.get(type) ?? []) {
        for (const [key, value] of Object.entries(reference)) {
          if (!(key in object) || value === null || object[key] === null) continue
          const kind = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v)
          expect(kind(object[key]), `${type}.${key}`).toBe(kind(value))
        }
      }
    }
  })
})

describe('minimal inventory', () => {
  it('has one pool, one host, an SR, a network and two VMs', () => {
    const types = byType(load('minimal').objects)
    expect(types.get('pool')).toHaveLength(1)
    expect(types.get('host')).toHaveLength(1)
    expect(types.get('SR')).toHaveLength(1)
    expect(types.get('network')).toHaveLength(1)
    expect(types.get('VM')).toHaveLength(2)
    expect(types.get('VM')!.map((vm) => vm.power_state).sort()).toEqual(['Halted', 'Running'])
    // no users declared: the default admin is added
    expect(types.get('user')).toMatchObject([{ email: 'admin@admin.net', password: 'admin', permission: 'admin' }])
  })
})

describe('determinism', () => {
  it('same seed and now → deep-equal objects', () => {
    expect(load('default', 'a').objects).toEqual(load('default', 'a').objects)
    expect(load('generated:vms=50', 7).objects).toEqual(load('generated:vms=50', 7).objects)
  })

  it('different seed → different uuids, same shapes and names', () => {
    const a = load('default', 'a').objects
    const b = load('default', 'b').objects
    expect(a.map((object) => object.type)).toEqual(b.map((object) => object.type))
    expect(a.map((object) => object.name_label)).toEqual(b.map((object) => object.name_label))
    const idsA = new Set(a.map((object) => object.id))
    expect(b.filter((object) => idsA.has(object.id))).toEqual([])
  })

  it('timestamps derive from now: another now shifts them, ids stay', () => {
    const a = load('default', 'a', NOW).objects
    const b = load('default', 'a', NOW + 3600_000).objects
    expect(a.map((object) => object.id)).toEqual(b.map((object) => object.id))
    const host = (objects: XoObject[]) => objects.find((object) => object.type === 'host')!
    expect((host(b).startTime as number) - (host(a).startTime as number)).toBe(3600)
  })
})

describe('sources', () => {
  it('loads a file path, a bundled NAME and a parsed document alike', () => {
    const path = join(fixturesDirectory(), 'minimal.json')
    const fromName = load('minimal')
    const fromPath = load(path)
    expect(fromPath.objects).toEqual(fromName.objects)
  })

  it('does not freeze or modify a document passed by the caller', () => {
    const doc = {
      xoMock: 1,
      pools: [{ id: 'p', name_label: 'P', tags: ['x'] }],
      hosts: [{ id: 'h', name_label: 'h', tags: ['y'] }],
      vms: [{ name_label: 'vm', power_state: 'Running', $container: 'h', other: { a: 'b' } }],
    }
    const copy = JSON.parse(JSON.stringify(doc)) as unknown
    const { objects } = load(doc)
    const store = new ObjectStore()
    store.replaceAll(objects)
    expect(doc).toEqual(copy)
    expect(Object.isFrozen(doc.pools[0]!.tags)).toBe(false)
    expect(Object.isFrozen(doc.vms[0]!.other)).toBe(false)
    expect(store.count('VM')).toBe(1)
  })

  it('takes {objects: [...]} lists as they are, back-references to derive', () => {
    const loaded = load({ objects: [{ id: 'a', type: 'VM' }] })
    expect(loaded).toEqual({ objects: [{ id: 'a', type: 'VM' }], warnings: [], deriveBackReferences: true })
  })

  it('loads a generated document written to a file (xo-mock generate > big.json)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xo-mock-'))
    const path = join(dir, 'big.json')
    writeFileSync(path, JSON.stringify(generateInventory({ vms: 30, pools: 2 })))
    expect(load(path, 's').objects).toEqual(load('generated:vms=30,pools=2', 's').objects)
  })
})
