/**
 * VHD structures (formats.md §1): footer, dynamic header, checksums, CHS geometry, sizes.
 * Pure functions over buffers; all integers big-endian.
 */
import { BLOCK_SIZE, SECTOR_SIZE, roundUp } from './constants.js'

export const FOOTER_SIZE = 512
export const HEADER_SIZE = 1024
export const HEADER_OFFSET = FOOTER_SIZE
export const BAT_OFFSET = FOOTER_SIZE + HEADER_SIZE
export const FOOTER_COOKIE = 'conectix'
export const HEADER_COOKIE = 'cxsparse'
export const FILE_FORMAT_VERSION = 0x00010000
export const HEADER_VERSION = 0x00010000
export const BLOCK_UNUSED = 0xffffffff
/** Bitmap sector + data. */
export const FULL_BLOCK_SIZE = SECTOR_SIZE + BLOCK_SIZE
/** Largest disk vhd-lib writes (2 TiB − 8 KiB). */
export const VHD_MAX_SIZE = 2 * 1024 ** 4 - 8 * 1024
/** Seconds between the Unix epoch and the VHD epoch (2000-01-01T00:00:00Z). */
export const VHD_EPOCH_OFFSET = 946684800

export const DISK_TYPE_FIXED = 2
export const DISK_TYPE_DYNAMIC = 3
export const DISK_TYPE_DIFFERENCING = 4

/** Footer field offsets. */
export const F = {
  cookie: 0,
  features: 8,
  fileFormatVersion: 12,
  dataOffset: 16,
  timestamp: 24,
  creatorApplication: 28,
  creatorVersion: 32,
  creatorHostOs: 36,
  originalSize: 40,
  currentSize: 48,
  cylinders: 56,
  heads: 58,
  sectorsPerTrack: 59,
  diskType: 60,
  checksum: 64,
  uniqueId: 68,
  savedState: 84,
} as const

/** Dynamic header field offsets. */
export const H = {
  cookie: 0,
  dataOffset: 8,
  tableOffset: 16,
  headerVersion: 24,
  maxTableEntries: 28,
  blockSize: 32,
  checksum: 36,
  parentUuid: 40,
  parentTimestamp: 56,
  parentUnicodeName: 64,
  parentLocators: 576,
} as const

/** Ones' complement of the byte sum, the 4 checksum bytes counted as zero. */
export function computeChecksum(buf: Buffer, checksumOffset: number): number {
  let sum = 0
  for (let i = 0; i < buf.length; i++) sum += buf[i]
  for (let i = checksumOffset; i < checksumOffset + 4; i++) sum -= buf[i]
  return ~sum >>> 0
}

export interface Geometry {
  cylinders: number
  heads: number
  sectorsPerTrack: number
}

/** CHS geometry as in the VHD specification's appendix (integer division). */
export function computeGeometry(size: number): Geometry {
  const totalSectors = Math.min(Math.ceil(size / SECTOR_SIZE), 65535 * 16 * 255)
  let sectorsPerTrack: number
  let heads: number
  let cylinderTimesHeads: number
  if (totalSectors >= 65535 * 16 * 63) {
    sectorsPerTrack = 255
    heads = 16
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack)
  } else {
    sectorsPerTrack = 17
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack)
    heads = Math.max(4, Math.floor((cylinderTimesHeads + 1023) / 1024))
    if (cylinderTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31
      heads = 16
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack)
    }
    if (cylinderTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63
      heads = 16
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack)
    }
  }
  return { cylinders: Math.floor(cylinderTimesHeads / heads), heads, sectorsPerTrack }
}

/** Number of BAT entries for a disk: one per 2 MiB block. */
export function batEntriesOf(virtualSize: number): number {
  return Math.ceil(virtualSize / BLOCK_SIZE)
}

/** BAT size in bytes: 4 bytes per entry rounded up to whole sectors, at least one sector. */
export function batSizeOf(entries: number): number {
  return Math.max(SECTOR_SIZE, roundUp(entries * 4, SECTOR_SIZE))
}

/** Exact byte length of the dynamic VHD this library writes. */
export function vhdLengthOf(virtualSize: number, allocatedCount: number): number {
  return BAT_OFFSET + batSizeOf(batEntriesOf(virtualSize)) + allocatedCount * FULL_BLOCK_SIZE + FOOTER_SIZE
}

export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`invalid UUID ${JSON.stringify(uuid)}`)
  return Buffer.from(hex, 'hex')
}

export function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

export interface FooterOptions {
  virtualSize: number
  uuid: string
  /** Milliseconds since the Unix epoch (converted to the VHD epoch). */
  timestamp: number
  diskType?: number
}

/**
 * Builds a dynamic-disk footer. Creator application is `tap\0` (what blktap/SM writes on XenServer SRs):
 * qemu trusts the footer's current size for that creator, so `qemu-img info` reports exactly the
 * virtual size (formats.md §1.4), and the CHS geometry is the specification's.
 */
