import { createHash } from 'node:crypto'

import type { XXHashAPI } from 'xxhash-wasm'

import type { BlobStore } from './blob-store.js'
import { BlockAssembler } from './block-assembler.js'
import type { SparseBlockStore } from './block-store.js'
import { ByteReader, peekSource, type ByteSource } from './byte-reader.js'
import { decompress, detectCompression, type Compression } from './compression.js'
import { isZero, roundUp } from './constants.js'
import { DiskFormatError } from './errors.js'
import { withCleanup } from './import-target.js'
import { TAR_BLOCK, parsePaxRecords, parseTarHeader } from './tar.js'
import { parseOva, vdiSize, type Ova } from './ova-parse.js'
import { parseXmlRpc, type XmlRpcStruct } from './xmlrpc.js'
import { loadXxhash, xxh64Hex } from './xxhash.js'
import type { XvaObject } from './xva-types.js'

export interface XvaImportOptions {
  blobStore: BlobStore
  /** Id of the store created for each imported VDI (`index`: 0, 1, … in import order). */
  storeId: (vdi: XvaObject, index: number) => string
  signal?: AbortSignal
  /** Largest accepted ova.xml (default 32 MiB). */
  maxOvaXmlSize?: number
  /** Largest accepted chunk (default 64 MiB; XAPI and XO write 1 MiB). */
  maxChunkSize?: number
}

export interface ImportedXvaDisk {
  /** The VDI's id in ova.xml (`Ref:…`), also its chunk folder. */
  ref: string
  vdi: XvaObject
  /** VBDs of ova.xml that reference this VDI. */
  vbds: XvaObject[]
  virtualSize: number
  store: SparseBlockStore
}

export interface ImportedXva {
  compression: Compression
  /** ova.xml `version` struct (hostname, product_version, export_vsn, …). */
  version: XmlRpcStruct
  /** Every object of ova.xml, in order. */
  objects: XvaObject[]
  vm: XvaObject
  vbds: XvaObject[]
  vdis: XvaObject[]
  vifs: XvaObject[]
  networks: XvaObject[]
  srs: XvaObject[]
  disks: ImportedXvaDisk[]
}

const CHUNK_NAME = /^(Ref:[^/]+)\/(\d{8})(\.xxhash|\.checksum)?$/
const MAX_META_ENTRY = 1024 * 1024

/**
 * Imports an XVA (plain tar, or gzip / zstd detected by magic bytes): parses ova.xml, verifies each
 * chunk's `.xxhash` (or legacy SHA-1 `.checksum`), checks chunk order and completeness as XAPI does,
 * and writes each disk into a new block store. On any failure every created store is deleted.
 */
export async function importXva(source: ByteSource, options: XvaImportOptions): Promise<ImportedXva> {
  const { head, source: whole } = await peekSource(source, 4)
  const compression = detectCompression(head)
  const reader = new ByteReader(decompress(whole, compression), { signal: options.signal })
  try {
    const hasher = await loadXxhash()
    return await withCleanup(options.blobStore, track =>
      new XvaReader(reader, hasher, options, track).run().then(result => ({ compression, ...result })),
    )
  } finally {
    await reader.close()
  }
}

interface DiskState {
  ref: string
  vdi: XvaObject
  virtualSize: number
  store: SparseBlockStore
  assembler: BlockAssembler
  previous: number
  firstLength: number | undefined
  position: number
}

class XvaReader {
  readonly #reader: ByteReader
  readonly #hasher: XXHashAPI
  readonly #options: XvaImportOptions
  readonly #track: (id: string) => void
  readonly #header = Buffer.allocUnsafe(TAR_BLOCK)
  #chunk = Buffer.allocUnsafe(1024 * 1024)
  #ova: Ova | undefined
  #vdis = new Map<string, XvaObject>()
  #current: DiskState | undefined
  readonly #finished = new Set<string>()
  readonly #imported: ImportedXvaDisk[] = []
  /** The chunk whose checksum entry must come next. */
  #pending: { name: string; length: number } | undefined

  constructor(reader: ByteReader, hasher: XXHashAPI, options: XvaImportOptions, track: (id: string) => void) {
    this.#reader = reader
    this.#hasher = hasher
    this.#options = options
    this.#track = track
  }

