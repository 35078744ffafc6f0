/**
 * Task timing policies (moto-style, see `src/domain/xo-task.ts`) and manual task completion, as the
 * control plane exposes them:
 *
 * `{"action": "vms/start" | "start" | "*", "policy": {"type": "immediate" | "delay" | "jitter" | "manual" | "fail",
 *   "ms"?, "min"?, "max"?, "error"?: {"message"?, "code"?, "params"?, "data"?}}}`
 *
 * - `delay`: the operation runs `ms` after the task is created (mock clock);
 * - `jitter`: after a seeded delay in [`min`, `max`];
 * - `manual`: the task stays pending until `POST /_mock/tasks/{id}/complete` (or `/fail`, or an abort);
 * - `fail`: the task fails (after `ms`, default at once) with `error` (a XAPI error when `code` is a
 *   string, an XO error when it is a number).
 * The domain's own field names (`mode`, `delayMs`, `maxDelayMs`) are accepted too.
 */
import type { MockContext } from '../context.js'
import { XapiError, XoApiError } from '../domain/errors.js'
import {
  clearTaskTimingPolicies,
  getXoTask,
  releaseXoTask,
  setTaskTimingPolicy,
  settleXoTask,
  waitingXoTasks,
  type TaskTimingPolicy,
  type XoTaskLog,
} from '../domain/xo-task.js'
import { badRequest, checkKeys, describe, isPlainObject, notFound, requireNonNegativeNumber, requireString } from './errors.js'

export type PolicyType = TaskTimingPolicy['mode']
const TYPES: readonly PolicyType[] = ['immediate', 'delay', 'jitter', 'manual', 'fail']

export interface TaskErrorSpec {
  readonly message?: string
  readonly code?: string | number
  readonly params?: readonly string[]
  readonly data?: unknown
}

/** A policy as the control plane shows it. */
export interface TaskPolicySpec {
  readonly type: PolicyType
  readonly ms?: number
  readonly min?: number
  readonly max?: number
  readonly error?: TaskErrorSpec
}

export interface TaskPolicyEntry {
  readonly action: string
  readonly policy: TaskPolicySpec
}

function checkError(value: unknown, path: string): TaskErrorSpec {
  if (!isPlainObject(value)) throw badRequest(`${path}: expected {"message"?, "code"?, "params"?, "data"?}, got ${describe(value)}`)
  checkKeys(value, ['message', 'code', 'params', 'data'], path)
  if (value.message !== undefined && typeof value.message !== 'string') throw badRequest(`${path}.message: expected a string`)
  if (value.code !== undefined && typeof value.code !== 'string' && !(typeof value.code === 'number' && Number.isInteger(value.code))) {
    throw badRequest(`${path}.code: expected a XAPI error code (string) or an XO error code (integer)`)
  }
  if (value.params !== undefined && (!Array.isArray(value.params) || !value.params.every((param) => typeof param === 'string'))) {
    throw badRequest(`${path}.params: expected a list of strings`)
  }
  return value as TaskErrorSpec
}

/** Validates a policy (control-plane or domain field names) into the control-plane form. */
export function parsePolicy(input: unknown): TaskPolicySpec {
  if (!isPlainObject(input)) throw badRequest(`policy: expected {"type": ${TYPES.join('|')}, …}, got ${describe(input)}`)
  checkKeys(input, ['type', 'mode', 'ms', 'min', 'max', 'delayMs', 'maxDelayMs', 'error'], 'policy')
  const type = input.type ?? input.mode
  if (!TYPES.includes(type as PolicyType)) throw badRequest(`policy.type: expected one of ${TYPES.join(', ')}, got ${describe(type)}`)
  const spec: { type: PolicyType; ms?: number; min?: number; max?: number; error?: TaskErrorSpec } = { type: type as PolicyType }
  const ms = input.ms ?? input.delayMs
  if (type === 'delay') spec.ms = requireNonNegativeNumber(ms, 'policy.ms')
  if (type === 'fail' && ms !== undefined) spec.ms = requireNonNegativeNumber(ms, 'policy.ms')
  if (type === 'jitter') {
    spec.min = requireNonNegativeNumber(input.min ?? input.delayMs, 'policy.min')
    spec.max = requireNonNegativeNumber(input.max ?? input.maxDelayMs, 'policy.max')
    if (spec.max < spec.min) throw badRequest('policy.max: must be at least min')
  }
  if (input.error !== undefined) {
    if (type !== 'fail') throw badRequest('policy.error: only for type fail')
    spec.error = checkError(input.error, 'policy.error')
  }
  return spec
}

