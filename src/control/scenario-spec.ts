/**
 * Scenario documents: parsing and validation (every error names its path, e.g.
 * `fixtures/scenarios/x.json: steps[2].update.id: expected an id, {"find": …} or {"ref": …}`).
 *
 * ```jsonc
 * {
 *   "name": "vm-boot", "description": "…",
 *   "let": { "vm": { "type": "VM", "find": "power_state:Halted" }, "host": "{{pool.master}}" },
 *   "steps": [
 *     { "at": 0,    "update": { "id": { "ref": "vm" }, "set": { "current_operations": { "OpaqueRef:{{uuid}}": "start" } } } },
 *     { "at": 1500, "update": { "id": "{{vm}}", "set": { "power_state": "Running" }, "unset": ["other.foo"] } },
 *     { "at": 2000, "add": { "type": "message", "name": "ALARM", "$object": "{{vm}}" }, "as": "alarm" },
 *     { "at": 9000, "remove": { "ref": "alarm" } },
 *     { "after": { "rpc": "vm.start", "filter": "name_label:web" }, "delay": 2000, "update": { … } },
 *     { "at": 0, "repeat": 1000, "every": 1, "update": { "id": { "type": "VM", "each": true }, "set": { … } } }
 *   ],
 *   "loop": false, "period": 60000
 * }
 * ```
 */
import { compileFilter, FilterParseError } from '../filter/index.js'
import { badRequest, describe, isPlainObject, joinPath } from './errors.js'
import { asList, compileHttpPattern } from './patterns.js'

export interface Selector {
  /** Complex-matcher filter (templates allowed, resolved at start). */
  readonly find?: string
  /** Exact object type (complex-matcher's `type:VM` is a substring match that also finds `VM-template`). */
  readonly type?: string
  /** Every match (default: the first one). */
  readonly all?: boolean
  /** One match per repetition, in turn (`repeat`). */
  readonly each?: boolean
  /** No match is fine (an empty list: updates and removes of it do nothing). Default: no match refuses the start. */
  readonly optional?: boolean
}

/** An object id (templates allowed), a selector resolved at start, or a named binding. */
export type Target = string | Selector | { readonly ref: string }

export interface TriggerSpec {
  readonly rpc?: string | readonly string[]
  readonly rest?: string | readonly string[]
  /** Complex-matcher filter on the call's target objects. */
  readonly filter?: string
  /** Fire on the Nth matching call (default 1). */
  readonly count?: number
  /** Fire on every matching call (from the Nth on) instead of once. */
  readonly always?: boolean
  /** Which calls count: `success` (default), `error` or `any`. */
  readonly outcome?: 'success' | 'error' | 'any'
}

export interface UpdateSpec {
  readonly id: Target
  /** Fields to set; a dotted key sets a nested field (`"properties.progress": 50`). */
  readonly set?: Readonly<Record<string, unknown>>
  /** Fields to delete (dotted keys allowed). */
  readonly unset?: readonly string[]
}

export interface StepSpec {
  /** ms after the start of the scenario (of the loop iteration). Default 0 when there is no `after`. */
  readonly at?: number
  /** Fire when a call completes instead of at a time. */
  readonly after?: TriggerSpec
  /** With `after`: ms between the call and the step. */
  readonly delay?: number
  /** Run the action this many times (default 1); `{{i}}` is the repetition index. */
  readonly repeat?: number
  /** ms between repetitions (default 0: all at once). */
  readonly every?: number
  /** Name the objects an `add` creates, for later `{"ref"}` / `{{name}}`. */
  readonly as?: string
  readonly comment?: string
  readonly update?: UpdateSpec
  readonly add?: Readonly<Record<string, unknown>>
  readonly remove?: Target
}

export interface ScenarioSpec {
  readonly name?: string
  readonly description?: string
  /** Named objects, resolved at start in declaration order (later ones may use earlier ones in templates). */
  readonly let?: Readonly<Record<string, Target>>
  readonly steps: readonly StepSpec[]
  /** Start over after `period` ms (default: the last step's `at`), until stopped. */
  readonly loop?: boolean
  readonly period?: number
}

/** Names templates use for themselves. */
export const RESERVED_NAMES: readonly string[] = ['i', 'iteration', 'now', 'nowSeconds', 'uuid']
const NAME_RE = /^[A-Za-z_][\w]*$/
export const ACTIONS = ['update', 'add', 'remove'] as const

function fail(file: string, path: string, reason: string): never {
  throw badRequest(`${file === '' ? '' : `${file}: `}${path === '' ? '' : `${path}: `}${reason}`)
}

export function isSelector(value: unknown, inTargetPosition: boolean): value is Selector {
  if (!isPlainObject(value)) return false
  const keys = Object.keys(value)
  if (keys.length === 0 || !keys.every((key) => key === 'find' || key === 'type' || key === 'all' || key === 'each' || key === 'optional')) return false
  return typeof value.find === 'string' || (inTargetPosition && typeof value.type === 'string')
}

export function isRef(value: unknown): value is { ref: string } {
  return isPlainObject(value) && Object.keys(value).length === 1 && typeof value.ref === 'string'
}

