/**
 * Minimal tar support for XVA (formats.md §2.2): POSIX ustar headers for writing, and a reader
 * accepting ustar, GNU and V7 headers (with pax `path`/`size` records and GNU long names).
 */
import { ZERO_BLOCK } from './constants.js'
import { DiskFormatError } from './errors.js'

export const TAR_BLOCK = 512
/** End-of-archive marker: two zero records. Never mutated. */
export const TAR_END: Buffer = ZERO_BLOCK.subarray(0, 2 * TAR_BLOCK)

/** Zero padding after an entry of `size` bytes (a view of the shared zero buffer). */
export function tarPadding(size: number): Buffer {
  const rest = size % TAR_BLOCK
  return ZERO_BLOCK.subarray(0, rest === 0 ? 0 : TAR_BLOCK - rest)
}

function writeOctal(buf: Buffer, value: number, offset: number, length: number): void {
  // length − 1 octal digits then NUL
  const digits = value.toString(8).padStart(length - 1, '0')
  if (digits.length > length - 1) throw new RangeError(`tar field overflow: ${value}`)
  buf.write(digits, offset, 'latin1')
  buf[offset + length - 1] = 0
}

/** A ustar header for a regular file (mode 0644, owner 0:0). `mtime` in seconds. */
export function encodeTarHeader(name: string, size: number, mtime: number, target: Buffer = Buffer.alloc(TAR_BLOCK)): Buffer {
  if (Buffer.byteLength(name) > 100 || !/^[\x20-\x7e]+$/.test(name)) throw new RangeError(`unsupported tar entry name ${JSON.stringify(name)}`)
  target.fill(0, 0, TAR_BLOCK)
  target.write(name, 0, 'latin1')
  writeOctal(target, 0o644, 100, 8)
  writeOctal(target, 0, 108, 8)
  writeOctal(target, 0, 116, 8)
  writeOctal(target, size, 124, 12)
  writeOctal(target, Math.max(0, Math.floor(mtime)), 136, 12)
  target.fill(0x20, 148, 156)
  target[156] = 0x30 // '0' regular file
  target.write('ustar\x0000', 257, 'latin1')
  let sum = 0
  for (let i = 0; i < TAR_BLOCK; i++) sum += target[i]
  target.write(sum.toString(8).padStart(6, '0'), 148, 'latin1')
  target[154] = 0
  target[155] = 0x20
  return target
}

export interface TarHeader {
  name: string
  size: number
  /** Type flag character ('0' regular file, 'x' pax, 'L' GNU long name, …); NUL is reported as '0'. */
  type: string
}

function readString(buf: Buffer, offset: number, length: number): string {
  const end = buf.indexOf(0, offset)
  return buf.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end)
}

function readOctal(buf: Buffer, offset: number, length: number): number {
  if (buf[offset] & 0x80) {
    // GNU base-256
    let value = 0
    for (let i = offset + 1; i < offset + length; i++) value = value * 256 + buf[i]
    return value
  }
  const text = buf.toString('latin1', offset, offset + length).replace(/[\0 ]+$/, '').replace(/^ +/, '')
  if (!/^[0-7]*$/.test(text)) return NaN
  return text === '' ? 0 : parseInt(text, 8)
}

/** Parses a 512-byte header (not an all-zero one); `at` is its position, for messages. */
export function parseTarHeader(buf: Buffer, at: number): TarHeader {
  const stored = readOctal(buf, 148, 8)
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < TAR_BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : buf[i]
    unsigned += byte
    signed += byte > 127 ? byte - 256 : byte
  }
  if (stored !== unsigned && stored !== signed) {
    throw new DiskFormatError('BAD_TAR', `invalid tar header at byte ${at}: checksum ${stored} does not match ${unsigned}`)
  }
  const size = readOctal(buf, 124, 12)
  if (!Number.isSafeInteger(size) || size < 0) throw new DiskFormatError('BAD_TAR', `invalid tar header at byte ${at}: bad size field`)
  let name = readString(buf, 0, 100)
  if (buf.toString('latin1', 257, 263) === 'ustar\0') {
    const prefix = readString(buf, 345, 155)
    if (prefix !== '') name = `${prefix}/${name}`
  }
  const flag = buf[156]
  return { name, size, type: flag === 0 ? '0' : String.fromCharCode(flag) }
}

/** Extracts `path` and `size` from pax extended header records (`<len> <key>=<value>\n`). */
export function parsePaxRecords(data: Buffer): { path?: string; size?: number } {
  const result: { path?: string; size?: number } = {}
  let offset = 0
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset)
    if (space === -1) break
    const length = parseInt(data.toString('latin1', offset, space), 10)
    if (!(length > 0)) break
    const record = data.toString('utf8', space + 1, offset + length - 1)
    const eq = record.indexOf('=')
    const key = record.slice(0, eq)
    const value = record.slice(eq + 1)
    if (key === 'path') result.path = value
    else if (key === 'size') result.size = Number(value)
    offset += length
  }
  return result
}
