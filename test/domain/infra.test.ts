/**
 * Infrastructure domain operations (host, pool, network, PIF, tag, message, task) and their JSON-RPC
 * adapters, on a small hand-built inventory: one pool, two hosts, two networks with a PIF per host,
 * a shared and a local SR, three VMs.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { makeContext, type MockContext } from '../../src/context.js'
import { XoApiError } from '../../src/domain/errors.js'
import * as host from '../../src/domain/host.js'
import { deleteMessage } from '../../src/domain/message.js'
import * as network from '../../src/domain/network.js'
import * as pif from '../../src/domain/pif.js'
import * as pool from '../../src/domain/pool.js'
import { XapiError } from '../../src/domain/pool.js'
import * as tag from '../../src/domain/tag.js'
import { cancelTask, destroyTask } from '../../src/domain/task.js'
import { ManualClock } from '../../src/inventory/clock.js'
import { IdGenerator } from '../../src/inventory/ids.js'
import { type Change, ObjectStore } from '../../src/inventory/store.js'
import type { UserObject, XoObject } from '../../src/inventory/types.js'
import { infraMethods } from '../../src/rpc/methods/domain-infra.js'
import { domainMethods } from '../../src/rpc/methods/domain-methods.js'
import type { RpcCall } from '../../src/rpc/types.js'

const POOL = 'pool-1'
const H1 = 'host-1'
const H2 = 'host-2'
const NET0 = 'net-mgmt'
const NET1 = 'net-data'
const NET_INTERNAL = 'net-internal'
const PIF_H1_ETH0 = 'pif-h1-eth0'
const PIF_H1_ETH1 = 'pif-h1-eth1'
const PIF_H2_ETH0 = 'pif-h2-eth0'
const PIF_H2_ETH1 = 'pif-h2-eth1'
const SR_SHARED = 'sr-shared'
const SR_LOCAL = 'sr-local-h1'
const VM1 = 'vm-web' // running on h1, disk on the shared SR
const VM2 = 'vm-db' // running on h1, disk on h1's local SR
const VM3 = 'vm-off' // halted
const DOM0_H1 = 'dom0-h1'
const DOM0_H2 = 'dom0-h2'
const ADMIN = 'user-admin'

const xapi = (id: string, type: string, props: Record<string, unknown>): XoObject => ({
  id,
  type,
  uuid: id,
  $pool: POOL,
  $poolId: POOL,
  _xapiRef: `OpaqueRef:${id}`,
  ...props,
})

const hostRecord = (id: string, name: string, address: string, dom0: string) =>
  xapi(id, 'host', {
    name_label: name,
    name_description: '',
    address,
    hostname: name,
    enabled: true,
    power_state: 'Running',
    powerOnMode: 'wake-on-lan',
    version: '8.3.0',
    rebootRequired: false,
    controlDomain: dom0,
    CPUs: { threads_per_core: '2' },
    cpus: { cores: 16, sockets: 1 },
    memory: { size: 64 * 2 ** 30, usage: 8 * 2 ** 30 },
    otherConfig: { agent_start_time: '1700000000.', boot_time: '1700000000.' },
    startTime: 1700000000,
    agentStartTime: 1700000000,
    tags: [],
    logging: {},
    residentVms: [],
    PIFs: [],
    $PIFs: [],
    $PBDs: [],
  })

const pifRecord = (id: string, hostId: string, networkId: string, device: string, management: boolean) =>
  xapi(id, 'PIF', {
    attached: true,
    isBondMaster: false,
    isBondSlave: false,
    device,
    dns: management ? '10.0.0.1' : '',
    disallowUnplug: management,
    gateway: management ? '10.0.0.1' : '',
    ip: management ? (hostId === H1 ? '10.0.0.11' : '10.0.0.12') : '',
    ipv6: [],
    mac: `02:00:00:00:${hostId === H1 ? '01' : '02'}:${device === 'eth0' ? '00' : '01'}`,
    management,
    carrier: true,
    mode: management ? 'Static' : 'None',
    ipv6Mode: 'None',
    mtu: 1500,
    netmask: management ? '255.255.255.0' : '',
    physical: true,
    primaryAddressType: 'IPv4',
    vlan: -1,
    speed: 10000,
    $host: hostId,
    $network: networkId,
  })

const networkRecord = (id: string, name: string, bridge: string, other: Record<string, string> = {}) =>
  xapi(id, 'network', {
    name_label: name,
    name_description: '',
    MTU: 1500,
    bridge,
    automatic: false,
    defaultIsLocked: false,
    current_operations: {},
    other_config: other,
    tags: [],
    PIFs: [],
    VIFs: [],
    nbd: false,
    insecureNbd: false,
  })

const vmRecord = (id: string, container: string, powerState: string, props: Record<string, unknown> = {}) =>
  xapi(id, 'VM', {
    name_label: id,
    name_description: '',
    power_state: powerState,
    $container: container,
    startTime: powerState === 'Running' ? 1700000100 : null,
    CPUs: { max: 2, number: 2 },
    memory: { dynamic: [2 ** 30, 2 * 2 ** 30], static: [2 ** 30, 2 * 2 ** 30], size: 2 * 2 ** 30 },
    blockedOperations: {},
    tags: [],
    snapshots: [],
    other: {},
    $VBDs: [],
    VIFs: [],
    ...props,
  })

function inventory(): XoObject[] {
  return [
    xapi(POOL, 'pool', {
      name_label: 'Lab',
      name_description: 'lab pool',
      master: H1,
      default_SR: SR_SHARED,
      HA_enabled: false,
      haSrs: [],
      auto_poweron: false,
      otherConfig: {},
      tags: [],
    }),
    hostRecord(H1, 'h1', '10.0.0.11', DOM0_H1),
    hostRecord(H2, 'h2', '10.0.0.12', DOM0_H2),
    networkRecord(NET0, 'Pool-wide network associated with eth0', 'xenbr0'),
    networkRecord(NET1, 'Pool-wide network associated with eth1', 'xenbr1'),
    networkRecord(NET_INTERNAL, 'Host internal management network', 'xenapi', { is_host_internal_management_network: 'true' }),
    pifRecord(PIF_H1_ETH0, H1, NET0, 'eth0', true),
    pifRecord(PIF_H1_ETH1, H1, NET1, 'eth1', false),
    pifRecord(PIF_H2_ETH0, H2, NET0, 'eth0', true),
    pifRecord(PIF_H2_ETH1, H2, NET1, 'eth1', false),
    xapi(SR_SHARED, 'SR', { name_label: 'NFS', shared: true, $container: POOL, size: 10 * 2 ** 40, physical_usage: 2 ** 40, VDIs: [], $PBDs: [], tags: [] }),
    xapi(SR_LOCAL, 'SR', { name_label: 'Local storage', shared: false, $container: H1, size: 2 ** 40, physical_usage: 0, VDIs: [], $PBDs: [], tags: [] }),
    xapi('pbd-local', 'PBD', { attached: true, host: H1, SR: SR_LOCAL }),
    xapi(DOM0_H1, 'VM-controller', { name_label: 'Control domain on host: h1', power_state: 'Running', $container: H1, $VBDs: [], VIFs: [], tags: [] }),
    xapi(DOM0_H2, 'VM-controller', { name_label: 'Control domain on host: h2', power_state: 'Running', $container: H2, $VBDs: [], VIFs: [], tags: [] }),
    vmRecord(VM1, H1, 'Running', { tags: ['web'] }),
    vmRecord(VM2, H1, 'Running'),
    vmRecord(VM3, POOL, 'Halted'),
    xapi('vdi-web', 'VDI', { name_label: 'web disk', size: 10 * 2 ** 30, $SR: SR_SHARED, $VBDs: [], tags: [] }),
    xapi('vdi-db', 'VDI', { name_label: 'db disk', size: 20 * 2 ** 30, $SR: SR_LOCAL, $VBDs: [], tags: [] }),
    xapi('vbd-web', 'VBD', { VM: VM1, VDI: 'vdi-web', attached: true, is_cd_drive: false, device: 'xvda', position: '0' }),
    xapi('vbd-db', 'VBD', { VM: VM2, VDI: 'vdi-db', attached: true, is_cd_drive: false, device: 'xvda', position: '0' }),
    xapi('vif-web', 'VIF', { $VM: VM1, $network: NET1, attached: true, device: '0', MAC: '02:aa:00:00:00:01', MTU: 1500 }),
    xapi('vif-off', 'VIF', { $VM: VM3, $network: NET1, attached: false, device: '0', MAC: '02:aa:00:00:00:03', MTU: 1500 }),
    xapi('msg-1', 'message', { name: 'VM_STARTED', body: 'started', time: 1700000000, $object: VM1 }),
    { id: ADMIN, type: 'user', email: 'admin@admin.net', name: 'admin@admin.net', permission: 'admin', groups: [], preferences: {}, password: 'admin' },
  ]
}

let ctx: MockContext
let changes: Change[]
let clock: ManualClock

beforeEach(() => {
  const store = new ObjectStore()
  store.replaceAll(inventory(), { deriveBackReferences: true })
  clock = new ManualClock()
  ctx = makeContext({ store, clock, ids: new IdGenerator('t') })
  changes = []
  store.subscribe((change) => changes.push(change))
})

const get = (id: string) => ctx.store.get(id) as Record<string, any>
const nowS = () => Math.floor(clock.now() / 1000)

/** Runs `fn` and returns the error it throws. */
function thrown(fn: () => unknown): any {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

function rpc(method: string, params: Record<string, unknown>, objects: Record<string, string> = {}, user?: UserObject): unknown {
  const handler = domainMethods[method]
  if (handler === undefined) throw new Error(`no handler for ${method}`)
  const call = {
    ctx,
    method,
    params,
    objects: Object.fromEntries(Object.entries(objects).map(([key, id]) => [key, ctx.store.get(id)!])),
    user: user ?? (ctx.store.get(ADMIN) as UserObject),
    connection: { id: 'c1', remoteAddress: '127.0.0.1', userId: ADMIN, tokenExpiration: undefined },
  } as unknown as RpcCall
  return handler(call)
}

describe('inventory invariants', () => {
  it('derives the back-references used by the operations', () => {
    expect(get(H1).residentVms).toEqual([DOM0_H1, VM1, VM2])
    expect(get(NET1).PIFs).toEqual([PIF_H1_ETH1, PIF_H2_ETH1])
    expect(get(NET1).VIFs).toEqual(['vif-web', 'vif-off'])
  })
})

describe('host', () => {
  it('enable / disable flip `enabled` through the store', () => {
    host.disableHost(ctx, H2)
    expect(get(H2).enabled).toBe(false)
    expect(changes).toEqual([expect.objectContaining({ kind: 'update', id: H2 })])
    host.enableHost(ctx, H2)
    expect(get(H2).enabled).toBe(true)
  })

  it('fails with HOST_OFFLINE on a halted host, mapped to code 18 by the adapter', () => {
    ctx.store.update(H2, { power_state: 'Halted' })
    const error = thrown(() => host.enableHost(ctx, H2))
    expect(error).toBeInstanceOf(XapiError)
    expect(error).toMatchObject({ code: 'HOST_OFFLINE', params: [`OpaqueRef:${H2}`], message: `HOST_OFFLINE(OpaqueRef:${H2})` })
    expect(thrown(() => rpc('host.enable', { id: H2 }, { host: H2 }))).toMatchObject({ code: 18, message: 'host offline', data: { objectId: H2 } })
  })

  it('restart evacuates movable VMs and refuses (re-enabled) when one is on a local SR', () => {
    const error = thrown(() => host.restartHost(ctx, H1))
    expect(error).toMatchObject({ code: 'VM_REQUIRES_SR', params: [`OpaqueRef:${VM2}`, `OpaqueRef:${SR_LOCAL}`] })
    expect(get(H1).enabled).toBe(true)
    expect(get(VM1).$container).toBe(H1) // atomic: nothing moved

    ctx.store.update('vdi-db', { $SR: SR_SHARED })
    clock.advance(60_000)
    host.restartHost(ctx, H1)
    expect(get(VM1)).toMatchObject({ $container: H2, power_state: 'Running' })
    expect(get(VM2)).toMatchObject({ $container: H2, power_state: 'Running' })
    expect(get(H1)).toMatchObject({ enabled: true, power_state: 'Running', startTime: nowS(), agentStartTime: nowS() })
    expect(get(H1).residentVms).toEqual([DOM0_H1])
    expect(get(H2).residentVms).toEqual([DOM0_H2, VM1, VM2])
    expect(get(H1).otherConfig.agent_start_time).toBe(`${nowS()}.`)
  })

  it('restart without another enabled host: NO_HOSTS_AVAILABLE (code 7); force still fails with HOST_IN_USE', () => {
    ctx.store.update('vdi-db', { $SR: SR_SHARED })
    host.disableHost(ctx, H2)
    expect(thrown(() => rpc('host.restart', { id: H1, suspendResidentVms: false }, { host: H1 }))).toMatchObject({
      code: 7,
      message: 'no hosts available',
    })
    expect(get(H1).enabled).toBe(true)
    const error = thrown(() => host.restartHost(ctx, H1, { force: true }))
    expect(error).toMatchObject({ code: 'HOST_IN_USE', params: [`OpaqueRef:${H1}`, 'vm', `OpaqueRef:${VM1}`] })
    expect(get(H1).enabled).toBe(false) // as XAPI: the host stays disabled
  })

  it('smart reboot suspends the resident VMs, reboots and resumes them in place', () => {
    host.restartHost(ctx, H1, { suspendResidentVms: true })
    expect(get(VM1)).toMatchObject({ power_state: 'Running', $container: H1 })
    const states = changes.filter((change) => change.id === VM1).map((change) => change.object.power_state)
    expect(states).toEqual(['Suspended', 'Running'])
    expect(get('vbd-web').attached).toBe(true)
  })

  it('smart reboot refuses VMs whose suspension is blocked (code 25) unless bypassed', () => {
    ctx.store.update(VM2, { blockedOperations: { suspend: 'true' } })
    const error = thrown(() => host.restartHost(ctx, H1, { suspendResidentVms: true }))
    expect(error).toBeInstanceOf(XoApiError)
    expect(error).toMatchObject({ code: 25, data: { actual: [VM2], expected: [], object: 'suspendBlocked' } })
    expect(get(H1).enabled).toBe(true)
    host.restartHost(ctx, H1, { suspendResidentVms: true, bypassBlockedSuspend: true })
    expect(get(VM2).power_state).toBe('Running')
  })

  it('restart of a slave waits for its master when an upgrade is pending (code 25)', () => {
    ctx.store.update(H2, { rebootRequired: true, version: '8.3.0' })
    ctx.store.update(H1, { rebootRequired: true })
    expect(thrown(() => host.restartHost(ctx, H2))).toMatchObject({
      code: 25,
      data: { actual: true, expected: false, object: H1, property: 'rebootRequired' },
    })
    host.restartHost(ctx, H2, { bypassVersionCheck: true })
    expect(get(H2).rebootRequired).toBe(false)
  })

  it('the backup guard refuses operations while a backup job runs on the pool (code 5)', () => {
    ctx.store.add({ id: 'job-1', type: 'job', runId: 'run-1', vms: { id: VM1 } }) // jobType defaults to backup
    expect(thrown(() => host.restartHost(ctx, H2))).toMatchObject({
      code: 5,
      message: 'forbidden operation: Backup is running',
      data: { operation: 'Backup is running', reason: `A backup is running on the pool: ${POOL}` },
    })
    host.restartHost(ctx, H2, { bypassBackupCheck: true })
    ctx.store.update('job-1', { vms: { type: 'VM' } })
    expect(thrown(() => host.restartHostAgent(ctx, H2))).toMatchObject({ code: 5, data: { operation: 'May have running backup' } })
    ctx.store.update('job-1', { vms: { $pool: { __not: { __or: [POOL] } } } })
    host.restartHostAgent(ctx, H2)
  })

  it('stop evacuates then halts the host; start powers it on', () => {
    ctx.store.update('vdi-db', { $SR: SR_SHARED })
    host.stopHost(ctx, H1)
    expect(get(H1)).toMatchObject({ power_state: 'Halted', enabled: false })
    expect(get(VM1).$container).toBe(H2)
    expect(thrown(() => host.stopHost(ctx, H1))).toMatchObject({ code: 'HOST_OFFLINE' })
    clock.advance(1000)
    host.startHost(ctx, H1)
    expect(get(H1)).toMatchObject({ power_state: 'Running', enabled: true, startTime: nowS() })
    expect(thrown(() => host.startHost(ctx, H1))).toMatchObject({ code: 'HOST_IS_LIVE' })
  })

  it('stop with bypassEvacuate leaves the running VMs and fails with HOST_IN_USE', () => {
    expect(thrown(() => host.stopHost(ctx, H1, { bypassEvacuate: true }))).toMatchObject({ code: 'HOST_IN_USE' })
    expect(get(H1).power_state).toBe('Running')
  })

  it('start needs a power-on mode', () => {
    ctx.store.update(H2, { power_state: 'Halted', powerOnMode: '' })
    expect(thrown(() => host.startHost(ctx, H2))).toMatchObject({ code: 'HOST_POWER_ON_MODE_DISABLED', params: [] })
  })

  it('emergencyShutdownHost suspends the resident VMs and halts the host', () => {
    host.emergencyShutdownHost(ctx, H1)
    expect(get(VM1)).toMatchObject({ power_state: 'Suspended', $container: POOL, startTime: null })
    expect(get(VM2).power_state).toBe('Suspended')
    expect(get(H1)).toMatchObject({ power_state: 'Halted', enabled: false })
    expect(get('vbd-web').attached).toBe(false)
  })

  it('maintenance mode disables and evacuates, and back', () => {
    ctx.store.update('vdi-db', { $SR: SR_SHARED })
    host.setHostMaintenanceMode(ctx, H1, true)
    expect(get(H1).enabled).toBe(false)
    expect(get(H1).residentVms).toEqual([DOM0_H1])
    host.setHostMaintenanceMode(ctx, H1, false)
    expect(get(H1).enabled).toBe(true)
  })

  it('set: name, description, iSCSI IQN and multipathing', () => {
    host.setHost(ctx, H1, { name_label: 'h1 renamed', name_description: 'desc', iscsiIqn: 'iqn.2026-01.lab:h1', multipathing: true })
    expect(get(H1)).toMatchObject({ name_label: 'h1 renamed', name_description: 'desc', iscsiIqn: 'iqn.2026-01.lab:h1', multipathing: true })
    expect(get(H1).otherConfig).toMatchObject({ iscsi_iqn: 'iqn.2026-01.lab:h1', multipathing: 'true', multipathhandle: 'dmp' })
    host.setHost(ctx, H1, { iscsiIqn: '' })
    expect(get(H1).otherConfig.iscsi_iqn).toBeUndefined()
  })

  it('restartAgent moves agentStartTime', () => {
    clock.advance(5000)
    host.restartHostAgent(ctx, H2)
    expect(get(H2).agentStartTime).toBe(nowS())
  })

  it('forget: only a halted non-master host; its PIFs and control domain leave with it', () => {
    expect(thrown(() => host.forgetHost(ctx, H1))).toMatchObject({ code: 'HOST_CANNOT_DESTROY_SELF' })
    expect(thrown(() => host.forgetHost(ctx, H2))).toMatchObject({ code: 'HOST_IS_LIVE' })
    ctx.store.update(H2, { power_state: 'Halted' })
    host.forgetHost(ctx, H2)
    for (const id of [H2, PIF_H2_ETH0, PIF_H2_ETH1, DOM0_H2]) expect(ctx.store.has(id)).toBe(false)
    expect(get(NET0).PIFs).toEqual([PIF_H1_ETH0])
  })

  it('detach: ejects a slave and registers a (disconnected) server for its address', () => {
    ctx.store.add({ id: 'srv-1', type: 'server', host: '10.0.0.11', username: 'root', password: 'pw', enabled: true, readOnly: false, allowUnauthorized: true, status: 'connected', poolId: POOL })
    expect(thrown(() => host.detachHost(ctx, H1))).toMatchObject({ code: 'OPERATION_NOT_ALLOWED' })
    host.detachHost(ctx, H2)
    expect(ctx.store.has(H2)).toBe(false)
    const servers = [...ctx.store.ofType('server')]
    expect(servers).toHaveLength(2)
    expect(servers[1]).toMatchObject({ host: '10.0.0.12', username: 'root', password: 'pw', status: 'disconnected', enabled: true })
  })

  it('managementReconfigure moves the management role and the host address', () => {
    expect(thrown(() => host.managementReconfigureHost(ctx, H1, PIF_H1_ETH1))).toMatchObject({ code: 'PIF_HAS_NO_NETWORK_CONFIGURATION' })
    pif.reconfigurePifIp(ctx, PIF_H1_ETH1, { mode: 'Static', ip: '192.168.1.11', netmask: '255.255.255.0' })
    host.managementReconfigureHost(ctx, H1, PIF_H1_ETH1)
    expect(get(PIF_H1_ETH1).management).toBe(true)
    expect(get(PIF_H1_ETH0).management).toBe(false)
    expect(get(H1).address).toBe('192.168.1.11')
  })

  it('getters', () => {
    expect(host.isHyperThreadingEnabled(ctx, H1)).toBe(true)
    expect(host.getSchedulerGranularity(ctx, H1)).toBe('cpu')
    host.setSchedulerGranularity(ctx, H1, 'core')
    expect(rpc('host.getSchedulerGranularity', { id: H1 }, { host: H1 })).toBe('core')
    host.setRemoteSyslogHost(ctx, H1, 'syslog.lab')
    expect(get(H1).logging).toEqual({ syslog_destination: 'syslog.lab' })
  })

  it('unknown ids give XO code 1 with the type', () => {
    expect(thrown(() => host.enableHost(ctx, 'nope'))).toMatchObject({ code: 1, message: 'no such host nope', data: { id: 'nope', type: 'host' } })
    expect(thrown(() => host.enableHost(ctx, VM1))).toMatchObject({ code: 1, data: { id: VM1, type: 'host' } })
  })
})

describe('pool', () => {
  it('set: names, auto_poweron, networks in other_config, SRs (null unsets)', () => {
    pool.setPool(ctx, POOL, {
      name_label: 'Prod',
      name_description: 'd',
      auto_poweron: true,
      migrationNetwork: NET1,
      backupNetwork: NET1,
      suspendSr: SR_SHARED,
      crashDumpSr: SR_LOCAL,
      migrationCompression: true,
    })
    expect(get(POOL)).toMatchObject({ name_label: 'Prod', name_description: 'd', auto_poweron: true, suspendSr: SR_SHARED, crashDumpSr: SR_LOCAL, migrationCompression: true })
    expect(get(POOL).otherConfig).toEqual({ auto_poweron: 'true', 'xo:migrationNetwork': NET1, 'xo:backupNetwork': NET1 })
    pool.setPool(ctx, POOL, { suspendSr: null, backupNetwork: null })
    expect(get(POOL).suspendSr).toBeUndefined()
    expect(get(POOL).otherConfig['xo:backupNetwork']).toBeUndefined()
    expect(thrown(() => pool.setPool(ctx, POOL, { suspendSr: 'nope' }))).toMatchObject({ code: 1, data: { type: 'SR' } })
  })

  it('setDefaultSr / setPoolMaster', () => {
    pool.setDefaultSr(ctx, SR_LOCAL)
    expect(get(POOL).default_SR).toBe(SR_LOCAL)
    rpc('pool.setPoolMaster', { host: H2 }, { host: H2 })
    expect(get(POOL).master).toBe(H2)
    ctx.store.update(H1, { power_state: 'Halted' })
    expect(thrown(() => rpc('pool.setPoolMaster', { host: H1 }, { host: H1 }))).toMatchObject({ code: 18 })
  })

  it('HA enable / disable', () => {
    pool.enableHa(ctx, POOL, [SR_SHARED])
    expect(get(POOL)).toMatchObject({ HA_enabled: true, haSrs: [SR_SHARED] })
    expect(thrown(() => pool.enableHa(ctx, POOL, [SR_SHARED]))).toMatchObject({ code: 'HA_IS_ENABLED' })
    pool.disableHa(ctx, POOL)
    expect(get(POOL)).toMatchObject({ HA_enabled: false, haSrs: [] })
    expect(thrown(() => pool.disableHa(ctx, POOL))).toMatchObject({ code: 'HA_NOT_ENABLED' })
  })

  it('rolling reboot reboots every host and puts the VMs back', () => {
    ctx.store.update('vdi-db', { $SR: SR_SHARED })
    pool.enableHa(ctx, POOL, [SR_SHARED])
    clock.advance(10_000)
    pool.rollingReboot(ctx, POOL)
    expect(get(H1).startTime).toBe(nowS())
    expect(get(H2).startTime).toBe(nowS())
    expect(get(VM1).$container).toBe(H1)
    expect(get(VM2).$container).toBe(H1)
    expect(get(POOL)).toMatchObject({ HA_enabled: true, haSrs: [SR_SHARED] })
  })

  it('rolling reboot checks every host first', () => {
    expect(thrown(() => pool.rollingReboot(ctx, POOL))).toMatchObject({ code: 'VM_REQUIRES_SR' })
    expect(changes).toEqual([])
    ctx.store.update(H2, { power_state: 'Halted' })
    expect(thrown(() => pool.rollingReboot(ctx, POOL))).toMatchObject({
      code: 25,
      data: { actual: 'Halted', expected: 'Running', object: H2, property: 'power_state' },
    })
  })

  it('emergency shutdown suspends every VM and halts every host', () => {
    pool.emergencyShutdown(ctx, POOL)
    expect(get(VM1).power_state).toBe('Suspended')
    expect(get(H1)).toMatchObject({ power_state: 'Halted', enabled: false })
    expect(get(H2)).toMatchObject({ power_state: 'Halted', enabled: false })
    const order = changes.filter((c) => c.type === 'host' && c.object.power_state === 'Halted').map((c) => c.id)
    expect(order).toEqual([H2, H1])
  })

  it('management reconfigure on every host; listPoolsMatchingCriteria', () => {
    expect(thrown(() => pool.managementReconfigurePool(ctx, POOL, NET1))).toMatchObject({ code: 'PIF_HAS_NO_NETWORK_CONFIGURATION' })
    pool.managementReconfigurePool(ctx, POOL, NET0)
    expect(pool.listPoolsMatchingCriteria(ctx, { minHostCpus: 8, poolNameRegExp: '^La' }).map((p) => p.id)).toEqual([POOL])
    expect(pool.listPoolsMatchingCriteria(ctx, { minHostVersion: '8.4' })).toEqual([])
  })
})

describe('network', () => {
  it('create: defaults, bridge, no PIF', () => {
    const id = rpc('network.create', { pool: POOL, name: 'new' }, { pool: POOL }) as string
    expect(get(id)).toMatchObject({
      type: 'network',
      name_label: 'new',
      name_description: 'Created with Xen Orchestra',
      MTU: 1500,
      bridge: 'xapi0',
      automatic: false,
      other_config: { automatic: 'false' },
      PIFs: [],
      VIFs: [],
      nbd: false,
      $pool: POOL,
    })
    expect(get(id).uuid).toBe(id)
    expect(get(id)._xapiRef).toMatch(/^OpaqueRef:/)
    expect(changes.map((c) => [c.kind, c.id])).toEqual([['add', id]])
  })

  it('create with a VLAN: a VLAN PIF per host, plugged; duplicate VLAN → code 16', () => {
    const created = network.createNetwork(ctx, POOL, { name: 'vlan 42', pif: PIF_H1_ETH1, vlan: 42, mtu: 9000, nbd: true })
    expect(created.PIFs).toHaveLength(2)
    const pifs = created.PIFs.map((id) => get(id))
    expect(pifs.map((p) => [p.$host, p.device, p.vlan, p.physical, p.attached, p.mtu])).toEqual([
      [H1, 'eth1', 42, false, true, 9000],
      [H2, 'eth1', 42, false, true, 9000],
    ])
    expect(get(H1).PIFs).toContain(pifs[0]!.id)
    expect(created.nbd).toBe(true)
    const count = ctx.store.count('network')
    expect(thrown(() => rpc('network.create', { pool: POOL, name: 'again', pif: PIF_H2_ETH1, vlan: 42 }, { pool: POOL }))).toMatchObject({
      code: 16,
      message: 'PIF already exists',
      data: { objectId: pifs[0]!.id, objectType: 'PIF' },
    })
    expect(ctx.store.count('network')).toBe(count) // nothing created
    expect(thrown(() => network.createNetwork(ctx, POOL, { name: 'bad', pif: PIF_H1_ETH1, vlan: 5000 }))).toMatchObject({ code: 'VLAN_TAG_INVALID' })
  })

  it('createBonded bonds the PIFs host by host and returns the raw XAPI record', () => {
    const record = rpc('network.createBonded', { pool: POOL, name: 'bond', pifs: [PIF_H1_ETH0, PIF_H1_ETH1], bondMode: 'active-backup' }, { pool: POOL }) as any
    expect(record).toMatchObject({ name_label: 'bond', name_description: 'Created with Xen Orchestra', MTU: 1500, managed: true, PIFs: [], VIFs: [] })
    const net = get(record.uuid)
    expect(net.PIFs).toHaveLength(2)
    const masters = net.PIFs.map((id: string) => get(id))
    expect(masters[0]).toMatchObject({ $host: H1, device: 'bond0', isBondMaster: true, attached: true, management: true, ip: '10.0.0.11', bondSlaves: [PIF_H1_ETH0, PIF_H1_ETH1] })
    expect(get(PIF_H1_ETH0)).toMatchObject({ isBondSlave: true, bondMaster: masters[0].id, attached: false, management: false })
    const bonds = [...ctx.store.ofType('bond')]
    expect(bonds.map((b) => [b.master, b.mode])).toEqual([
      [masters[0].id, 'active-backup'],
      [masters[1].id, 'active-backup'],
    ])
    expect(thrown(() => network.createBondedNetwork(ctx, POOL, { name: 'x', pifs: [PIF_H1_ETH0], bondMode: 'lacp' }))).toMatchObject({ code: 'PIF_BOND_NEEDS_MORE_MEMBERS' })

    // deleting the bonded network destroys the bonds and gives the slaves back
    network.deleteNetwork(ctx, net.id)
    expect(ctx.store.has(net.id)).toBe(false)
    expect(ctx.store.count('bond')).toBe(0)
    expect(get(PIF_H1_ETH0)).toMatchObject({ isBondSlave: false, attached: true, management: true, ip: '10.0.0.11' })
    expect(get(PIF_H1_ETH0).bondMaster).toBeUndefined()
  })

  it('delete: attached VIFs → NETWORK_CONTAINS_VIF; physical PIFs → NETWORK_CONTAINS_PIF; system network refused', () => {
    const error = thrown(() => rpc('network.delete', { id: NET1 }, { network: NET1 }))
    expect(error).toBeInstanceOf(XapiError)
    expect(error).toMatchObject({ code: 'NETWORK_CONTAINS_VIF', params: ['OpaqueRef:vif-web'] })
    ctx.store.update('vif-web', { attached: false })
    expect(thrown(() => network.deleteNetwork(ctx, NET1))).toMatchObject({ code: 'NETWORK_CONTAINS_PIF', params: [`OpaqueRef:${PIF_H1_ETH1}`, `OpaqueRef:${PIF_H2_ETH1}`] })
    expect(thrown(() => network.deleteNetwork(ctx, NET_INTERNAL))).toMatchObject({ code: 'CANNOT_DESTROY_SYSTEM_NETWORK' })
  })

  it('delete a VLAN network: VLAN PIFs and detached VIFs go with it', () => {
    const created = network.createNetwork(ctx, POOL, { name: 'vlan', pif: PIF_H1_ETH1, vlan: 7 })
    ctx.store.update('vif-off', { $network: created.id })
    changes.length = 0
    rpc('network.delete', { id: created.id }, { network: created.id })
    expect(ctx.store.has(created.id)).toBe(false)
    expect(ctx.store.has('vif-off')).toBe(false)
    expect(get(VM3).VIFs).toEqual([])
    expect(changes.filter((c) => c.kind === 'remove').map((c) => c.type)).toEqual(['PIF', 'PIF', 'VIF', 'network'])
  })

  it('set: MTU propagates to plugged PIFs and running VIFs; automatic and nbd', () => {
    network.setNetwork(ctx, NET1, { mtu: 9000, automatic: true, nbd: true, defaultIsLocked: true, name_label: 'data' })
    expect(get(NET1)).toMatchObject({ MTU: 9000, automatic: true, nbd: true, insecureNbd: false, defaultIsLocked: true, name_label: 'data' })
    expect(get(NET1).other_config).toEqual({ automatic: 'true' })
    expect(get(PIF_H1_ETH1).mtu).toBe(9000)
    expect(get('vif-web').MTU).toBe(9000)
    expect(get('vif-off').MTU).toBe(1500)
    network.setNetwork(ctx, NET1, { automatic: false })
    expect(get(NET1).other_config).toEqual({})
  })
})

describe('PIF', () => {
  it('connect / disconnect, with XAPI refusals', () => {
    pif.disconnectPif(ctx, PIF_H1_ETH1)
    expect(get(PIF_H1_ETH1).attached).toBe(false)
    pif.connectPif(ctx, PIF_H1_ETH1)
    expect(get(PIF_H1_ETH1).attached).toBe(true)
    expect(thrown(() => pif.disconnectPif(ctx, PIF_H1_ETH0))).toMatchObject({ code: 'PIF_IS_MANAGEMENT_INTERFACE' })
  })

  it('delete refuses the management PIF and a PIF under a VLAN', () => {
    expect(thrown(() => pif.deletePif(ctx, PIF_H1_ETH0))).toMatchObject({ code: 'PIF_IS_MANAGEMENT_INTERFACE' })
    const vlan = network.createNetwork(ctx, POOL, { name: 'v', pif: PIF_H1_ETH1, vlan: 3 })
    expect(thrown(() => pif.deletePif(ctx, PIF_H1_ETH1))).toMatchObject({ code: 'PIF_VLAN_STILL_EXISTS' })
    pif.deletePif(ctx, vlan.PIFs[0]!)
    expect(get(vlan.id).PIFs).toHaveLength(1)
  })

  it('reconfigureIp: IPv4 when the mode changes, IPv6 when address or mode changes', () => {
    rpc('pif.reconfigureIp', { id: PIF_H2_ETH1, mode: 'Static', ip: '192.168.0.2', netmask: '255.255.255.0', gateway: '192.168.0.1', dns: '1.1.1.1', ipv6: '' }, { pif: PIF_H2_ETH1 })
    expect(get(PIF_H2_ETH1)).toMatchObject({ mode: 'Static', ip: '192.168.0.2', netmask: '255.255.255.0', gateway: '192.168.0.1', dns: '1.1.1.1' })
    pif.reconfigurePifIp(ctx, PIF_H2_ETH1, { mode: 'Static', ip: '192.168.0.3', netmask: '255.255.255.0' })
    expect(get(PIF_H2_ETH1).ip).toBe('192.168.0.2') // same mode: unchanged, as XO
    pif.reconfigurePifIp(ctx, PIF_H2_ETH1, { ipv6: 'fd00::2/64', ipv6Mode: 'Static' })
    expect(get(PIF_H2_ETH1)).toMatchObject({ ipv6Mode: 'Static', ipv6: ['fd00::2/64'] })
    expect(thrown(() => pif.reconfigurePifIp(ctx, PIF_H1_ETH1, { mode: 'Static' }))).toMatchObject({ code: 'INVALID_IP_ADDRESS_SPECIFIED' })
  })

  it('editPif re-creates the VLAN PIFs of the network with the new tag', () => {
    const vlan = network.createNetwork(ctx, POOL, { name: 'v', pif: PIF_H1_ETH1, vlan: 10 })
    const [first, second] = vlan.PIFs
    pif.disconnectPif(ctx, second!)
    const created = pif.editPif(ctx, first!, '20')
    expect(ctx.store.has(first!)).toBe(false)
    expect(created.map((p) => [p.$host, p.vlan, p.attached])).toEqual([
      [H1, 20, true],
      [H2, 20, false],
    ])
    expect(get(vlan.id).PIFs).toEqual(created.map((p) => p.id))
  })

  it('configuration modes', () => {
    expect(rpc('pif.getIpv4ConfigurationModes', {})).toEqual(['None', 'DHCP', 'Static'])
    expect(rpc('pif.getIpv6ConfigurationModes', {})).toEqual(['None', 'DHCP', 'Static', 'Autoconf'])
    expect(rpc('network.getBondModes', {})).toEqual(['balance-slb', 'active-backup', 'lacp'])
  })
})

describe('tags, messages, tasks', () => {
  it('tag.add / tag.remove with set semantics, one update each', () => {
    expect(rpc('tag.add', { id: VM1, tag: 'prod' }, { object: VM1 })).toBeUndefined()
    tag.addTag(ctx, VM1, 'prod')
    expect(get(VM1).tags).toEqual(['web', 'prod'])
    tag.removeTag(ctx, VM1, 'web')
    tag.removeTag(ctx, VM1, 'missing')
    expect(get(VM1).tags).toEqual(['prod'])
    expect(changes.filter((c) => c.id === VM1)).toHaveLength(2)
    expect(tag.getAllUsedTags(ctx)).toEqual(['prod'])
  })

  it('tags on objects without tags / unknown objects', () => {
    expect(thrown(() => tag.addTag(ctx, 'vbd-web', 'x'))).toMatchObject({ message: 'VBD objects have no tags' })
    expect(thrown(() => tag.addTag(ctx, ADMIN, 'x'))).toMatchObject({ code: 1, message: `no such object ${ADMIN}` })
  })

  it('tag configurations: colors, short hex, removal', () => {
    tag.setTagConfig(ctx, 'prod', { color: '#abc' })
    rpc('tag.set', { id: 'web', color: '#123456' })
    expect(rpc('tag.getAllConfigured', {})).toEqual([
      { id: 'prod', color: '#aabbcc' },
      { id: 'web', color: '#123456' },
    ])
    tag.setTagConfig(ctx, 'prod', { color: null })
    expect(tag.getAllConfiguredTags(ctx)).toEqual([{ id: 'web', color: '#123456' }])
    expect(thrown(() => tag.setTagConfig(ctx, 'x', { color: 'red' }))).toMatchObject({ code: 10, message: 'the color must be in hexadecimal format', data: {} })
  })

  it('message.delete removes the message', () => {
    rpc('message.delete', { id: 'msg-1' }, { message: 'msg-1' })
    expect(ctx.store.has('msg-1')).toBe(false)
    expect(changes).toEqual([expect.objectContaining({ kind: 'remove', id: 'msg-1' })])
    expect(thrown(() => deleteMessage(ctx, 'msg-1'))).toMatchObject({ code: 1, data: { type: 'message' } })
  })

  it('task.cancel aborts a pending XO task; task.destroy removes it', () => {
    ctx.store.add({ id: 'task-1', type: 'task', properties: { name: 'x' }, start: 1, status: 'pending', updatedAt: 1 })
    clock.advance(10)
    rpc('task.cancel', { id: 'task-1' }, { task: 'task-1' })
    expect(get('task-1')).toMatchObject({ status: 'aborted', end: clock.now(), abortionRequestedAt: clock.now(), result: { name: 'AbortError' } })
    expect(thrown(() => cancelTask(ctx, 'task-1'))).toMatchObject({ code: 'OPERATION_NOT_ALLOWED' })
    destroyTask(ctx, 'task-1')
    expect(ctx.store.has('task-1')).toBe(false)
  })

  it('task.cancel on a XAPI task record', () => {
    ctx.store.add({ id: 'xtask', type: 'task', name_label: 'Async.VM.start', status: 'pending', progress: 0.5 })
    cancelTask(ctx, 'xtask')
    expect(get('xtask').status).toBe('cancelled')
  })
})

describe('adapters', () => {
  it('expose the declared methods of the infrastructure namespaces', () => {
    const names = Object.keys(infraMethods)
    expect(names.length).toBeGreaterThanOrEqual(60)
    for (const name of names) expect(name).toMatch(/^(host|pool|network|pif|tag|message|task|user|group|acl|server|cloudConfig|resourceSet|schedule|job|remote)\./)
  })

  it('return undefined (→ true) for void operations', () => {
    expect(rpc('host.disable', { id: H2 }, { host: H2 })).toBeUndefined()
    expect(rpc('host.set', { id: H2, name_label: 'x' }, { host: H2 })).toBeUndefined()
    expect(rpc('pool.set', { id: POOL, name_label: 'P', suspendSr: SR_SHARED }, { pool: POOL, suspendSr: SR_SHARED })).toBeUndefined()
    expect(get(POOL)).toMatchObject({ name_label: 'P', suspendSr: SR_SHARED })
    rpc('pool.set', { id: POOL, suspendSr: null }, { pool: POOL })
    expect(get(POOL).suspendSr).toBeUndefined()
  })

  it('leave unmapped XAPI errors as plain errors (admins see the message)', () => {
    const error = thrown(() => rpc('pif.disconnect', { id: PIF_H1_ETH0 }, { pif: PIF_H1_ETH0 }))
    expect(error).toBeInstanceOf(XapiError)
    expect(error).not.toBeInstanceOf(XoApiError)
    expect(error.message).toBe(`PIF_IS_MANAGEMENT_INTERFACE(OpaqueRef:${PIF_H1_ETH0})`)
  })
})
