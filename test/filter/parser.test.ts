import { describe, expect, it } from 'vitest'

import { FilterParseError, type FilterNode, filterToString, parseFilter } from '../../src/filter/index.js'
import { isRawStringCode, isWhitespaceCode } from '../../src/filter/chars.js'

function parseError(input: string): FilterParseError {
  try {
    parseFilter(input)
  } catch (error) {
    expect(error).toBeInstanceOf(FilterParseError)
    return error as FilterParseError
  }
  throw new Error(`expected ${JSON.stringify(input)} not to parse`)
}

describe('parseFilter: AST shapes', () => {
  it('gives the null node for empty or blank input', () => {
    expect(parseFilter('')).toEqual({ type: 'null' })
    expect(parseFilter(' \t\n\u00a0\u3000')).toEqual({ type: 'null' })
  })

  it('ANDs whitespace-separated terms and collapses single-child groups', () => {
    expect(parseFilter('foo bar')).toEqual({
      type: 'and',
      children: [
        { type: 'string', value: 'foo' },
        { type: 'string', value: 'bar' },
      ],
    })
    expect(parseFilter('(foo)')).toEqual({ type: 'string', value: 'foo' })
    expect(parseFilter('|( foo )')).toEqual({ type: 'string', value: 'foo' })
    expect(parseFilter('(a b) c')).toEqual({
      type: 'and',
      children: [
        {
          type: 'and',
          children: [
            { type: 'string', value: 'a' },
            { type: 'string', value: 'b' },
          ],
        },
        { type: 'string', value: 'c' },
      ],
    })
  })

  it('parses OR, NOT and nested properties', () => {
    expect(parseFilter('!power_state:|(running paused)')).toEqual({
      type: 'not',
      child: {
        type: 'property',
        name: 'power_state',
        child: {
          type: 'or',
          children: [
            { type: 'string', value: 'running' },
            { type: 'string', value: 'paused' },
          ],
        },
      },
    })
    expect(parseFilter('CPUs:number:>=2')).toEqual({
      type: 'property',
      name: 'CPUs',
      child: { type: 'property', name: 'number', child: { type: 'comparison', operator: '>=', value: 2 } },
    })
    // whitespace is allowed around the colon and after `!` / `|`
    expect(parseFilter('name_label : debian')).toEqual(parseFilter('name_label:debian'))
    expect(parseFilter('! | ( a b )')).toEqual(parseFilter('!|(a b)'))
  })

  it('parses truthy properties, quoted property names and escapes', () => {
    expect(parseFilter('auto_poweron?')).toEqual({ type: 'truthyProperty', name: 'auto_poweron' })
    expect(parseFilter('other:"xo:backup:job"?')).toEqual({
      type: 'property',
      name: 'other',
      child: { type: 'truthyProperty', name: 'xo:backup:job' },
    })
    expect(parseFilter('"a \\"b\\" \\\\ \\c"')).toEqual({ type: 'string', value: 'a "b" \\ c' })
    // unterminated quoted strings run to the end of input
    expect(parseFilter('name_label:"debian web')).toEqual({
      type: 'property',
      name: 'name_label',
      child: { type: 'string', value: 'debian web' },
    })
  })

  it('classifies raw words: numbers, globs and strings', () => {
    expect(parseFilter('42')).toEqual({ type: 'numberOrString', value: '42' })
    expect(parseFilter('-1.5e3')).toEqual({ type: 'numberOrString', value: '-1.5e3' })
    expect(parseFilter('0x1F')).toEqual({ type: 'numberOrString', value: '0x1F' })
    expect(parseFilter('"42"')).toEqual({ type: 'string', value: '42' })
    expect(parseFilter('deb*web')).toEqual({ type: 'glob', value: 'deb*web' })
    expect(parseFilter('*')).toEqual({ type: 'glob', value: '*' })
    expect(parseFilter('1.2.3')).toEqual({ type: 'string', value: '1.2.3' })
    expect(parseFilter('åäöé:ÅÄÖÉ')).toEqual({ type: 'property', name: 'åäöé', child: { type: 'string', value: 'ÅÄÖÉ' } })
  })

  it('parses regular expressions with the i flag only', () => {
    expect(parseFilter('/^VM$/')).toEqual({ type: 'regexp', pattern: '^VM$', flags: '' })
    expect(parseFilter('/vm/i')).toEqual({ type: 'regexp', pattern: 'vm', flags: 'i' })
    expect(parseFilter('/a\\/b/')).toEqual({ type: 'regexp', pattern: 'a\\/b', flags: '' })
    // `g` is not a flag: it is the next term
    expect(parseFilter('/vm/g')).toEqual({
      type: 'and',
      children: [
        { type: 'regexp', pattern: 'vm', flags: '' },
        { type: 'string', value: 'g' },
      ],
    })
    // an unterminated regex ending with an escaped slash is accepted
    expect(parseFilter('/x\\/')).toEqual({ type: 'regexp', pattern: 'x\\/', flags: '' })
  })

  it('parses comparisons with any JavaScript number syntax', () => {
    expect(parseFilter('>1e3')).toEqual({ type: 'comparison', operator: '>', value: 1000 })
    expect(parseFilter('<=-5')).toEqual({ type: 'comparison', operator: '<=', value: -5 })
    expect(parseFilter('<.5')).toEqual({ type: 'comparison', operator: '<', value: 0.5 })
    expect(parseFilter('>=0x10')).toEqual({ type: 'comparison', operator: '>=', value: 16 })
    expect(parseFilter('>Infinity')).toEqual({ type: 'comparison', operator: '>', value: Infinity })
  })
})

