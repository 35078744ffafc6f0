/**
 * Query parameters of collection routes (`fields`, `filter`, `limit`, `ndjson`, `markdown`), validated
 * with tsoa's rules (`@tsoa/runtime` ValidationService), reference §0 and §3:
 * - strings: a repeated parameter (array) → `invalid string value`;
 * - booleans: `true`/`false`, case-insensitive, else `invalid boolean value`;
 * - `limit`: validator.js `isFloat` then `parseFloat`, else `invalid float number`;
 * - undeclared parameters are ignored.
 * Failures are collected in declaration order and thrown together as one 422 (ValidationError).
 */
import { ValidationError, invalidParameters, type FieldError } from './errors.js'

export interface CollectionQuery {
  /** Raw `fields` value (`undefined`: hrefs only). */
  readonly fields: string | undefined
  /** Raw `filter` value (`undefined` or empty: everything). */
  readonly filter: string | undefined
  /** `Infinity` when absent; negative or fractional values never reach 0, i.e. no limit (like XO). */
  readonly limit: number
  readonly ndjson: boolean
  readonly markdown: boolean
}

type RawQuery = Readonly<Record<string, unknown>>

// validator.js `isFloat` (default locale, `.` as decimal separator)
const FLOAT_RE = /^(?:[-+])?(?:[0-9]+)?(?:\.[0-9]*)?(?:[eE][+-]?(?:[0-9]+))?$/

function parseString(query: RawQuery, name: string, errors: Record<string, FieldError>): string | undefined {
  const value = query[name]
  if (value === undefined || typeof value === 'string') return value
  errors[name] = { message: 'invalid string value', value }
  return undefined
}

/**
 * tsoa's boolean rule, with one deliberate extension: a bare flag (`?ndjson`, i.e. an empty value)
 * counts as `true`. XO (tsoa) answers 422 `invalid boolean value` for it, but the legacy API enabled
 * NDJSON by the mere presence of the key and the seed documents and many scripts still use `?ndjson`,
 * so the mock accepts it. Any other value than true/false (`ndjson=yes`, `ndjson=1`) is still a 422.
 */
function parseBoolean(query: RawQuery, name: string, errors: Record<string, FieldError>): boolean {
  const value = query[name]
  if (value === undefined || value === '') return value === ''
  if (typeof value === 'string') {
    const lower = value.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
  }
  errors[name] = { message: 'invalid boolean value', value }
  return false
}

function parseFloatParam(query: RawQuery, name: string, errors: Record<string, FieldError>): number {
  const value = query[name]
  if (value === undefined) return Infinity
  const text = String(value)
  if (text !== '' && text !== '.' && text !== '-' && text !== '+' && FLOAT_RE.test(text)) {
    return parseFloat(text)
  }
  errors[name] = { message: 'invalid float number', value }
  return Infinity
}

/**
 * Validates the collection parameters (422 on failure) and rejects `ndjson` together with `markdown`
 * (422 `Cannot use both ndjson and markdown output formats simultaneously`).
 * With the legacy profile the parameters follow the hand-written router instead (see below).
 */
export function parseCollectionQuery(query: RawQuery, profile: 'current' | 'legacy' = 'current'): CollectionQuery {
  if (profile === 'legacy') return parseLegacyCollectionQuery(query)
  const errors: Record<string, FieldError> = {}
  // declaration order of XO's collection methods: fields, ndjson, markdown, filter, limit
  const fields = parseString(query, 'fields', errors)
  const ndjson = parseBoolean(query, 'ndjson', errors)
  const markdown = parseBoolean(query, 'markdown', errors)
  const filter = parseString(query, 'filter', errors)
  const limit = parseFloatParam(query, 'limit', errors)
  if (Object.keys(errors).length !== 0) throw new ValidationError(errors)
  return { fields, filter, limit, ndjson, markdown }
}

/** The output-format conflict, checked once the request is otherwise valid. */
export function assertSingleFormat(query: CollectionQuery): void {
  if (query.ndjson && query.markdown) throw invalidParameters('Cannot use both ndjson and markdown output formats simultaneously')
}

// --- legacy profile (`--api-profile legacy`, reference §3 "Legacy differences") -------------------

const hasOwn = Object.prototype.hasOwnProperty

/**
 * The hand-written router's parameters: `ndjson` is enabled by the mere presence of the key (any
 * value, `?ndjson=false` included), `markdown` did not exist (ignored), `limit` is `Number(limit)`
 * (anything unparsable means no limit), nothing is ever a 422.
 */
function parseLegacyCollectionQuery(query: RawQuery): CollectionQuery {
  const first = (value: unknown): string | undefined => (Array.isArray(value) ? first(value[0]) : typeof value === 'string' ? value : undefined)
  const limitText = first(query.limit)
  const limit = limitText === undefined ? Infinity : Number(limitText)
  return {
    fields: first(query.fields),
    filter: first(query.filter),
    limit: Number.isNaN(limit) ? Infinity : limit,
    ndjson: hasOwn.call(query, 'ndjson'),
    markdown: false,
  }
}
