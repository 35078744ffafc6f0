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
  /** Bytes of the current block written or zeroed so far, from its start. */
  #filled = 0
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
        // not zero-filled up front: gaps are zeroed as writes skip them, the tail on flush
        this.#buffer = this.#spare ?? Buffer.allocUnsafeSlow(BLOCK_SIZE)
        this.#spare = undefined
        this.#filled = 0
      }
      const buffer = this.#buffer as Buffer
      const inBlock = at - index * BLOCK_SIZE
      const n = Math.min(BLOCK_SIZE - inBlock, data.length - offset, size - at)
      if (inBlock > this.#filled) buffer.fill(0, this.#filled, inBlock)
      data.copy(buffer, inBlock, offset, offset + n)
      this.#filled = inBlock + n
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
    if (this.#filled < BLOCK_SIZE) buffer.fill(0, this.#filled)
    if (!(await this.#store.writeBlock(this.#index, buffer))) this.#spare = buffer
  }
}
