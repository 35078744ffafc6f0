/**
 * Parser for XO's complex-matcher language.
 *
 * XO uses a small backtracking parser-combinator grammar; this is a hand
 * written recursive-descent equivalent that tries the same alternatives in the
 * same order, so that it accepts exactly the same inputs, builds the same tree,
 * fails at the same position and raises the same exceptions:
 *
 *   filter   := ws term* END
 *   term     := ( '(' ws term+ ')'
 *               | '|' ws '(' ws term+ ')'
 *               | '!' ws term
 *               | ('<' | '>') '='? rawString        → comparison
 *               | property ws ':' ws term           → property
 *               | property '?'                      → truthy property
 *               | value
 *               ) ws
 *   property := quotedString | rawString
 *   value    := quotedString | regex | globWord
 *   ws       := \s*
 *
 * Quirks reproduced on purpose:
 * - the only syntax error is "expected end of input" at the offset where the
 *   top-level term list stopped (nested failures just backtrack);
 * - an unterminated quoted string is accepted up to the end of input, but a
 *   trailing lone backslash inside it makes the whole term fail;
 * - in `/…/`, a backslash escapes the next `/` and a backslash never clears
 *   the escape state (`\\/` does not close the regex); an unterminated regex
 *   whose last character is an escaped `/` is accepted;
 * - only the `i` flag is read; any other letter after `/…/` starts a new term.
 */

import {
  type ComparisonOperator,
  type FilterNode,
  NULL_NODE,
  andNode,
  comparisonNode,
  globOrStringNode,
  notNode,
  numberOrStringNode,
  orNode,
  propertyNode,
  regExpNode,
  stringNode,
  truthyPropertyNode,
} from './ast.js'
import { isRawStringCode, isWhitespaceCode } from './chars.js'
import { FilterParseError } from './errors.js'

const FAIL = -1

const CODE_DQUOTE = 0x22 // "
const CODE_ASTERISK = 0x2a // *
const CODE_BACKSLASH = 0x5c
const CODE_SLASH = 0x2f

class Parser {
  readonly #input: string
  readonly #end: number

  // Outputs of the last successful sub-parser (avoids allocating result objects).
  #node: FilterNode = NULL_NODE
  #string = ''

  constructor(input: string) {
    this.#input = input
    this.#end = input.length
  }

  parse(): FilterNode {
    let pos = this.#ws(0)
    const terms: FilterNode[] = []
    for (;;) {
      const next = this.#term(pos)
      if (next === FAIL) break
      terms.push(this.#node)
      pos = next
    }
    if (pos < this.#end) {
      throw new FilterParseError(`parse error: expected end of input at position ${pos}`, pos, this.#input)
    }
    return terms.length === 0 ? NULL_NODE : andNode(terms)
  }

  // `\s*`; fails only when a previous sub-parser overran the input (see quotedString).
  #ws(pos: number): number {
    const input = this.#input
    const end = this.#end
    if (pos > end) return FAIL
    while (pos < end && isWhitespaceCode(input.charCodeAt(pos))) ++pos
    return pos
  }

  #isChar(pos: number, char: string): boolean {
    return pos < this.#end && this.#input[pos] === char
  }

  // term+ followed by `)`: collects the terms into `terms`, returns the position after `)`
  #termsUntilClosingParen(pos: number, terms: FilterNode[]): number {
    let next = this.#term(pos)
    if (next === FAIL) return FAIL
    do {
      terms.push(this.#node)
      pos = next
      next = this.#term(pos)
    } while (next !== FAIL)
    return this.#isChar(pos, ')') ? pos + 1 : FAIL
  }

