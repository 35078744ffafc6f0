/**
 * Operations that copy or move a whole VM (`api/vm.mjs` snapshot/revert/clone/copy/copyToTemplate/
 * convertToTemplate/migrate, `@xen-orchestra/xapi/vm.mjs` snapshot, `xapi/index.mjs` clone/copy/
 * migrate): VM-snapshots with their VDI-snapshots, fast clones, full copies to an SR (of any pool),
 * templates, live migration with or without storage motion.
 */
import { revertVdiContent } from './disk-content.js'
import type { MockContext } from '../context.js'
import type { PowerState } from '../inventory/types.js'
import { hostOffline, PlainError } from './errors.js'
import { buildVbd, buildVdi, buildVif, buildVmCopy, buildVmSnapshot, templateFields, type NewObject } from './factories.js'
import { assertNotBlocked, assertPowerState, isResident, powerStateOf, runOperation } from './power.js'
import { adjustSrUsage, isSrReachableFrom } from './sr.js'
import { copyVdi, relocateVdi, snapshotVdi } from './vdi.js'
import {
  asNumber,
  asRecord,
  asString,
  findObject,
  getObject,
  hiddenState,
  isoNow,
  num,
  objectsOf,
  type Obj,
  str,
  vbdsOf,
  vifsOf,
} from './vm-common.js'
import { placeVm, resumeVm, startVm } from './vm-lifecycle.js'

// ---------------------------------------------------------------------------------------------
// Devices of copies

interface CopyDevicesOptions {
  /** Fast clone of the VDIs (same SR) instead of full copies. */
  readonly fast: boolean
  /** SR of every copied VDI (full copies only); their own SR otherwise. */
  readonly srId?: string
  /** Target pool when copying to another pool (CD drives are emptied, VIFs matched by network name). */
  readonly poolId?: string
}

/** Copies the VBDs (cloning or copying their VDIs) and VIFs (new MACs) of `source` to `target`. */
function copyDevices(ctx: MockContext, source: Obj, target: NewObject, options: CopyDevicesOptions): void {
  const crossPool = options.poolId !== undefined && options.poolId !== source.$pool
  for (const vbd of vbdsOf(ctx, source)) {
    const vdi = findObject(ctx, vbd.VDI)
    let vdiId: string | undefined
    if (vdi !== undefined) {
      if (vbd.is_cd_drive === true) vdiId = crossPool ? undefined : vdi.id
      else vdiId = copyVdi(ctx, vdi.id, { fast: options.fast, srId: options.srId })
    }
    ctx.store.add(
      buildVbd(ctx, {
        vm: target,
        vdi: vdiId,
        userdevice: str(vbd, 'position') ?? '0',
        bootable: vbd.bootable === true,
        cd: vbd.is_cd_drive === true,
        readOnly: vbd.read_only === true,
      }),
    )
  }
  for (const vif of vifsOf(ctx, source)) {
    let network = findObject(ctx, vif.$network)
    if (crossPool) {
      const name = network?.name_label
      network = [...ctx.store.ofType('network')].find((candidate) => candidate.$pool === options.poolId && candidate.name_label === name)
    }
    if (network === undefined) continue
    ctx.store.add(
      buildVif(ctx, {
        vm: target,
        network,
        device: str(vif, 'device') ?? '0',
        mac: ctx.ids.mac(),
        mtu: num(vif, 'MTU', 1500),
        lockingMode: str(vif, 'lockingMode'),
        allowedIpv4Addresses: crossPool ? [] : (vif.allowedIpv4Addresses as string[] | undefined),
        allowedIpv6Addresses: crossPool ? [] : (vif.allowedIpv6Addresses as string[] | undefined),
      }),
    )
  }
}

// ---------------------------------------------------------------------------------------------
// Snapshots

export interface SnapshotVmOptions {
  /** Name of the snapshot; `<name_label>_<ISO date>` by default. */
  readonly name?: string
  readonly description?: string
  /** Checkpoint (memory saved) when the VM runs. */
  readonly saveMemory?: boolean
}

