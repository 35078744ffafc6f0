import { describe, expect, it } from 'vitest'
import type { AuthoringDocument } from '../../src/inventory/authoring.js'
import type { XoObject } from '../../src/inventory/types.js'
import { checkInvariants } from '../../src/inventory/validate.js'
import { load, NOW } from './helpers.js'

const GiB = 2 ** 30

function build(doc: Omit<AuthoringDocument, 'xoMock'>) {
  const { objects } = load({ xoMock: 1, ...doc } as Record<string, unknown>, 'authoring')
  expect(checkInvariants(objects, { strict: true })).toEqual([])
  const byId = new Map(objects.map((object) => [object.id, object]))
  const of = (type: string) => objects.filter((object) => object.type === type)
  const named = (type: string, name: string) => of(type).find((object) => object.name_label === name)!
  const get = (id: unknown) => byId.get(id as string)!
  return { objects, of, named, get }
}

const onePool = {
  pools: [{ name_label: 'P' }],
  hosts: [
    { id: 'h1', name_label: 'h1' },
    { id: 'h2', name_label: 'h2' },
    { id: 'h3', name_label: 'h3', power_state: 'Halted' as const },
  ],
  networks: [{ id: 'lan', name_label: 'LAN', device: 'eth0', management: true, subnet: '192.168.1.0/24' }],
  srs: [
    { id: 'nfs', shared: true, name_label: 'NFS' },
    { id: 'local2', host: 'h2', name_label: 'Local storage' },
    { id: 'iso', shared: true, SR_type: 'iso', name_label: 'ISO', vdis: [{ id: 'iso1', name_label: 'a.iso', size: '600 MiB' }] },
  ],
}

