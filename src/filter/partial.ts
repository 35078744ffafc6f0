/**
 * Object filters of `xo.getAllObjects({ filter: {…} })`: XO passes them to
 * lodash `iteratee`, i.e. `_.matches(pattern)` — a deep *partial* comparison
 * (lodash `isMatch` semantics, lodash 4):
 *
 * - every own enumerable key of the pattern must be present (`in`, so
 *   inherited keys count) in the object;
 * - primitives compare with `===` (so strings are exact and case-sensitive),
 *   except that `NaN` equals `NaN`;
 * - nested plain objects are compared partially (`{}` matches any object,
 *   but not an array);
 * - arrays are compared as unordered subsets: every pattern element must
 *   partially match a distinct element of the object's array, picked
 *   greedily in order (first unused match wins, no backtracking); `[]`
 *   matches any array; a longer pattern array never matches;
 * - the object is boxed (`Object(value)`) at the top level, and a nullish
 *   object only matches an empty pattern.
 */

import { getTag, lodashKeys } from './lodash.js'

const ARRAY_TAG = '[object Array]'
const OBJECT_TAG = '[object Object]'
const ARGUMENTS_TAG = '[object Arguments]'

function isObjectLike(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}

// lodash `isStrictComparable`: can be compared with `===`.
function isStrictComparable(value: unknown): boolean {
  return value === value && !(typeof value === 'function' || isObjectLike(value))
}

/** lodash `baseIsEqual(source, other, PARTIAL | UNORDERED)`. */
function isEqualPartial(source: unknown, other: unknown): boolean {
  if (source === other) return true
  if (source == null || other == null || (!isObjectLike(source) && !isObjectLike(other))) {
    return source !== source && other !== other
  }
  return isEqualPartialDeep(source, other)
}

function isEqualPartialDeep(source: unknown, other: unknown): boolean {
  const sourceIsArray = Array.isArray(source)
  let sourceTag = sourceIsArray ? ARRAY_TAG : getTag(source)
  let otherTag = Array.isArray(other) ? ARRAY_TAG : getTag(other)
  if (sourceTag === ARGUMENTS_TAG) sourceTag = OBJECT_TAG
  if (otherTag === ARGUMENTS_TAG) otherTag = OBJECT_TAG
  const sameTag = sourceTag === otherTag

  if (sameTag && sourceTag !== OBJECT_TAG) {
    if (sourceIsArray || (ArrayBuffer.isView(source) && !(source instanceof DataView))) {
      return equalArrays(source as ArrayLike<unknown>, other as ArrayLike<unknown>)
    }
    return equalByTag(source, other, sourceTag)
  }
  if (!sameTag) return false
  return equalObjects(source as object, other as object)
}

function equalArrays(source: ArrayLike<unknown>, other: ArrayLike<unknown>): boolean {
  const sourceLength = source.length
  const otherLength = other.length
  if (otherLength < sourceLength) return false

  // indices of `other` already paired with an element of `source`
  let seen: number[] | undefined
  for (let i = 0; i < sourceLength; ++i) {
    const sourceValue = source[i]
    let found = false
    for (let j = 0; j < otherLength; ++j) {
      if (seen !== undefined && seen.includes(j)) continue
      const otherValue = other[j]
      if (sourceValue === otherValue || isEqualPartial(sourceValue, otherValue)) {
        ;(seen ??= []).push(j)
        found = true
        break
      }
    }
    if (!found) return false
  }
  return true
}

function equalByTag(source: unknown, other: unknown, tag: string): boolean {
  switch (tag) {
    case '[object Boolean]':
    case '[object Date]':
    case '[object Number]': {
      const a = +(source as number)
      const b = +(other as number)
      return a === b || (a !== a && b !== b)
    }
    case '[object Error]': {
      const a = source as Error
      const b = other as Error
      return a.name === b.name && a.message === b.message
    }
    case '[object RegExp]':
    case '[object String]':
      return String(source) === String(other)
    case '[object Map]':
    case '[object Set]':
      // lodash compares Map entries as `[key, value]` pairs, Set values as-is
      return equalArrays([...(source as Iterable<unknown>)], [...(other as Iterable<unknown>)])
  }
  return false
}

function equalObjects(source: object, other: object): boolean {
  const keys = ownEnumerableKeys(source)
  for (let i = keys.length - 1; i >= 0; --i) {
    if (!(keys[i]! in other)) return false
  }
  for (const key of keys) {
    const sourceValue = (source as Record<PropertyKey, unknown>)[key]
    const otherValue = (other as Record<PropertyKey, unknown>)[key]
    if (!(sourceValue === otherValue || isEqualPartial(sourceValue, otherValue))) return false
  }
  return true
}

// lodash `getAllKeys`: `keys` plus own enumerable symbols
function ownEnumerableKeys(value: object): PropertyKey[] {
  const keys: PropertyKey[] = lodashKeys(value)
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, symbol)) keys.push(symbol)
  }
  return keys
}

interface MatchDatum {
  readonly key: string
  readonly value: unknown
  readonly strict: boolean
}

/**
 * Compiles an object filter once (lodash `_.matches(pattern)`), for use on
 * many objects.
 */
export function compilePartial(pattern: unknown): (value: unknown) => boolean {
  const data: MatchDatum[] = lodashKeys(pattern).map(key => {
    const value = (pattern as Record<string, unknown>)[key]
    return { key, value, strict: isStrictComparable(value) }
  })
  const length = data.length

  return (value: unknown): boolean => {
    if (value === pattern) return true
    if (value == null) return length === 0
    const object = Object(value) as Record<string, unknown>
    for (let i = length - 1; i >= 0; --i) {
      const datum = data[i]!
      if (datum.strict ? datum.value !== object[datum.key] : !(datum.key in object)) return false
    }
    for (let i = 0; i < length; ++i) {
      const { key, value: sourceValue, strict } = data[i]!
      const objectValue = object[key]
      if (strict) {
        if (objectValue === undefined && !(key in object)) return false
      } else if (!isEqualPartial(sourceValue, objectValue)) {
        return false
      }
    }
    return true
  }
}

/** lodash `_.isMatch(value, pattern)` / `_.matches(pattern)(value)`. */
export function matchesPartial(pattern: unknown, value: unknown): boolean {
  return compilePartial(pattern)(value)
}
