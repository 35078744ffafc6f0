/**
 * XO task logs (`@xen-orchestra/mixins/Tasks.mjs`, `@vates/task`), stored as objects of type `task`:
 * `{id, properties, start, status, updatedAt, end?, result?, abortionRequestedAt?}` with `status`
 * `pending` → `success` | `failure` (`interrupted` only for tasks found pending at boot). Every state
 * change is one store mutation, so it reaches the change feed (SSE, `/tasks?watch=true`, JSON-RPC).
 *
 * `runTask` runs an operation as a task. By default the operation runs at once (synchronously, right
 * after the pending task is stored); a per-context, per-action `TaskTimingPolicy` can instead delay it
 * (fixed or jittered, on the context clock), keep it pending until released (`manual`), or make it
 * fail. Pending operations can be aborted: they do not run and the task fails with an `AbortError`.
 */
import type { MockContext } from '../context.js'
import type { TimerHandle } from '../inventory/clock.js'
import type { Change } from '../inventory/store.js'
import type { XoObject } from '../inventory/types.js'
import { noSuchObject, XapiError, XoApiError } from './errors.js'

export type XoTaskStatus = 'pending' | 'success' | 'failure' | 'interrupted'

export interface XoTaskProperties {
  readonly name: string
  readonly objectId?: string
  readonly objectType?: string
  readonly userId?: string
  readonly type?: string
  readonly progress?: number
  readonly [key: string]: unknown
}

export interface XoTaskLog extends XoObject {
  readonly type: 'task'
  readonly properties: XoTaskProperties
  readonly start: number
  readonly status: XoTaskStatus
  readonly updatedAt: number
  readonly end?: number
  readonly result?: unknown
  readonly abortionRequestedAt?: number
}

/** An error as `@vates/task` records it in `result`. */
export interface SerializedError {
  readonly code?: unknown
  readonly params?: readonly unknown[]
  readonly data?: unknown
  readonly message: string
  readonly name: string
  readonly stack?: string
}

/** Whether a stored `task` object is an XO task log (not a XAPI task record). */
export function isXoTaskLog(object: XoObject | undefined): object is XoTaskLog {
  return object !== undefined && object.type === 'task' && typeof object.properties === 'object' && object.properties !== null
}

/** The XO task log with this id, else XO's `no such task <id>` (code 1). */
export function getXoTask(ctx: MockContext, id: string): XoTaskLog {
  const task = ctx.store.get(id)
  if (!isXoTaskLog(task)) throw noSuchObject(id, 'task')
  return task
}

// ---------------------------------------------------------------------------------------------
// Errors

const XAPI_FRAME = '\n    at XapiError.wrap (file:///usr/local/lib/node_modules/xo-server/node_modules/xen-api/_XapiError.mjs:16:12)'

/** `@vates/task`'s `serializeError`: own properties (`code`, `params`, `data`), then message, name, stack. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof XapiError) {
    return { code: error.code, params: [...error.params], message: error.message, name: 'XapiError', stack: `XapiError: ${error.message}${XAPI_FRAME}` }
  }
  if (error instanceof XoApiError) {
    const out: Record<string, unknown> = { code: error.code }
    if (error.data !== undefined) out.data = error.data
    return { ...out, message: error.message, name: 'XoError', stack: `XoError: ${error.message}` } as SerializedError
  }
  if (error instanceof Error) {
    const name = error.name === '' || /Error$/.test(error.name) === false ? 'Error' : error.name
    const out: Record<string, unknown> = {}
    for (const key of ['code', 'params', 'data'] as const) {
      const value = (error as unknown as Record<string, unknown>)[key]
      if (value !== undefined) out[key] = value
    }
    return { ...out, message: error.message, name, stack: `${name}: ${error.message}` } as SerializedError
  }
  if (error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    const { message, name, ...rest } = error as Record<string, unknown>
    return { ...rest, message: message as string, name: typeof name === 'string' ? name : 'Error' }
  }
  return { message: String(error), name: 'Error' }
}

/** The error of an aborted task (`AbortSignal` reason). */
export class AbortError extends Error {
  constructor() {
    super('This operation was aborted')
    this.name = 'AbortError'
  }
}

// ---------------------------------------------------------------------------------------------
// Task log records

/** How many task logs XO keeps (its GC drops the oldest finished ones beyond). */
export const MAX_TASK_LOGS = 1000

