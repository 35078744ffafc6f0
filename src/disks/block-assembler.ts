import type { SparseBlockStore } from './block-store.js'
import { BLOCK_SIZE } from './constants.js'

/**
 * Collects data written at increasing positions (XVA chunks, which are 1 MiB and may skip zero
 * regions) into 2 MiB blocks and stores each block once complete. Regions never written read as
 * zeros; data past the disk's end is ignored. Positions must not go backwards.
 */
export class BlockAssembler {
  readonly #store: SparseBlockStore
  #index = -1
  #buffer: Buffer | undefined
  #spare: Buffer | undefined
  #position = 0

  constructor(store: SparseBlockStore) {
    this.#store = store
  }

  async write(position: number, data: Buffer): Promise<void> {
    if (position < this.#position) throw new RangeError(`write at ${position} is before ${this.#position}`)
    const size = this.#store.virtualSize
    let at = position
    let offset = 0
    while (offset < data.length && at < size) {
      const index = Math.floor(at / BLOCK_SIZE)
      if (index !== this.#index) {
        await this.#flush()
        this.#index = index
        this.#buffer = this.#spare ?? Buffer.alloc(BLOCK_SIZE)
        this.#spare = undefined
      }
      const inBlock = at - index * BLOCK_SIZE
      const n = Math.min(BLOCK_SIZE - inBlock, data.length - offset, size - at)
      data.copy(this.#buffer as Buffer, inBlock, offset, offset + n)
      at += n
      offset += n
    }
    this.#position = position + data.length
  }

  /** Stores the block being assembled. */
  async finish(): Promise<void> {
    await this.#flush()
    this.#index = -1
  }

  async #flush(): Promise<void> {
    const buffer = this.#buffer
    if (buffer === undefined) return
    this.#buffer = undefined
    if (!(await this.#store.writeBlock(this.#index, buffer))) {
      buffer.fill(0)
      this.#spare = buffer
    }
  }
}
