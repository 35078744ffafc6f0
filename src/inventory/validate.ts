/**
 * A small schema validator for user-facing inventory files, and the graph invariants every loaded
 * inventory must satisfy. Every problem is reported as one line: `<file>: <path>: <reason>`, where
 * `<path>` is a JavaScript-like path into the document (`vms[3].disks[0].sr`).
 */
import ms from 'ms'
import { isXapiType } from './types.js'
import type { XoObject } from './types.js'

/** A user-facing inventory error. The message is one line: `<file>: <path>: <reason>`. */
export class InventoryError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(path === '' ? `${file}: ${reason}` : `${file}: ${path}: ${reason}`)
    this.name = 'InventoryError'
  }
}

const BARE_KEY = /^[A-Za-z_$][\w$-]*$/

/** Appends a key or an index to a path: `vms` + 3 → `vms[3]`, `vms[3]` + `sr` → `vms[3].sr`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`
  if (BARE_KEY.test(key)) return base === '' ? key : `${base}.${key}`
  return `${base}[${JSON.stringify(key)}]`
}

/** `'x'` for error messages (strings are shown between single quotes, other values as JSON). */
export function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  return JSON.stringify(value) ?? String(value)
}

// ---------------------------------------------------------------------------------------------
// Sizes and times

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  PiB: 2 ** 50,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  PB: 1e15,
}
const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([KMGTP]i?B|B)?\s*$/

/** Bytes from a number or a string such as `"20 GiB"`, `"1.5 TiB"`, `"500 MB"`; undefined if invalid. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = SIZE_RE.exec(value)
  if (match === null) return undefined
  const unit = SIZE_UNITS[match[2] ?? '']
  if (unit === undefined) return undefined
  return Math.round(Number(match[1]) * unit)
}

/**
 * Seconds since the epoch from a number (seconds), an ISO 8601 date, or a negative duration relative
 * to `now` (`"-2h"`, `"-3 days"`); undefined if invalid.
 */
export function parseTime(value: unknown, now: number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (text.startsWith('-')) {
    const duration = ms(text.slice(1).trim() as ms.StringValue)
    if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0) return undefined
    return Math.floor((now - duration) / 1000)
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined
  const time = Date.parse(text)
  return Number.isNaN(time) ? undefined : Math.floor(time / 1000)
}

// ---------------------------------------------------------------------------------------------
// Schemas

export type Schema =
  | { readonly kind: 'string'; readonly enum?: readonly string[]; readonly nonEmpty?: boolean }
  | { readonly kind: 'number'; readonly integer?: boolean; readonly min?: number; readonly max?: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'literal'; readonly value: string | number | boolean }
  | { readonly kind: 'size' }
  | { readonly kind: 'time' }
  | { readonly kind: 'json' }
  | { readonly kind: 'null' }
  | { readonly kind: 'array'; readonly items: Schema }
  | { readonly kind: 'record'; readonly values: Schema }
  | {
      readonly kind: 'object'
      readonly fields: Readonly<Record<string, Schema>>
      readonly required: readonly string[]
    }
  | { readonly kind: 'alt'; readonly expected: string; readonly branches: Readonly<Partial<Record<JsonKind, Schema>>> }

type JsonKind = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object'

export const s = {
  string: (options: { enum?: readonly string[]; nonEmpty?: boolean } = {}): Schema => ({ kind: 'string', ...options }),
  number: (options: { integer?: boolean; min?: number; max?: number } = {}): Schema => ({ kind: 'number', ...options }),
  integer: (min?: number, max?: number): Schema => ({ kind: 'number', integer: true, min, max }),
  boolean: (): Schema => ({ kind: 'boolean' }),
  literal: (value: string | number | boolean): Schema => ({ kind: 'literal', value }),
  size: (): Schema => ({ kind: 'size' }),
  time: (): Schema => ({ kind: 'time' }),
  json: (): Schema => ({ kind: 'json' }),
  array: (items: Schema): Schema => ({ kind: 'array', items }),
  record: (values: Schema): Schema => ({ kind: 'record', values }),
  /** A closed object: unknown keys are errors. */
  object: (fields: Record<string, Schema>, required: readonly string[] = []): Schema => ({ kind: 'object', fields, required }),
  /** Picks a schema by the JSON type of the value. */
  alt: (expected: string, branches: Partial<Record<JsonKind, Schema>>): Schema => ({ kind: 'alt', expected, branches }),
  nullable: (schema: Schema): Schema => {
    const branches: Partial<Record<JsonKind, Schema>> = { null: { kind: 'null' } }
    const kind = primaryKind(schema)
    for (const k of kind) branches[k] = schema
    return { kind: 'alt', expected: `${describe(schema)} or null`, branches }
  },
}

