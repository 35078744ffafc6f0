/**
 * Validation of VHD footers and headers, with vhd-lib's order of checks and, where vhd-lib has one,
 * its wording (`invalid footer checksum <actual>, expected <computed>`).
 */
import { BLOCK_SIZE, SECTOR_SIZE } from './constants.js'
import { DiskFormatError } from './errors.js'
import {
  DISK_TYPE_DIFFERENCING,
  DISK_TYPE_DYNAMIC,
  DISK_TYPE_FIXED,
  F,
  FILE_FORMAT_VERSION,
  FOOTER_COOKIE,
  H,
  HEADER_COOKIE,
  HEADER_OFFSET,
  HEADER_VERSION,
  computeChecksum,
  decodeFooter,
  decodeHeader,
  type VhdFooter,
  type VhdHeader,
} from './vhd-format.js'

function assertChecksum(name: 'footer' | 'header', buf: Buffer, offset: number): void {
  const actual = buf.readUInt32BE(offset)
  const expected = computeChecksum(buf, offset)
  if (actual !== expected) throw new DiskFormatError('BAD_CHECKSUM', `invalid ${name} checksum ${actual}, expected ${expected}`)
}

/**
 * Parses and checks a 512-byte VHD footer: checksum, cookie, data offset 512, version 1.0,
 * original ≤ current size, disk type dynamic or differencing, current size a multiple of 512.
 * A fixed VHD has raw data at offset 0 and therefore fails the checksum, as in XO.
 */
export function parseVhdFooter(buf: Buffer): VhdFooter {
  if (buf.length !== 512) throw new DiskFormatError('TRUNCATED', `VHD footer must be 512 bytes, got ${buf.length}`)
  assertChecksum('footer', buf, F.checksum)
  const footer = decodeFooter(buf)
  if (footer.cookie !== FOOTER_COOKIE) {
    throw new DiskFormatError('BAD_COOKIE', `invalid footer cookie ${JSON.stringify(footer.cookie)}, expected "${FOOTER_COOKIE}"`)
  }
  if (footer.diskType === DISK_TYPE_FIXED) {
    throw new DiskFormatError('UNSUPPORTED', 'fixed VHD is not supported: only dynamic (3) and differencing (4) disks are accepted')
  }
  if (footer.dataOffset !== BigInt(HEADER_OFFSET)) {
    throw new DiskFormatError('BAD_FIELD', `invalid footer data offset ${footer.dataOffset}, expected ${HEADER_OFFSET}`)
  }
  if (footer.fileFormatVersion !== FILE_FORMAT_VERSION) {
    throw new DiskFormatError(
      'UNSUPPORTED',
      `unsupported VHD file format version 0x${footer.fileFormatVersion.toString(16).padStart(8, '0')}, expected 0x00010000`,
    )
  }
  if (!(footer.originalSize <= footer.currentSize)) {
    throw new DiskFormatError('BAD_FIELD', `VHD original size ${footer.originalSize} is larger than current size ${footer.currentSize}`)
  }
  if (footer.diskType !== DISK_TYPE_DYNAMIC && footer.diskType !== DISK_TYPE_DIFFERENCING) {
    throw new DiskFormatError('UNSUPPORTED', `unsupported VHD disk type ${footer.diskType}: only dynamic (3) and differencing (4) disks are accepted`)
  }
  if (!Number.isSafeInteger(footer.currentSize) || footer.currentSize % SECTOR_SIZE !== 0) {
    throw new DiskFormatError('BAD_FIELD', `VHD current size ${footer.currentSize} is not a multiple of 512`)
  }
  return footer
}

/**
 * Parses and checks the 1024-byte dynamic header: checksum, cookie, data offset (unused, all ones),
 * version 1.0, block size (a power of two of sectors; this implementation only stores 2 MiB blocks),
 * enough BAT entries for the footer's size.
 */
export function parseVhdHeader(buf: Buffer, footer: VhdFooter): VhdHeader {
  if (buf.length !== 1024) throw new DiskFormatError('TRUNCATED', `VHD header must be 1024 bytes, got ${buf.length}`)
  assertChecksum('header', buf, H.checksum)
  const header = decodeHeader(buf)
  if (header.cookie !== HEADER_COOKIE) {
    throw new DiskFormatError('BAD_COOKIE', `invalid header cookie ${JSON.stringify(header.cookie)}, expected "${HEADER_COOKIE}"`)
  }
  if (header.dataOffset !== 0xffffffffffffffffn) {
    throw new DiskFormatError('BAD_FIELD', `invalid header data offset ${header.dataOffset}, expected 0xFFFFFFFFFFFFFFFF`)
  }
  if (header.headerVersion !== HEADER_VERSION) {
    throw new DiskFormatError(
      'UNSUPPORTED',
      `unsupported VHD header version 0x${header.headerVersion.toString(16).padStart(8, '0')}, expected 0x00010000`,
    )
  }
  const sectors = header.blockSize / SECTOR_SIZE
  if (!Number.isInteger(Math.log2(sectors))) {
    throw new DiskFormatError('BAD_FIELD', `invalid VHD block size ${header.blockSize}: not a power of two of sectors`)
  }
  if (header.blockSize !== BLOCK_SIZE) {
    throw new DiskFormatError('UNSUPPORTED', `unsupported VHD block size ${header.blockSize}: only ${BLOCK_SIZE} (2 MiB) is supported`)
  }
  if (!(header.maxTableEntries >= footer.currentSize / header.blockSize)) {
    throw new DiskFormatError(
      'BAD_FIELD',
      `VHD header has ${header.maxTableEntries} BAT entries, too few for a disk of ${footer.currentSize} bytes`,
    )
  }
  if (!Number.isSafeInteger(header.tableOffset) || header.tableOffset % SECTOR_SIZE !== 0) {
    throw new DiskFormatError('BAD_FIELD', `invalid BAT offset ${header.tableOffset}`)
  }
  return header
}