function checkKeys(value: Record<string, unknown>, allowed: readonly string[], file: string, path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(file, joinPath(path, key), `unknown key (expected one of ${allowed.join(', ')})`)
  }
}

function checkSelector(value: Selector, file: string, path: string): void {
  if (value.all !== undefined && typeof value.all !== 'boolean') fail(file, joinPath(path, 'all'), 'expected a boolean')
  if (value.each !== undefined && typeof value.each !== 'boolean') fail(file, joinPath(path, 'each'), 'expected a boolean')
  if (value.optional !== undefined && typeof value.optional !== 'boolean') fail(file, joinPath(path, 'optional'), 'expected a boolean')
  if (value.all === true && value.each === true) fail(file, path, 'all and each cannot be combined')
  if (value.type !== undefined && (typeof value.type !== 'string' || value.type === '')) fail(file, joinPath(path, 'type'), 'expected an object type')
  if (typeof value.find === 'string' && !value.find.includes('{{')) {
    try {
      compileFilter(value.find)
    } catch (error) {
      if (error instanceof FilterParseError) fail(file, joinPath(path, 'find'), error.message)
      throw error
    }
  }
}

function checkTarget(value: unknown, file: string, path: string): void {
  if (typeof value === 'string' && value !== '') return
  if (isRef(value)) return
  if (isSelector(value, true)) return checkSelector(value, file, path)
  fail(file, path, `expected an id, {"find": "<filter>", "type"?, "all"?, "each"?} or {"ref": "<name>"}, got ${describe(value)}`)
}

/** Checks selectors nested in a value (set values, added objects). */
function checkValue(value: unknown, file: string, path: string): void {
  if (isSelector(value, false)) return checkSelector(value, file, path)
  if (Array.isArray(value)) value.forEach((item, index) => checkValue(item, file, joinPath(path, index)))
  else if (isPlainObject(value) && !isRef(value)) for (const [key, item] of Object.entries(value)) checkValue(item, file, joinPath(path, key))
}

function checkNumber(value: unknown, file: string, path: string, { integer = false, min = 0 } = {}): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    fail(file, path, `expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${describe(value)}`)
  }
}

function checkTrigger(value: unknown, file: string, path: string): void {
  if (!isPlainObject(value)) fail(file, path, `expected {"rpc": "<method>"} or {"rest": "<METHOD /path>"}, got ${describe(value)}`)
  checkKeys(value, ['rpc', 'rest', 'filter', 'count', 'always', 'outcome'], file, path)
  if ((value.rpc === undefined) === (value.rest === undefined)) fail(file, path, 'expected exactly one of rpc, rest')
  const kind = value.rpc === undefined ? 'rest' : 'rpc'
  const patterns = asList(value[kind])
  if (patterns.length === 0) fail(file, joinPath(path, kind), 'expected at least one pattern')
  patterns.forEach((pattern, index) => {
    const at = Array.isArray(value[kind]) ? joinPath(joinPath(path, kind), index) : joinPath(path, kind)
    if (typeof pattern !== 'string' || pattern === '') fail(file, at, `expected a non-empty string, got ${describe(pattern)}`)
    if (kind === 'rest') compileHttpPattern(pattern, `${file === '' ? '' : `${file}: `}${at}`)
  })
  if (value.filter !== undefined) {
    if (typeof value.filter !== 'string') fail(file, joinPath(path, 'filter'), 'expected a complex-matcher string')
    try {
      compileFilter(value.filter)
    } catch (error) {
      if (error instanceof FilterParseError) fail(file, joinPath(path, 'filter'), error.message)
      throw error
    }
  }
  if (value.count !== undefined) checkNumber(value.count, file, joinPath(path, 'count'), { integer: true, min: 1 })
  if (value.always !== undefined && typeof value.always !== 'boolean') fail(file, joinPath(path, 'always'), 'expected a boolean')
  if (value.outcome !== undefined && !['success', 'error', 'any'].includes(value.outcome as string)) {
    fail(file, joinPath(path, 'outcome'), `expected success, error or any, got ${describe(value.outcome)}`)
  }
}

function checkName(value: unknown, file: string, path: string): string {
  if (typeof value !== 'string' || !NAME_RE.test(value)) fail(file, path, `expected a name (letters, digits, _), got ${describe(value)}`)
  if (RESERVED_NAMES.includes(value)) fail(file, path, `${value} is reserved (${RESERVED_NAMES.join(', ')})`)
  return value
}

