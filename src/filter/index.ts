/**
 * XO's "complex-matcher" filter language (REST `?filter=`, JSON-RPC
 * `xo.getAllObjects({ filter: '…' })`) and lodash `_.matches` object filters
 * (`xo.getAllObjects({ filter: {…} })`).
 */

import type { FilterNode } from './ast.js'
import { predicateOf, type Predicate } from './matcher.js'
import { parseFilter } from './parser.js'

export type {
  AndFilterNode,
  ComparisonFilterNode,
  ComparisonOperator,
  FilterNode,
  FilterNodeType,
  GlobFilterNode,
  NotFilterNode,
  NullFilterNode,
  NumberOrStringFilterNode,
  OrFilterNode,
  PropertyFilterNode,
  RegExpFilterNode,
  StringFilterNode,
  TruthyPropertyFilterNode,
} from './ast.js'
export { FilterParseError, type FilterParseErrorKind } from './errors.js'
export { filterToString } from './format.js'
export { matchFilter, type Predicate } from './matcher.js'
export { compilePartial, matchesPartial } from './partial.js'
export { parseFilter }

const matchAll: Predicate = () => true

/**
 * Parses `input` once and returns its predicate. The empty or blank filter
 * matches everything. Throws `FilterParseError` (XO's message) on bad input.
 */
export function compileFilter(input: string): (value: unknown) => boolean {
  const node: FilterNode = parseFilter(input)
  return node.type === 'null' ? matchAll : predicateOf(node)
}