export function encodeFooter(options: FooterOptions): Buffer {
  const footer = Buffer.alloc(FOOTER_SIZE)
  footer.write(FOOTER_COOKIE, F.cookie, 'latin1')
  footer.writeUInt32BE(2, F.features)
  footer.writeUInt32BE(FILE_FORMAT_VERSION, F.fileFormatVersion)
  footer.writeBigUInt64BE(BigInt(HEADER_OFFSET), F.dataOffset)
  const seconds = Math.floor(options.timestamp / 1000) - VHD_EPOCH_OFFSET
  footer.writeUInt32BE(Math.min(0xffffffff, Math.max(0, seconds)), F.timestamp)
  footer.write('tap\0', F.creatorApplication, 'latin1')
  footer.writeUInt32BE(0x00010003, F.creatorVersion)
  footer.write('Wi2k', F.creatorHostOs, 'latin1')
  footer.writeBigUInt64BE(BigInt(options.virtualSize), F.originalSize)
  footer.writeBigUInt64BE(BigInt(options.virtualSize), F.currentSize)
  const geometry = computeGeometry(options.virtualSize)
  footer.writeUInt16BE(geometry.cylinders, F.cylinders)
  footer.writeUInt8(geometry.heads, F.heads)
  footer.writeUInt8(geometry.sectorsPerTrack, F.sectorsPerTrack)
  footer.writeUInt32BE(options.diskType ?? DISK_TYPE_DYNAMIC, F.diskType)
  uuidToBytes(options.uuid).copy(footer, F.uniqueId)
  footer.writeUInt32BE(computeChecksum(footer, F.checksum), F.checksum)
  return footer
}

/** Builds the dynamic header of a disk with `entries` BAT entries, BAT right after the header. */
export function encodeHeader(entries: number): Buffer {
  const header = Buffer.alloc(HEADER_SIZE)
  header.write(HEADER_COOKIE, H.cookie, 'latin1')
  header.writeBigUInt64BE(0xffffffffffffffffn, H.dataOffset)
  header.writeBigUInt64BE(BigInt(BAT_OFFSET), H.tableOffset)
  header.writeUInt32BE(HEADER_VERSION, H.headerVersion)
  header.writeUInt32BE(entries, H.maxTableEntries)
  header.writeUInt32BE(BLOCK_SIZE, H.blockSize)
  header.writeUInt32BE(computeChecksum(header, H.checksum), H.checksum)
  return header
}

/** Recomputes and stores the checksum of a footer (offset 64) or header (offset 36) — for tests and tools. */
export function fixChecksum(buf: Buffer, kind: 'footer' | 'header'): Buffer {
  const offset = kind === 'footer' ? F.checksum : H.checksum
  buf.writeUInt32BE(computeChecksum(buf, offset), offset)
  return buf
}

export interface VhdFooter {
  cookie: string
  features: number
  fileFormatVersion: number
  dataOffset: bigint
  timestamp: number
  creatorApplication: string
  originalSize: number
  currentSize: number
  geometry: Geometry
  diskType: number
  checksum: number
  uuid: string
}

export function decodeFooter(buf: Buffer): VhdFooter {
  return {
    cookie: buf.toString('latin1', F.cookie, F.cookie + 8),
    features: buf.readUInt32BE(F.features),
    fileFormatVersion: buf.readUInt32BE(F.fileFormatVersion),
    dataOffset: buf.readBigUInt64BE(F.dataOffset),
    timestamp: buf.readUInt32BE(F.timestamp),
    creatorApplication: buf.toString('latin1', F.creatorApplication, F.creatorApplication + 4),
    originalSize: Number(buf.readBigUInt64BE(F.originalSize)),
    currentSize: Number(buf.readBigUInt64BE(F.currentSize)),
    geometry: {
      cylinders: buf.readUInt16BE(F.cylinders),
      heads: buf.readUInt8(F.heads),
      sectorsPerTrack: buf.readUInt8(F.sectorsPerTrack),
    },
    diskType: buf.readUInt32BE(F.diskType),
    checksum: buf.readUInt32BE(F.checksum),
    uuid: bytesToUuid(buf.subarray(F.uniqueId, F.uniqueId + 16)),
  }
}

export interface VhdHeader {
  cookie: string
  dataOffset: bigint
  tableOffset: number
  headerVersion: number
  maxTableEntries: number
  blockSize: number
  checksum: number
  parentUuid: string
}

export function decodeHeader(buf: Buffer): VhdHeader {
  return {
    cookie: buf.toString('latin1', H.cookie, H.cookie + 8),
    dataOffset: buf.readBigUInt64BE(H.dataOffset),
    tableOffset: Number(buf.readBigUInt64BE(H.tableOffset)),
    headerVersion: buf.readUInt32BE(H.headerVersion),
    maxTableEntries: buf.readUInt32BE(H.maxTableEntries),
    blockSize: buf.readUInt32BE(H.blockSize),
    checksum: buf.readUInt32BE(H.checksum),
    parentUuid: bytesToUuid(buf.subarray(H.parentUuid, H.parentUuid + 16)),
  }
}
