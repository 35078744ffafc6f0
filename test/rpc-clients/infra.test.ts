/**
 * The infrastructure methods (`host.*`, `pool.*`, `network.*`, `pif.*`, `tag.*`, `message.*`, `task.*`)
 * through xo-lib 0.9.0: results, `all` notifications and `xo.getAllObjects` afterwards
 * (reference jsonrpc-api.md §7.4, §7.6, §7.7).
 */
import { describe, expect, it } from 'vitest'
import { current, objectsOf, pick, trackMethodCases, useMock } from './harness.js'

trackMethodCases()
const t = useMock()

/** A pool with at least two hosts, its master, and a host of it that is neither the master nor runs guests. */
function poolWithSpareHost() {
  const { mock } = t
  const pool = pick(mock, 'pool', (candidate) => objectsOf(mock, 'host', (host) => host.$pool === candidate.id).length > 1, 'pool of several hosts')
  const master = current(mock, pool.master)
  const guestsOf = (hostId: string) => objectsOf(mock, 'VM', (vm) => vm.$container === hostId && vm.power_state !== 'Halted')
  const spare = pick(mock, 'host', (host) => host.$pool === pool.id && host.id !== pool.master && guestsOf(host.id).length === 0, 'spare host')
  return { pool, master, spare }
}

