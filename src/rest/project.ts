/**
 * Collection item mapping (`helpers/object-wrapper.helper.mts`, reference §3):
 * - no `fields` → the href string;
 * - `fields=*` → `{...object, href}`;
 * - `fields=a,b.c` → `{...pick(object, fields.split(',')), href}` with lodash 4 `pick` semantics:
 *   dotted/bracket paths build nested objects (`CPUs.number` → `{CPUs: {number}}`, `tags[0]` →
 *   `{tags: [value]}`), missing paths are absent, a key that exists verbatim (`"xo:backup"`, or one
 *   containing a dot) wins over the path reading, and `href` is always the last key.
 * Everything is compiled once per request; the per-item work only walks the requested paths.
 */

export type ItemMapper = (object: Readonly<Record<string, unknown>>, href: string) => unknown

const hasOwn = Object.prototype.hasOwnProperty

// lodash `isKey` / `stringToPath` regular expressions
const reIsDeepProp = /\.|\[(?:[^[\]]*|(["'])(?:(?!\1)[^\\]|\\.)*?\1)\]/
const reIsPlainProp = /^\w*$/
const rePropName = /[^.[\]]+|\[(?:(-?\d+(?:\.\d+)?)|(["'])((?:(?!\2)[^\\]|\\.)*?)\2)\]|(?=(?:\.|\[\])(?:\.|\[\]|$))/g
const reEscapeChar = /\\(\\)?/g
const reIsUint = /^(?:0|[1-9]\d*)$/

/** lodash `stringToPath`. */
export function stringToPath(string: string): string[] {
  const result: string[] = []
  if (string.charCodeAt(0) === 46 /* . */) result.push('')
  string.replace(rePropName, (match: string, number?: string, quote?: string, subString?: string) => {
    result.push(quote ? subString!.replace(reEscapeChar, '$1') : (number ?? match))
    return ''
  })
  return result
}

function isIndex(key: string): boolean {
  return reIsUint.test(key) && Number(key) < Number.MAX_SAFE_INTEGER
}

/**
 * lodash `key in Object(value)` restricted to what JSON data can hold: own properties, plus `length`
 * and indices of arrays and strings (inherited members such as `toString` are functions that JSON
 * drops anyway).
 */
function hasIn(value: unknown, key: string): boolean {
  if (value === null || value === undefined) return false
  if (typeof value === 'object') return hasOwn.call(value, key) || (key === 'length' && Array.isArray(value))
  if (typeof value === 'string') return key === 'length' || (isIndex(key) && Number(key) < value.length)
  return false
}

function getIn(value: unknown, key: string): unknown {
  return (value as Record<string, unknown>)[key]
}

interface CompiledField {
  /** The field as written: used verbatim when the object has such an own key. */
  readonly raw: string
  /** Its path when it is a deep property (`undefined` for plain keys). */
  readonly path: readonly string[] | undefined
}

function compileField(raw: string): CompiledField {
  const deep = !reIsPlainProp.test(raw) && reIsDeepProp.test(raw)
  return { raw, path: deep ? stringToPath(raw) : undefined }
}

/** lodash `baseSet` into the (fresh) result object. */
function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let nested: Record<string, unknown> = target
  const last = path.length - 1
  for (let i = 0; i <= last; i++) {
    const key = path[i]!
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return
    if (i === last) {
      nested[key] = value
    } else {
      const current = nested[key]
      let next: Record<string, unknown>
      if (current !== null && typeof current === 'object') next = current as Record<string, unknown>
      else {
        next = (isIndex(path[i + 1]!) ? [] : {}) as Record<string, unknown>
        nested[key] = next
      }
      nested = next
    }
  }
}

function pickInto(out: Record<string, unknown>, object: Readonly<Record<string, unknown>>, field: CompiledField): void {
  const { raw, path } = field
  if (path === undefined || hasOwn.call(object, raw)) {
    if (hasOwn.call(object, raw) && raw !== '__proto__') out[raw] = object[raw]
    return
  }
  let value: unknown = object
  for (const key of path) {
    if (!hasIn(value, key)) return
    value = getIn(value, key)
  }
  setPath(out, path, value)
}

/** Compiles the `fields` parameter into the item mapper. */
export function compileProjection(fields: string | undefined): ItemMapper {
  if (fields === undefined) return (_object, href) => href
  if (fields === '*') return (object, href) => ({ ...object, href })
  const compiled = fields.split(',').map(compileField)
  if (compiled.every((field) => field.path === undefined)) {
    // the common case (`fields=name_label,power_state`): plain keys only
    const keys = compiled.map((field) => field.raw).filter((key) => key !== '__proto__')
    return (object, href) => {
      const out: Record<string, unknown> = {}
      for (const key of keys) if (hasOwn.call(object, key)) out[key] = object[key]
      out.href = href
      return out
    }
  }
  return (object, href) => {
    const out: Record<string, unknown> = {}
    for (const field of compiled) pickInto(out, object, field)
    out.href = href
    return out
  }
}