function toDomain(spec: TaskPolicySpec): TaskTimingPolicy {
  switch (spec.type) {
    case 'delay':
      return { mode: 'delay', delayMs: spec.ms }
    case 'jitter':
      return { mode: 'jitter', delayMs: spec.min, maxDelayMs: spec.max }
    case 'fail':
      return { mode: 'fail', ...(spec.ms === undefined ? {} : { delayMs: spec.ms }), ...(spec.error === undefined ? {} : { error: spec.error }) }
    default:
      return { mode: spec.type }
  }
}

function errorOf(spec: TaskErrorSpec | undefined): Error {
  const message = spec?.message ?? 'operation failed (xo-mock control plane)'
  if (typeof spec?.code === 'string') return new XapiError(spec.code, spec.params ?? [])
  if (typeof spec?.code === 'number') return new XoApiError(spec.code, message, spec.data)
  return new Error(message)
}

/** The task policies of one mock (the ones set through the control plane). */
export class TaskPolicies {
  readonly #ctx: MockContext
  readonly #entries = new Map<string, TaskPolicySpec>()

  constructor(ctx: MockContext) {
    this.#ctx = ctx
  }

  set(action: unknown, policy: unknown): TaskPolicyEntry {
    const name = requireString(action, 'action')
    const spec = parsePolicy(policy)
    setTaskTimingPolicy(this.#ctx, name, toDomain(spec))
    this.#entries.set(name, spec)
    return { action: name, policy: spec }
  }

  list(): TaskPolicyEntry[] {
    return [...this.#entries].map(([action, policy]) => ({ action, policy }))
  }

  remove(action: string): void {
    if (!this.#entries.has(action)) throw notFound(`no task policy for ${action}`)
    setTaskTimingPolicy(this.#ctx, action, undefined)
    this.#entries.delete(action)
  }

  clear(): void {
    clearTaskTimingPolicies(this.#ctx)
    this.#entries.clear()
  }

  /** Tasks whose operation waits (manual or delayed policy). */
  waiting(): XoTaskLog[] {
    return waitingXoTasks(this.#ctx).flatMap((id) => {
      try {
        return [getXoTask(this.#ctx, id)]
      } catch {
        return []
      }
    })
  }

  /** Runs the operation of a waiting task now, or — with `{"result"}` — ends it with that result without running it. */
  complete(id: string, body: unknown): XoTaskLog {
    const done = isPlainObject(body) && 'result' in body ? settleXoTask(this.#ctx, id, { result: body.result }) : releaseXoTask(this.#ctx, id)
    if (!done) throw notFound(`no task ${id} waits for a control call (manual or delayed timing policy)`)
    return getXoTask(this.#ctx, id)
  }

  /** Fails a waiting task with `{"error"?: {message, code, params, data}}` without running its operation. */
  fail(id: string, body: unknown): XoTaskLog {
    const spec = isPlainObject(body) && body.error !== undefined ? checkError(body.error, 'error') : undefined
    if (!settleXoTask(this.#ctx, id, { error: errorOf(spec) })) throw notFound(`no task ${id} waits for a control call (manual or delayed timing policy)`)
    return getXoTask(this.#ctx, id)
  }
}
