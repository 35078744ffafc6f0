/**
 * Cloud-config and network-config templates (`api/cloud-config.mjs`, `xo-mixins/cloud-configs.mjs`).
 * XO keeps both in one collection, network configs carrying `type: 'network'`; the store's `type` is
 * `cloudConfig`, so the mock keeps XO's type in `configType` and restores it when serving.
 */
import type { MockContext } from '../context.js'
import type { XoObject } from '../inventory/types.js'
import { noSuchObject } from './errors.js'

export interface CloudConfigObject extends XoObject {
  readonly type: 'cloudConfig'
  readonly name: string
  readonly template: string
  /** XO's `type`: `network` for network configs, absent for cloud configs. */
  readonly configType?: 'network'
}

export function serializeCloudConfig(config: CloudConfigObject): Record<string, unknown> {
  const out: Record<string, unknown> = { id: config.id, name: config.name, template: config.template }
  if (config.configType !== undefined) out.type = config.configType
  return out
}

export function getCloudConfig(ctx: MockContext, id: string): CloudConfigObject {
  const config = ctx.store.get(id)
  if (config === undefined || config.type !== 'cloudConfig') throw noSuchObject(id, 'cloud config')
  return config as CloudConfigObject
}

/** `cloudConfig.create` / `cloudConfig.createNetworkConfig`: returns the served record. */
export function createCloudConfig(ctx: MockContext, props: { name: string; template: string; network?: boolean }): Record<string, unknown> {
  const config = ctx.store.add<CloudConfigObject>({
    id: ctx.ids.uuid(),
    type: 'cloudConfig',
    name: props.name,
    template: props.template,
    ...(props.network === true ? { configType: 'network' as const } : {}),
  })
  return serializeCloudConfig(config)
}

/** `cloudConfig.update`: unknown id → code 1 `no such cloud config`. */
export function updateCloudConfig(ctx: MockContext, id: string, props: { name?: string; template?: string }): CloudConfigObject {
  const config = getCloudConfig(ctx, id)
  const patch: Record<string, unknown> = {}
  if (props.name !== undefined) patch.name = props.name
  if (props.template !== undefined) patch.template = props.template
  return ctx.store.update<CloudConfigObject>(config.id, patch)
}

/** `cloudConfig.delete`: deleting an unknown id is silent (XO removes by id without checking). */
export function deleteCloudConfig(ctx: MockContext, id: string): void {
  if (ctx.store.get(id)?.type === 'cloudConfig') ctx.store.remove(id)
}

/** `cloudConfig.getAll` (cloud configs only) / `cloudConfig.getAllNetworkConfigs`. */
export function getAllCloudConfigs(ctx: MockContext, kind: 'cloud' | 'network' = 'cloud'): Array<Record<string, unknown>> {
  return [...ctx.store.ofType<CloudConfigObject>('cloudConfig')]
    .filter((config) => (kind === 'network' ? config.configType === 'network' : config.configType === undefined))
    .map(serializeCloudConfig)
}