/** The SR that receives the suspend image of a checkpoint. */
function suspendSrOf(ctx: MockContext, vm: Obj): Obj | undefined {
  const pool = findObject(ctx, vm.$pool)
  for (const id of [vm.suspendSr, pool?.suspendSr, pool?.default_SR]) {
    const sr = findObject(ctx, id)
    if (sr !== undefined && sr.type === 'SR') return sr
  }
  const vdi = vbdsOf(ctx, vm)
    .map((vbd) => findObject(ctx, vbd.VDI))
    .find((candidate) => candidate !== undefined && candidate.type === 'VDI')
  return findObject(ctx, vdi?.$SR)
}

/**
 * `vm.snapshot` (XAPI `VM.snapshot`, or `VM.checkpoint` with `saveMemory` on a running VM): a
 * VM-snapshot (`$snapshot_of`, `snapshot_time`) with a VDI-snapshot of every disk (except the VDIs
 * whose name contains `[NOSNAP]`), the CD drives and copies of the VIFs. Returns the snapshot id.
 */
export function snapshotVm(ctx: MockContext, vmId: string, options: SnapshotVmOptions = {}): string {
  const vm = getObject(ctx, vmId, 'VM')
  const checkpoint = options.saveMemory === true && isResident(vm)
  const operation = checkpoint ? 'checkpoint' : 'snapshot'
  assertNotBlocked(vm, operation)
  const name = options.name ?? `${str(vm, 'name_label') ?? ''}_${isoNow(ctx)}`
  return runOperation(ctx, vm.id, operation, () => {
    const snapshot = buildVmSnapshot(ctx, vm, { name_label: name, name_description: options.description, checkpoint })
    if (typeof vm.parent === 'string') snapshot.parent = vm.parent
    if (checkpoint) {
      const sr = suspendSrOf(ctx, vm)
      if (sr !== undefined) {
        const size = asNumber(asRecord(vm.memory).size)
        const suspendVdi = buildVdi(ctx, { sr, name_label: 'Suspend image', size, usage: size, VDI_type: 'suspend' })
        ctx.store.add(suspendVdi)
        adjustSrUsage(ctx, sr.id, size, size)
        snapshot.suspendVdi = suspendVdi.id
      }
    }
    ctx.store.add(snapshot)
    for (const vbd of vbdsOf(ctx, vm)) {
      const vdi = findObject(ctx, vbd.VDI)
      let vdiId: string | undefined
      if (vbd.is_cd_drive === true) vdiId = vdi?.id
      else {
        if (vdi === undefined || vdi.type !== 'VDI' || (str(vdi, 'name_label') ?? '').includes('[NOSNAP]')) continue
        vdiId = snapshotVdi(ctx, vdi.id)
      }
      ctx.store.add(
        buildVbd(ctx, {
          vm: snapshot,
          vdi: vdiId,
          userdevice: str(vbd, 'position') ?? '0',
          bootable: vbd.bootable === true,
          cd: vbd.is_cd_drive === true,
          readOnly: vbd.read_only === true,
          device: asString(vbd.device) ?? null,
        }),
      )
    }
    for (const vif of vifsOf(ctx, vm)) {
      const network = findObject(ctx, vif.$network)
      if (network === undefined) continue
      ctx.store.add(
        buildVif(ctx, {
          vm: snapshot,
          network,
          device: str(vif, 'device') ?? '0',
          mac: str(vif, 'MAC') ?? ctx.ids.mac(),
          mtu: num(vif, 'MTU', 1500),
          lockingMode: str(vif, 'lockingMode'),
          allowedIpv4Addresses: vif.allowedIpv4Addresses as string[] | undefined,
          allowedIpv6Addresses: vif.allowedIpv6Addresses as string[] | undefined,
        }),
      )
    }
    hiddenState(ctx).powerStateAtSnapshot.set(snapshot.id, String(vm.power_state))
    ctx.store.update(vm.id, { parent: snapshot.id })
    return snapshot.id
  })
}

/** The configuration a revert restores (names and tags stay the VM's). */
const REVERTED_KEYS = [
  'name_description',
  'CPUs',
  'memory',
  'boot',
  'vga',
  'videoram',
  'coresPerSocket',
  'virtualizationMode',
  'secureBoot',
  'PV_args',
  'high_availability',
  'xenStoreData',
  'hasVendorDevice',
  'viridian',
  'expNestedHvm',
  'bios_strings',
] as const

