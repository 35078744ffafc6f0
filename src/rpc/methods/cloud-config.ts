// JSON-RPC adapters of `cloudConfig.*` (`api/cloud-config.mjs`).
import * as cloudConfig from '../../domain/cloud-config.js'
import type { MethodTable } from '../types.js'

export const cloudConfigMethods: MethodTable = {
  'cloudConfig.create': (call) =>
    cloudConfig.createCloudConfig(call.ctx, { name: call.params.name as string, template: call.params.template as string }),
  'cloudConfig.createNetworkConfig': (call) =>
    cloudConfig.createCloudConfig(call.ctx, { name: call.params.name as string, template: call.params.template as string, network: true }),
  'cloudConfig.update': (call) => {
    cloudConfig.updateCloudConfig(call.ctx, call.params.id as string, {
      name: call.params.name as string | undefined,
      template: call.params.template as string | undefined,
    })
  },
  'cloudConfig.delete': (call) => {
    cloudConfig.deleteCloudConfig(call.ctx, call.params.id as string)
  },
  'cloudConfig.getAll': (call) => cloudConfig.getAllCloudConfigs(call.ctx, 'cloud'),
  'cloudConfig.getAllNetworkConfigs': (call) => cloudConfig.getAllCloudConfigs(call.ctx, 'network'),
}
