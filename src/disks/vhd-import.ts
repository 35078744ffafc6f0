import { BLOCK_SIZE, SECTOR_SIZE, blockCountOf } from './constants.js'
import { ByteReader, type ByteSource } from './byte-reader.js'
import { DiskFormatError } from './errors.js'
import { withCleanup, type DiskImportResult, type ImportTarget } from './import-target.js'
import { parseVhdFooter, parseVhdHeader } from './vhd-check.js'
import { BAT_OFFSET, BLOCK_UNUSED, FOOTER_SIZE, FULL_BLOCK_SIZE, HEADER_SIZE, batSizeOf } from './vhd-format.js'

export interface VhdImportOptions extends ImportTarget {
  /** The upload's Content-Length: the body must be exactly this long (else the footer is the last 512 bytes). */
  expectedLength?: number
  /** When importing into an existing VDI: the VHD's size must be this. */
  expectedVirtualSize?: number
}

/** Largest BAT read into memory (16 Mi entries, enough for 32 TiB). */
const MAX_BAT_SIZE = 64 * 1024 * 1024

interface BatEntry {
  index: number
  offset: number
}

/**
 * Reads a dynamic (or differencing) VHD stream into a new block store, validating it as it goes:
 * footer (checksum, cookie, data offset, version, sizes, type), header (checksum, cookie, version,
 * block size, entries), BAT entries (after the BAT, inside the body, not overlapping), blocks in file
 * order (gaps skipped), trailing footer identical to the first, body length equal to `expectedLength`.
 * All-zero blocks are not stored. Differencing disks are stored as their own blocks (no parent).
 */
export async function importVhd(source: ByteSource, options: VhdImportOptions): Promise<DiskImportResult> {
  const { blobStore, id, expectedLength, expectedVirtualSize, signal } = options
  if (expectedLength !== undefined && (!Number.isSafeInteger(expectedLength) || expectedLength < 0)) {
    throw new RangeError(`invalid expected length ${expectedLength}`)
  }
  const reader = new ByteReader(source, { signal })
  try {
    return await withCleanup(blobStore, async track => {
      const footerBuf = await reader.read(FOOTER_SIZE, 'VHD footer')
      const footer = parseVhdFooter(footerBuf)
      if (expectedLength !== undefined && expectedLength < BAT_OFFSET + SECTOR_SIZE + FOOTER_SIZE) {
        throw new DiskFormatError('SIZE_MISMATCH', `expected length ${expectedLength} is too short for a dynamic VHD`)
      }
      const header = parseVhdHeader(await reader.read(HEADER_SIZE, 'VHD header'), footer)
      const virtualSize = footer.currentSize
      if (expectedVirtualSize !== undefined && virtualSize !== expectedVirtualSize) {
        throw new DiskFormatError('SIZE_MISMATCH', `VHD virtual size ${virtualSize} does not match the disk size ${expectedVirtualSize}`)
      }

      const { tableOffset, maxTableEntries } = header
      const batSize = batSizeOf(maxTableEntries)
      const batEnd = tableOffset + batSize
      if (tableOffset < BAT_OFFSET) {
        throw new DiskFormatError('BAD_LAYOUT', `BAT offset ${tableOffset} overlaps the footer and header (must be ≥ ${BAT_OFFSET})`)
      }
      if (batSize > MAX_BAT_SIZE) throw new DiskFormatError('UNSUPPORTED', `VHD BAT of ${maxTableEntries} entries is too large`)
      const footerStart = expectedLength === undefined ? undefined : expectedLength - FOOTER_SIZE
      if (footerStart !== undefined && footerStart < batEnd) {
        throw new DiskFormatError('SIZE_MISMATCH', `expected length ${expectedLength} is too short for a VHD whose BAT ends at ${batEnd}`)
      }

      await reader.skip(tableOffset - reader.position, 'VHD data before the BAT')
      const bat = await reader.read(batSize, 'VHD BAT')
      const entries = readBat(bat, maxTableEntries, batEnd, footerStart)

      const store = await blobStore.create(id, virtualSize)
      track(id)
      const blockCount = blockCountOf(virtualSize)
      for (const { index, offset } of entries) {
        await reader.skip(offset - reader.position, 'VHD data between blocks')
        await reader.skip(SECTOR_SIZE, `bitmap of VHD block ${index}`)
        if (index >= blockCount) {
          await reader.skip(BLOCK_SIZE, `VHD block ${index}`)
          continue
        }
        // zero-copy: the store keeps the slices of the source's chunks (memory) or writes them out
        await store.writeParts(index, await reader.readParts(BLOCK_SIZE, `VHD block ${index}`))
      }

      let trailing: Buffer
      if (footerStart !== undefined) {
        await reader.skip(footerStart - reader.position, 'VHD data before the trailing footer')
        trailing = await reader.read(FOOTER_SIZE, 'VHD trailing footer')
        if (!(await reader.atEnd())) {
          throw new DiskFormatError('TOO_LONG', `VHD stream is longer than the expected length ${expectedLength}`)
        }
      } else {
        const { tail } = await reader.drain(FOOTER_SIZE)
        if (tail.length < FOOTER_SIZE) {
          throw new DiskFormatError('TRUNCATED', `unexpected end of input at byte ${reader.position} while reading VHD trailing footer`)
        }
        trailing = tail
      }
      if (!trailing.equals(footerBuf)) {
        throw new DiskFormatError('BAD_LAYOUT', 'footer1 !== footer2: the trailing VHD footer differs from the first one')
      }
      return { virtualSize, store }
    })
  } finally {
    await reader.close()
  }
}

/** Allocated BAT entries in file order, checked: after the BAT, inside the body, not overlapping. */
function readBat(bat: Buffer, maxTableEntries: number, batEnd: number, footerStart: number | undefined): BatEntry[] {
  const entries: BatEntry[] = []
  for (let index = 0; index < maxTableEntries; index++) {
    const sector = bat.readUInt32BE(index * 4)
    if (sector === BLOCK_UNUSED) continue
    const offset = sector * SECTOR_SIZE
    if (offset < batEnd) {
      throw new DiskFormatError('BAD_LAYOUT', `BAT entry ${index} points to byte ${offset}, before the end of the BAT (${batEnd})`)
    }
    if (footerStart !== undefined && offset + FULL_BLOCK_SIZE > footerStart) {
      throw new DiskFormatError(
        'BAD_LAYOUT',
        `BAT entry ${index} points to byte ${offset}, block ends past the body (trailing footer at ${footerStart})`,
      )
    }
    entries.push({ index, offset })
  }
  entries.sort((a, b) => a.offset - b.offset)
  for (let i = 1; i < entries.length; i++) {
    const previous = entries[i - 1]
    if (entries[i].offset < previous.offset + FULL_BLOCK_SIZE) {
      throw new DiskFormatError(
        'BAD_LAYOUT',
        `VHD blocks ${previous.index} and ${entries[i].index} overlap (bytes ${previous.offset} and ${entries[i].offset})`,
      )
    }
  }
  return entries
}