describe('hosts', () => {
  it('host.disable, host.enable, host.set, host.setRemoteSyslogHost, host.setSchedulerGranularity and host.scanPifs', async () => {
    const { master } = poolWithSpareHost()
    const client = await t.admin()
    const step = async (method: string, params: Record<string, unknown>, expected?: Record<string, unknown>) => {
      const mark = client.mark()
      expect(await client.call(method, params), method).toBe(true)
      const changes = await client.synced(mark)
      if (expected === undefined) expect(changes.ids, method).toEqual([])
      else expect(changes.entered[master.id], method).toMatchObject(expected)
      return changes.entered[master.id]
    }
    await step('host.disable', { id: master.id }, { enabled: false })
    await step('host.enable', { id: master.id }, { enabled: true })
    await step('host.set', { id: master.id, name_label: 'renamed host', name_description: 'via xo-lib', multipathing: true }, {
      name_label: 'renamed host',
      name_description: 'via xo-lib',
      multipathing: true,
    })
    const logged = await step('host.setRemoteSyslogHost', { id: master.id, syslogDestination: 'syslog.lab' }, {})
    expect(logged.logging).toMatchObject({ syslog_destination: 'syslog.lab' })
    expect(await client.call('host.setSchedulerGranularity', { id: master.id, schedulerGranularity: 'core' })).toBe(true)
    expect(await client.call('host.getSchedulerGranularity', { id: master.id })).toBe('core')
    await step('host.scanPifs', { id: master.id })
  })

  it('host.restart, host.restartAgent and host.restart_agent', async () => {
    const { spare } = poolWithSpareHost()
    const client = await t.admin()
    let mark = client.mark()
    expect(await client.call('host.restart', { id: spare.id })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[spare.id]).toMatchObject({ power_state: 'Running', enabled: true })

    for (const method of ['host.restartAgent', 'host.restart_agent']) {
      // (times are in seconds: make the change visible within the same second)
      t.mock.inventory.update(spare.id, { agentStartTime: 0 })
      mark = client.mark()
      expect(await client.call(method, { id: spare.id }), method).toBe(true)
      changes = await client.synced(mark)
      expect(changes.entered[spare.id].agentStartTime, method).toEqual(expect.any(Number))
    }
  })

  it('host.stop, host.start and host.emergencyShutdownHost', async () => {
    const { mock } = t
    const { spare } = poolWithSpareHost()
    const client = await t.admin()
    let mark = client.mark()
    expect(await client.call('host.stop', { id: spare.id })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[spare.id]).toMatchObject({ power_state: 'Halted', enabled: false })

    // power-on needs a power-on mode
    if (current(mock, spare.id).powerOnMode === '') mock.inventory.update(spare.id, { powerOnMode: 'wake-on-lan' })
    mark = client.mark()
    expect(await client.call('host.start', { id: spare.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[spare.id]).toMatchObject({ power_state: 'Running', enabled: true })

    // emergency shutdown: resident guests are suspended, the host goes down
    const busy = pick(mock, 'host', (host) => objectsOf(mock, 'VM', (vm) => vm.$container === host.id && vm.power_state === 'Running').length > 0)
    const guests = objectsOf(mock, 'VM', (vm) => vm.$container === busy.id && vm.power_state === 'Running')
    mark = client.mark()
    expect(await client.call('host.emergencyShutdownHost', { host: busy.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[busy.id]).toMatchObject({ power_state: 'Halted' })
    for (const vm of guests) expect(changes.entered[vm.id], vm.name_label).toMatchObject({ power_state: 'Suspended' })
  })

  it('host.setMaintenanceMode disables and evacuates a host, then enables it', async () => {
    const { mock } = t
    const { spare } = poolWithSpareHost()
    // a running VM whose disks are all on shared storage, moved to the spare host first
    const sharedOnly = (vm: any) =>
      vm.$VBDs.every((vbd: string) => {
        const vdi = current(mock, current(mock, vbd)?.VDI ?? '')
        return vdi === undefined || current(mock, vdi.$SR)?.shared === true
      })
    const vm = pick(mock, 'VM', (candidate) => candidate.$pool === spare.$pool && candidate.power_state === 'Running' && sharedOnly(candidate))
    const client = await t.admin()
    if (!spare.enabled) await client.call('host.enable', { id: spare.id })
    await client.call('vm.migrate', { vm: vm.id, targetHost: spare.id })
    expect(current(mock, vm.id).$container).toBe(spare.id)

    let mark = client.mark()
    expect(await client.call('host.setMaintenanceMode', { id: spare.id, maintenance: true })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[spare.id]).toMatchObject({ enabled: false })
    // its guest went to another host, still running
    expect(changes.entered[vm.id]).toMatchObject({ power_state: 'Running' })
    expect(changes.entered[vm.id].$container).not.toBe(spare.id)

    mark = client.mark()
    expect(await client.call('host.setMaintenanceMode', { id: spare.id, maintenance: false })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[spare.id]).toMatchObject({ enabled: true })
  })

  it('host.detach ejects a host from its pool: the host and its PIFs, PBDs and control domain exit', async () => {
    const { mock } = t
    const { spare } = poolWithSpareHost()
    const pifs = objectsOf(mock, 'PIF', (pif) => pif.$host === spare.id).map((pif) => pif.id)
    const client = await t.admin()
    const mark = client.mark()
    expect(await client.call('host.detach', { id: spare.id })).toBe(true)
    const changes = await client.synced(mark)
    for (const id of [spare.id, spare.controlDomain, ...pifs, ...spare.$PBDs]) expect(changes.exited.has(id), id).toBe(true)
    // XO registers a server for the ejected host's address
    const servers = await client.call('server.getAll')
    expect(servers.some((server: any) => server.host === spare.address)).toBe(true)
  })

  it('host.forget removes a halted host', async () => {
    const { spare } = poolWithSpareHost()
    const client = await t.admin()
    // a live host cannot be forgotten
    await expect(client.call('host.forget', { id: spare.id })).rejects.toMatchObject({ message: expect.stringContaining('HOST_IS_LIVE') })
    await client.call('host.stop', { id: spare.id })
    const mark = client.mark()
    expect(await client.call('host.forget', { id: spare.id })).toBe(true)
    const changes = await client.synced(mark)
    expect(changes.exited.has(spare.id)).toBe(true)
    expect(await client.object(spare.id)).toBeUndefined()
  })

  it('host.managementReconfigure and host.setControlDomainMemory', async () => {
    const { mock } = t
    const { spare } = poolWithSpareHost()
    const pif = pick(mock, 'PIF', (candidate) => candidate.$host === spare.id && !candidate.management && candidate.physical, 'non-management PIF')
    const client = await t.admin()
    await client.call('pif.reconfigureIp', { id: pif.id, mode: 'Static', ip: '10.99.0.3', netmask: '255.255.255.0' })
    let mark = client.mark()
    expect(await client.call('host.managementReconfigure', { id: spare.id, pif: pif.id })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[pif.id]).toMatchObject({ management: true })
    expect(changes.entered[spare.id]).toMatchObject({ address: '10.99.0.3' })

    // the control domain memory needs a disabled host, which reboots
    await client.call('host.enable', { id: spare.id })
    await expect(client.call('host.setControlDomainMemory', { id: spare.id, memory: 4 * 1024 ** 3 })).rejects.toBeDefined()
    await client.call('host.disable', { id: spare.id })
    mark = client.mark()
    expect(await client.call('host.setControlDomainMemory', { id: spare.id, memory: 4 * 1024 ** 3 })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[spare.controlDomain].memory).toMatchObject({ size: 4 * 1024 ** 3 })
  })

  it('host.isHyperThreadingEnabled, host.getSchedulerGranularity, host.isHostServerTimeConsistent and host.isPubKeyTooShort', async () => {
    const { master } = poolWithSpareHost()
    const client = await t.admin()
    const mark = client.mark()
    expect(await client.call('host.isHyperThreadingEnabled', { id: master.id })).toBe(Number(master.CPUs.threads_per_core) > 1)
    expect(['cpu', 'core', 'socket']).toContain(await client.call('host.getSchedulerGranularity', { id: master.id }))
    expect(await client.call('host.isHostServerTimeConsistent', { host: master.id })).toBe(true)
    expect(await client.call('host.isPubKeyTooShort', { id: master.id })).toBe(false)
    expect((await client.synced(mark)).ids).toEqual([])
  })
})

describe('pools', () => {
  it('pool.set, pool.setDefaultSr and pool.setPoolMaster', async () => {
    const { mock } = t
    const { pool, spare } = poolWithSpareHost()
    const sr = pick(mock, 'SR', (candidate) => candidate.$pool === pool.id && candidate.shared && candidate.id !== pool.default_SR && candidate.content_type === 'user')
    const client = await t.admin()
    let mark = client.mark()
    expect(await client.call('pool.set', { id: pool.id, name_label: 'renamed pool', name_description: 'via xo-lib', auto_poweron: false, suspendSr: sr.id })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[pool.id]).toMatchObject({ name_label: 'renamed pool', name_description: 'via xo-lib', auto_poweron: false, suspendSr: sr.id })

    mark = client.mark()
    expect(await client.call('pool.setDefaultSr', { sr: sr.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[pool.id]).toMatchObject({ default_SR: sr.id })

    mark = client.mark()
    expect(await client.call('pool.setPoolMaster', { host: spare.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[pool.id]).toMatchObject({ master: spare.id })
  })

  it('pool.enableHa and pool.disableHa', async () => {
    const { mock } = t
    const { pool } = poolWithSpareHost()
    const sr = pick(mock, 'SR', (candidate) => candidate.$pool === pool.id && candidate.shared && candidate.content_type === 'user')
    const client = await t.admin()
    let mark = client.mark()
    expect(await client.call('pool.enableHa', { pool: pool.id, heartbeatSrs: [sr.id], configuration: {} })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[pool.id]).toMatchObject({ HA_enabled: true, haSrs: [sr.id] })

    mark = client.mark()
    expect(await client.call('pool.disableHa', { pool: pool.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[pool.id]).toMatchObject({ HA_enabled: false, haSrs: [] })
  })

  it('pool.rollingReboot and pool.rollingUpdate reboot every host of a pool', async () => {
    const { mock } = t
    // a pool whose hosts all run and whose guests can move (or none)
    const pool = pick(mock, 'pool', (candidate) => objectsOf(mock, 'host', (host) => host.$pool === candidate.id).every((host) => host.power_state === 'Running'))
    const hosts = objectsOf(mock, 'host', (host) => host.$pool === pool.id)
    const client = await t.admin()
    for (const method of ['pool.rollingReboot', 'pool.rollingUpdate']) {
      // the guests of a one-host pool cannot move: stop them first, as an admin would
      for (const vm of objectsOf(mock, 'VM', (candidate) => candidate.$pool === pool.id && candidate.power_state !== 'Halted')) {
        await client.call('vm.stop', { id: vm.id, force: true })
      }
      const mark = client.mark()
      expect(await client.call(method, { pool: pool.id }), method).toBe(true)
      const changes = await client.synced(mark)
      for (const host of hosts) {
        expect(changes.entered[host.id], `${method} ${host.name_label}`).toMatchObject({ power_state: 'Running', enabled: true })
        expect(changes.entered[host.id].startTime).toBeGreaterThanOrEqual(host.startTime)
      }
    }
  })

  it('pool.managementReconfigure moves every host management interface to a network', async () => {
    const { mock } = t
    const { pool } = poolWithSpareHost()
    const hosts = objectsOf(mock, 'host', (host) => host.$pool === pool.id)
    // a network with a physical PIF on every host
    const network = pick(mock, 'network', (net) => {
      const pifs = objectsOf(mock, 'PIF', (pif) => pif.$network === net.id && pif.physical && !pif.management)
      return net.$pool === pool.id && pifs.length === hosts.length
    })
    const pifs = objectsOf(mock, 'PIF', (pif) => pif.$network === network.id)
    const client = await t.admin()
    for (const [index, pif] of pifs.entries()) {
      await client.call('pif.reconfigureIp', { id: pif.id, mode: 'Static', ip: `10.98.0.${index + 10}`, netmask: '255.255.255.0' })
    }
    const mark = client.mark()
    expect(await client.call('pool.managementReconfigure', { id: pool.id, network: network.id })).toBe(true)
    const changes = await client.synced(mark)
    for (const pif of pifs) expect(changes.entered[pif.id]).toMatchObject({ management: true })
    for (const host of hosts) expect(objectsOf(mock, 'PIF', (pif) => pif.$host === host.id && pif.management).map((pif) => pif.$network)).toEqual([network.id])
  })

  it('pool.listMissingPatches and pool.listPoolsMatchingCriteria', async () => {
    const { mock } = t
    const { pool, master } = poolWithSpareHost()
    const client = await t.admin()
    const mark = client.mark()
    expect(await client.call('pool.listMissingPatches', { host: master.id })).toEqual([])
    const all = await client.call('pool.listPoolsMatchingCriteria', {})
    expect(all.map((candidate: any) => candidate.id).sort()).toEqual(objectsOf(mock, 'pool').map((candidate) => candidate.id).sort())
    const named = await client.call('pool.listPoolsMatchingCriteria', { poolNameRegExp: `^${pool.name_label}$` })
    expect(named.map((candidate: any) => candidate.id)).toEqual([pool.id])
    expect(await client.call('pool.listPoolsMatchingCriteria', { minHostCpus: 1e6 })).toEqual([])
    expect((await client.synced(mark)).ids).toEqual([])
  })
})

describe('networks and PIFs', () => {
  it('network.create, network.set and network.delete', async () => {
    const { mock } = t
    const { pool } = poolWithSpareHost()
    const hosts = objectsOf(mock, 'host', (host) => host.$pool === pool.id)
    const pif = pick(mock, 'PIF', (candidate) => candidate.$pool === pool.id && candidate.physical && !candidate.management)
    const client = await t.admin()

    let mark = client.mark()
    const id = await client.call('network.create', { pool: pool.id, name: 'VLAN 42', description: 'via xo-lib', pif: pif.id, vlan: 42, mtu: 9000 })
    let changes = await client.synced(mark)
    expect(changes.entered[id]).toMatchObject({ type: 'network', name_label: 'VLAN 42', name_description: 'via xo-lib', MTU: 9000, automatic: false, $pool: pool.id })
    // one VLAN PIF per host having a PIF on the same network
    const vlanPifs = changes.ofType('PIF')
    expect(vlanPifs.length).toBe(hosts.length)
    for (const vlanPif of vlanPifs) expect(vlanPif).toMatchObject({ $network: id, vlan: 42, device: pif.device, physical: false })
    expect(changes.entered[id].PIFs.sort()).toEqual(vlanPifs.map((p) => p.id).sort())

    mark = client.mark()
    expect(await client.call('network.set', { id, name_label: 'VLAN 42 (renamed)', automatic: true, nbd: true })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[id]).toMatchObject({ name_label: 'VLAN 42 (renamed)', automatic: true, nbd: true })

    mark = client.mark()
    expect(await client.call('network.delete', { id })).toBe(true)
    changes = await client.synced(mark)
    for (const gone of [id, ...vlanPifs.map((p) => p.id)]) expect(changes.exited.has(gone), gone).toBe(true)
  })

  it('network.createBonded and network.getBondModes', async () => {
    const { mock } = t
    const { pool } = poolWithSpareHost()
    const hosts = objectsOf(mock, 'host', (host) => host.$pool === pool.id)
    // two physical non-management networks with a PIF on every host
    const networks = objectsOf(mock, 'network', (net) => {
      const pifs = objectsOf(mock, 'PIF', (pif) => pif.$network === net.id && pif.physical && !pif.management)
      return net.$pool === pool.id && pifs.length === hosts.length
    }).slice(0, 2)
    expect(networks).toHaveLength(2)
    const pifs = networks.map((net) => pick(mock, 'PIF', (pif) => pif.$network === net.id && pif.$host === hosts[0].id).id)
    const client = await t.admin()
    expect(await client.call('network.getBondModes')).toEqual(['balance-slb', 'active-backup', 'lacp'])

    const mark = client.mark()
    const record = await client.call('network.createBonded', { pool: pool.id, name: 'bond', pifs, bondMode: 'active-backup' })
    // the raw XAPI record: the Go SDK reads `uuid`
    expect(record).toMatchObject({ uuid: expect.any(String), name_label: 'bond' })
    const changes = await client.synced(mark)
    expect(changes.entered[record.uuid]).toMatchObject({ type: 'network', name_label: 'bond' })
    const masters = changes.ofType('PIF').filter((pif) => pif.isBondMaster)
    expect(masters.length).toBe(hosts.length)
    for (const master of masters) expect(master).toMatchObject({ $network: record.uuid, attached: true })
    expect(changes.ofType('bond').length).toBe(hosts.length)
  })

  it('pif.disconnect, pif.connect, pif.reconfigureIp, pif.editPif, pif.delete and the configuration modes', async () => {
    const { mock } = t
    const pif = pick(mock, 'PIF', (candidate) => candidate.physical && !candidate.management && candidate.attached)
    const vlan = pick(mock, 'PIF', (candidate) => candidate.vlan !== -1, 'VLAN PIF')
    const client = await t.admin()
    expect(await client.call('pif.getIpv4ConfigurationModes')).toEqual(['None', 'DHCP', 'Static'])
    expect(await client.call('pif.getIpv6ConfigurationModes')).toEqual(['None', 'DHCP', 'Static', 'Autoconf'])

    let mark = client.mark()
    expect(await client.call('pif.disconnect', { id: pif.id })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[pif.id]).toMatchObject({ attached: false })

    mark = client.mark()
    expect(await client.call('pif.connect', { id: pif.id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[pif.id]).toMatchObject({ attached: true })

    mark = client.mark()
    expect(await client.call('pif.reconfigureIp', { id: pif.id, mode: 'Static', ip: '10.97.0.2', netmask: '255.255.0.0', gateway: '10.97.0.1', dns: '10.97.0.1' })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[pif.id]).toMatchObject({ mode: 'Static', ip: '10.97.0.2', netmask: '255.255.0.0', gateway: '10.97.0.1', dns: '10.97.0.1' })

    // editPif re-creates the VLAN PIFs of the network with the new tag
    const oldVlanPifs = objectsOf(mock, 'PIF', (candidate) => candidate.$network === vlan.$network).map((candidate) => candidate.id)
    mark = client.mark()
    expect(await client.call('pif.editPif', { id: vlan.id, vlan: 21 })).toBe(true)
    changes = await client.synced(mark)
    for (const id of oldVlanPifs) expect(changes.exited.has(id), id).toBe(true)
    const created = changes.ofType('PIF')
    expect(created.length).toBe(oldVlanPifs.length)
    for (const candidate of created) expect(candidate).toMatchObject({ vlan: 21, $network: vlan.$network })

    mark = client.mark()
    expect(await client.call('pif.delete', { id: created[0].id })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.exited.has(created[0].id)).toBe(true)
    // the management PIF cannot be unplugged
    const management = pick(mock, 'PIF', (candidate) => candidate.management)
    await expect(client.call('pif.disconnect', { id: management.id })).rejects.toBeDefined()
  })
})

describe('tags, messages and tasks', () => {
  it('tag.add, tag.remove, tag.set and tag.getAllConfigured', async () => {
    const { mock } = t
    const vm = pick(mock, 'VM')
    const client = await t.admin()
    let mark = client.mark()
    expect(await client.call('tag.add', { id: vm.id, tag: 'from-xo-lib' })).toBe(true)
    let changes = await client.synced(mark)
    expect(changes.entered[vm.id].tags).toEqual([...vm.tags, 'from-xo-lib'])
    // the Go SDK's tag lookup: an object filter on tags
    expect(Object.keys(await client.objects({ tags: ['from-xo-lib'] }))).toEqual([vm.id])

    mark = client.mark()
    expect(await client.call('tag.remove', { id: vm.id, tag: 'from-xo-lib' })).toBe(true)
    changes = await client.synced(mark)
    expect(changes.entered[vm.id].tags).toEqual(vm.tags)

    // tag colors are XO configuration, not objects: no notification
    mark = client.mark()
    expect(await client.call('tag.set', { id: 'from-xo-lib', color: '#AABBCC' })).toBe(true)
    expect(await client.call('tag.getAllConfigured')).toContainEqual({ id: 'from-xo-lib', color: '#AABBCC' })
    expect(await client.call('tag.set', { id: 'from-xo-lib', color: null })).toBe(true)
    expect(await client.call('tag.getAllConfigured')).not.toContainEqual(expect.objectContaining({ id: 'from-xo-lib' }))
    expect((await client.synced(mark)).ids).toEqual([])
  })

  it('message.delete', async () => {
    const message = pick(t.mock, 'message')
    const client = await t.admin()
    const mark = client.mark()
    expect(await client.call('message.delete', { id: message.id })).toBe(true)
    const changes = await client.synced(mark)
    expect([...changes.exited]).toEqual([message.id])
    await expect(client.call('message.delete', { id: message.id })).rejects.toMatchObject({ code: 1 })
  })

  it('task.cancel and task.destroy', async () => {
    const { mock } = t
    const pool = pick(mock, 'pool')
    // a pending XAPI task record (the mock keeps `task` objects on the XO side: they are not part of
    // getAllObjects nor of the notifications, see the report's known gaps)
    const task = {
      id: 'c0ffee00-0000-4000-8000-000000000001',
      uuid: 'c0ffee00-0000-4000-8000-000000000001',
      type: 'task',
      $pool: pool.id,
      $poolId: pool.id,
      _xapiRef: 'OpaqueRef:c0ffee00-0000-4000-8000-000000000001',
      name_label: 'Async.VM.export',
      name_description: '',
      status: 'pending',
      progress: 0.2,
      created: 1767225600,
      finished: 0,
    }
    mock.inventory.add(task)
    const client = await t.admin()
    expect(await client.call('task.cancel', { id: task.id })).toBe(true)
    expect(current(mock, task.id)).toMatchObject({ status: 'cancelled' })
    // only a pending task can be cancelled
    await expect(client.call('task.cancel', { id: task.id })).rejects.toMatchObject({ message: expect.stringContaining('OPERATION_NOT_ALLOWED') })
    expect(await client.call('task.destroy', { id: task.id })).toBe(true)
    expect(current(mock, task.id)).toBeUndefined()
    await expect(client.call('task.destroy', { id: task.id })).rejects.toMatchObject({ code: 1 })
  })
})
