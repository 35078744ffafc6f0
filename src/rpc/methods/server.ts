// JSON-RPC adapters of `server.*` (`api/server.mjs`).
import * as server from '../../domain/server.js'
import type { MethodTable } from '../types.js'

export const serverMethods: MethodTable = {
  'server.add': (call) => server.addServer(call.ctx, call.params as unknown as server.AddServerOptions).id,
  'server.remove': (call) => {
    server.removeServer(call.ctx, call.params.id as string)
  },
  'server.getAll': (call) => server.getAllServers(call.ctx),
  'server.set': (call) => {
    const { id, ...settings } = call.params as unknown as server.ServerSettings & { id: string }
    server.setServer(call.ctx, id, settings)
  },
  'server.enable': (call) => {
    server.enableServer(call.ctx, call.params.id as string)
  },
  'server.disable': (call) => {
    server.disableServer(call.ctx, call.params.id as string)
  },
}