  #term(start: number): number {
    const end = this.#alternatives(start)
    return end === FAIL ? FAIL : this.#ws(end)
  }

  #alternatives(pos: number): number {
    const input = this.#input
    const first = pos < this.#end ? input[pos] : undefined

    // '(' ws term+ ')'
    if (first === '(') {
      const terms: FilterNode[] = []
      const next = this.#termsUntilClosingParen(this.#ws(pos + 1), terms)
      if (next !== FAIL) {
        this.#node = andNode(terms)
        return next
      }
    }

    // '|' ws '(' ws term+ ')'
    if (first === '|') {
      const open = this.#ws(pos + 1)
      if (this.#isChar(open, '(')) {
        const terms: FilterNode[] = []
        const next = this.#termsUntilClosingParen(this.#ws(open + 1), terms)
        if (next !== FAIL) {
          this.#node = orNode(terms)
          return next
        }
      }
    }

    // '!' ws term
    if (first === '!') {
      const next = this.#term(this.#ws(pos + 1))
      if (next !== FAIL) {
        this.#node = notNode(this.#node)
        return next
      }
    }

    // /[<>]=?/ rawString
    if (first === '<' || first === '>') {
      let operandStart = pos + 1
      let operator: ComparisonOperator = first
      if (this.#isChar(operandStart, '=')) {
        operator = first === '<' ? '<=' : '>='
        ++operandStart
      }
      const next = this.#rawString(operandStart)
      if (next !== FAIL) {
        const value = Number(this.#string)
        if (Number.isNaN(value)) {
          throw new FilterParseError('value must be a number', pos, input, 'invalid-number')
        }
        this.#node = comparisonNode(operator, value)
        return next
      }
    }

    // property ws ':' ws term   |   property '?'
    const afterProperty = this.#property(pos)
    if (afterProperty !== FAIL) {
      const name = this.#string
      const colon = this.#ws(afterProperty)
      if (this.#isChar(colon, ':')) {
        const next = this.#term(this.#ws(colon + 1))
        if (next !== FAIL) {
          this.#node = propertyNode(name, this.#node)
          return next
        }
      }
      if (this.#isChar(afterProperty, '?')) {
        this.#node = truthyPropertyNode(name)
        return afterProperty + 1
      }
    }

    return this.#value(pos)
  }

  #property(pos: number): number {
    const next = this.#quotedString(pos)
    return next !== FAIL ? next : this.#rawString(pos)
  }

  #value(pos: number): number {
    let next = this.#quotedString(pos)
    if (next !== FAIL) {
      this.#node = stringNode(this.#string)
      return next
    }

    next = this.#regExp(pos)
    if (next !== FAIL) return next

    next = this.#word(pos, true)
    if (next !== FAIL) {
      const word = this.#string
      this.#node = Number.isNaN(Number(word)) ? globOrStringNode(word) : numberOrStringNode(word)
      return next
    }
    return FAIL
  }

  // May return `end + 1` when the input ends with a lone backslash inside the
  // quotes (XO reads one character past the end); the following `ws` then fails.
  #quotedString(pos: number): number {
    const input = this.#input
    const end = this.#end
    if (pos >= end || input.charCodeAt(pos) !== CODE_DQUOTE) return FAIL
    ++pos

    let value = ''
    let chunkStart = pos
    while (pos < end) {
      const code = input.charCodeAt(pos)
      if (code === CODE_DQUOTE) {
        value += input.slice(chunkStart, pos)
        this.#string = value
        return pos + 1
      }
      if (code === CODE_BACKSLASH) {
        value += input.slice(chunkStart, pos)
        // escaped character (if any) is taken literally
        chunkStart = pos + 1
        pos += 2
        continue
      }
      ++pos
    }
    // unterminated: everything up to the end of input (pos may be end + 1)
    value += input.slice(chunkStart, end)
    this.#string = value
    return pos
  }

  #rawString(pos: number): number {
    return this.#word(pos, false)
  }

  // rawString (allowStar = false) or globPattern (allowStar = true)
  #word(pos: number, allowStar: boolean): number {
    const input = this.#input
    const end = this.#end
    const start = pos
    while (pos < end) {
      const code = input.charCodeAt(pos)
      if (!((allowStar && code === CODE_ASTERISK) || isRawStringCode(code, input[pos]!))) break
      ++pos
    }
    if (pos === start) return FAIL
    this.#string = input.slice(start, pos)
    return pos
  }

  #regExp(start: number): number {
    const input = this.#input
    const end = this.#end
    if (start >= end || input.charCodeAt(start) !== CODE_SLASH) return FAIL
    let pos = start + 1

    let last = -1 // last code unit read, -1 if none
    let escaped = false
    const patternStart = pos
    let patternEnd = pos
    while (pos < end) {
      last = input.charCodeAt(pos++)
      if (last === CODE_SLASH && !escaped) break
      escaped = last === CODE_BACKSLASH
      patternEnd = pos
    }
    if (last !== CODE_SLASH) return FAIL

    let flags: '' | 'i' = ''
    if (pos < end && input[pos] === 'i') {
      ++pos
      flags = 'i'
    }

    const pattern = input.slice(patternStart, patternEnd)
    try {
      new RegExp(pattern, flags)
    } catch (error) {
      throw new FilterParseError((error as Error).message, start, input, 'invalid-regexp', { cause: error })
    }
    this.#node = regExpNode(pattern, flags)
    return pos
  }
}

/**
 * Parses a complex-matcher filter. Throws `FilterParseError` whose message is
 * exactly XO's (e.g. `parse error: expected end of input at position 11`).
 * The empty (or blank) string gives the `null` node, which matches everything.
 */
export function parseFilter(input: string): FilterNode {
  return new Parser(input).parse()
}