function checkStep(step: unknown, file: string, path: string): void {
  if (!isPlainObject(step)) fail(file, path, `expected a step object, got ${describe(step)}`)
  checkKeys(step, ['at', 'after', 'delay', 'repeat', 'every', 'as', 'comment', ...ACTIONS], file, path)
  const actions = ACTIONS.filter((action) => step[action] !== undefined)
  if (actions.length !== 1) fail(file, path, `expected exactly one action among ${ACTIONS.join(', ')}`)
  if (step.at !== undefined && step.after !== undefined) fail(file, path, 'a step has either at or after, not both')
  if (step.at !== undefined) checkNumber(step.at, file, joinPath(path, 'at'))
  if (step.after !== undefined) checkTrigger(step.after, file, joinPath(path, 'after'))
  if (step.delay !== undefined) {
    if (step.after === undefined) fail(file, joinPath(path, 'delay'), 'delay goes with after (use at for timed steps)')
    checkNumber(step.delay, file, joinPath(path, 'delay'))
  }
  if (step.repeat !== undefined) checkNumber(step.repeat, file, joinPath(path, 'repeat'), { integer: true, min: 1 })
  if (step.every !== undefined) checkNumber(step.every, file, joinPath(path, 'every'))
  if (step.comment !== undefined && typeof step.comment !== 'string') fail(file, joinPath(path, 'comment'), 'expected a string')
  if (step.as !== undefined) {
    if (step.add === undefined) fail(file, joinPath(path, 'as'), 'as names the object an add creates')
    checkName(step.as, file, joinPath(path, 'as'))
  }
  if (step.update !== undefined) {
    const update = step.update
    const at = joinPath(path, 'update')
    if (!isPlainObject(update)) fail(file, at, `expected {"id", "set"?, "unset"?}, got ${describe(update)}`)
    checkKeys(update, ['id', 'set', 'unset'], file, at)
    checkTarget(update.id, file, joinPath(at, 'id'))
    if (update.set === undefined && update.unset === undefined) fail(file, at, 'expected set and/or unset')
    if (update.set !== undefined) {
      if (!isPlainObject(update.set)) fail(file, joinPath(at, 'set'), `expected an object, got ${describe(update.set)}`)
      for (const key of Object.keys(update.set)) if (key === 'id' || key === 'type') fail(file, joinPath(joinPath(at, 'set'), key), 'id and type cannot change')
      checkValue(update.set, file, joinPath(at, 'set'))
    }
    if (update.unset !== undefined) {
      if (!Array.isArray(update.unset) || !update.unset.every((key) => typeof key === 'string' && key !== '' && key !== 'id' && key !== 'type')) {
        fail(file, joinPath(at, 'unset'), 'expected a list of field names (not id or type)')
      }
    }
  }
  if (step.add !== undefined) {
    const at = joinPath(path, 'add')
    if (!isPlainObject(step.add)) fail(file, at, `expected an object, got ${describe(step.add)}`)
    if (typeof step.add.type !== 'string' || step.add.type === '') fail(file, joinPath(at, 'type'), 'required: the object type (VM, message, task, …)')
    if (step.add.id !== undefined && (typeof step.add.id !== 'string' || step.add.id === '')) fail(file, joinPath(at, 'id'), 'expected a non-empty string (omit it to generate one)')
    checkValue(step.add, file, at)
  }
  if (step.remove !== undefined) checkTarget(step.remove, file, joinPath(path, 'remove'))
}

/** Validates a scenario document; throws a 400 ControlError `<file>: <path>: <reason>`. */
export function parseScenario(doc: unknown, file = ''): ScenarioSpec {
  if (!isPlainObject(doc)) fail(file, '', `expected a scenario object {"steps": [...]}, got ${describe(doc)}`)
  checkKeys(doc, ['$comment', 'name', 'description', 'let', 'steps', 'loop', 'period'], file, '')
  if (doc.name !== undefined && (typeof doc.name !== 'string' || doc.name === '')) fail(file, 'name', 'expected a non-empty string')
  if (doc.description !== undefined && typeof doc.description !== 'string') fail(file, 'description', 'expected a string')
  if (doc.let !== undefined) {
    if (!isPlainObject(doc.let)) fail(file, 'let', `expected an object of named targets, got ${describe(doc.let)}`)
    for (const [name, target] of Object.entries(doc.let)) {
      checkName(name, file, joinPath('let', name))
      checkTarget(target, file, joinPath('let', name))
    }
  }
  if (!Array.isArray(doc.steps) || doc.steps.length === 0) fail(file, 'steps', 'expected a non-empty list of steps')
  doc.steps.forEach((step, index) => checkStep(step, file, joinPath('steps', index)))
  const lets = new Set(Object.keys(isPlainObject(doc.let) ? doc.let : {}))
  for (const [index, step] of (doc.steps as StepSpec[]).entries()) {
    if (step.as !== undefined && lets.has(step.as)) fail(file, joinPath(joinPath('steps', index), 'as'), `${step.as} is already a let name`)
  }
  if (doc.loop !== undefined && typeof doc.loop !== 'boolean') fail(file, 'loop', 'expected a boolean')
  if (doc.period !== undefined) checkNumber(doc.period, file, 'period')
  if (doc.loop === true) {
    const period = (doc.period as number | undefined) ?? Math.max(0, ...(doc.steps as StepSpec[]).map((step) => (step.after === undefined ? (step.at ?? 0) : 0)))
    if (!(period > 0)) fail(file, 'period', 'a looping scenario needs a period > 0 (set period, or give the last step an at > 0)')
  }
  return structuredClone(doc) as unknown as ScenarioSpec
}
