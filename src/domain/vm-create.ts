/**
 * `vm.create` (`api/vm.mjs` create, `xapi/mixins/vm.mjs` createVm): a VM cloned from a template with
 * its disks (template disks cloned, edited or destroyed; new disks created), interfaces, settings
 * (the extra `'*'` params go through the VM editor), an optional cloud-init config drive, and an
 * optional start after the reply.
 */
import type { MockContext } from '../context.js'
import { PlainError } from './errors.js'
import { buildVbd, buildVmFromTemplate } from './factories.js'
import { deleteVm } from './vm-delete.js'
import { startVm } from './vm-lifecycle.js'
import { createVbd } from './vbd.js'
import { copyVdi, createVdi, deleteVdi, destroyVdi, relocateVdi, resizeVdi } from './vdi.js'
import { createVif } from './vif.js'
import { applyVmSettings, computeVmSettings, createCloudInitConfig, type VmSettings } from './vm.js'
import { asRecord, asString, findObject, getObject, num, type Obj, parseSize, str, vbdsOf } from './vm-common.js'

/** A disk of `vm.create`'s `VDIs` (Terraform also sends `$SR`, `name_description`, `userdevice`, `destroy`). */
export interface CreateVmDisk {
  readonly size: number | string
  readonly SR?: string
  readonly $SR?: string
  readonly type?: string
  readonly name_label?: string
  readonly name_description?: string
  /** Position of a template disk to edit (or to destroy with `destroy`), or of the new disk. */
  readonly userdevice?: string | number
  readonly destroy?: boolean
}

export interface CreateVmInterface {
  readonly network: string
  readonly mac?: string
  readonly allowedIpv4Addresses?: readonly string[]
  readonly allowedIpv6Addresses?: readonly string[]
}

export interface CreateVmParams extends VmSettings {
  readonly name_label: string
  readonly template: string
  readonly VIFs?: readonly CreateVmInterface[]
  readonly VDIs?: readonly CreateVmDisk[]
  /** Legacy edits of template disks: `{<userdevice>: {size?, $SR?, name_label?, name_description?}}`. */
  readonly existingDisks?: Readonly<Record<string, Record<string, unknown>>>
  readonly installation?: { readonly method?: string; readonly repository?: string }
  readonly cloudConfig?: string
  readonly networkConfig?: string
  readonly bootAfterCreate?: boolean
  readonly destroyCloudConfigVdiAfterBoot?: boolean
  /** Fast clone of the template's disks (default) or full copy. */
  readonly clone?: boolean
  readonly coreOs?: boolean
  readonly pv_args?: string
  readonly share?: boolean
  readonly createVtpm?: boolean
  readonly [extra: string]: unknown
}

export interface CreateVmOptions {
  /** The user recorded in `creation.user`. */
  readonly user?: string
}

/** Keys of `vm.create` that are not VM editor settings. */
const CREATE_ONLY_KEYS = new Set([
  'name_label',
  'template',
  'VIFs',
  'VDIs',
  'existingDisks',
  'installation',
  'cloudConfig',
  'networkConfig',
  'bootAfterCreate',
  'destroyCloudConfigVdiAfterBoot',
  'clone',
  'coreOs',
  'pv_args',
  'share',
  'createVtpm',
  'acls',
  'vgpuType',
  'gpuGroup',
  'copyHostBiosStrings',
  'resourceSet',
])

/** The VM editor settings among `vm.create`'s params (unknown keys are ignored, as XO's editor does). */
function editorSettings(params: CreateVmParams): VmSettings {
  const settings: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(params)) if (!CREATE_ONLY_KEYS.has(key) && value !== undefined) settings[key] = value
  if (params.pv_args !== undefined) settings.PV_args = params.pv_args
  if (params.resourceSet !== undefined) settings.resourceSet = params.resourceSet
  return settings as VmSettings
}

/** Copies the template's VBDs (and clones their VDIs) to the new VM. */
function copyTemplateDevices(ctx: MockContext, template: Obj, vm: Obj, fast: boolean): void {
  for (const vbd of vbdsOf(ctx, template)) {
    let vdiId: string | undefined
    const source = findObject(ctx, vbd.VDI)
    if (source !== undefined) vdiId = vbd.is_cd_drive === true ? source.id : copyVdi(ctx, source.id, { fast })
    ctx.store.add(
      buildVbd(ctx, {
        vm,
        vdi: vdiId,
        userdevice: str(vbd, 'position') ?? '0',
        bootable: vbd.bootable === true,
        cd: vbd.is_cd_drive === true,
        readOnly: vbd.read_only === true,
      }),
    )
  }
}