function primaryKind(schema: Schema): JsonKind[] {
  switch (schema.kind) {
    case 'string':
      return ['string']
    case 'number':
      return ['number']
    case 'boolean':
      return ['boolean']
    case 'literal':
      return [typeof schema.value as JsonKind]
    case 'size':
    case 'time':
      return ['number', 'string']
    case 'json':
      return ['string', 'number', 'boolean', 'null', 'array', 'object']
    case 'null':
      return ['null']
    case 'array':
      return ['array']
    case 'record':
    case 'object':
      return ['object']
    case 'alt':
      return Object.keys(schema.branches) as JsonKind[]
  }
}

function describe(schema: Schema): string {
  switch (schema.kind) {
    case 'string':
      return 'a string'
    case 'number':
      return schema.integer === true ? 'an integer' : 'a number'
    case 'boolean':
      return 'a boolean'
    case 'literal':
      return quote(schema.value)
    case 'size':
      return 'a size (bytes, or a string like "20 GiB")'
    case 'time':
      return 'a time (seconds since the epoch, an ISO date, or a negative duration like "-2h")'
    case 'json':
      return 'a JSON value'
    case 'null':
      return 'null'
    case 'array':
      return 'an array'
    case 'record':
    case 'object':
      return 'an object'
    case 'alt':
      return schema.expected
  }
}

function kindOf(value: unknown): JsonKind | 'undefined' | 'other' {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'object':
      return typeof value as JsonKind
    case 'undefined':
      return 'undefined'
    default:
      return 'other'
  }
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
  array: 'an array',
  object: 'an object',
}

function got(value: unknown): string {
  const kind = kindOf(value)
  return `got ${ARTICLE[kind] ?? kind}`
}

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

function suggestion(key: string, candidates: readonly string[]): string {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? ` (did you mean '${best}'?)` : ''
}

