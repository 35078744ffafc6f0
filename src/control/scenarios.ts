/**
 * Scenario runs: timelines of inventory changes on the mock's clock, and steps triggered by calls.
 *
 * Every step changes the inventory through the store's mutation API, so JSON-RPC `all` notifications,
 * SSE events, task watches and the journal see scenario changes exactly like the changes of real calls.
 *
 * Resolution: `let` targets and every `{"find"}` selector are resolved once, when the run starts (a run
 * that cannot resolve them is refused with the path of the problem); templates (`{{vm}}`,
 * `{{vm.$pool}}`, `{{sr.size * 0.95}}`, `{{now}}`, `{{nowSeconds}}`, `{{uuid}}`, `{{i}}`) are evaluated
 * when their step runs. Steps due at the start (`at: 0`, `delay: 0`) run synchronously.
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { MockContext } from '../context.js'
import { compileFilter, FilterParseError } from '../filter/index.js'
import type { TimerHandle } from '../inventory/clock.js'
import { cloneJson } from '../inventory/freeze.js'
import { fixturesDirectory } from '../inventory/load.js'
import type { Patch } from '../inventory/store.js'
import { isXapiType, type XoObject } from '../inventory/types.js'
import type { CallFeed, CompletedCall } from './calls.js'
import { badRequest, describe, isPlainObject, joinPath, notFound } from './errors.js'
import { asList, compileGlob, compileHttpPattern, matchHttp } from './patterns.js'
import { isRef, isSelector, parseScenario, RESERVED_NAMES, type ScenarioSpec, type Selector, type StepSpec, type Target, type TriggerSpec } from './scenario-spec.js'

export type ScenarioState = 'running' | 'finished' | 'failed'

export interface ScenarioInfo {
  readonly id: string
  readonly name?: string
  readonly description?: string
  readonly state: ScenarioState
  readonly loop: boolean
  /** Loop iteration (0 for the first pass). */
  readonly iteration: number
  /** Clock time of the start. */
  readonly startedAt: number
  /** Actions run so far (each repetition counts). */
  readonly stepsRun: number
  /** What `let` names (and `as` names) are bound to: one id, or a list for `all`/`each` selectors. */
  readonly bindings: Readonly<Record<string, string | readonly string[]>>
  /** Why the run failed (`steps[3].update: no such object …`). */
  readonly error?: string
}

/** What `POST /_mock/scenarios` accepts: a scenario, or the name of a bundled one with overrides. */
export interface ScenarioRequest extends Partial<ScenarioSpec> {
  readonly name?: string
}

type Mode = 'one' | 'all' | 'each'

interface Binding {
  ids: string[]
  readonly mode: Mode
}

/** A selector resolved at start. */
class Resolved {
  constructor(readonly binding: Binding) {}
}

/** A `{"ref": name}`, looked up when the step runs. */
class Ref {
  constructor(readonly name: string) {}
}

interface PreparedStep {
  readonly index: number
  readonly spec: StepSpec
  readonly target: unknown
  readonly set: unknown
  readonly add: unknown
  readonly trigger: CompiledTrigger | undefined
}

interface CompiledTrigger {
  readonly matches: (call: CompletedCall) => boolean
  readonly filter: ((value: unknown) => boolean) | undefined
  readonly count: number
  readonly always: boolean
  readonly outcome: 'success' | 'error' | 'any'
}

interface ArmedTrigger {
  readonly step: PreparedStep
  seen: number
  fired: boolean
}

interface Env {
  readonly i: number
  readonly path: string
}

const TEMPLATE_RE = /\{\{([^{}]+)\}\}/g
const WHOLE_TEMPLATE_RE = /^\{\{([^{}]+)\}\}$/
const EXPRESSION_RE = /^\s*([A-Za-z_$][\w$]*(?:\.[\w$:]+)*)\s*(?:([*/+-])\s*(-?\d+(?:\.\d+)?))?\s*$/

/** A failure while a step runs (the run becomes `failed` with this message). */
class StepError extends Error {}

const BUNDLED_NAME_RE = /^[\w.-]+$/

/** Directory of the bundled scenarios (`fixtures/scenarios/`). */
export function scenariosDirectory(): string {
  return fixturesDirectory() + 'scenarios/'
}

