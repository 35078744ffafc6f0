import { mkdir, open, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { assertBlockBuffer, fitParts, zeroTail, type SparseBlockStore } from './block-store.js'
import { BLOCK_SIZE, ZERO_BLOCK, blockCountOf, blockLengthOf, isZero } from './constants.js'
import { assertBlockIndex, assertVirtualSize } from './content.js'

/**
 * Block store kept in a directory: one folder per disk holding `disk.json` ({ virtualSize }) and one
 * file per allocated block, named `<block index>.blk` (exactly BLOCK_SIZE bytes). Unallocated blocks
 * have no file, so sparseness needs no filesystem support, the allocation map is the folder listing,
 * and discarding a block is an unlink. Block files are written to a temporary name then renamed, so a
 * reader never sees a half-written block.
 *
 * The allocation map is loaded when the store is opened and kept in memory; one process must not
 * share a data directory with another writer.
 */
export class DirectoryBlockStore implements SparseBlockStore {
  readonly id: string
  readonly path: string
  #virtualSize: number
  readonly #allocated: Set<number>
  #sorted: number[] | undefined
  #tmpCounter = 0

  private constructor(id: string, path: string, virtualSize: number, allocated: Set<number>) {
    this.id = id
    this.path = path
    this.#virtualSize = virtualSize
    this.#allocated = allocated
  }

  /** Creates the folder (it must not exist yet). */
  static async create(id: string, path: string, virtualSize: number): Promise<DirectoryBlockStore> {
    assertVirtualSize(virtualSize)
    await mkdir(path) // fails with EEXIST when the id is taken
    await writeMeta(path, virtualSize)
    return new DirectoryBlockStore(id, path, virtualSize, new Set())
  }

  /** Opens an existing folder, or resolves to undefined when there is none. */
  static async open(id: string, path: string): Promise<DirectoryBlockStore | undefined> {
    let meta: string
    try {
      meta = await readFile(join(path, 'disk.json'), 'utf8')
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
    const { virtualSize } = JSON.parse(meta) as { virtualSize: number }
    assertVirtualSize(virtualSize)
    const allocated = new Set<number>()
    for (const name of await readdir(path)) {
      const match = /^(\d+)\.blk$/.exec(name)
      if (match !== null) allocated.add(Number(match[1]))
      else if (name.endsWith('.tmp')) await rm(join(path, name), { force: true })
    }
    return new DirectoryBlockStore(id, path, virtualSize, allocated)
  }

  get virtualSize(): number {
    return this.#virtualSize
  }

  allocatedBlocks(): number[] {
    this.#sorted ??= [...this.#allocated].sort((a, b) => a - b)
    return this.#sorted.slice()
  }

  allocatedBytes(): number {
    return this.#allocated.size * BLOCK_SIZE
  }

  async getBlock(index: number): Promise<Buffer> {
    assertBlockIndex(this.#virtualSize, index)
    if (!this.#allocated.has(index)) return ZERO_BLOCK
    const target = Buffer.allocUnsafe(BLOCK_SIZE)
    await this.#read(index, target)
    return target
  }

  async readBlock(index: number, target: Buffer): Promise<void> {
    assertBlockIndex(this.#virtualSize, index)
    if (!this.#allocated.has(index)) {
      target.fill(0, 0, BLOCK_SIZE)
      return
    }
    await this.#read(index, target)
  }

  async writeBlock(index: number, data: Buffer): Promise<boolean> {
    assertBlockIndex(this.#virtualSize, index)
    assertBlockBuffer(data)
    zeroTail(this.#virtualSize, index, data)
    if (isZero(data)) {
      await this.discardBlock(index)
      return false
    }
    await this.#store(index, [data])
    return false
  }

  async writeParts(index: number, parts: readonly Buffer[]): Promise<void> {
    assertBlockIndex(this.#virtualSize, index)
    const fitted = fitParts(parts, blockLengthOf(this.#virtualSize, index))
    if (fitted.every(part => isZero(part))) await this.discardBlock(index)
    else await this.#store(index, fitted)
  }

  /** Writes a block file from `parts` (BLOCK_SIZE bytes in all) and marks the block allocated. */
  async #store(index: number, parts: readonly Buffer[]): Promise<void> {
    const file = this.#blockPath(index)
    const tmp = `${file}.${this.#tmpCounter++}.tmp`
    try {
      if (parts.length === 1) await writeFile(tmp, parts[0])
      else await writeParts(tmp, parts)
      await rename(tmp, file)
    } catch (error) {
      await rm(tmp, { force: true })
      throw error
    }
    if (!this.#allocated.has(index)) {
      this.#allocated.add(index)
      this.#sorted = undefined
    }
  }

  async discardBlock(index: number): Promise<void> {
    assertBlockIndex(this.#virtualSize, index)
    if (!this.#allocated.delete(index)) return
    this.#sorted = undefined
    await unlink(this.#blockPath(index)).catch(error => {
      if (!isNotFound(error)) throw error
    })
  }

  async resize(virtualSize: number): Promise<void> {
    assertVirtualSize(virtualSize)
    const count = blockCountOf(virtualSize)
    for (const index of [...this.#allocated]) if (index >= count) await this.discardBlock(index)
    const last = count - 1
    if (this.#allocated.has(last) && blockLengthOf(virtualSize, last) < BLOCK_SIZE) {
      const block = Buffer.allocUnsafe(BLOCK_SIZE)
      await this.#read(last, block)
      this.#virtualSize = virtualSize
      await this.writeBlock(last, block)
    }
    this.#virtualSize = virtualSize
    await writeMeta(this.path, virtualSize)
  }

  #blockPath(index: number): string {
    return join(this.path, `${index}.blk`)
  }

  async #read(index: number, target: Buffer): Promise<void> {
    let handle
    try {
      handle = await open(this.#blockPath(index), 'r')
    } catch (error) {
      if (!isNotFound(error)) throw error
      target.fill(0, 0, BLOCK_SIZE) // discarded meanwhile
      return
    }
    try {
      let offset = 0
      while (offset < BLOCK_SIZE) {
        const { bytesRead } = await handle.read(target, offset, BLOCK_SIZE - offset, offset)
        if (bytesRead === 0) break
        offset += bytesRead
      }
      if (offset < BLOCK_SIZE) target.fill(0, offset, BLOCK_SIZE)
    } finally {
      await handle.close()
    }
  }
}

/** Writes `parts` one after the other into a new file (writev, resumed after partial writes). */
async function writeParts(path: string, parts: readonly Buffer[]): Promise<void> {
  const handle = await open(path, 'w')
  try {
    let pending = parts.filter(part => part.length > 0)
    while (pending.length > 0) {
      let { bytesWritten } = await handle.writev(pending.slice(0, 1024))
      if (bytesWritten === 0) throw new Error(`could not write ${path}`)
      let k = 0
      while (k < pending.length && bytesWritten >= pending[k].length) bytesWritten -= pending[k++].length
      pending = pending.slice(k)
      if (bytesWritten > 0) pending[0] = pending[0].subarray(bytesWritten)
    }
  } finally {
    await handle.close()
  }
}

async function writeMeta(path: string, virtualSize: number): Promise<void> {
  const file = join(path, 'disk.json')
  await writeFile(`${file}.tmp`, JSON.stringify({ virtualSize }) + '\n')
  await rename(`${file}.tmp`, file)
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}