/** Adds a pending task log: `{id, properties, start, status: 'pending', updatedAt}`. */
export function createXoTask(ctx: MockContext, properties: XoTaskProperties): XoTaskLog {
  const now = ctx.clock.now()
  const task = ctx.store.add<XoTaskLog>({ id: ctx.ids.taskId(now), type: 'task', properties: { ...properties }, start: now, status: 'pending', updatedAt: now })
  if (ctx.store.count('task') > MAX_TASK_LOGS) pruneXoTasks(ctx, MAX_TASK_LOGS)
  return task
}

/** Removes the oldest finished task logs until at most `max` task records remain. */
export function pruneXoTasks(ctx: MockContext, max: number): void {
  let excess = ctx.store.count('task') - max
  if (excess <= 0) return
  const oldest: string[] = []
  for (const object of ctx.store.ofType('task')) {
    if (excess-- <= 0) break
    if (isXoTaskLog(object) && object.status !== 'pending') oldest.push(object.id)
    else excess++
  }
  for (const id of oldest) ctx.store.remove(id)
}

function livePending(ctx: MockContext, id: string): XoTaskLog | undefined {
  const task = ctx.store.get(id)
  return isXoTaskLog(task) && task.status === 'pending' ? task : undefined
}

/** Progress of a pending task (`properties.progress`, 0–100). No-op on a finished or deleted task. */
export function setXoTaskProgress(ctx: MockContext, id: string, progress: number): void {
  const task = livePending(ctx, id)
  if (task === undefined) return
  ctx.store.update(task.id, { properties: { ...task.properties, progress }, updatedAt: ctx.clock.now() })
}

/** Ends a pending task with `success` (`result` omitted when undefined). No-op when it is gone or finished. */
export function succeedXoTask(ctx: MockContext, id: string, result?: unknown): XoTaskLog | undefined {
  const task = livePending(ctx, id)
  if (task === undefined) return undefined
  const now = ctx.clock.now()
  return ctx.store.update<XoTaskLog>(task.id, { status: 'success', updatedAt: now, end: now, result })
}

/** Ends a pending task with `failure`, `result` being the serialized error. No-op when it is gone or finished. */
export function failXoTask(ctx: MockContext, id: string, error: unknown): XoTaskLog | undefined {
  const task = livePending(ctx, id)
  if (task === undefined) return undefined
  const now = ctx.clock.now()
  return ctx.store.update<XoTaskLog>(task.id, { status: 'failure', updatedAt: now, end: now, result: serializeError(error) })
}

/** Removes a task log (any status). */
export function deleteXoTask(ctx: MockContext, id: string): void {
  const task = getXoTask(ctx, id)
  cancelRunner(ctx, task.id)
  ctx.store.remove(task.id)
}

/** Removes every finished task log accepted by `keep === false` (all by default). Returns the removed ids. */
export function deleteFinishedXoTasks(ctx: MockContext, predicate: (task: XoTaskLog) => boolean = () => true): string[] {
  const ids: string[] = []
  for (const object of ctx.store.ofType('task')) {
    if (isXoTaskLog(object) && object.status !== 'pending' && predicate(object)) ids.push(object.id)
  }
  for (const id of ids) ctx.store.remove(id)
  return ids
}

/**
 * Aborts a pending task (`task.abort()`): `abortionRequestedAt` is set and, since the mock's
 * operations are atomic, an operation that has not run yet (delayed, manual, or a task without a
 * runner) never runs: the task fails with an `AbortError`. Finished or unknown tasks → code 1.
 */
export function abortXoTask(ctx: MockContext, id: string): XoTaskLog {
  const task = ctx.store.get(id)
  if (!isXoTaskLog(task) || task.status !== 'pending') throw noSuchObject(id, 'task')
  const now = ctx.clock.now()
  ctx.store.update(task.id, { abortionRequestedAt: now, updatedAt: now })
  const runner = runnersOf(ctx).get(task.id)
  cancelRunner(ctx, task.id)
  const error = new AbortError()
  failXoTask(ctx, task.id, error)
  runner?.settle({ status: 'failure', error })
  return ctx.store.get(task.id) as XoTaskLog
}

/**
 * Resolves with the task once it is no longer pending (at once for a finished task), or `undefined`
 * if it is removed first. `cancel` stops waiting (client gone).
 */