interface DiskEdit {
  readonly name_label?: string
  readonly name_description?: string
  readonly size?: number | string
  readonly sr?: string
  readonly userdevice?: string
  readonly destroy: boolean
}

/** `VDIs` entries, then the `existingDisks` entries that match a template disk (XO's legacy compatibility). */
function diskEdits(ctx: MockContext, vm: Obj, params: CreateVmParams): DiskEdit[] {
  const edits: DiskEdit[] = (params.VDIs ?? []).map((disk) => ({
    name_label: disk.name_label,
    name_description: disk.name_description,
    size: disk.size,
    sr: disk.SR ?? disk.$SR,
    userdevice: disk.userdevice === undefined ? undefined : String(disk.userdevice),
    destroy: disk.destroy === true,
  }))
  const positions = new Set(vbdsOf(ctx, vm).map((vbd) => String(vbd.position)))
  for (const [userdevice, properties] of Object.entries(params.existingDisks ?? {})) {
    if (!positions.has(userdevice)) continue
    const size = properties.size
    edits.push({
      name_label: asString(properties.name_label),
      name_description: asString(properties.name_description),
      size: typeof size === 'number' || typeof size === 'string' ? size : undefined,
      sr: asString(properties.$SR),
      userdevice,
      destroy: properties.destroy === true,
    })
  }
  return edits
}

/** Applies `VDIs` / `existingDisks` as `createVm` does: template disks are edited or destroyed, others created. */
function applyDisks(ctx: MockContext, vmId: string, params: CreateVmParams, hasBootableCd: boolean): void {
  const vm = getObject(ctx, vmId, 'VM')
  const toCreate: DiskEdit[] = []
  for (const edit of diskEdits(ctx, vm, params)) {
    const vbd = edit.userdevice === undefined ? undefined : vbdsOf(ctx, vm).find((candidate) => String(candidate.position) === edit.userdevice)
    if (vbd === undefined) {
      if (!edit.destroy) toCreate.push(edit)
      continue
    }
    const vdi = findObject(ctx, vbd.VDI)
    if (vdi === undefined) throw new PlainError(`VBD with userdevice: ${String(edit.userdevice)} exist but has no VDI`)
    if (edit.destroy) {
      deleteVdi(ctx, vdi.id)
      continue
    }
    const rename: Record<string, unknown> = {}
    if (edit.name_label !== undefined) rename.name_label = edit.name_label
    if (edit.name_description !== undefined) rename.name_description = edit.name_description
    if (Object.keys(rename).length > 0) ctx.store.update(vdi.id, rename)
    if (edit.sr !== undefined) relocateVdi(ctx, vdi.id, getObject(ctx, edit.sr, 'SR').id)
    if (edit.size !== undefined) {
      const size = parseSize(edit.size)
      const current = num(getObject(ctx, vdi.id, 'VDI'), 'size')
      if (size < current) {
        throw new PlainError(
          `Unable to update to a smaller VDI size for VDI with PBD userdevice: ${String(edit.userdevice)}. Current size: ${current}, new size: ${size}`,
        )
      }
      resizeVdi(ctx, vdi.id, size)
    }
  }
  let hasBootable = hasBootableCd || vbdsOf(ctx, getObject(ctx, vmId, 'VM')).some((vbd) => vbd.bootable === true)
  for (const edit of toCreate) {
    if (edit.sr === undefined) throw new PlainError('no object with UUID or opaque ref: undefined')
    const vdiId = createVdi(ctx, getObject(ctx, edit.sr, 'SR').id, {
      name_label: edit.name_label,
      name_description: edit.name_description,
      size: edit.size ?? 0,
    })
    createVbd(ctx, vmId, { vdi: vdiId, userdevice: edit.userdevice, bootable: !hasBootable })
    hasBootable = true
  }
}