  async run(): Promise<Omit<ImportedXva, 'compression'>> {
    const reader = this.#reader
    let longName: string | undefined
    let paxPath: string | undefined
    let paxSize: number | undefined
    let entries = 0
    for (;;) {
      const at = reader.position
      await reader.readInto(this.#header, 0, TAR_BLOCK, 'a tar header (archive truncated or missing its end marker)')
      if (isZero(this.#header)) break
      const header = parseTarHeader(this.#header, at)
      const name = longName ?? paxPath ?? header.name
      const size = paxSize ?? header.size
      longName = paxPath = paxSize = undefined

      if (header.type === 'x' || header.type === 'g' || header.type === 'L') {
        if (size > MAX_META_ENTRY) throw new DiskFormatError('BAD_TAR', `tar metadata entry at byte ${at} is too large (${size} bytes)`)
        const data = await reader.read(size, 'a tar metadata entry')
        await this.#skipPadding(size)
        if (header.type === 'L') longName = data.toString('utf8').replace(/\0+$/, '')
        else if (header.type === 'x') ({ path: paxPath, size: paxSize } = parsePaxRecords(data))
        continue
      }
      if (header.type !== '0' && header.type !== '7') {
        await this.#skipEntry(size, name)
        continue
      }
      if (entries++ === 0 && name !== 'ova.xml') {
        throw new DiskFormatError('BAD_XVA', `invalid XVA: the first entry must be ova.xml, found ${JSON.stringify(name)}`)
      }
      if (name === 'ova.xml') {
        await this.#readOvaXml(size)
      } else {
        const match = CHUNK_NAME.exec(name)
        if (match === null) await reader.skip(size, `tar entry ${JSON.stringify(name)}`)
        else if (match[3] !== undefined) await this.#readChecksum(name, match[3], size)
        else await this.#readChunk(name, match[1], Number(match[2]), size)
      }
      await this.#skipPadding(size)
    }
    await this.#finishDisk()
    this.#checkComplete()
    await reader.drain(0) // end-of-archive padding; also lets a decompressor validate its frame end
    const ova = this.#ova as Ova
    const byClass = (name: string): XvaObject[] => ova.objects.filter(object => object.class.toLowerCase() === name.toLowerCase())
    const vm = byClass('VM')[0]
    return {
      version: ova.version,
      objects: ova.objects,
      vm,
      vbds: byClass('VBD'),
      vdis: byClass('VDI'),
      vifs: byClass('VIF'),
      networks: byClass('network'),
      srs: byClass('SR'),
      disks: this.#imported,
    }
  }

  async #skipPadding(size: number): Promise<void> {
    const padding = roundUp(size, TAR_BLOCK) - size
    if (padding > 0) await this.#reader.skip(padding, 'tar padding')
  }

  async #skipEntry(size: number, name: string): Promise<void> {
    await this.#reader.skip(size, `tar entry ${JSON.stringify(name)}`)
    await this.#skipPadding(size)
  }

  async #readOvaXml(size: number): Promise<void> {
    if (this.#ova !== undefined) throw new DiskFormatError('BAD_XVA', 'invalid XVA: more than one ova.xml')
    const max = this.#options.maxOvaXmlSize ?? 32 * 1024 * 1024
    if (size > max) throw new DiskFormatError('BAD_XVA', `invalid XVA: ova.xml is too large (${size} bytes)`)
    const xml = (await this.#reader.read(size, 'ova.xml')).toString('utf8')
    this.#ova = parseOva(parseXmlRpc(xml))
    for (const object of this.#ova.objects) if (object.class.toLowerCase() === 'vdi') this.#vdis.set(object.id, object)
  }

  async #readChunk(name: string, ref: string, number: number, size: number): Promise<void> {
    const ova = this.#ova as Ova
    if (this.#pending !== undefined && ova.exportVsn > 0) {
      throw new DiskFormatError('BAD_XVA', `invalid XVA: chunk ${this.#pending.name} is not followed by its checksum`)
    }
    this.#pending = undefined
    let disk = this.#current
    if (disk?.ref !== ref) {
      await this.#finishDisk()
      disk = this.#current = await this.#startDisk(ref)
    }
    if (number <= disk.previous) {
      throw new DiskFormatError('BAD_XVA', `invalid XVA: chunk ${name} is out of order (after ${String(disk.previous).padStart(8, '0')})`)
    }
    const max = this.#options.maxChunkSize ?? 64 * 1024 * 1024
    if (size > max) throw new DiskFormatError('BAD_XVA', `invalid XVA: chunk ${name} is too large (${size} bytes)`)
    if (disk.firstLength === undefined) {
      if (number !== 0) throw new DiskFormatError('BAD_XVA', `invalid XVA: the first chunk of ${ref} is ${name}, expected ${ref}/00000000`)
      disk.firstLength = size
    }
    // XAPI's rule: each gap in the numbering stands for chunks as long as the first one.
    const position = disk.position + (number - disk.previous - 1) * disk.firstLength
    if (size > this.#chunk.length) this.#chunk = Buffer.allocUnsafe(size)
    const data = this.#chunk.subarray(0, size)
    await this.#reader.readInto(data, 0, size, `XVA chunk ${name}`)
    await disk.assembler.write(position, data)
    disk.position = position + size
    disk.previous = number
    this.#pending = { name, length: size }
  }

  async #readChecksum(name: string, extension: string, size: number): Promise<void> {
    const pending = this.#pending
    if (pending === undefined || name !== pending.name + extension) {
      throw new DiskFormatError('BAD_XVA', `invalid XVA: checksum entry ${name} does not follow its chunk`)
    }
    if (size > 256) throw new DiskFormatError('BAD_XVA', `invalid XVA: checksum entry ${name} is too large`)
    const stated = (await this.#reader.read(size, `checksum ${name}`)).toString('latin1').trim().toLowerCase()
    const data = this.#chunk.subarray(0, pending.length)
    const actual =
      extension === '.xxhash' ? xxh64Hex(this.#hasher, data).toLowerCase() : createHash('sha1').update(data).digest('hex')
    if (stated !== actual) {
      const kind = extension === '.xxhash' ? 'xxhash' : 'SHA-1 checksum'
      throw new DiskFormatError('BAD_CHECKSUM', `invalid XVA: ${kind} mismatch for chunk ${pending.name} (archive says ${stated}, data hashes to ${actual})`)
    }
    this.#pending = undefined
  }

  async #startDisk(ref: string): Promise<DiskState> {
    if (this.#finished.has(ref)) throw new DiskFormatError('BAD_XVA', `invalid XVA: chunks of ${ref} are not contiguous`)
    const vdi = this.#vdis.get(ref)
    if (vdi === undefined) throw new DiskFormatError('BAD_XVA', `invalid XVA: data for ${ref}, which is not a VDI of ova.xml`)
    const virtualSize = vdiSize(vdi)
    const id = this.#options.storeId(vdi, this.#imported.length)
    const store = await this.#options.blobStore.create(id, virtualSize)
    this.#track(id)
    return { ref, vdi, virtualSize, store, assembler: new BlockAssembler(store), previous: -1, firstLength: undefined, position: 0 }
  }

  async #finishDisk(): Promise<void> {
    const disk = this.#current
    if (disk === undefined) return
    if (this.#pending !== undefined && (this.#ova as Ova).exportVsn > 0) {
      throw new DiskFormatError('BAD_XVA', `invalid XVA: chunk ${this.#pending.name} is not followed by its checksum`)
    }
    this.#pending = undefined
    if (disk.position < disk.virtualSize) {
      throw new DiskFormatError(
        'TRUNCATED',
        `invalid XVA: data of ${disk.ref} ends at byte ${disk.position}, before its virtual size ${disk.virtualSize} (last chunk missing)`,
      )
    }
    await disk.assembler.finish()
    this.#current = undefined
    this.#finished.add(disk.ref)
    const vbds = (this.#ova as Ova).objects.filter(o => o.class.toLowerCase() === 'vbd' && o.snapshot.VDI === disk.ref)
    this.#imported.push({ ref: disk.ref, vdi: disk.vdi, vbds, virtualSize: disk.virtualSize, store: disk.store })
  }

  /** Every disk VBD's VDI (of non-zero size) must have had data. */
  #checkComplete(): void {
    const ova = this.#ova
    if (ova === undefined) throw new DiskFormatError('BAD_XVA', 'invalid XVA: no ova.xml')
    for (const vbd of ova.objects) {
      if (vbd.class.toLowerCase() !== 'vbd' || String(vbd.snapshot.type).toLowerCase() !== 'disk') continue
      const ref = vbd.snapshot.VDI
      if (typeof ref !== 'string' || !this.#vdis.has(ref) || this.#finished.has(ref)) continue
      if (vdiSize(this.#vdis.get(ref) as XvaObject) > 0) {
        throw new DiskFormatError('TRUNCATED', `invalid XVA: no data for ${ref} (disk of VBD ${vbd.id})`)
      }
    }
  }
}
