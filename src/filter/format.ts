/**
 * Serialises an AST back to filter syntax, in the same format as XO's
 * `node.toString()` (canonical spacing, minimal quoting), so that
 * `parseFilter(filterToString(ast))` is equivalent to `ast`.
 *
 * Two deliberate differences from XO's `toString`, both to keep the output
 * re-parseable:
 * - numbers whose `String()` form contains `e+` (≥ 1e21) are written without
 *   the `+` (`>1e21`; XO writes `>1e+21`, which its parser rejects);
 * - strings are tested for raw-ness per UTF-16 code unit, as the parser reads
 *   them (XO tests per code point, leaving astral cased letters such as
 *   `𐐀` unquoted, which its parser then rejects).
 */

import type { FilterNode } from './ast.js'
import { isRawString } from './chars.js'

function formatString(value: string): string {
  if (!Number.isNaN(Number(value))) return `"${value}"`
  return isRawString(value) ? value : `"${value.replace(/[\\"]/g, '\\$&')}"`
}

function formatNumber(value: number): string {
  return String(value).replace('e+', 'e')
}

function formatTerms(children: readonly FilterNode[]): string {
  return children.map(child => format(child, true)).join(' ')
}

function format(node: FilterNode, isNested: boolean): string {
  switch (node.type) {
    case 'null':
      return ''
    case 'and': {
      const terms = formatTerms(node.children)
      return isNested ? `(${terms})` : terms
    }
    case 'or':
      return `|(${formatTerms(node.children)})`
    case 'not':
      return `!${format(node.child, true)}`
    case 'property':
      return `${formatString(node.name)}:${format(node.child, true)}`
    case 'truthyProperty':
      return `${formatString(node.name)}?`
    case 'comparison':
      return node.operator + formatNumber(node.value)
    case 'string':
      return formatString(node.value)
    case 'numberOrString':
    case 'glob':
      return node.value
    case 'regexp':
      return String(new RegExp(node.pattern, node.flags))
  }
  throw new TypeError(`unknown filter node type: ${String((node as { type: unknown }).type)}`)
}

export function filterToString(node: FilterNode): string {
  return format(node, false)
}
