/**
 * Typed AST of XO's complex-matcher filter language.
 *
 * The node kinds mirror the ones XO's parser can produce
 * (`packages/complex-matcher/index.js` in vatesfr/xen-orchestra); nodes are
 * plain, JSON-serialisable data so that they can be compared structurally.
 * Matching semantics live in `matcher.ts`, serialisation in `format.ts`.
 */

export type ComparisonOperator = '>' | '>=' | '<' | '<='

/** The empty filter: matches everything. */
export interface NullFilterNode {
  readonly type: 'null'
}

/** All children must match (whitespace-separated terms, `( … )` groups). */
export interface AndFilterNode {
  readonly type: 'and'
  readonly children: readonly FilterNode[]
}

/** At least one child must match (`|( … )`). */
export interface OrFilterNode {
  readonly type: 'or'
  readonly children: readonly FilterNode[]
}

/** Negation (`!term`). */
export interface NotFilterNode {
  readonly type: 'not'
  readonly child: FilterNode
}

/** `name:term` — applies `child` to `value[name]` (value must not be nullish). */
export interface PropertyFilterNode {
  readonly type: 'property'
  readonly name: string
  readonly child: FilterNode
}

/** `name?` — `value[name]` is truthy (value must not be nullish). */
export interface TruthyPropertyFilterNode {
  readonly type: 'truthyProperty'
  readonly name: string
}

/** `>n`, `>=n`, `<n`, `<=n` — JavaScript relational comparison with a number. */
export interface ComparisonFilterNode {
  readonly type: 'comparison'
  readonly operator: ComparisonOperator
  readonly value: number
}

/**
 * Case-insensitive substring match on strings, searched recursively in arrays
 * and plain objects. Produced by quoted strings and by raw words that contain
 * no `*` and are not numeric.
 */
export interface StringFilterNode {
  readonly type: 'string'
  readonly value: string
}

/**
 * A raw word that is a valid JavaScript number (`Number(word)` is not NaN):
 * strictly equals that number, or is a case-insensitive substring of a string;
 * searched recursively in arrays and plain objects.
 */
export interface NumberOrStringFilterNode {
  readonly type: 'numberOrString'
  readonly value: string
}

/** A raw word containing `*`: unanchored, case-insensitive glob (`*` = `.*`). */
export interface GlobFilterNode {
  readonly type: 'glob'
  readonly value: string
}

/** `/pattern/` or `/pattern/i`: JavaScript regular expression test on strings. */
export interface RegExpFilterNode {
  readonly type: 'regexp'
  readonly pattern: string
  readonly flags: '' | 'i'
}

export type FilterNode =
  | NullFilterNode
  | AndFilterNode
  | OrFilterNode
  | NotFilterNode
  | PropertyFilterNode
  | TruthyPropertyFilterNode
  | ComparisonFilterNode
  | StringFilterNode
  | NumberOrStringFilterNode
  | GlobFilterNode
  | RegExpFilterNode

export type FilterNodeType = FilterNode['type']

// ---------------------------------------------------------------------------
// Constructors. `and`/`or` with a single child collapse to that child, exactly
// like XO's `And`/`Or` constructors do.

export const NULL_NODE: NullFilterNode = Object.freeze({ type: 'null' })

export function andNode(children: readonly FilterNode[]): FilterNode {
  return children.length === 1 ? children[0]! : { type: 'and', children }
}

export function orNode(children: readonly FilterNode[]): FilterNode {
  return children.length === 1 ? children[0]! : { type: 'or', children }
}

export function notNode(child: FilterNode): NotFilterNode {
  return { type: 'not', child }
}

export function propertyNode(name: string, child: FilterNode): PropertyFilterNode {
  return { type: 'property', name, child }
}

export function truthyPropertyNode(name: string): TruthyPropertyFilterNode {
  return { type: 'truthyProperty', name }
}

export function comparisonNode(operator: ComparisonOperator, value: number): ComparisonFilterNode {
  return { type: 'comparison', operator, value }
}

export function stringNode(value: string): StringFilterNode {
  return { type: 'string', value }
}

export function numberOrStringNode(value: string): NumberOrStringFilterNode {
  return { type: 'numberOrString', value }
}

/** A raw word: glob when it contains `*`, plain substring match otherwise. */
export function globOrStringNode(value: string): GlobFilterNode | StringFilterNode {
  return value.includes('*') ? { type: 'glob', value } : { type: 'string', value }
}

export function regExpNode(pattern: string, flags: '' | 'i'): RegExpFilterNode {
  return { type: 'regexp', pattern, flags }
}
