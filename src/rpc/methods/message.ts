// JSON-RPC adapters of `message.*` (`api/message.mjs`).
import { deleteMessage } from '../../domain/message.js'
import type { MethodTable } from '../types.js'

export const messageMethods: MethodTable = {
  'message.delete': (call) => {
    deleteMessage(call.ctx, call.objects.message!.id)
  },
}
