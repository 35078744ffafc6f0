/**
 * `task.cancel` / `task.destroy` (`api/task.mjs`) act on the store's `task` objects. Two shapes can be
 * found there:
 * - XO task logs (`@vates/task`: `{id, properties, start, status, updatedAt, end?, result?}`), the
 *   shape the REST API serves; cancelling one aborts it: `status: 'aborted'` with an `AbortError`
 *   result and `abortionRequestedAt`;
 * - XAPI task records (`{name_label, status, progress, created, finished, …}`); cancelling one gives
 *   XAPI's `status: 'cancelled'`.
 * Only pending tasks can be cancelled (`OPERATION_NOT_ALLOWED` otherwise). Destroying removes the task.
 */
import type { MockContext } from '../context.js'
import type { XoObject } from '../inventory/types.js'
import { requireObject, xapiError } from './pool.js'

export interface XoTaskObject extends XoObject {
  readonly type: 'task'
  readonly properties?: Record<string, unknown>
  readonly start?: number
  readonly status: string
  readonly updatedAt?: number
  readonly end?: number
  readonly result?: unknown
  readonly abortionRequestedAt?: number
}

export const getTask = (ctx: MockContext, id: string) => requireObject<XoTaskObject>(ctx, id, 'task')

const isXapiTask = (task: XoTaskObject) => task.properties === undefined && 'name_label' in task

/** `task.cancel`. */
export function cancelTask(ctx: MockContext, taskId: string): XoTaskObject {
  const task = getTask(ctx, taskId)
  if (task.status !== 'pending') throw xapiError('OPERATION_NOT_ALLOWED', `task ${task.id} is ${task.status}`)
  const now = ctx.clock.now()
  if (isXapiTask(task)) {
    return ctx.store.update<XoTaskObject>(task.id, { status: 'cancelled', finished: Math.floor(now / 1000) })
  }
  return ctx.store.update<XoTaskObject>(task.id, {
    status: 'aborted',
    abortionRequestedAt: now,
    end: now,
    updatedAt: now,
    result: { message: 'This operation was aborted', name: 'AbortError' },
  })
}

/** `task.destroy`: the task record is removed. */
export function destroyTask(ctx: MockContext, taskId: string): void {
  ctx.store.remove(getTask(ctx, taskId).id)
}