describe('authoring derivations', () => {
  it('with one pool, entries may omit it; hosts get a PIF per network with a device, and addresses from its subnet', () => {
    const { of, get } = build(onePool)
    const pool = of('pool')[0]!
    expect(of('host').every((host) => host.$pool === pool.id)).toBe(true)
    expect(of('host').map((host) => host.address)).toEqual(['192.168.1.10', '192.168.1.11', '192.168.1.12'])
    expect(pool.master).toBe(of('host')[0]!.id)
    expect(get(pool.default_SR).name_label).toBe('NFS')
    for (const host of of('host')) {
      const [pif] = (host.PIFs as string[]).map(get)
      expect(pif).toMatchObject({ device: 'eth0', management: true, ip: host.address, netmask: '255.255.255.0', gateway: '192.168.1.1', mode: 'Static' })
    }
    expect(of('network')[0]).toMatchObject({ bridge: 'xenbr0', MTU: 1500 })
    // one server per pool, the default admin
    expect(of('server')).toMatchObject([{ host: '192.168.1.10', label: 'P', status: 'connected', poolId: pool.id, poolNameLabel: 'P' }])
    expect(of('user')).toMatchObject([{ email: 'admin@admin.net', permission: 'admin', password: 'admin' }])
  })

  it('places running VMs: given host, host of the local disk, else round-robin over running hosts', () => {
    const { named, of } = build({
      ...onePool,
      vms: [
        { name_label: 'a', power_state: 'Running' },
        { name_label: 'b', power_state: 'Running' },
        { name_label: 'c', power_state: 'Paused' },
        { name_label: 'local', power_state: 'Running', disks: [{ sr: 'local2', size: GiB }] },
        { name_label: 'given', power_state: 'Running', $container: 'h2' },
        { name_label: 'halted on host', $container: 'h3' },
        { name_label: 'suspended', power_state: 'Suspended' },
      ],
    })
    const [h1, h2] = of('host')
    expect(['a', 'b', 'c'].map((name) => named('VM', name).$container)).toEqual([h1!.id, h2!.id, h1!.id])
    expect(named('VM', 'local').$container).toBe(h2!.id)
    expect(named('VM', 'given').$container).toBe(h2!.id)
    expect(named('VM', 'halted on host').$container).toBe(of('pool')[0]!.id)
    expect(named('VM', 'suspended').$container).toBe(of('pool')[0]!.id)
    expect(h2!.residentVms).toEqual([h2!.controlDomain, named('VM', 'b').id, named('VM', 'local').id, named('VM', 'given').id])
    // host memory usage = dom0 + resident VMs
    const dom0 = of('VM-controller').find((vm) => vm.$container === h2!.id)!
    const size = (vm: XoObject) => (vm.memory as { size: number }).size
    expect((h2!.memory as { usage: number }).usage).toBe(size(dom0) + 3 * 2 * GiB)
  })

  it('derives CD drives, disks, positions and VDI names', () => {
    const { named, get, of } = build({
      ...onePool,
      vms: [
        { name_label: 'none', cdrom: false, disks: [{ sr: 'nfs', size: '10 GiB' }] },
        { name_label: 'empty', cdrom: null, disks: [{ sr: 'nfs', size: '10 GiB' }, { sr: 'nfs', size: 1 }, { sr: 'nfs', size: 2 }, { sr: 'nfs', size: 3 }] },
        { name_label: 'iso', cdrom: { vdi: 'iso1' } },
        { name_label: 'explicit', disks: [{ sr: 'nfs', size: 1, position: '7', name_label: 'data', usage: 0 }] },
      ],
    })
    const vbds = (name: string) => (named('VM', name).$VBDs as string[]).map(get)
    expect(vbds('none').map((vbd) => vbd.is_cd_drive)).toEqual([false])
    expect(vbds('empty').map((vbd) => [vbd.position, vbd.device, 'VDI' in vbd])).toEqual([
      ['0', 'xvda', true],
      ['1', 'xvdb', true],
      ['2', 'xvdc', true],
      ['4', 'xvde', true],
      ['3', 'xvdd', false],
    ])
    expect(get(vbds('empty')[0]!.VDI)).toMatchObject({ name_label: 'empty xvda', size: 10 * GiB, name_description: 'Created by XO' })
    expect(vbds('iso')).toMatchObject([{ is_cd_drive: true, VDI: of('VDI').find((vdi) => vdi.name_label === 'a.iso')!.id, read_only: true }])
    expect(get(vbds('explicit')[0]!.VDI)).toMatchObject({ name_label: 'data', usage: 0 })
    expect(vbds('explicit')[0]).toMatchObject({ position: '7', device: 'xvdh' })
  })

  it('derives addresses from VIF IPs and subnets, only for running VMs with tools', () => {
    const { named } = build({
      ...onePool,
      vms: [
        { name_label: 'auto', power_state: 'Running', vifs: [{ network: 'lan' }] },
        { name_label: 'explicit', power_state: 'Running', vifs: [{ network: 'lan', ip: ['192.168.1.50', 'fd00::50'] }, { network: 'lan', ip: 'fd00::51' }] },
        { name_label: 'v6', power_state: 'Running', vifs: [{ network: 'lan', ip: 'fd00::52' }] },
        { name_label: 'no tools', power_state: 'Running', tools: false, vifs: [{ network: 'lan' }] },
        { name_label: 'halted', vifs: [{ network: 'lan', ip: '192.168.1.60' }] },
      ],
    })
    expect(named('VM', 'auto')).toMatchObject({ addresses: { '0/ipv4/0': '192.168.1.13' }, mainIpAddress: '192.168.1.13' })
    expect(named('VM', 'explicit')).toMatchObject({
      addresses: { '0/ipv4/0': '192.168.1.50', '0/ipv6/0': 'fd00::50', '1/ipv6/0': 'fd00::51' },
      mainIpAddress: '192.168.1.50',
    })
    expect(named('VM', 'v6').mainIpAddress).toBe('fd00::52')
    expect(named('VM', 'no tools')).toMatchObject({ addresses: {}, xenTools: false, os_version: null })
    expect(named('VM', 'halted')).toMatchObject({ addresses: {}, os_version: null })
  })

  it('derives memory, CPUs, OS, tools and firmware settings', () => {
    const { named } = build({
      ...onePool,
      templates: [{ id: 'win', default: true, os: 'windows2022' }],
      vms: [
        { name_label: 'small', memory: '1 GiB', CPUs: 4 },
        { name_label: 'ranges', memory: { dynamic: ['2 GiB', '4 GiB'], static: ['1 GiB', '8 GiB'] }, CPUs: { max: 8, number: 2 }, coresPerSocket: 4 },
        { name_label: 'win', template: 'win', power_state: 'Running', tools: '9.4.1-5' },
        { name_label: 'pv', os: 'centos7', virtualizationMode: 'pv' },
      ],
    })
    expect(named('VM', 'small')).toMatchObject({ memory: { dynamic: [GiB, GiB], static: [GiB / 2, GiB], size: GiB }, CPUs: { max: 4, number: 4 }, coresPerSocket: 4 })
    expect(named('VM', 'ranges')).toMatchObject({ memory: { dynamic: [2 * GiB, 4 * GiB], static: [GiB, 8 * GiB], size: 4 * GiB }, CPUs: { max: 8, number: 2 }, coresPerSocket: 4 })
    const win = named('VM', 'win')
    expect(win).toMatchObject({
      boot: { firmware: 'uefi' },
      viridian: true,
      memory: { size: 4 * GiB },
      os_version: { distro: 'windows', uname: '20348' },
      xenTools: { major: 9, minor: 4, version: 9.4 },
      pvDriversVersion: '9.4.1-5',
      other: { base_template_name: 'Windows Server 2022 (64-bit)' },
    })
    expect('linux_template' in (win.other as object)).toBe(false)
    expect(named('VM', 'pv')).toMatchObject({ virtualizationMode: 'pv', boot: {}, PV_args: '', other: { linux_template: 'true' } })
    expect('vga' in named('VM', 'pv')).toBe(false)
  })

  it('derives snapshots with VDI-snapshots, VBD and VIF copies', () => {
    const { named, get, of } = build({
      ...onePool,
      vms: [
        {
          name_label: 'vm',
          power_state: 'Running',
          cdrom: null,
          disks: [{ sr: 'nfs', size: '8 GiB' }],
          vifs: [{ network: 'lan', mac: '02:00:00:00:00:01' }],
          snapshots: [{ name_label: 'old', time: '-2d' }, { name_label: 'new', time: 1767000000 }],
        },
      ],
    })
    const vm = named('VM', 'vm')
    const [old, recent] = (vm.snapshots as string[]).map(get)
    expect(old).toMatchObject({ name_label: 'old', snapshot_time: NOW / 1000 - 2 * 86400, $snapshot_of: vm.id, power_state: 'Halted', os_version: null, creation: vm.creation })
    expect(recent!.snapshot_time).toBe(1767000000)
    const vbds = (old!.$VBDs as string[]).map(get)
    expect(vbds.map((vbd) => [vbd.position, vbd.attached])).toEqual([
      ['0', false],
      ['3', false],
    ])
    const vdiSnapshot = get(vbds[0]!.VDI)
    expect(vdiSnapshot).toMatchObject({ type: 'VDI-snapshot', size: 8 * GiB, snapshot_time: old!.snapshot_time })
    expect(get(vdiSnapshot.$snapshot_of).snapshots).toEqual(of('VDI-snapshot').map((vdi) => vdi.id))
    expect((old!.VIFs as string[]).map(get)).toMatchObject([{ MAC: '02:00:00:00:00:01', attached: false }])
  })

  it('replicates default templates in every pool with XO ids, and keeps a given uuid', () => {
    const uuid = 'F873ABE0-B138-4995-8F6F-498B423D234D'
    const { of } = build({
      pools: [{ id: 'a', name_label: 'A' }, { id: 'b', name_label: 'B' }],
      hosts: [{ pool: 'a', name_label: 'ha' }, { pool: 'b', name_label: 'hb' }],
      templates: [
        { id: 'ol7', default: true, name_label: 'Oracle Linux 7', uuid },
        { default: true, os: 'debian12', pool: 'b' },
        { pool: 'a', name_label: 'custom' },
      ],
    })
    const pools = of('pool').map((pool) => pool.id)
    const ol7 = of('VM-template').filter((t) => t.name_label === 'Oracle Linux 7')
    expect(ol7.map((t) => t.id)).toEqual(pools.map((pool) => `${pool}-${uuid.toLowerCase()}`))
    expect(of('VM-template').find((t) => t.name_label === 'Debian Bookworm 12')!.$pool).toBe(pools[1])
    expect(of('VM-template').find((t) => t.name_label === 'custom')).toMatchObject({ isDefaultTemplate: false, $pool: pools[0] })
  })

  it('keeps UUID ids (lower-cased) and resolves messages by alias or by UUID', () => {
    const vmId = '5A914286-9F47-41AE-B9F7-2A1456EE0CE7'
    const { of } = build({
      ...onePool,
      vms: [{ id: vmId, name_label: 'vm' }],
      messages: [
        { $object: vmId, name: 'A', time: '2025-01-01T00:00:00Z' },
        { $object: 'h1', alarm: { metric: 'mem_usage', value: 0.95 } },
        { $object: vmId.toLowerCase(), name: 'B' },
      ],
    })
    const vm = of('VM')[0]!
    expect(vm.id).toBe(vmId.toLowerCase())
    const [a, alarm, b] = of('message')
    expect(a).toMatchObject({ $object: vm.uuid, time: Date.UTC(2025, 0, 1) / 1000, body: '' })
    expect(alarm).toMatchObject({ name: 'ALARM', $object: of('host')[0]!.uuid })
    expect(alarm!.body).toContain('value: 0.950000\nconfig:\n<variable>\n\t<name value="mem_usage"/>\n\t<alarm_trigger_level value="0.9"/>')
    expect(b!.$object).toBe(vm.uuid)
  })

  it('links users and groups by alias or email; creation.user by email; servers without pool are disconnected', () => {
    const { of, named } = build({
      ...onePool,
      users: [
        { id: 'root', email: 'root@lab', password: 'r', permission: 'admin' },
        { email: 'bob@lab', password: 'b' },
      ],
      groups: [{ name: 'g', users: ['root', 'Bob@lab'] }],
      servers: [{ host: '10.9.9.9', label: 'old' }],
      vms: [{ name_label: 'vm', creation: { user: 'bob@lab', date: '2024-01-02T03:04:05Z' } }],
    })
    const [root, bob] = of('user')
    const group = of('group')[0]!
    expect(group.users).toEqual([root!.id, bob!.id])
    expect(root!.groups).toEqual([group.id])
    expect(bob).toMatchObject({ name: 'bob@lab', permission: 'none', preferences: {} })
    expect(named('VM', 'vm').creation).toEqual({ date: '2024-01-02T03:04:05.000Z', user: bob!.id })
    expect(of('server')).toMatchObject([{ host: '10.9.9.9', label: 'old', status: 'disconnected', enabled: false }])
    expect('poolId' in of('server')[0]!).toBe(false)
  })

  it('merges host PIFs with network PIFs, adds PGPUs by pci_id in a GPU group per pool', () => {
    const { of, get } = build({
      pools: [{ name_label: 'P' }],
      networks: [
        { id: 'mgmt', name_label: 'mgmt', device: 'eth0', management: true },
        { id: 'storage', name_label: 'storage', MTU: 9000 },
        { id: 'vlan', name_label: 'vlan 30', device: 'eth1', vlan: 30 },
      ],
      hosts: [
        {
          name_label: 'h',
          address: '10.0.0.5',
          pifs: [{ network: 'storage', ip: '10.1.0.5', mode: 'Static' }, { network: 'vlan', mtu: 1400 }],
          pcis: [{ class_name: 'VGA compatible controller', device_name: 'GA102GL [A10]', pci_id: '0000:41:00.0' }],
          pgpus: [{ pci: '0000:41:00.0' }],
        },
      ],
    })
    const pifs = (of('host')[0]!.PIFs as string[]).map(get)
    expect(pifs.map((pif) => [pif.device, pif.vlan, pif.ip, pif.management, pif.mtu])).toEqual([
      ['eth0', -1, '10.0.0.5', true, 1500],
      ['eth1', 30, '', false, 1400],
      ['eth2', -1, '10.1.0.5', false, 9000],
    ])
    expect(of('PGPU')).toMatchObject([{ pci: of('PCI')[0]!.id, dom0Access: 'enabled' }])
    expect(of('gpuGroup')).toMatchObject([{ name_label: 'Group of GA102GL [A10] GPUs', pgpus: [of('PGPU')[0]!.id] }])
  })
})