/** The bundled scenarios: name and description. */
export function bundledScenarios(): { name: string; description?: string }[] {
  let files: string[]
  try {
    files = readdirSync(scenariosDirectory()).filter((file) => file.endsWith('.json'))
  } catch {
    return []
  }
  return files.sort().map((file) => {
    const name = file.slice(0, -'.json'.length)
    try {
      const doc = JSON.parse(readFileSync(scenariosDirectory() + file, 'utf8')) as { description?: unknown }
      return typeof doc.description === 'string' ? { name, description: doc.description } : { name }
    } catch {
      return { name }
    }
  })
}

/** Reads and validates a scenario file. */
export function readScenarioFile(path: string, label = path): ScenarioSpec {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw notFound(`${label}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message.split('\n')[0]}`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    throw badRequest(`${label}: invalid JSON: ${(error as Error).message.split('\n')[0]}`)
  }
  return parseScenario(doc, label)
}

export function loadBundledScenario(name: string): ScenarioSpec {
  if (!BUNDLED_NAME_RE.test(name)) throw badRequest(`name: not a scenario name: ${JSON.stringify(name)}`)
  const available = bundledScenarios().map((scenario) => scenario.name)
  if (!available.includes(name)) throw notFound(`no such scenario ${JSON.stringify(name)} (bundled: ${available.join(', ') || 'none'})`)
  return readScenarioFile(`${scenariosDirectory()}${name}.json`, `fixtures/scenarios/${name}.json`)
}

/** One running (or finished) scenario. */
class ScenarioRun {
  readonly id: string
  readonly spec: ScenarioSpec
  readonly startedAt: number
  state: ScenarioState = 'running'
  iteration = 0
  stepsRun = 0
  error: string | undefined
  readonly #ctx: MockContext
  readonly #bindings = new Map<string, Binding>()
  readonly #timers = new Set<TimerHandle>()
  #steps: PreparedStep[] = []
  #armed: ArmedTrigger[] = []
  #unsubscribe: (() => void) | undefined
  readonly #period: number
  /** Set while an iteration schedules its steps: the run cannot be done meanwhile. */
  #starting = false

