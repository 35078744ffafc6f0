// JSON-RPC adapters of the `vbd.*` methods.
import { connectVbd, deleteVbd, disconnectVbd, setVbd, setVbdBootable } from '../../domain/vbd.js'
import type { MethodTable } from '../types.js'

export const vbdMethods: MethodTable = {
  'vbd.connect': (call) => connectVbd(call.ctx, call.objects.vbd!.id),
  'vbd.disconnect': (call) => disconnectVbd(call.ctx, call.objects.vbd!.id),
  'vbd.delete': (call) => deleteVbd(call.ctx, call.objects.vbd!.id),
  'vbd.set': (call) => setVbd(call.ctx, call.objects.vbd!.id, { position: call.params.position as string | number | undefined }),
  'vbd.setBootable': (call) => setVbdBootable(call.ctx, call.objects.vbd!.id, call.params.bootable as boolean),
}
