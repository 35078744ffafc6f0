/**
 * Kinds of failure XO's `CM.parse()` can raise:
 * - `syntax`: the grammar could not consume the whole input; XO throws
 *   `Error('parse error: expected end of input at position N')`;
 * - `invalid-number`: a comparison operand (`>abc`) is not a number; XO throws
 *   `TypeError('value must be a number')`;
 * - `invalid-regexp`: `/…/` is not a valid JavaScript regular expression; XO
 *   lets the `SyntaxError` of the `RegExp` constructor through.
 */
export type FilterParseErrorKind = 'syntax' | 'invalid-number' | 'invalid-regexp'

const XO_ERROR_NAMES = {
  syntax: 'Error',
  'invalid-number': 'TypeError',
  'invalid-regexp': 'SyntaxError',
} as const

export class FilterParseError extends Error {
  /** Offset (UTF-16 code units) where parsing stopped or the offending term starts. */
  readonly position: number
  /** The complete filter string given to the parser. */
  readonly stringToParse: string
  readonly kind: FilterParseErrorKind
  /** Name of the error class XO would throw for the same input. */
  readonly xoErrorName: 'Error' | 'TypeError' | 'SyntaxError'

  constructor(
    message: string,
    position: number,
    stringToParse: string,
    kind: FilterParseErrorKind = 'syntax',
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'FilterParseError'
    this.position = position
    this.stringToParse = stringToParse
    this.kind = kind
    this.xoErrorName = XO_ERROR_NAMES[kind]
  }
}