  constructor(id: string, spec: ScenarioSpec, ctx: MockContext, calls: CallFeed) {
    this.id = id
    this.spec = spec
    this.#ctx = ctx
    this.startedAt = ctx.clock.now()
    this.#period = spec.period ?? Math.max(0, ...spec.steps.map((step) => (step.after === undefined ? (step.at ?? 0) : 0)))
    // resolution errors are the caller's (400): nothing has run yet
    try {
      this.#resolveBindings()
      this.#steps = spec.steps.map((step, index) => this.#prepare(step, index))
    } catch (error) {
      if (error instanceof StepError) throw badRequest(error.message)
      throw error
    }
    if (this.#steps.some((step) => step.trigger !== undefined)) this.#unsubscribe = calls.subscribe((call) => this.#onCall(call))
  }

  start(): void {
    this.#startIteration()
  }

  info(): ScenarioInfo {
    const bindings: Record<string, string | readonly string[]> = {}
    for (const [name, binding] of this.#bindings) bindings[name] = binding.mode === 'one' ? binding.ids[0]! : [...binding.ids]
    const info: ScenarioInfo = {
      id: this.id,
      ...(this.spec.name === undefined ? {} : { name: this.spec.name }),
      ...(this.spec.description === undefined ? {} : { description: this.spec.description }),
      state: this.state,
      loop: this.spec.loop === true,
      iteration: this.iteration,
      startedAt: this.startedAt,
      stepsRun: this.stepsRun,
      bindings,
    }
    return this.error === undefined ? info : { ...info, error: this.error }
  }

  /** Stops every timer and trigger. */
  stop(): void {
    for (const timer of this.#timers) this.#ctx.clock.clearTimeout(timer)
    this.#timers.clear()
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    this.#armed = []
  }

  // --- resolution (at start) ---

  #resolveBindings(): void {
    const lets = this.spec.let ?? {}
    for (const [name, target] of Object.entries(lets)) {
      this.#bindings.set(name, this.#resolveTarget(target, joinPath('let', name), true))
    }
  }

  /** A target at start: an id (templates evaluated now), a selector, or a ref to an earlier binding. */
  #resolveTarget(target: Target, path: string, mustExist: boolean): Binding {
    if (typeof target === 'string') {
      const id = this.#templateString(target, { i: 0, path })
      if (typeof id !== 'string' || id === '') throw badRequest(`${path}: ${JSON.stringify(target)} is not an id (got ${describe(id)})`)
      if (mustExist && this.#ctx.store.resolve(id) === undefined) throw badRequest(`${path}: no such object ${id}`)
      return { ids: [this.#ctx.store.resolve(id)?.id ?? id], mode: 'one' }
    }
    if (isRef(target)) {
      const binding = this.#bindings.get(target.ref)
      if (binding === undefined) throw badRequest(`${path}: unknown name ${JSON.stringify(target.ref)}`)
      return binding
    }
    return this.#resolveSelector(target as Selector, path)
  }

  #resolveSelector(selector: Selector, path: string): Binding {
    const find = selector.find === undefined ? '' : this.#templateString(selector.find, { i: 0, path: joinPath(path, 'find') })
    let predicate: (value: unknown) => boolean
    try {
      predicate = compileFilter(String(find))
    } catch (error) {
      if (error instanceof FilterParseError) throw badRequest(`${joinPath(path, 'find')}: ${error.message}`)
      throw error
    }
    const source = selector.type === undefined ? this.#ctx.store.all() : this.#ctx.store.ofType(selector.type)
    const ids: string[] = []
    for (const object of source) {
      if (predicate(object)) {
        ids.push(object.id)
        if (selector.all !== true && selector.each !== true) break
      }
    }
    if (ids.length === 0 && selector.optional !== true) {
      const described = JSON.stringify({ ...selector, ...(selector.find === undefined ? {} : { find }) })
      throw badRequest(`${path}: no object matches ${described}`)
    }
    return { ids, mode: selector.all === true ? 'all' : selector.each === true ? 'each' : 'one' }
  }

  /** Replaces selectors by their resolution and refs by Ref markers, recursively. */
  #prepareValue(value: unknown, path: string, targetPosition: boolean): unknown {
    if (targetPosition && typeof value === 'string') return value
    if (isRef(value)) {
      this.#checkName(value.ref, path)
      return new Ref(value.ref)
    }
    if (isSelector(value, targetPosition)) return new Resolved(this.#resolveSelector(value, path))
    if (Array.isArray(value)) return value.map((item, index) => this.#prepareValue(item, joinPath(path, index), false))
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) out[key] = this.#prepareValue(item, joinPath(path, key), false)
      return out
    }
    return value
  }

  #checkName(name: string, path: string): void {
    if (this.#bindings.has(name)) return
    if (this.spec.steps.some((step) => step.as === name)) return
    throw badRequest(`${path}: unknown name ${JSON.stringify(name)} (not a let name nor an as name)`)
  }

  #prepare(spec: StepSpec, index: number): PreparedStep {
    const path = joinPath('steps', index)
    let target: unknown
    let set: unknown
    let add: unknown
    if (spec.update !== undefined) {
      target = this.#prepareValue(spec.update.id, joinPath(joinPath(path, 'update'), 'id'), true)
      set = spec.update.set === undefined ? undefined : this.#prepareValue(spec.update.set, joinPath(joinPath(path, 'update'), 'set'), false)
    } else if (spec.remove !== undefined) {
      target = this.#prepareValue(spec.remove, joinPath(path, 'remove'), true)
    } else {
      add = this.#prepareValue(spec.add, joinPath(path, 'add'), false)
    }
    return { index, spec, target, set, add, trigger: spec.after === undefined ? undefined : compileTrigger(spec.after) }
  }

  // --- evaluation (when a step runs) ---

  #pick(binding: Binding, env: Env, name: string): string {
    if (binding.ids.length === 0) throw new StepError(`${env.path}: ${name} names no object yet`)
    return binding.mode === 'each' ? binding.ids[env.i % binding.ids.length]! : binding.ids[0]!
  }