/**
 * `vm.revert` (XAPI `VM.revert`): the VM gets the snapshot's configuration and disk contents back
 * (its VDIs keep their ids), halted, or suspended for a checkpoint; XO then starts (or resumes) it
 * when it ran at snapshot time.
 */
export function revertSnapshot(ctx: MockContext, snapshotId: string): void {
  const snapshot = getObject(ctx, snapshotId, 'VM-snapshot')
  const vmId = asString(snapshot.$snapshot_of)
  if (vmId === undefined) throw new PlainError(`HANDLE_INVALID(VM, OpaqueRef:NULL)`)
  const vm = getObject(ctx, vmId, 'VM')
  const checkpoint = snapshot.power_state === 'Suspended'
  runOperation(ctx, vm.id, 'revert', () => {
    if (powerStateOf(vm) !== 'Halted') placeVm(ctx, vm.id, 'Halted')
    const patch: Record<string, unknown> = {}
    for (const key of REVERTED_KEYS) patch[key] = snapshot[key]
    ctx.store.update(vm.id, patch)
    const current = getObject(ctx, vm.id, 'VM')
    for (const snapshotVbd of vbdsOf(ctx, snapshot)) {
      if (snapshotVbd.is_cd_drive === true) continue
      const snapshotVdi = findObject(ctx, snapshotVbd.VDI)
      if (snapshotVdi === undefined) continue
      const vbd = vbdsOf(ctx, current).find((candidate) => candidate.position === snapshotVbd.position && candidate.is_cd_drive !== true)
      const vdi = findObject(ctx, vbd?.VDI)
      if (vbd === undefined || vdi === undefined) {
        const copyId = copyVdi(ctx, snapshotVdi.id, { fast: true })
        ctx.store.add(buildVbd(ctx, { vm: current, vdi: copyId, userdevice: str(snapshotVbd, 'position') ?? '0', bootable: snapshotVbd.bootable === true }))
        continue
      }
      const size = num(snapshotVdi, 'size')
      const usage = num(snapshotVdi, 'usage')
      adjustSrUsage(ctx, vdi.$SR, size - num(vdi, 'size'), usage - num(vdi, 'usage'))
      ctx.store.update(vdi.id, { size, usage, chainPhysicalUsage: usage })
      void revertVdiContent(ctx, vdi.id, snapshotVdi.id)
    }
    if (checkpoint) placeVm(ctx, vm.id, 'Suspended')
  })
  const atSnapshot = hiddenState(ctx).powerStateAtSnapshot.get(snapshot.id) ?? (checkpoint ? 'Running' : 'Halted')
  if (atSnapshot === 'Running') {
    try {
      const reverted = getObject(ctx, vm.id, 'VM')
      if (reverted.power_state === 'Halted') startVm(ctx, vm.id)
      else if (reverted.power_state === 'Suspended') resumeVm(ctx, vm.id)
    } catch {
      // XO ignores the errors of this start
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Clone / copy

/**
 * `vm.clone`: a new VM (a template for a template) with copies of the VDIs: fast clones (the source
 * must be halted: code 13) or, with `fullCopy`, full copies. Returns the new VM id.
 */
export function cloneVm(ctx: MockContext, vmId: string, options: { name: string; fullCopy?: boolean }): string {
  const source = getObject(ctx, vmId, ['VM', 'VM-snapshot', 'VM-template'])
  const fast = options.fullCopy !== true
  if (fast && source.type === 'VM') assertPowerState(source, ['Halted', 'Suspended'])
  return runOperation(ctx, source.id, fast ? 'clone' : 'copy', () => {
    const copy = buildVmCopy(ctx, source, { name_label: options.name, type: source.type === 'VM-template' ? 'VM-template' : 'VM' })
    ctx.store.add(copy)
    copyDevices(ctx, source, copy, { fast })
    return copy.id
  })
}

/**
 * `vm.copy`: a full copy of a VM, snapshot or template with all its VDIs on `srId`; to another pool
 * when the SR is in one (CD drives emptied, VIFs matched by network name). Returns the new VM id.
 */
export function copyVm(ctx: MockContext, vmId: string, srId: string, options: { name?: string } = {}): string {
  const source = getObject(ctx, vmId, ['VM', 'VM-snapshot', 'VM-template'])
  const sr = getObject(ctx, srId, 'SR')
  const crossPool = sr.$pool !== source.$pool
  return runOperation(ctx, source.id, crossPool ? 'export' : 'copy', () => {
    const copy = buildVmCopy(ctx, source, {
      name_label: options.name ?? str(source, 'name_label') ?? '',
      type: source.type === 'VM-template' ? 'VM-template' : 'VM',
      poolId: sr.$pool as string,
    })
    ctx.store.add(copy)
    copyDevices(ctx, source, copy, { fast: false, srId: sr.id, poolId: sr.$pool as string })
    return copy.id
  })
}

/** `vm.copyToTemplate`: a full copy of a snapshot as a template (same name, same SRs). Returns its id. */
export function copyToTemplate(ctx: MockContext, snapshotId: string): string {
  const snapshot = getObject(ctx, snapshotId, 'VM-snapshot')
  return runOperation(ctx, snapshot.id, 'copy', () => {
    const copy = buildVmCopy(ctx, snapshot, { name_label: str(snapshot, 'name_label') ?? '', type: 'VM-template' })
    ctx.store.add(copy)
    copyDevices(ctx, snapshot, copy, { fast: false })
    return copy.id
  })
}

/**
 * `vm.convertToTemplate`: ejects the CDs then turns a halted VM (code 13 otherwise) into a template:
 * the object leaves as `VM` and comes back as `VM-template` with the same id. A snapshot keeps its
 * type (XO types a snapshot flagged as template as a snapshot).
 */
export function convertToTemplate(ctx: MockContext, vmId: string): void {
  const vm = getObject(ctx, vmId, ['VM', 'VM-snapshot'])
  if (vm.type === 'VM') assertPowerState(vm, 'Halted')
  for (const vbd of vbdsOf(ctx, vm)) if (vbd.is_cd_drive === true && vbd.VDI !== undefined) ctx.store.update(vbd.id, { VDI: undefined })
  if (vm.type !== 'VM') return
  const current = getObject(ctx, vm.id, 'VM')
  const template: Record<string, unknown> = { ...current, type: 'VM-template', ...templateFields(current), startTime: null }
  delete template.vulnerabilities
  ctx.store.remove(vm.id)
  ctx.store.add({ ...template, id: vm.id, type: 'VM-template' })
}

// ---------------------------------------------------------------------------------------------
// Migration

export interface MigrateVmOptions {
  /** Default SR of the migrated VDIs. */
  readonly sr?: string
  /** VDI id → SR id. */
  readonly mapVdisSrs?: Readonly<Record<string, string>>
  /** VIF id → network id (migration to another pool). */
  readonly mapVifsNetworks?: Readonly<Record<string, string>>
  readonly migrationNetwork?: string
  readonly force?: boolean
  readonly bypassAssert?: boolean
}

function managementNetworkOf(ctx: MockContext, host: Obj): Obj | undefined {
  const pif = [...ctx.store.ofType('PIF')].find((candidate) => candidate.$host === host.id && candidate.management === true)
  return findObject(ctx, pif?.$network) ?? [...ctx.store.ofType('network')].find((network) => network.$pool === host.$pool)
}

/**
 * `vm.migrate`. Within a pool without SR/VIF mapping: live migration (`VM.pool_migrate`) of a running
 * VM (code 13 otherwise) to another host. Otherwise storage motion (`VM.migrate_send`): VDIs move to
 * the mapped SR, the `sr` given, their own SR when the host sees it, or the target pool's default SR;
 * to another pool, VIFs go to the mapped networks (or the host's management network) and the VM, its
 * devices and its snapshots change pool. A running VM ends running on the target host.
 */
export function migrateVm(ctx: MockContext, vmId: string, hostId: string, options: MigrateVmOptions = {}): void {
  const vm = getObject(ctx, vmId, 'VM')
  const host = getObject(ctx, hostId, 'host')
  const crossPool = vm.$pool !== host.$pool
  const mapVdisSrs = options.mapVdisSrs ?? {}
  const mapVifsNetworks = options.mapVifsNetworks ?? {}
  const storageMotion = crossPool || options.sr !== undefined || Object.keys(mapVdisSrs).length > 0 || Object.keys(mapVifsNetworks).length > 0
  if (host.power_state !== 'Running') throw hostOffline(host.id)
  if (host.enabled === false) throw new PlainError(`HOST_DISABLED(${String(host._xapiRef)})`)
  const state: PowerState = powerStateOf(vm)

  if (!storageMotion) {
    assertPowerState(vm, ['Running', 'Paused'])
    assertNotBlocked(vm, 'pool_migrate')
    runOperation(ctx, vm.id, 'pool_migrate', () => ctx.store.update(vm.id, { $container: host.id }))
    return
  }

  assertNotBlocked(vm, 'migrate_send')
  // compute the destination of every VDI first (errors before any change)
  const targetPool = findObject(ctx, host.$pool)
  const defaultSr = findObject(ctx, targetPool?.default_SR)
  const destinations = new Map<string, string>()
  const destinationOf = (vdi: Obj): string => {
    const mapped = mapVdisSrs[vdi.id] ?? options.sr
    if (mapped !== undefined) return getObject(ctx, mapped, 'SR').id
    const sr = findObject(ctx, vdi.$SR)
    if (sr !== undefined && isSrReachableFrom(ctx, sr, host)) return sr.id
    if (defaultSr === undefined) {
      throw new PlainError(`This operation requires a default SR to be set on the pool ${str(targetPool ?? host, 'name_label') ?? ''}`)
    }
    return defaultSr.id
  }
  const snapshots = objectsOf(ctx, vm.snapshots)
  for (const owner of [vm, ...snapshots]) {
    for (const vbd of vbdsOf(ctx, owner)) {
      const vdi = findObject(ctx, vbd.VDI)
      if (vdi === undefined || vbd.is_cd_drive === true || destinations.has(vdi.id)) continue
      const parent = vdi.type === 'VDI-snapshot' ? findObject(ctx, vdi.$snapshot_of) : undefined
      destinations.set(vdi.id, parent !== undefined && destinations.has(parent.id) ? destinations.get(parent.id)! : destinationOf(vdi))
    }
  }
  const networks = new Map<string, string>()
  if (crossPool) {
    const fallback = managementNetworkOf(ctx, host)
    for (const owner of [vm, ...snapshots]) {
      for (const vif of vifsOf(ctx, owner)) {
        const mapped = mapVifsNetworks[vif.id]
        const network = mapped !== undefined ? getObject(ctx, mapped, 'network') : fallback
        if (network === undefined) throw new PlainError(`no network on the pool of host ${host.id}`)
        networks.set(vif.id, network.id)
      }
    }
  }

  runOperation(ctx, vm.id, 'migrate_send', () => {
    for (const [vdiId, srId] of destinations) relocateVdi(ctx, vdiId, srId)
    if (crossPool) {
      const poolId = host.$pool as string
      const pool = { $pool: poolId, $poolId: poolId }
      for (const owner of [vm, ...snapshots]) {
        for (const vbd of vbdsOf(ctx, owner)) {
          const cd = vbd.is_cd_drive === true && vbd.VDI !== undefined
          ctx.store.update(vbd.id, cd ? { ...pool, VDI: undefined } : pool)
        }
        for (const vif of vifsOf(ctx, owner)) ctx.store.update(vif.id, { ...pool, $network: networks.get(vif.id) })
        if (owner !== vm) ctx.store.update(owner.id, { ...pool, $container: poolId })
      }
      ctx.store.update(vm.id, { ...pool, affinityHost: undefined, $container: state === 'Running' || state === 'Paused' ? host.id : poolId })
    } else if (state === 'Running' || state === 'Paused') {
      ctx.store.update(vm.id, { $container: host.id })
    }
  })
}

