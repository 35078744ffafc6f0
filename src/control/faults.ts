/**
 * Fault rules: data that says which calls misbehave and how.
 *
 * A rule matches one transport — JSON-RPC method calls (`{rpc}`), HTTP requests (`{rest}`: the REST API and
 * any other HTTP route, transfer URLs included), one-shot transfer URLs only (`{transfer}`) or WebSocket
 * connections on `/api/` (`{ws}`) — optionally narrowed by a complex-matcher `filter` on the call's target
 * objects (the objects named by the RPC params or the request path). Rules are evaluated in creation order
 * on every call: the `delay` effects of all firing rules add up, and the first firing rule with another
 * effect ends the evaluation and acts. `skip` lets the first N matching calls through, `times` bounds how
 * many calls a rule acts on, `probability` draws from a PRNG seeded by the mock's seed and the rule's
 * number (or its own `seed`), so the same seed gives the same outcome sequence.
 */
import { compileFilter, FilterParseError } from '../filter/index.js'
import { Random } from '../inventory/ids.js'
import type { XoObject } from '../inventory/types.js'
import { badRequest, checkKeys, describe, isPlainObject, joinPath, notFound, requireNonNegativeNumber, requireString } from './errors.js'
import type { Transport } from './journal.js'
import { asList, compileGlob, compileHttpPattern, matchHttp, type HttpPattern } from './patterns.js'

export type FaultMatch =
  | { readonly rpc: string | readonly string[] }
  | { readonly rest: string | readonly string[] }
  | { readonly transfer: true | string | readonly string[] }
  | { readonly ws: true | string | readonly string[] }

export type DelaySpec = number | { readonly min: number; readonly max: number }

export interface ErrorSpec {
  readonly code: number
  readonly message: string
  readonly data?: unknown
  /** HTTP status on REST (default: the one XO uses for the code, 500 otherwise). */
  readonly status?: number
}

