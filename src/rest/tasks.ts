/**
 * The task routes beyond plain reads (reference §7, `tasks/task.controller.mts`):
 * - `GET /tasks?ndjson=true&watch=true[&fields&filter]`: a never-ending NDJSON stream of
 *   `["update", <task>]` / `["remove", <{id}>]` lines (items shaped like the list's: href strings
 *   without `fields`, projections with `fields`), fed by the store's change feed; existing tasks are
 *   not sent, a new task first appears as `update`; no Content-Type header; `watch=true` without
 *   `ndjson=true` → 400 `watch=true requires ndjson=true`;
 * - `GET /tasks/{id}?wait=true`: blocks until the task is no longer pending, then returns it;
 * - `DELETE /tasks` (every finished task the user may see) and `DELETE /tasks/{id}` → 204.
 * `POST /tasks/{id}/actions/abort` is an action (actions.ts).
 *
 * Legacy profile: `wait=result` waits for the end of the task, any other `wait` value for its next
 * update; `watch` had the same NDJSON lines.
 */
import { PassThrough } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { deleteFinishedXoTasks, deleteXoTask, isXoTaskLog, waitForXoTask, type XoTaskLog } from '../domain/xo-task.js'
import type { Change } from '../inventory/store.js'
import { requestUser } from './auth.js'
import { queryBoolean } from './body.js'
import { findIn, type CollectionDef } from './collections.js'
import { RestApiError, ValidationError, noSuchObject, type FieldError } from './errors.js'
import { assertCanRead, assertCanWrite, assertObjectRouteAllowed } from './permissions.js'
import { compileProjection } from './project.js'
import { parseCollectionQuery } from './query.js'
import type { RestKit } from './routes.js'
import { requestPath } from './routes.js'

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown
type IdRequest = FastifyRequest<{ Params: { id: string } }>
type IdHandler = (request: IdRequest, reply: FastifyReply) => unknown

/** A watch consumer that lets this much data pile up is cut (XO: per-client buffer of SSE). */
const MAX_BUFFERED = 16 * 1024 * 1024

/** `GET /tasks`: the list route, or the watch stream with `watch=true`. */
export function taskListRoute(kit: RestKit, def: CollectionDef, list: Handler): Handler {
  const { ctx } = kit
  return function tasks(request, reply) {
    const raw = request.query as Record<string, unknown>
    if (raw.watch === undefined) return list(request, reply)
    const legacy = ctx.config.apiProfile === 'legacy'
    const user = requestUser(request)
    const viewer = kit.viewerOf(user)
    const query = parseCollectionQuery(raw, ctx.config.apiProfile)
    let watch: boolean | undefined
    if (legacy) watch = true
    else {
      const errors: Record<string, FieldError> = {}
      watch = queryBoolean(raw, 'watch', errors)
      if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    }
    if (watch !== true) return list(request, reply)
    if (!query.ndjson) throw new RestApiError('watch=true requires ndjson=true', 400)
    const filter = kit.filter(query.filter)
    const map = compileProjection(query.fields)
    const base = requestPath(request)

    const stream = new PassThrough()
    const push = (line: unknown): void => {
      if (stream.destroyed) return
      if (stream.writableLength > MAX_BUFFERED) {
        stream.destroy()
        return
      }
      stream.write(JSON.stringify(line) + '\n')
    }
    const unsubscribe = ctx.store.subscribe((change: Change) => {
      if (change.type !== 'task' || !isXoTaskLog(change.object)) return
      const task = change.object
      if (!viewer.canRead(task, def.access)) return
      if (change.kind === 'remove') {
        push(['remove', map({ id: task.id }, `${base}/${task.id}`)])
        return
      }
      const served = def.serialize(task, ctx)
      if (filter !== undefined && !filter(served)) return
      push(['update', map(served, `${base}/${task.id}`)])
    })
    const stop = (): void => {
      unsubscribe()
      if (!stream.destroyed) stream.destroy()
    }
    stream.once('close', unsubscribe)
    // the response's `close` (not the request's, which fires once its empty body is read)
    reply.raw.once('close', stop)
    // headers at once, so that clients see the 200 before the first change
    reply.raw.once('pipe', () => reply.raw.flushHeaders())
    // XO sets no Content-Type on this stream
    return reply.code(200).send(stream)
  }
}

/** `GET /tasks/{id}`: the object route, after waiting for the task's end with `wait=true`. */
export function taskObjectRoute(kit: RestKit, def: CollectionDef, get: IdHandler): IdHandler {
  const { ctx } = kit
  return async function task(request, reply) {
    const raw = request.query as Record<string, unknown>
    if (raw.wait === undefined) return get(request, reply)
    const legacy = ctx.config.apiProfile === 'legacy'
    const user = requestUser(request)
    const viewer = kit.viewerOf(user)
    const { id } = request.params
    assertObjectRouteAllowed(viewer, def.access, id)
    const object = findIn(ctx, def, id)
    if (object === undefined) throw noSuchObject(id, def.xoType)
    assertCanRead(viewer, object, def.access, def.resource)
    let untilEnd: boolean
    if (legacy) untilEnd = raw.wait === 'result'
    else {
      const errors: Record<string, FieldError> = {}
      const wait = queryBoolean(raw, 'wait', errors)
      if (Object.keys(errors).length > 0) throw new ValidationError(errors)
      if (wait !== true) return get(request, reply)
      untilEnd = true
    }
    if (isXoTaskLog(object) && object.status === 'pending') {
      const waiting = untilEnd ? waitForXoTask(ctx, object.id) : waitForNextUpdate(kit, object.id)
      let onClose!: () => void
      const closed = new Promise<'closed'>((resolve) => {
        onClose = () => resolve('closed')
        reply.raw.once('close', onClose)
      })
      const outcome = await Promise.race([waiting.promise, closed])
      reply.raw.removeListener('close', onClose)
      waiting.cancel()
      // client gone: nothing to answer
      if (outcome === 'closed') {
        reply.hijack()
        return undefined
      }
    }
    return get(request, reply)
  }
}

function waitForNextUpdate(kit: RestKit, id: string): { readonly promise: Promise<XoTaskLog | undefined>; cancel(): void } {
  let unsubscribe: () => void = () => {}
  const promise = new Promise<XoTaskLog | undefined>((resolve) => {
    unsubscribe = kit.ctx.store.subscribe((change) => {
      if (change.id !== id) return
      unsubscribe()
      resolve(change.kind === 'remove' || !isXoTaskLog(change.object) ? undefined : change.object)
    })
  })
  return { promise, cancel: () => unsubscribe() }
}

/** `DELETE /tasks` and `DELETE /tasks/{id}` (→ 204). */
export function registerTaskDeletes(scope: FastifyInstance, kit: RestKit): void {
  const { ctx } = kit
  const def = kit.collections.get('tasks')!
  // every finished task the user may see (their own for non-admins)
  scope.delete('/tasks', (request, reply) => {
    const viewer = kit.viewerOf(requestUser(request))
    deleteFinishedXoTasks(ctx, (task) => viewer.canWrite(task, def.access, 'administrate'))
    return reply.code(204).send()
  })
  scope.delete<{ Params: { id: string } }>('/tasks/:id', (request, reply) => {
    const viewer = kit.viewerOf(requestUser(request))
    const { id } = request.params
    const task = findIn(ctx, def, id)
    if (task === undefined) throw noSuchObject(id, def.xoType)
    assertCanWrite(viewer, task, def.access, def.resource, 'delete', 'administrate')
    deleteXoTask(ctx, task.id)
    return reply.code(204).send()
  })
}