describe('parseFilter: errors', () => {
  it.each([
    ['power_state:', 11],
    [':', 0],
    ['a b:', 3],
    ['(type:VM', 0],
    ['type:VM)', 7],
    ['|()', 0],
    ['!', 0],
    ['> 5', 0],
    ['>=', 0],
    ['a??', 2],
    ['tags:[prod]', 4],
    ['name_label:foo:', 14],
    ['  power_state:  ', 13],
    ['"abc\\', 0],
    ['name_label:"x\\', 10],
    ['名前', 0],
    ['foo/bar', 3],
  ])('%j → expected end of input at position %i', (input, position) => {
    const error = parseError(input)
    expect(error.message).toBe(`parse error: expected end of input at position ${position}`)
    expect(error.position).toBe(position)
    expect(error.stringToParse).toBe(input)
    expect(error.kind).toBe('syntax')
    expect(error.xoErrorName).toBe('Error')
    expect(error.name).toBe('FilterParseError')
  })

  it.each(['>abc', '<=x', 'size:>1.2.3', '>-', '>1e+3'])('%j → value must be a number', input => {
    const error = parseError(input)
    expect(error.message).toBe('value must be a number')
    expect(error.kind).toBe('invalid-number')
    expect(error.xoErrorName).toBe('TypeError')
  })

  it('reports invalid regular expressions with the RegExp message', () => {
    const error = parseError('name_label:/[/')
    expect(error.message).toBe('Invalid regular expression: /[/: Unterminated character class')
    expect(error.position).toBe(11)
    expect(error.kind).toBe('invalid-regexp')
    expect(error.xoErrorName).toBe('SyntaxError')
    expect(error.cause).toBeInstanceOf(SyntaxError)
    expect(parseError('/(/').message).toBe('Invalid regular expression: /(/: Unterminated group')
  })
})

describe('character classes', () => {
  it('whitespace is exactly the regular-expression class \\s', () => {
    const re = /\s/
    const mismatches: number[] = []
    for (let code = 0; code <= 0xffff; ++code) {
      if (isWhitespaceCode(code) !== re.test(String.fromCharCode(code))) mismatches.push(code)
    }
    expect(mismatches).toEqual([])
  })

  it('raw characters: ASCII digits, _ - . $ and any cased code unit', () => {
    const expected = (char: string): boolean =>
      /[0-9_\-.$]/.test(char) || char.toLowerCase() !== char || char.toUpperCase() !== char
    const mismatches: number[] = []
    for (let code = 0; code <= 0xffff; ++code) {
      const char = String.fromCharCode(code)
      if (isRawStringCode(code, char) !== expected(char)) mismatches.push(code)
    }
    expect(mismatches).toEqual([])
  })
})

describe('filterToString', () => {
  it.each([
    ['', ''],
    ['foo   bar', 'foo bar'],
    ['!( a b )', '!(a b)'],
    ['name:| ( wonderwoman batman )', 'name:|(wonderwoman batman)'],
    ['age:32 "32" hasCape? chi*go', 'age:32 "32" hasCape? chi*go'],
    ['"foo bar":"a\\"b"', '"foo bar":"a\\"b"'],
    ['"12":x', '"12":x'],
    ['"":""', '"":""'],
    ['/^foo\\/bar\\./i', '/^foo\\/bar\\./i'],
    ['//', '/(?:)/'],
    ['size:>=1e3', 'size:>=1000'],
    ['size:>1e21', 'size:>1e21'],
  ])('%j → %j', (input, output) => {
    expect(filterToString(parseFilter(input))).toBe(output)
  })

  it('quotes strings that are not raw per UTF-16 code unit', () => {
    const node: FilterNode = { type: 'string', value: '\u{10400}' }
    expect(filterToString(node)).toBe('"\u{10400}"')
    expect(parseFilter(filterToString(node))).toEqual(node)
  })
})