/** Checks `value` against `schema`; throws an InventoryError on the first problem, with its exact path. */
export function validate(value: unknown, schema: Schema, file: string, path: string): void {
  const fail = (reason: string, at = path): never => {
    throw new InventoryError(file, at, reason)
  }
  switch (schema.kind) {
    case 'string':
      if (typeof value !== 'string') return fail(`expected a string, ${got(value)}`)
      if (schema.nonEmpty === true && value === '') return fail('must not be empty')
      if (schema.enum !== undefined && !schema.enum.includes(value)) {
        return fail(`expected one of ${schema.enum.map(quote).join(', ')}, got ${quote(value)}`)
      }
      return
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`expected ${describe(schema)}, ${got(value)}`)
      if (schema.integer === true && !Number.isInteger(value)) return fail(`expected an integer, got ${value}`)
      if (schema.min !== undefined && value < schema.min) return fail(`must be at least ${schema.min}, got ${value}`)
      if (schema.max !== undefined && value > schema.max) return fail(`must be at most ${schema.max}, got ${value}`)
      return
    case 'boolean':
      if (typeof value !== 'boolean') return fail(`expected a boolean, ${got(value)}`)
      return
    case 'literal':
      if (value !== schema.value) return fail(`expected ${quote(schema.value)}, got ${quote(value)}`)
      return
    case 'size':
      if (parseSize(value) === undefined) {
        return fail(
          typeof value === 'number' || typeof value === 'string'
            ? `invalid size ${quote(value)} (expected bytes, or a string like "20 GiB")`
            : `expected a size, ${got(value)}`,
        )
      }
      return
    case 'time':
      if (parseTime(value, 0) === undefined) {
        return fail(
          typeof value === 'number' || typeof value === 'string'
            ? `invalid time ${quote(value)} (expected seconds since the epoch, an ISO date, or a negative duration like "-2h")`
            : `expected a time, ${got(value)}`,
        )
      }
      return
    case 'json':
      if (kindOf(value) === 'undefined' || kindOf(value) === 'other') return fail(`expected a JSON value, ${got(value)}`)
      return
    case 'null':
      if (value !== null) return fail(`expected null, ${got(value)}`)
      return
    case 'array':
      if (!Array.isArray(value)) return fail(`expected an array, ${got(value)}`)
      for (let i = 0; i < value.length; i++) validate(value[i], schema.items, file, joinPath(path, i))
      return
    case 'record':
      if (kindOf(value) !== 'object') return fail(`expected an object, ${got(value)}`)
      for (const key of Object.keys(value as object)) {
        validate((value as Record<string, unknown>)[key], schema.values, file, joinPath(path, key))
      }
      return
    case 'object': {
      if (kindOf(value) !== 'object') return fail(`expected an object, ${got(value)}`)
      const record = value as Record<string, unknown>
      const known = Object.keys(schema.fields)
      for (const key of Object.keys(record)) {
        const field = schema.fields[key]
        if (field === undefined) return fail(`unknown key${suggestion(key, known)}`, joinPath(path, key))
        if (record[key] === undefined) continue
        validate(record[key], field, file, joinPath(path, key))
      }
      for (const key of schema.required) {
        if (record[key] === undefined) return fail('required key missing', joinPath(path, key))
      }
      return
    }
    case 'alt': {
      const kind = kindOf(value)
      const branch = kind === 'undefined' || kind === 'other' ? undefined : schema.branches[kind]
      if (branch === undefined) return fail(`expected ${schema.expected}, ${got(value)}`)
      return validate(value, branch, file, path)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Graph invariants

interface RefRule {
  readonly types: readonly string[]
  /** Dotted path of the field (`creation.template`). */
  readonly field: string
  readonly targets: readonly string[]
  /** The value is a UUID (not an XO id): resolved through `uuid`. */
  readonly byUuid?: boolean
  /** The field is an array of references. */
  readonly list?: boolean
  /** Targets of any type. */
  readonly anyType?: boolean
  /** A back-reference array the store derives from forward references (`relations.ts`). */
  readonly derived?: boolean
}

const VM_FAMILY = ['VM', 'VM-template', 'VM-snapshot', 'VM-controller']
const VDI_FAMILY = ['VDI', 'VDI-snapshot', 'VDI-unmanaged']

/** Every reference between objects that a loaded inventory is checked for. */
export const REFERENCE_RULES: readonly RefRule[] = [
  { types: VM_FAMILY, field: '$container', targets: ['host', 'pool'] },
  { types: VM_FAMILY, field: 'creation.template', targets: ['VM-template'], byUuid: true },
  { types: VM_FAMILY, field: 'creation.user', targets: ['user'] },
  { types: VM_FAMILY, field: 'affinityHost', targets: ['host'] },
  { types: VM_FAMILY, field: 'suspendSr', targets: ['SR'] },
  { types: VM_FAMILY, field: 'suspendVdi', targets: VDI_FAMILY },
  { types: VM_FAMILY, field: 'parent', targets: VM_FAMILY },
  { types: VM_FAMILY, field: '$VBDs', targets: ['VBD'], list: true, derived: true },
  { types: VM_FAMILY, field: 'VIFs', targets: ['VIF'], list: true, derived: true },
  { types: VM_FAMILY, field: 'snapshots', targets: ['VM-snapshot'], list: true, derived: true },
  { types: VM_FAMILY, field: 'VGPUs', targets: ['vgpu'], list: true },
  { types: VM_FAMILY, field: 'VTPMs', targets: ['VTPM'], list: true },
  { types: ['VM-snapshot'], field: '$snapshot_of', targets: ['VM', 'VM-template'] },
  { types: ['host'], field: 'controlDomain', targets: ['VM-controller'] },
  { types: ['host'], field: 'residentVms', targets: ['VM', 'VM-controller'], list: true, derived: true },
  { types: ['host'], field: 'PIFs', targets: ['PIF'], list: true, derived: true },
  { types: ['host'], field: '$PIFs', targets: ['PIF'], list: true, derived: true },
  { types: ['host'], field: 'PCIs', targets: ['PCI'], list: true, derived: true },
  { types: ['host'], field: '$PCIs', targets: ['PCI'], list: true, derived: true },
  { types: ['host'], field: 'PGPUs', targets: ['PGPU'], list: true, derived: true },
  { types: ['host'], field: '$PGPUs', targets: ['PGPU'], list: true, derived: true },
  { types: ['host'], field: '$PBDs', targets: ['PBD'], list: true, derived: true },
  { types: ['pool'], field: 'master', targets: ['host'] },
  { types: ['pool'], field: 'default_SR', targets: ['SR'] },
  { types: ['pool'], field: 'crashDumpSr', targets: ['SR'] },
  { types: ['pool'], field: 'suspendSr', targets: ['SR'] },
  { types: ['pool'], field: 'haSrs', targets: ['SR'], list: true },
  { types: ['SR'], field: '$container', targets: ['host', 'pool'] },
  { types: ['SR'], field: '$PBDs', targets: ['PBD'], list: true, derived: true },
  { types: ['SR'], field: 'VDIs', targets: VDI_FAMILY, list: true, derived: true },
  { types: VDI_FAMILY, field: '$SR', targets: ['SR'] },
  { types: VDI_FAMILY, field: '$VBDs', targets: ['VBD'], list: true, derived: true },
  { types: VDI_FAMILY, field: 'snapshots', targets: ['VDI-snapshot'], list: true, derived: true },
  { types: ['VDI-snapshot'], field: '$snapshot_of', targets: ['VDI'] },
  { types: ['VBD'], field: 'VM', targets: VM_FAMILY },
  { types: ['VBD'], field: 'VDI', targets: VDI_FAMILY },
  { types: ['VIF'], field: '$VM', targets: VM_FAMILY },
  { types: ['VIF'], field: '$network', targets: ['network'] },
  { types: ['network'], field: 'PIFs', targets: ['PIF'], list: true, derived: true },
  { types: ['network'], field: 'VIFs', targets: ['VIF'], list: true, derived: true },
  { types: ['PIF'], field: '$host', targets: ['host'] },
  { types: ['PIF'], field: '$network', targets: ['network'] },
  { types: ['PBD'], field: 'host', targets: ['host'] },
  { types: ['PBD'], field: 'SR', targets: ['SR'] },
  { types: ['PCI'], field: '$host', targets: ['host'] },
  { types: ['PGPU'], field: '$host', targets: ['host'] },
  { types: ['PGPU'], field: 'host', targets: ['host'] },
  { types: ['PGPU'], field: 'pci', targets: ['PCI'] },
  { types: ['PGPU'], field: 'gpuGroup', targets: ['gpuGroup'] },
  { types: ['gpuGroup'], field: 'pgpus', targets: ['PGPU'], list: true },
  { types: ['message'], field: '$object', targets: [], byUuid: true, anyType: true },
  { types: ['user'], field: 'groups', targets: ['group'], list: true },
  { types: ['group'], field: 'users', targets: ['user'], list: true },
  { types: ['server'], field: 'poolId', targets: ['pool'] },
]

/** A rule with every field set, so that all rules share one hidden class (hot loop). */
interface CompiledRule {
  readonly field: string
  readonly keys: readonly string[]
  readonly targets: readonly string[]
  readonly what: string
  readonly byUuid: boolean
  readonly list: boolean
  readonly anyType: boolean
  readonly derived: boolean
}

const rulesByType = new Map<string, CompiledRule[]>()
for (const rule of REFERENCE_RULES) {
  const compiled: CompiledRule = {
    field: rule.field,
    keys: rule.field.split('.'),
    targets: rule.targets,
    what: rule.anyType === true ? 'object' : rule.targets.join(' or '),
    byUuid: rule.byUuid === true,
    list: rule.list === true,
    anyType: rule.anyType === true,
    derived: rule.derived === true,
  }
  for (const type of rule.types) {
    let list = rulesByType.get(type)
    if (list === undefined) rulesByType.set(type, (list = []))
    list.push(compiled)
  }
}

const POOL_RULE: CompiledRule = { field: '$pool', keys: ['$pool'], targets: ['pool'], what: 'pool', byUuid: false, list: false, anyType: false, derived: false }

export interface InvariantOptions {
  /** Path of the i-th object, for messages (default: `<type> '<id>'`). */
  readonly pathOf?: (index: number, object: XoObject) => string
  /** Check the structural rules of generated inventories (placement, back-references, ids). */
  readonly strict?: boolean
  /**
   * Skip the back-reference arrays the store derives (they are valid when the forward references are):
   * for inventories just derived with `deriveBackReferences`.
   */
  readonly skipDerived?: boolean
}

export interface Problem {
  readonly path: string
  readonly reason: string
}

function get(object: XoObject, keys: readonly string[]): unknown {
  let value: unknown = object[keys[0]!]
  for (let i = 1; i < keys.length; i++) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[keys[i]!]
  }
  return value
}

const defaultPathOf = (_: number, object: XoObject): string => `${object.type} ${quote(object.id)}`

class Checker {
  readonly problems: Problem[] = []
  readonly byId = new Map<string, XoObject>()
  /** Objects whose uuid differs from their id (default templates, captures), by uuid. */
  readonly byOtherUuid = new Map<string, XoObject>()

  constructor(
    readonly objects: readonly XoObject[],
    readonly pathOf: (index: number, object: XoObject) => string,
  ) {
    for (const object of objects) {
      this.byId.set(object.id, object)
      const uuid = object.uuid
      if (typeof uuid === 'string' && uuid !== object.id && !this.byOtherUuid.has(uuid)) this.byOtherUuid.set(uuid, object)
    }
  }

  byUuid(uuid: string): XoObject | undefined {
    const object = this.byId.get(uuid)
    return object !== undefined && object.uuid === uuid ? object : this.byOtherUuid.get(uuid)
  }

  /** `field`: a key, or the keys of a nested field (`['creation', 'template']`, `['$VBDs', 3]`). */
  problem(index: number, field: string | readonly (string | number)[], reason: string): void {
    let path = this.pathOf(index, this.objects[index]!)
    for (const key of typeof field === 'string' ? [field] : field) path = joinPath(path, key)
    this.problems.push({ path, reason })
  }

  resolve(index: number, value: unknown, field: string | readonly (string | number)[], rule: CompiledRule): void {
    if (typeof value !== 'string') {
      this.problem(index, field, `expected an id, ${got(value)}`)
      return
    }
    const target = rule.byUuid ? this.byUuid(value) : this.byId.get(value)
    if (target === undefined || (!rule.anyType && !rule.targets.includes(target.type))) {
      this.problem(index, field, `no such ${rule.what} ${quote(value)}`)
    }
  }

  check(index: number, strict: boolean, skipDerived: boolean): void {
    const object = this.objects[index]!
    if (isXapiType(object.type)) {
      if (typeof object.uuid !== 'string') this.problem(index, 'uuid', 'required key missing')
      if (typeof object.$pool !== 'string') this.problem(index, '$pool', 'required key missing')
      else this.resolve(index, object.$pool, '$pool', POOL_RULE)
      if (object.$poolId !== object.$pool) this.problem(index, '$poolId', `expected ${quote(object.$pool)} (same as $pool), got ${quote(object.$poolId)}`)
      const ref = object._xapiRef
      if (typeof ref !== 'string' || !ref.startsWith('OpaqueRef:')) this.problem(index, '_xapiRef', 'expected an OpaqueRef')
    }
    const rules = rulesByType.get(object.type)
    if (rules !== undefined) {
      for (const rule of rules) {
        if (skipDerived && rule.derived) continue
        const value = get(object, rule.keys)
        if (value === undefined || value === null) continue
        if (rule.list) {
          if (!Array.isArray(value)) {
            this.problem(index, rule.keys, `expected an array, ${got(value)}`)
            continue
          }
          for (let i = 0; i < value.length; i++) {
            const item: unknown = value[i]
            // fast path: most references resolve
            if (typeof item === 'string' && !rule.byUuid) {
              const target = this.byId.get(item)
              if (target !== undefined && rule.targets.includes(target.type)) continue
            }
            this.resolve(index, item, [...rule.keys, i], rule)
          }
        } else {
          this.resolve(index, value, rule.keys, rule)
        }
      }
    }
    if (strict) checkStrict(this, index, object)
  }
}

/**
 * Checks every reference of `objects` (see REFERENCE_RULES) and, with `strict`, the structural rules of
 * inventories built by the loader. Returns the problems found, in object order.
 */
export function checkInvariants(objects: readonly XoObject[], options: InvariantOptions = {}): Problem[] {
  const checker = new Checker(objects, options.pathOf ?? defaultPathOf)
  const strict = options.strict === true
  const skipDerived = options.skipDerived === true
  for (let index = 0; index < objects.length; index++) checker.check(index, strict, skipDerived)
  return checker.problems
}

function inPool(checker: Checker, index: number, object: XoObject, field: string): void {
  const value = object[field]
  if (typeof value !== 'string') return
  const target = checker.byId.get(value)
  if (target !== undefined && target.$pool !== undefined && target.$pool !== object.$pool) {
    checker.problem(index, field, `${target.type} ${quote(value)} is in another pool`)
  }
}

/** Rules that hold in every inventory the loader builds (not necessarily in captures). */
function checkStrict(checker: Checker, index: number, object: XoObject): void {
  const type = object.type
  if (isXapiType(type)) {
    const expectedId =
      type === 'VM-template' && object.isDefaultTemplate === true ? `${String(object.$pool)}-${String(object.uuid)}` : object.uuid
    if (object.id !== expectedId) checker.problem(index, 'id', `expected ${quote(expectedId)}, got ${quote(object.id)}`)
  }
  switch (type) {
    case 'VM':
    case 'VM-controller':
    case 'VM-snapshot':
    case 'VM-template': {
      const container = checker.byId.get(String(object.$container))
      const resident = object.power_state === 'Running' || object.power_state === 'Paused'
      if (type === 'VM-controller') {
        if (container?.type !== 'host') checker.problem(index, '$container', 'a control domain must be on a host')
      } else if (resident) {
        if (container?.type !== 'host') checker.problem(index, '$container', `a ${String(object.power_state)} VM must be on a host`)
        else if (container.power_state !== 'Running') checker.problem(index, '$container', `host ${quote(container.id)} is not running`)
      } else if (container !== undefined && container.type !== 'pool') {
        checker.problem(index, '$container', `a ${String(object.power_state)} ${type} must have its pool as $container`)
      }
      inPool(checker, index, object, '$container')
      break
    }
    case 'host': {
      const dom0 = checker.byId.get(String(object.controlDomain))
      if (dom0 !== undefined && dom0.$container !== object.id) checker.problem(index, 'controlDomain', `control domain ${quote(dom0.id)} is not on this host`)
      break
    }
    case 'VBD':
      if (object.VDI === undefined && object.is_cd_drive !== true) checker.problem(index, 'VDI', 'only a CD drive may be empty')
      inPool(checker, index, object, 'VM')
      inPool(checker, index, object, 'VDI')
      break
    case 'VIF':
      inPool(checker, index, object, '$VM')
      inPool(checker, index, object, '$network')
      break
    case 'PIF':
      inPool(checker, index, object, '$host')
      inPool(checker, index, object, '$network')
      break
    case 'PBD':
      inPool(checker, index, object, 'host')
      inPool(checker, index, object, 'SR')
      break
    case 'VDI':
    case 'VDI-snapshot':
      inPool(checker, index, object, '$SR')
      break
  }
}

/** Checks that every back-reference array equals what the forward references give. */
export function checkBackReferences(objects: readonly XoObject[], derive: (objects: XoObject[]) => void): Problem[] {
  const copies = objects.map((object) => ({ ...object }))
  derive(copies)
  const problems: Problem[] = []
  for (let i = 0; i < objects.length; i++) {
    const original = objects[i]!
    const derived = copies[i]!
    for (const key of Object.keys(derived)) {
      const a = original[key]
      const b = derived[key]
      if (Array.isArray(b) && Array.isArray(a) && (a.length !== b.length || a.some((value, j) => value !== b[j]))) {
        problems.push({ path: joinPath(`${original.type} ${quote(original.id)}`, key), reason: `expected [${b.join(', ')}], got [${a.join(', ')}]` })
      }
    }
  }
  return problems
}