export function waitForXoTask(ctx: MockContext, id: string): { readonly promise: Promise<XoTaskLog | undefined>; cancel(): void } {
  const task = ctx.store.get(id)
  if (!isXoTaskLog(task)) return { promise: Promise.resolve(undefined), cancel: () => {} }
  if (task.status !== 'pending') return { promise: Promise.resolve(task), cancel: () => {} }
  let unsubscribe: () => void = () => {}
  const promise = new Promise<XoTaskLog | undefined>((resolve) => {
    unsubscribe = ctx.store.subscribe((change: Change) => {
      if (change.id !== id) return
      if (change.kind === 'remove') {
        unsubscribe()
        resolve(undefined)
      } else if (isXoTaskLog(change.object) && change.object.status !== 'pending') {
        unsubscribe()
        resolve(change.object)
      }
    })
  })
  return { promise, cancel: () => unsubscribe() }
}

// ---------------------------------------------------------------------------------------------
// Timing policies

/**
 * How the operation of a task is timed (set per action with `setTaskTimingPolicy`):
 * - `immediate` (default): it runs synchronously, right after the pending task is stored;
 * - `delay`: it runs after `delayMs` on the context clock;
 * - `jitter`: after a delay drawn uniformly (seeded: the context's PRNG) in [`delayMs`, `maxDelayMs`];
 * - `manual`: the task stays pending until `releaseXoTask` (runs the operation), `settleXoTask`
 *   (ends it with a given outcome) or an abort;
 * - `fail`: the operation never runs; after `delayMs` (default 0: at once) the task fails with `error`
 *   (a XAPI error when `code` is a string, an XO API error when it is a number, else a plain error).
 */
export interface TaskTimingPolicy {
  readonly mode: 'immediate' | 'delay' | 'jitter' | 'manual' | 'fail'
  readonly delayMs?: number
  readonly maxDelayMs?: number
  readonly error?: {
    readonly message?: string
    readonly code?: string | number
    readonly params?: readonly string[]
    readonly data?: unknown
  }
}

const IMMEDIATE: TaskTimingPolicy = Object.freeze({ mode: 'immediate' })

const policies = new WeakMap<MockContext, Map<string, TaskTimingPolicy>>()

/**
 * Sets (or, with `undefined`, removes) the timing policy of an action for this mock. `action` is an
 * action key as given to `runTask` (the REST API uses `<collection>/<action>`, e.g. `vms/start`,
 * `pools/create_vm`, `tasks/abort`), a bare action name (`start`, any collection) or `'*'` (default).
 */
export function setTaskTimingPolicy(ctx: MockContext, action: string, policy: TaskTimingPolicy | undefined): void {
  let map = policies.get(ctx)
  if (map === undefined) policies.set(ctx, (map = new Map()))
  if (policy === undefined) map.delete(action)
  else map.set(action, Object.freeze({ ...policy }))
}

/** Removes every timing policy of this mock (reset). */
export function clearTaskTimingPolicies(ctx: MockContext): void {
  policies.delete(ctx)
}

/** The policy of an action: exact key, then its last `/` segment, then `'*'`, else immediate. */
export function getTaskTimingPolicy(ctx: MockContext, action: string | undefined): TaskTimingPolicy {
  const map = policies.get(ctx)
  if (map === undefined || action === undefined) return map?.get('*') ?? IMMEDIATE
  const bare = action.slice(action.lastIndexOf('/') + 1)
  return map.get(action) ?? map.get(bare) ?? map.get('*') ?? IMMEDIATE
}

function policyError(policy: TaskTimingPolicy): Error {
  const spec = policy.error ?? {}
  const message = spec.message ?? 'operation failed (xo-mock task timing policy)'
  if (typeof spec.code === 'string') return new XapiError(spec.code, spec.params ?? [])
  if (typeof spec.code === 'number') return new XoApiError(spec.code, message, spec.data)
  return new Error(message)
}

function delayOf(ctx: MockContext, policy: TaskTimingPolicy): number {
  const min = Math.max(0, policy.delayMs ?? 0)
  if (policy.mode !== 'jitter') return min
  const max = Math.max(min, policy.maxDelayMs ?? min)
  return min + Math.floor(ctx.ids.random.next() * (max - min + 1))
}

// ---------------------------------------------------------------------------------------------
// Running operations as tasks

export type TaskOutcome<T> = { readonly status: 'success'; readonly result: T } | { readonly status: 'failure'; readonly error: unknown }

export interface RunningTask<T> {
  /** The task log id. */
  readonly id: string
  /** Settles (never rejects) when the task ends, whatever ends it. */
  readonly done: Promise<TaskOutcome<T>>
}

