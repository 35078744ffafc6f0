// JSON-RPC adapters of `remote.*` (`api/remote.mjs`); I/O is simulated.
import * as remote from '../../domain/remote.js'
import type { MethodTable } from '../types.js'

export const remoteMethods: MethodTable = {
  'remote.create': (call) => remote.createRemote(call.ctx, call.params as unknown as { name: string; url: string; options?: string; proxy?: string }),
  'remote.set': (call) => {
    const { id, ...settings } = call.params as unknown as remote.RemoteSettings & { id: string }
    remote.setRemote(call.ctx, id, settings)
  },
  'remote.delete': (call) => {
    remote.deleteRemote(call.ctx, call.params.id as string)
  },
  'remote.get': (call) => remote.getRemote(call.ctx, call.params.id as string),
  'remote.getAll': (call) => remote.getAllRemotes(call.ctx),
  'remote.getAllInfo': (call) => remote.getAllRemotesInfo(call.ctx),
  'remote.test': (call) => remote.testRemote(call.ctx, call.params.id as string),
}
