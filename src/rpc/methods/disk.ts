// JSON-RPC adapters of the `disk.*` methods (the transfer methods `disk.import`, `disk.exportContent`
// and `disk.importContent` live with the transfers).
import { createDisk } from '../../domain/vdi.js'
import type { MethodTable } from '../types.js'

export const diskMethods: MethodTable = {
  'disk.create': (call) => {
    const { name, size, bootable, mode, position } = call.params as {
      name: string
      size: number | string
      bootable?: boolean
      mode?: string
      position?: string
    }
    return createDisk(call.ctx, { name, size, sr: call.objects.sr!.id, vm: call.objects.vm?.id, bootable, mode, position })
  },
}