export interface RunTaskOptions<T> {
  /** The action key its timing policy is looked up with (see `setTaskTimingPolicy`). */
  readonly action?: string
  /** The task `result` for the operation's return value (default: the value itself). */
  readonly toResult?: (value: T) => unknown
}

interface Runner {
  timer?: TimerHandle
  /** Runs the operation now (manual release). */
  readonly run: () => void
  readonly settle: (outcome: TaskOutcome<unknown>) => void
}

const runners = new WeakMap<MockContext, Map<string, Runner>>()

function runnersOf(ctx: MockContext): Map<string, Runner> {
  let map = runners.get(ctx)
  if (map === undefined) runners.set(ctx, (map = new Map()))
  return map
}

function cancelRunner(ctx: MockContext, id: string): void {
  const map = runnersOf(ctx)
  const runner = map.get(id)
  if (runner === undefined) return
  if (runner.timer !== undefined) ctx.clock.clearTimeout(runner.timer)
  map.delete(id)
}

/**
 * Runs `operation` as an XO task with these properties: the pending task is stored, then the
 * operation runs according to the action's timing policy and the task ends with `success` (its
 * `result`) or `failure` (the serialized error). The returned `done` promise gives the outcome; it
 * never rejects. If the task is deleted (or the inventory reset) before a delayed operation runs,
 * the operation does not run.
 */
export function runTask<T>(ctx: MockContext, properties: XoTaskProperties, operation: () => T, options: RunTaskOptions<T> = {}): RunningTask<T> {
  const task = createXoTask(ctx, properties)
  const id = task.id
  const policy = getTaskTimingPolicy(ctx, options.action)
  let settle!: (outcome: TaskOutcome<T>) => void
  const done = new Promise<TaskOutcome<T>>((resolve) => {
    let settled = false
    settle = (outcome) => {
      if (settled) return
      settled = true
      resolve(outcome)
    }
  })

  const finish = (outcome: TaskOutcome<T>): void => {
    runnersOf(ctx).delete(id)
    if (outcome.status === 'success') {
      const result = options.toResult === undefined ? outcome.result : options.toResult(outcome.result)
      succeedXoTask(ctx, id, result)
    } else failXoTask(ctx, id, outcome.error)
    settle(outcome)
  }

  const run = (): void => {
    if (livePending(ctx, id) === undefined) {
      // deleted, aborted or reset meanwhile: the operation does not run
      runnersOf(ctx).delete(id)
      settle({ status: 'failure', error: new AbortError() })
      return
    }
    if (policy.mode === 'fail') return finish({ status: 'failure', error: policyError(policy) })
    let value: T
    try {
      value = operation()
    } catch (error) {
      return finish({ status: 'failure', error })
    }
    finish({ status: 'success', result: value })
  }

  const runner: Runner = { run, settle: settle as (outcome: TaskOutcome<unknown>) => void }
  if (policy.mode === 'manual') {
    runnersOf(ctx).set(id, runner)
  } else {
    const delay = delayOf(ctx, policy)
    if (delay === 0 && policy.mode !== 'delay' && policy.mode !== 'jitter') run()
    else {
      runnersOf(ctx).set(id, runner)
      runner.timer = ctx.clock.setTimeout(run, delay)
    }
  }
  return { id, done }
}

/** Runs the operation of a task waiting for it (manual or delayed policy) now. Returns false if none waits. */
export function releaseXoTask(ctx: MockContext, id: string): boolean {
  const runner = runnersOf(ctx).get(id)
  if (runner === undefined) return false
  cancelRunner(ctx, id)
  runner.run()
  return true
}

/**
 * Ends a waiting task without running its operation: `success` with `result`, or `failure` with
 * `error`. Returns false if no task waits under this id.
 */
export function settleXoTask(ctx: MockContext, id: string, outcome: { readonly result?: unknown } | { readonly error: unknown }): boolean {
  const runner = runnersOf(ctx).get(id)
  if (runner === undefined) return false
  cancelRunner(ctx, id)
  if ('error' in outcome) {
    failXoTask(ctx, id, outcome.error)
    runner.settle({ status: 'failure', error: outcome.error })
  } else {
    succeedXoTask(ctx, id, outcome.result)
    runner.settle({ status: 'success', result: outcome.result })
  }
  return true
}

/** Ids of the tasks whose operation waits (manual or delayed). */
export function waitingXoTasks(ctx: MockContext): string[] {
  return [...runnersOf(ctx).keys()]
}