  #expression(expression: string, env: Env): unknown {
    const match = EXPRESSION_RE.exec(expression)
    if (match === null) throw new StepError(`${env.path}: cannot evaluate {{${expression}}} (expected name[.field…] [* / + - number])`)
    const [head, ...fields] = match[1]!.split('.')
    let value: unknown
    if (fields.length === 0 && RESERVED_NAMES.includes(head!)) {
      const now = this.#ctx.clock.now()
      value = head === 'i' ? env.i : head === 'iteration' ? this.iteration : head === 'now' ? now : head === 'nowSeconds' ? Math.floor(now / 1000) : this.#ctx.ids.uuid()
    } else {
      const binding = this.#bindings.get(head!)
      if (binding === undefined) throw new StepError(`${env.path}: unknown name ${head} in {{${expression.trim()}}}`)
      value = this.#pick(binding, env, head!)
      if (fields.length > 0) {
        const object = this.#ctx.store.get(value as string)
        if (object === undefined) throw new StepError(`${env.path}: no such object ${String(value)} (${head})`)
        value = object
        for (const field of fields) value = isPlainObject(value) || Array.isArray(value) ? (value as Record<string, unknown>)[field] : undefined
      }
    }
    const operator = match[2]
    if (operator === undefined) return value
    if (typeof value !== 'number') throw new StepError(`${env.path}: {{${expression.trim()}}}: ${match[1]} is not a number (${describe(value)})`)
    const operand = Number(match[3])
    switch (operator) {
      case '*':
        return Math.round(value * operand)
      case '/':
        return Math.round(value / operand)
      case '+':
        return value + operand
      default:
        return value - operand
    }
  }

  #templateString(text: string, env: Env): unknown {
    if (!text.includes('{{')) return text
    const whole = WHOLE_TEMPLATE_RE.exec(text)
    const evaluate = (expression: string) => this.#expression(expression, env)
    if (whole !== null) return evaluate(whole[1]!)
    return text.replace(TEMPLATE_RE, (_match, expression: string) => {
      const value = evaluate(expression)
      return typeof value === 'string' ? value : JSON.stringify(value)
    })
  }

  #evaluate(value: unknown, env: Env): unknown {
    if (typeof value === 'string') return this.#templateString(value, env)
    if (value instanceof Resolved) return value.binding.mode === 'all' ? [...value.binding.ids] : this.#pick(value.binding, env, 'selector')
    if (value instanceof Ref) {
      const binding = this.#bindings.get(value.name)
      if (binding === undefined) throw new StepError(`${env.path}: ${value.name} is not bound yet (the step that adds it has not run)`)
      return binding.mode === 'all' ? [...binding.ids] : this.#pick(binding, env, value.name)
    }
    if (Array.isArray(value)) return value.map((item) => this.#evaluate(item, env))
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) out[String(this.#templateString(key, env))] = this.#evaluate(item, env)
      return out
    }
    return value
  }

  #targetIds(target: unknown, env: Env): string[] {
    const value = this.#evaluate(target, env)
    const list = Array.isArray(value) ? value : [value]
    return list.map((id) => {
      if (typeof id !== 'string' || id === '') throw new StepError(`${env.path}: not an object id: ${describe(id)}`)
      const object = this.#ctx.store.resolve(id)
      if (object === undefined) throw new StepError(`${env.path}: no such object ${id}`)
      return object.id
    })
  }

  // --- running ---

  #execute(step: PreparedStep, i: number): void {
    const { spec } = step
    const { store } = this.#ctx
    if (spec.update !== undefined) {
      const env = { i, path: joinPath(joinPath('steps', step.index), 'update') }
      for (const id of this.#targetIds(step.target, { ...env, path: joinPath(env.path, 'id') })) {
        const set = step.set === undefined ? {} : (this.#evaluate(step.set, env) as Record<string, unknown>)
        store.update(id, (current) => patchOf(current, set, spec.update!.unset ?? []))
      }
    } else if (spec.remove !== undefined) {
      const env = { i, path: joinPath(joinPath('steps', step.index), 'remove') }
      for (const id of this.#targetIds(step.target, env)) store.remove(id)
    } else {
      const env = { i, path: joinPath(joinPath('steps', step.index), 'add') }
      const object = this.#completeObject(this.#evaluate(step.add, env) as Record<string, unknown>)
      if (store.has(object.id as string)) throw new StepError(`${env.path}.id: an object with id ${String(object.id)} already exists`)
      store.add(object as XoObject)
      if (spec.as !== undefined) {
        const binding = this.#bindings.get(spec.as)
        if (binding !== undefined && binding.mode === 'all' && i > 0) binding.ids.push(object.id as string)
        else this.#bindings.set(spec.as, { ids: [object.id as string], mode: (spec.repeat ?? 1) > 1 ? 'all' : 'one' })
      }
    }
    this.stepsRun++
  }

  /** Ids and XAPI identity fields an added object needs, when the scenario leaves them out. */
  #completeObject(input: Record<string, unknown>): Record<string, unknown> {
    const object = { ...input }
    const type = object.type as string
    if (object.id === undefined) object.id = type === 'task' ? this.#ctx.ids.taskId(this.#ctx.clock.now()) : this.#ctx.ids.uuid()
    if (isXapiType(type)) {
      if (object.uuid === undefined) object.uuid = object.id
      if (object._xapiRef === undefined) object._xapiRef = `OpaqueRef:${this.#ctx.ids.uuid()}`
      if (object.$poolId === undefined && typeof object.$pool === 'string') object.$poolId = object.$pool
    }
    return object
  }

  #schedule(callback: () => void, ms: number): void {
    if (ms <= 0) {
      callback()
      return
    }
    const handle = this.#ctx.clock.setTimeout(() => {
      this.#timers.delete(handle)
      callback()
    }, ms)
    this.#timers.add(handle)
  }

  /** Runs a step: its repetitions now, or spaced by `every`. */
  #fire(step: PreparedStep): void {
    const repeat = step.spec.repeat ?? 1
    const every = step.spec.every ?? 0
    const run = (i: number): void => {
      if (this.state !== 'running') return
      try {
        if (every <= 0) for (let k = i; k < repeat; k++) this.#execute(step, k)
        else {
          this.#execute(step, i)
          if (i + 1 < repeat) this.#schedule(() => run(i + 1), every)
        }
      } catch (error) {
        this.#fail(step, error)
        return
      }
      this.#checkDone()
    }
    run(0)
  }

  #fail(step: PreparedStep, error: unknown): void {
    const message = error instanceof StepError ? error.message : `${joinPath('steps', step.index)}: ${(error as Error).message}`
    this.error = message
    this.state = 'failed'
    this.stop()
  }

  #startIteration(): void {
    if (this.state !== 'running') return
    this.#armed = this.#steps.filter((step) => step.trigger !== undefined).map((step) => ({ step, seen: 0, fired: false }))
    const timed = this.#steps.filter((step) => step.trigger === undefined)
    this.#starting = true
    try {
      // timers first (steps due now may add more), then the steps due now, in document order
      for (const step of timed) if ((step.spec.at ?? 0) > 0) this.#schedule(() => this.#fire(step), step.spec.at!)
      if (this.spec.loop === true) {
        this.#schedule(() => {
          this.iteration++
          this.#startIteration()
        }, this.#period)
      }
      for (const step of timed) {
        if ((step.spec.at ?? 0) > 0) continue
        this.#fire(step)
        if (this.state !== 'running') return
      }
    } finally {
      this.#starting = false
    }
    this.#checkDone()
  }

  #onCall(call: CompletedCall): void {
    if (this.state !== 'running') return
    for (const armed of this.#armed) {
      if (armed.fired) continue
      const trigger = armed.step.trigger!
      if (!trigger.matches(call)) continue
      if (trigger.outcome === 'success' ? !call.ok : trigger.outcome === 'error' ? call.ok : false) continue
      if (trigger.filter !== undefined && !call.targets().some(trigger.filter)) continue
      armed.seen++
      if (armed.seen < trigger.count) continue
      if (!trigger.always) armed.fired = true
      this.#schedule(() => this.#fire(armed.step), armed.step.spec.delay ?? 0)
      if (this.state !== 'running') return
    }
    this.#checkDone()
  }

  #checkDone(): void {
    if (this.state !== 'running' || this.spec.loop === true || this.#starting) return
    if (this.#timers.size > 0) return
    if (this.#armed.some((armed) => !armed.fired)) return
    this.state = 'finished'
    this.stop()
  }
}

function compileTrigger(spec: TriggerSpec): CompiledTrigger {
  let matches: (call: CompletedCall) => boolean
  if (spec.rpc !== undefined) {
    const globs = asList(spec.rpc).map((glob) => compileGlob(glob as string))
    matches = (call) => call.transport === 'rpc' && globs.some((glob) => glob(call.method))
  } else {
    const patterns = asList(spec.rest).map((pattern) => compileHttpPattern(pattern as string))
    matches = (call) => (call.transport === 'rest' || call.transport === 'transfer') && call.path !== undefined && patterns.some((pattern) => matchHttp(pattern, call.method, call.path!))
  }
  return {
    matches,
    filter: spec.filter === undefined ? undefined : compileFilter(spec.filter),
    count: spec.count ?? 1,
    always: spec.always === true,
    outcome: spec.outcome ?? 'success',
  }
}

/** A store patch from `set` / `unset`, dotted keys writing nested fields of a copy. */
function patchOf(current: XoObject, set: Record<string, unknown>, unset: readonly string[]): Patch {
  const patch: Patch = {}
  const write = (key: string, value: unknown) => {
    const dot = key.indexOf('.')
    if (dot === -1) {
      patch[key] = value
      return
    }
    const head = key.slice(0, dot)
    const base = head in patch ? patch[head] : current[head]
    // unsetting a field of a missing object: nothing to do
    if (value === undefined && !isPlainObject(base)) return
    const root = isPlainObject(base) ? (cloneJson(base) as Record<string, unknown>) : {}
    let node = root
    const fields = key.slice(dot + 1).split('.')
    fields.forEach((field, index) => {
      if (index === fields.length - 1) {
        if (value === undefined) delete node[field]
        else node[field] = value
        return
      }
      const next = node[field]
      node[field] = isPlainObject(next) ? { ...next } : {}
      node = node[field] as Record<string, unknown>
    })
    patch[head] = root
  }
  for (const [key, value] of Object.entries(set)) write(key, value)
  for (const key of unset) write(key, undefined)
  return patch
}

/** The scenarios of one mock. */
export class ScenarioManager {
  readonly #ctx: MockContext
  readonly #calls: CallFeed
  #runs = new Map<string, ScenarioRun>()
  #next = 1

  constructor(ctx: MockContext, calls: CallFeed) {
    this.#ctx = ctx
    this.#calls = calls
  }

  /**
   * Starts a scenario: a document, the name of a bundled one (`{"name": "vm-boot", "let"?: overrides,
   * "loop"?, "period"?}`), or — when `allowPaths` (in-process, CLI) — a path to a JSON file.
   */
  start(input: unknown, options: { readonly allowPaths?: boolean } = {}): ScenarioInfo {
    const spec = this.#specOf(input, options.allowPaths === true)
    const id = `scenario-${this.#next++}`
    const run = new ScenarioRun(id, spec, this.#ctx, this.#calls)
    this.#runs.set(id, run)
    run.start()
    return run.info()
  }

  #specOf(input: unknown, allowPaths: boolean): ScenarioSpec {
    if (typeof input === 'string') {
      if (allowPaths && (input.includes('/') || input.endsWith('.json'))) return readScenarioFile(input)
      return loadBundledScenario(input)
    }
    if (!isPlainObject(input)) throw badRequest(`expected a scenario {"steps": [...]} or {"name": "<bundled scenario>"}, got ${describe(input)}`)
    if (input.steps !== undefined) return parseScenario(input)
    if (typeof input.name !== 'string') throw badRequest('expected steps, or the name of a bundled scenario')
    const bundled = loadBundledScenario(input.name)
    const { name: _name, ...overrides } = input
    // overrides: let entries (merged), loop, period, description
    const merged = { ...bundled, ...overrides, let: { ...bundled.let, ...(isPlainObject(overrides.let) ? overrides.let : {}) } }
    return parseScenario(merged, `fixtures/scenarios/${input.name}.json`)
  }

  list(): ScenarioInfo[] {
    return [...this.#runs.values()].map((run) => run.info())
  }

  get(id: string): ScenarioInfo {
    const run = this.#runs.get(id)
    if (run === undefined) throw notFound(`no such scenario ${id}`)
    return run.info()
  }

  /** Stops a run and forgets it. */
  remove(id: string): void {
    const run = this.#runs.get(id)
    if (run === undefined) throw notFound(`no such scenario ${id}`)
    run.stop()
    this.#runs.delete(id)
  }

  /** Stops and forgets every run; `resetNumbering` restarts ids at 1 (reset). */
  clear(resetNumbering = false): void {
    for (const run of this.#runs.values()) run.stop()
    this.#runs.clear()
    if (resetNumbering) this.#next = 1
  }
}