export type FaultEffect =
  | { readonly delay: DelaySpec }
  | { readonly error: ErrorSpec }
  | { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  | { readonly drop: true }
  | { readonly close: number; readonly reason?: string; readonly after?: number }
  | { readonly truncateAfter: number }
  | { readonly hang: true }

export type EffectName = 'delay' | 'error' | 'status' | 'drop' | 'close' | 'truncateAfter' | 'hang'
const EFFECTS: readonly EffectName[] = ['delay', 'error', 'status', 'drop', 'close', 'truncateAfter', 'hang']

export interface FaultRule {
  readonly name?: string
  readonly match: FaultMatch
  /** Complex-matcher filter on the call's target objects (rpc and rest only). */
  readonly filter?: string
  readonly effect: FaultEffect
  /** Act on at most this many calls (default: unbounded). */
  readonly times?: number
  /** Let the first N matching calls through. */
  readonly skip?: number
  /** Chance (0..1) that a matching call is affected (default 1). */
  readonly probability?: number
  /** Seed of this rule's PRNG (default: the mock's seed and the rule's number). */
  readonly seed?: string | number
}

export interface FaultInfo extends FaultRule {
  readonly id: string
  /** Calls that matched `match` and `filter`. */
  readonly matched: number
  /** Calls the effect was applied to. */
  readonly applied: number
  /** `times` reached: the rule no longer acts. */
  readonly exhausted: boolean
}

/** Effects each transport supports. */
const EFFECTS_BY_KIND: Readonly<Record<MatchKind, readonly EffectName[]>> = {
  rpc: ['delay', 'error', 'drop', 'close', 'hang'],
  rest: ['delay', 'error', 'status', 'drop', 'hang', 'truncateAfter'],
  transfer: ['delay', 'error', 'status', 'drop', 'hang', 'truncateAfter'],
  ws: ['delay', 'error', 'status', 'drop', 'hang', 'close'],
}

type MatchKind = 'rpc' | 'rest' | 'transfer' | 'ws'
const MATCH_KINDS: readonly MatchKind[] = ['rpc', 'rest', 'transfer', 'ws']

/** A call as fault rules see it. */
export interface FaultCandidate {
  readonly transport: Transport
  /** HTTP method or JSON-RPC method name. */
  readonly method: string
  readonly path?: string
  /** The objects the call is about (computed only when a rule has a filter). */
  readonly targets: () => readonly XoObject[]
}

export interface AppliedDelay {
  readonly ms: number
  readonly fault: string
}

export interface Decision {
  readonly delays: readonly AppliedDelay[]
  /** The terminal effect (anything but delay), if a rule fired with one. */
  readonly effect?: { readonly effect: Exclude<FaultEffect, { delay: DelaySpec }>; readonly fault: string }
}

const NO_DECISION: Decision = { delays: [] }

interface CompiledFault {
  readonly id: string
  readonly rule: FaultRule
  readonly kind: MatchKind
  readonly matches: (candidate: FaultCandidate) => boolean
  readonly filter: ((value: unknown) => boolean) | undefined
  readonly random: Random
  readonly effectName: EffectName
  matched: number
  applied: number
}

function effectNameOf(effect: Record<string, unknown>, path: string): EffectName {
  const keys = Object.keys(effect).filter((key) => (EFFECTS as readonly string[]).includes(key))
  if (keys.length !== 1) throw badRequest(`${path}: expected exactly one of ${EFFECTS.join(', ')}`)
  return keys[0] as EffectName
}

function validateDelay(value: unknown, path: string): void {
  if (isPlainObject(value)) {
    checkKeys(value, ['min', 'max'], path)
    const min = requireNonNegativeNumber(value.min, joinPath(path, 'min'))
    const max = requireNonNegativeNumber(value.max, joinPath(path, 'max'))
    if (max < min) throw badRequest(`${path}: max must be at least min`)
  } else {
    requireNonNegativeNumber(value, path)
  }
}

function validateEffect(effect: unknown, kind: MatchKind): EffectName {
  if (!isPlainObject(effect)) throw badRequest(`effect: expected an object, got ${describe(effect)}`)
  const name = effectNameOf(effect, 'effect')
  const value = effect[name]
  const path = joinPath('effect', name)
  switch (name) {
    case 'delay':
      checkKeys(effect, ['delay'], 'effect')
      validateDelay(value, path)
      break
    case 'error': {
      checkKeys(effect, ['error'], 'effect')
      if (!isPlainObject(value)) throw badRequest(`${path}: expected {code, message, data?}, got ${describe(value)}`)
      checkKeys(value, ['code', 'message', 'data', 'status'], path)
      if (typeof value.code !== 'number' || !Number.isInteger(value.code)) throw badRequest(`${joinPath(path, 'code')}: expected an integer, got ${describe(value.code)}`)
      if (typeof value.message !== 'string') throw badRequest(`${joinPath(path, 'message')}: expected a string, got ${describe(value.message)}`)
      if (value.status !== undefined) validateStatus(value.status, joinPath(path, 'status'))
      break
    }
    case 'status':
      checkKeys(effect, ['status', 'body', 'headers'], 'effect')
      validateStatus(value, path)
      if (effect.headers !== undefined) {
        if (!isPlainObject(effect.headers) || Object.values(effect.headers).some((header) => typeof header !== 'string')) {
          throw badRequest('effect.headers: expected an object of strings')
        }
      }
      break
    case 'drop':
    case 'hang':
      checkKeys(effect, [name], 'effect')
      if (value !== true) throw badRequest(`${path}: expected true, got ${describe(value)}`)
      break
    case 'close':
      checkKeys(effect, ['close', 'reason', 'after'], 'effect')
      if (typeof value !== 'number' || !Number.isInteger(value) || !(value === 1000 || (value >= 1001 && value <= 1014 && value !== 1004 && value !== 1005 && value !== 1006) || (value >= 3000 && value <= 4999))) {
        throw badRequest(`${path}: expected a WebSocket close code that can be sent (1000-1003, 1007-1014, 3000-4999), got ${describe(value)}`)
      }
      if (effect.reason !== undefined && typeof effect.reason !== 'string') throw badRequest('effect.reason: expected a string')
      if (effect.after !== undefined) requireNonNegativeNumber(effect.after, 'effect.after')
      break
    case 'truncateAfter':
      checkKeys(effect, ['truncateAfter'], 'effect')
      requireNonNegativeNumber(value, path, { integer: true })
      break
  }
  if (!EFFECTS_BY_KIND[kind].includes(name)) {
    throw badRequest(`effect.${name}: not available on ${kind} (${kind} faults support ${EFFECTS_BY_KIND[kind].join(', ')})`)
  }
  return name
}

function validateStatus(value: unknown, path: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 100 || value > 599) {
    throw badRequest(`${path}: expected an HTTP status (100-599), got ${describe(value)}`)
  }
}

function compileMatch(match: unknown): { kind: MatchKind; matches: (candidate: FaultCandidate) => boolean } {
  if (!isPlainObject(match)) throw badRequest(`match: expected an object such as {"rpc": "vm.start"} or {"rest": "GET /rest/v0/vms/:id"}, got ${describe(match)}`)
  const kinds = Object.keys(match)
  if (kinds.length !== 1 || !(MATCH_KINDS as readonly string[]).includes(kinds[0]!)) {
    throw badRequest(`match: expected exactly one of ${MATCH_KINDS.join(', ')}`)
  }
  const kind = kinds[0] as MatchKind
  const value = match[kind]
  const path = joinPath('match', kind)
  if ((kind === 'ws' || kind === 'transfer') && value === true) {
    return { kind, matches: (candidate) => candidate.transport === kind }
  }
  const list = asList(value)
  if (list.length === 0) throw badRequest(`${path}: expected at least one pattern`)
  list.forEach((item, index) => requireString(item, Array.isArray(value) ? joinPath(path, index) : path))
  const patterns = list as string[]
  if (kind === 'rpc') {
    const globs = patterns.map(compileGlob)
    return { kind, matches: (candidate) => candidate.transport === 'rpc' && globs.some((glob) => glob(candidate.method)) }
  }
  const http: HttpPattern[] = patterns.map((pattern, index) => compileHttpPattern(pattern, Array.isArray(value) ? joinPath(path, index) : path))
  const transports: readonly Transport[] = kind === 'rest' ? ['rest', 'transfer'] : [kind]
  return {
    kind,
    matches: (candidate) =>
      transports.includes(candidate.transport) && candidate.path !== undefined && http.some((pattern) => matchHttp(pattern, candidate.method, candidate.path!)),
  }
}