/**
 * `vm.create`. The VM (with its VBD, VDI and VIF objects) is in the store when this returns; with
 * `bootAfterCreate` it starts right after (a 0 ms timer on the context clock), like XO starts it
 * without waiting. Returns the new VM id.
 */
export function createVm(ctx: MockContext, params: CreateVmParams, options: CreateVmOptions = {}): string {
  const template = getObject(ctx, params.template, 'VM-template')
  // validate the references before creating anything
  for (const vif of params.VIFs ?? []) getObject(ctx, vif.network, 'network')
  for (const disk of params.VDIs ?? []) {
    const srId = disk.SR ?? disk.$SR
    if (srId !== undefined) getObject(ctx, srId, 'SR')
    parseSize(disk.size)
  }
  const settings = editorSettings(params)

  const vm = buildVmFromTemplate(ctx, template, { name_label: params.name_label, user: options.user })
  // the resource set of a new VM is XO data, not an editor setting: no admin check here
  const computed = computeVmSettings(ctx, vm, settings, { admin: true })
  ctx.store.add(vm)
  let cloudConfigVdi: string | undefined
  try {
    copyTemplateDevices(ctx, template, vm, params.clone !== false)

    // installation: an ISO (object id) is inserted in a bootable CD drive, anything else is a network install
    const repository = params.installation?.repository
    let installMethod: 'none' | 'cd' | 'network' = 'none'
    if (repository !== undefined && repository !== '') {
      const iso = findObject(ctx, repository)
      installMethod = iso !== undefined && iso.type === 'VDI' ? 'cd' : 'network'
    }
    if (installMethod === 'cd') {
      const drive = vbdsOf(ctx, getObject(ctx, vm.id, 'VM')).find((vbd) => vbd.is_cd_drive === true)
      if (drive === undefined) createVbd(ctx, vm.id, { vdi: repository, cd: true, bootable: true })
      else ctx.store.update(drive.id, { VDI: repository, bootable: true })
    }

    applyDisks(ctx, vm.id, params, installMethod === 'cd')

    for (const vif of params.VIFs ?? []) {
      const allowed = [...(vif.allowedIpv4Addresses ?? []), ...(vif.allowedIpv6Addresses ?? [])]
      createVif(ctx, vm.id, vif.network, {
        mac: vif.mac,
        allowedIpv4Addresses: vif.allowedIpv4Addresses,
        allowedIpv6Addresses: vif.allowedIpv6Addresses,
        lockingMode: allowed.length === 0 ? 'network_default' : 'locked',
      })
    }

    applyVmSettings(ctx, vm.id, computed)

    // HVM boot order: network first when there is no disk or for a network install
    const created = getObject(ctx, vm.id, 'VM')
    if (created.virtualizationMode === 'hvm') {
      const noDisks = (params.VDIs ?? []).length === 0 && Object.keys(params.existingDisks ?? {}).length === 0
      if (noDisks || installMethod === 'network') {
        const boot = asRecord(created.boot)
        const order = asString(boot.order)
        ctx.store.update(vm.id, { boot: { ...boot, order: order !== undefined && order !== '' ? 'n' + order.replace('n', '') : 'ncd' } })
      }
    } else if (installMethod !== 'none') {
      const other = { ...asRecord(created.other), 'install-repository': installMethod === 'cd' ? 'cdrom' : (repository as string) }
      ctx.store.update(vm.id, { other })
    }

    if (params.cloudConfig !== undefined && params.cloudConfig !== null) {
      cloudConfigVdi = createCloudInitConfig(ctx, vm.id, params.cloudConfig, params.networkConfig)
    }
  } catch (error) {
    // XO destroys the half-created VM and its disks ($defer.onFailure)
    deleteVm(ctx, vm.id, { force: true, deleteDisks: true })
    throw error
  }

  if (params.bootAfterCreate === true) {
    ctx.clock.setTimeout(() => {
      try {
        startVm(ctx, vm.id)
        if (params.destroyCloudConfigVdiAfterBoot === true && cloudConfigVdi !== undefined && ctx.store.has(cloudConfigVdi)) {
          destroyVdi(ctx, cloudConfigVdi)
        }
      } catch {
        // XO only logs a failed start after create (startVmAndDestroyCloudConfigVdi)
      }
    }, 0)
  }
  return vm.id
}
