// JSON-RPC adapters of the `vdi.*` methods.
import { deleteVdi, migrateVdi, setVdi, type VdiSettings } from '../../domain/vdi.js'
import type { MethodTable } from '../types.js'

export const vdiMethods: MethodTable = {
  'vdi.set': (call) => {
    const { id: _id, ...settings } = call.params
    setVdi(call.ctx, call.objects.vdi!.id, settings as VdiSettings)
  },
  'vdi.delete': (call) => deleteVdi(call.ctx, call.objects.vdi!.id),
  'vdi.migrate': (call) => migrateVdi(call.ctx, call.objects.vdi!.id, call.objects.sr!.id),
}
