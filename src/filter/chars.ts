/**
 * Character classes of the complex-matcher grammar. Everything works on UTF-16
 * code units, as XO's parser indexes the input string (`input[pos]`).
 */

/** Same set as the JavaScript regular-expression class `\s`. */
export function isWhitespaceCode(code: number): boolean {
  if (code < 0x80) return code === 0x20 || (code >= 0x09 && code <= 0x0d)
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  )
}

// ASCII lookup: digits, letters and the symbols `_ - . $`.
const ASCII_RAW = new Uint8Array(128)
for (let c = 0x30; c <= 0x39; ++c) ASCII_RAW[c] = 1
for (let c = 0x41; c <= 0x5a; ++c) ASCII_RAW[c] = 1
for (let c = 0x61; c <= 0x7a; ++c) ASCII_RAW[c] = 1
for (const symbol of '_-.$') ASCII_RAW[symbol.charCodeAt(0)] = 1

/**
 * Whether a single UTF-16 code unit may appear in a raw (unquoted) string:
 * ASCII digits, `_ - . $`, and any code unit that changes under upper- or
 * lower-casing (i.e. cased letters, ASCII or not). Uncased scripts (CJK…) and
 * astral characters (lone surrogates) are not raw.
 */
export function isRawStringCode(code: number, char: string): boolean {
  if (code < 0x80) return ASCII_RAW[code] === 1
  return char !== char.toUpperCase() || char !== char.toLowerCase()
}

/** Whether `value` can be written unquoted (checked per code unit, like the parser reads it). */
export function isRawString(value: string): boolean {
  for (let i = 0; i < value.length; ++i) {
    if (!isRawStringCode(value.charCodeAt(i), value[i]!)) return false
  }
  return true
}
