// JSON-RPC adapters of `task.*` (`api/task.mjs`).
import { cancelTask, destroyTask } from '../../domain/task.js'
import type { MethodTable } from '../types.js'

export const taskMethods: MethodTable = {
  'task.cancel': (call) => {
    cancelTask(call.ctx, call.objects.task!.id)
  },
  'task.destroy': (call) => {
    destroyTask(call.ctx, call.objects.task!.id)
  },
}
