/**
 * Matching semantics of XO's complex-matcher nodes, compiled to closures.
 *
 * Compilation happens once per filter; the returned predicate does not
 * allocate for ASCII data (needles are lower-cased and regular expressions
 * built at compile time; haystacks are compared case-insensitively in place).
 */

import type { FilterNode } from './ast.js'
import { isPlainObject, someValue } from './lodash.js'

export type Predicate = (value: unknown) => boolean

const always: Predicate = () => true

/**
 * `haystack.toLowerCase().includes(lcNeedle)` where `lcNeedle` is already
 * lower-cased. ASCII haystacks are searched in place; as soon as a non-ASCII
 * code unit is reached without a match, falls back to the exact
 * `toLowerCase()` semantics (which may change lengths, e.g. `İ`, or map
 * non-ASCII to ASCII, e.g. the Kelvin sign `K` → `k`).
 */
function includesLowerCase(haystack: string, lcNeedle: string, needleIsAscii: boolean): boolean {
  const m = lcNeedle.length
  if (m === 0) return true
  const n = haystack.length
  if (!needleIsAscii) {
    // an ASCII-only haystack lower-cases to ASCII only
    for (let i = 0; i < n; ++i) {
      if (haystack.charCodeAt(i) > 0x7f) return haystack.toLowerCase().includes(lcNeedle)
    }
    return false
  }
  const first = lcNeedle.charCodeAt(0)
  outer: for (let i = 0; i < n; ++i) {
    let c = haystack.charCodeAt(i)
    if (c > 0x7f) return haystack.toLowerCase().includes(lcNeedle)
    if (i + m > n) {
      // no room left for a match, but a later non-ASCII code unit could expand
      continue
    }
    if (c >= 0x41 && c <= 0x5a) c += 0x20
    if (c !== first) continue
    for (let j = 1; j < m; ++j) {
      let d = haystack.charCodeAt(i + j)
      if (d >= 0x41 && d <= 0x5a) d += 0x20
      if (d !== lcNeedle.charCodeAt(j)) continue outer
    }
    return true
  }
  return false
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; ++i) {
    if (value.charCodeAt(i) > 0x7f) return false
  }
  return true
}

/** Applies `leaf` to strings and recurses into arrays and plain objects (lodash `some`). */
function recursive(leaf: (value: string) => boolean, other?: (value: unknown) => boolean): Predicate {
  const predicate = (value: unknown): boolean => {
    if (typeof value === 'string') return leaf(value)
    if (other !== undefined && other(value)) return true
    if (typeof value === 'object' && value !== null && (Array.isArray(value) || isPlainObject(value))) {
      return someValue(value, predicate)
    }
    return false
  }
  return predicate
}

function substring(needle: string): (value: string) => boolean {
  const lc = needle.toLowerCase()
  const ascii = isAscii(lc)
  return value => includesLowerCase(value, lc, ascii)
}

// lodash `escapeRegExp` character set
const REGEXP_SPECIAL = /[\\^$.*+?()[\]{}|]/g

/** Glob source as XO builds it: split on `*`, escape each part, join with `.*`, flag `i`. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(
    glob
      .split('*')
      .map(part => part.replace(REGEXP_SPECIAL, '\\$&'))
      .join('.*'),
    'i',
  )
}

function compileChildren(children: readonly FilterNode[]): Predicate[] {
  return children.map(compileNode)
}

export function compileNode(node: FilterNode): Predicate {
  switch (node.type) {
    case 'null':
      return always

    case 'and': {
      const predicates = compileChildren(node.children)
      if (predicates.length === 2) {
        const [a, b] = predicates as [Predicate, Predicate]
        return value => a(value) && b(value)
      }
      return value => {
        for (const predicate of predicates) if (!predicate(value)) return false
        return true
      }
    }

    case 'or': {
      const predicates = compileChildren(node.children)
      if (predicates.length === 2) {
        const [a, b] = predicates as [Predicate, Predicate]
        return value => a(value) || b(value)
      }
      return value => {
        for (const predicate of predicates) if (predicate(value)) return true
        return false
      }
    }

    case 'not': {
      const child = compileNode(node.child)
      return value => !child(value)
    }

    case 'property': {
      const { name } = node
      const child = compileNode(node.child)
      return value => value != null && child((value as Record<string, unknown>)[name])
    }

    case 'truthyProperty': {
      const { name } = node
      return value => value != null && !!(value as Record<string, unknown>)[name]
    }

    case 'comparison': {
      // XO HEAD: plain JavaScript relational operators, so the operand is
      // coerced (numeric strings, booleans, null → 0, dates, [n]…); `undefined`,
      // plain objects and non-numeric strings compare as NaN (false).
      // complex-matcher@0.7.0 additionally required `typeof value === 'number'`.
      const limit = node.value
      switch (node.operator) {
        case '>':
          return value => (value as number) > limit
        case '>=':
          return value => (value as number) >= limit
        case '<':
          return value => (value as number) < limit
        case '<=':
          return value => (value as number) <= limit
      }
      throw new TypeError(`unknown comparison operator: ${String((node as { operator: unknown }).operator)}`)
    }

    case 'string':
      return recursive(substring(node.value))

    case 'numberOrString': {
      const number = Number(node.value)
      return recursive(substring(node.value), value => value === number)
    }

    case 'glob': {
      const re = globToRegExp(node.value)
      return recursive(value => re.test(value))
    }

    case 'regexp': {
      const re = new RegExp(node.pattern, node.flags)
      return recursive(value => re.test(value))
    }
  }
  throw new TypeError(`unknown filter node type: ${String((node as { type: unknown }).type)}`)
}

const compiledNodes = new WeakMap<FilterNode, Predicate>()

/** Compiles (once per node object, cached) and returns the predicate of an AST. */
export function predicateOf(node: FilterNode): Predicate {
  let predicate = compiledNodes.get(node)
  if (predicate === undefined) {
    predicate = compileNode(node)
    compiledNodes.set(node, predicate)
  }
  return predicate
}

/** Whether `value` matches the filter `node`, with XO's semantics. */
export function matchFilter(node: FilterNode, value: unknown): boolean {
  return predicateOf(node)(value)
}
