/**
 * The few lodash 4 behaviours XO's matchers depend on (`isPlainObject`,
 * `some`, `keys`), re-implemented without allocation on the hot path.
 */

const objectProto = Object.prototype
const hasOwn = Object.prototype.hasOwnProperty
const objectToString = Object.prototype.toString
const functionToString = Function.prototype.toString
const objectCtorString = functionToString.call(Object)

/**
 * lodash `isPlainObject`: created by `{}`/`new Object()`/`Object.create(null)`
 * (or whose prototype's own `constructor` is an `Object` function, e.g. from
 * another realm). Class instances, arrays, dates… are not plain.
 *
 * Known simplification: an `arguments` object is reported plain (lodash says
 * no); it cannot occur in JSON-like data.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === objectProto || proto === null) return true
  if (objectToString.call(value) !== '[object Object]') return false
  const Ctor: unknown = hasOwn.call(proto, 'constructor') && (proto as { constructor: unknown }).constructor
  return typeof Ctor === 'function' && Ctor instanceof Ctor && functionToString.call(Ctor) === objectCtorString
}

/** lodash `isLength`: a valid array-like length. */
export function isLength(value: unknown): value is number {
  return typeof value === 'number' && value > -1 && value % 1 === 0 && value <= Number.MAX_SAFE_INTEGER
}

/** lodash `isArrayLike` for non-null object values (functions excluded). */
export function isArrayLikeObject(value: object): boolean {
  return typeof value !== 'function' && isLength((value as { length?: unknown }).length)
}

/**
 * lodash `some(collection, predicate)` for an array or a plain object.
 *
 * Like lodash, an object with a valid numeric `length` is iterated as an
 * array-like (indices `0 … length - 1`), otherwise over its own enumerable
 * string keys.
 */
export function someValue(collection: object, predicate: (value: unknown) => boolean): boolean {
  if (Array.isArray(collection)) {
    for (let i = 0, n = collection.length; i < n; ++i) {
      if (predicate(collection[i])) return true
    }
    return false
  }

  const record = collection as Record<string, unknown>
  const length = record.length
  if (isLength(length)) {
    for (let i = 0; i < length; ++i) {
      if (predicate(record[i])) return true
    }
    return false
  }

  for (const key in record) {
    if (hasOwn.call(record, key) && predicate(record[key])) return true
  }
  return false
}

/** lodash `keys`: own enumerable string keys (indices first for array-likes/strings). */
export function lodashKeys(value: unknown): string[] {
  if (value == null) return []
  if (typeof value === 'string') {
    const result: string[] = []
    for (let i = 0; i < value.length; ++i) result.push(String(i))
    return result
  }
  if (typeof value !== 'object' && typeof value !== 'function') return []
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const length = (value as ArrayLike<unknown>).length
    const result: string[] = []
    for (let i = 0; i < length; ++i) result.push(String(i))
    for (const key of Object.keys(value)) {
      if (!isIndex(key, length)) result.push(key)
    }
    return result
  }
  return Object.keys(value)
}

function isIndex(key: string, length: number): boolean {
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < length
}

/** lodash `getTag` (raw `Object.prototype.toString` tag; plain objects are `[object Object]`). */
export function getTag(value: unknown): string {
  if (isPlainObject(value)) return '[object Object]'
  return objectToString.call(value)
}