/** The fault rules of one mock. */
export class FaultRegistry {
  readonly #seed: string
  #faults: CompiledFault[] = []
  #next = 1

  constructor(seed: string | number) {
    this.#seed = String(seed)
  }

  get size(): number {
    return this.#faults.length
  }

  /** Validates and adds a rule; throws a 400 ControlError with the path of the problem. */
  add(input: unknown): FaultInfo {
    if (!isPlainObject(input)) throw badRequest(`expected a fault rule object, got ${describe(input)}`)
    checkKeys(input, ['name', 'match', 'filter', 'effect', 'times', 'skip', 'probability', 'seed'], '')
    const rule = structuredClone(input) as unknown as FaultRule
    if (rule.name !== undefined && typeof rule.name !== 'string') throw badRequest('name: expected a string')
    const { kind, matches } = compileMatch(rule.match)
    const effectName = validateEffect(rule.effect, kind)
    let filter: ((value: unknown) => boolean) | undefined
    if (rule.filter !== undefined) {
      if (typeof rule.filter !== 'string') throw badRequest(`filter: expected a complex-matcher string, got ${describe(rule.filter)}`)
      if (kind === 'ws' || kind === 'transfer') throw badRequest(`filter: ${kind} faults have no target object to filter on`)
      try {
        filter = compileFilter(rule.filter)
      } catch (error) {
        if (error instanceof FilterParseError) throw badRequest(`filter: ${error.message}`)
        throw error
      }
    }
    if (rule.times !== undefined) requireNonNegativeNumber(rule.times, 'times', { integer: true })
    if (rule.skip !== undefined) requireNonNegativeNumber(rule.skip, 'skip', { integer: true })
    if (rule.probability !== undefined && (typeof rule.probability !== 'number' || !(rule.probability >= 0 && rule.probability <= 1))) {
      throw badRequest(`probability: expected a number between 0 and 1, got ${describe(rule.probability)}`)
    }
    if (rule.seed !== undefined && typeof rule.seed !== 'string' && typeof rule.seed !== 'number') throw badRequest('seed: expected a string or a number')
    const number = this.#next++
    const id = `fault-${number}`
    const random = new Random(`${this.#seed}:fault:${rule.seed ?? number}`)
    const fault: CompiledFault = { id, rule, kind, matches, filter, random, effectName, matched: 0, applied: 0 }
    this.#faults.push(fault)
    return infoOf(fault)
  }

  list(): FaultInfo[] {
    return this.#faults.map(infoOf)
  }

  get(id: string): FaultInfo {
    const fault = this.#faults.find((candidate) => candidate.id === id)
    if (fault === undefined) throw notFound(`no such fault ${id}`)
    return infoOf(fault)
  }

  remove(id: string): void {
    const index = this.#faults.findIndex((fault) => fault.id === id)
    if (index === -1) throw notFound(`no such fault ${id}`)
    this.#faults.splice(index, 1)
  }

  /** Removes every rule; `resetNumbering` also restarts ids (and default seeds) at 1 (reset). */
  clear(resetNumbering = false): void {
    this.#faults = []
    if (resetNumbering) this.#next = 1
  }

  /** What the rules do to one call. Counts matches and applications. */
  decide(candidate: FaultCandidate): Decision {
    if (this.#faults.length === 0) return NO_DECISION
    let targets: readonly XoObject[] | undefined
    const delays: AppliedDelay[] = []
    for (const fault of this.#faults) {
      if (!fault.matches(candidate)) continue
      if (fault.filter !== undefined) {
        targets ??= candidate.targets()
        if (!targets.some(fault.filter)) continue
      }
      fault.matched++
      const { rule } = fault
      if (rule.skip !== undefined && fault.matched <= rule.skip) continue
      if (rule.times !== undefined && fault.applied >= rule.times) continue
      if (rule.probability !== undefined && rule.probability < 1 && !fault.random.chance(rule.probability)) continue
      fault.applied++
      const effect = rule.effect
      if ('delay' in effect) {
        const spec = effect.delay
        const ms = typeof spec === 'number' ? spec : spec.min + fault.random.next() * (spec.max - spec.min)
        delays.push({ ms: Math.round(ms), fault: fault.id })
        continue
      }
      return { delays, effect: { effect, fault: fault.id } }
    }
    return delays.length === 0 ? NO_DECISION : { delays }
  }
}

function infoOf(fault: CompiledFault): FaultInfo {
  const { rule } = fault
  return {
    id: fault.id,
    ...rule,
    matched: fault.matched,
    applied: fault.applied,
    exhausted: rule.times !== undefined && fault.applied >= rule.times,
  }
}
