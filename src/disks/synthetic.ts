import { BLOCK_SIZE, XVA_CHUNK_SIZE, ZERO_BLOCK, blockCountOf, blockLengthOf } from './constants.js'
import { assertBlockIndex, assertVirtualSize, type DiskContent } from './content.js'
import { hash128, Random } from '../inventory/ids.js'
import { hashIndex } from './prng.js'

export interface SyntheticContentOptions {
  /** Everything (which blocks are allocated, their bytes) derives from this string. */
  seed: string
  /** Bytes, a multiple of 512. */
  virtualSize: number
  /**
   * Which blocks hold data; give at most one of these (default: `allocation: 1`).
   * - `allocation`: fraction of blocks allocated, 0..1 (each block decided by a hash of seed and index);
   * - `blockCount`: exactly this many blocks, picked pseudo-randomly;
   * - `blocks`: exactly these block indexes.
   */
  allocation?: number
  blockCount?: number
  blocks?: readonly number[]
}

const HALF = XVA_CHUNK_SIZE
/** Pool layout: [1 MiB zeros][3 MiB random][1 MiB zeros]. */
const RANDOM_START = HALF
const RANDOM_LENGTH = 3 * HALF
const POOL_SIZE = RANDOM_START + RANDOM_LENGTH + HALF
/** Start offsets of full-data windows: every sector in [RANDOM_START, RANDOM_START + 1 MiB]. */
const WINDOW_POSITIONS = (RANDOM_LENGTH - BLOCK_SIZE) / 512 + 1

/**
 * Deterministic disk content generated on demand.
 *
 * Allocation is decided from the seed; generation costs O(allocated blocks), so a 2 TiB disk with a
 * handful of blocks is almost free. Block bytes are zero-copy views of one 5 MiB pool per instance
 * (filled from the seed on first read): most blocks are a 2 MiB window at a block-dependent offset of
 * the random part (so blocks differ from each other and a misplaced block is detected); one in eight
 * blocks holds data in its first MiB only and one in eight in its second MiB only (so the XVA writer's
 * zero-chunk skipping is exercised inside allocated blocks).
 */
export class SyntheticContent implements DiskContent {
  readonly virtualSize: number
  readonly seed: string
  readonly #key: number
  /** Second word of the seed's hash: keys the allocation map (the first keys block contents). */
  readonly #allocationKey: number
  readonly #isAllocated: (index: number) => boolean
  readonly #computeAllocated: () => number[]
  #allocated: number[] | undefined
  #pool: Buffer | undefined
  #lastBlock: Buffer | undefined

  constructor(options: SyntheticContentOptions) {
    const { seed, virtualSize } = options
    assertVirtualSize(virtualSize)
    this.seed = seed
    this.virtualSize = virtualSize
    const hash = hash128(seed)
    this.#key = hash[0]
    this.#allocationKey = hash[1]
    const count = blockCountOf(virtualSize)
    const given = [options.allocation, options.blockCount, options.blocks].filter(v => v !== undefined)
    if (given.length > 1) throw new TypeError('give only one of allocation, blockCount, blocks')

    if (options.blocks !== undefined) {
      const set = new Set<number>()
      for (const index of options.blocks) {
        assertBlockIndex(virtualSize, index)
        set.add(index)
      }
      const sorted = [...set].sort((a, b) => a - b)
      this.#isAllocated = index => set.has(index)
      this.#computeAllocated = () => sorted
    } else if (options.blockCount !== undefined) {
      const wanted = options.blockCount
      if (!Number.isInteger(wanted) || wanted < 0 || wanted > count) {
        throw new RangeError(`blockCount ${wanted} out of range 0..${count}`)
      }
      const set = pickBlocks(new Random(seed + '\0blocks'), count, wanted)
      this.#isAllocated = index => set.has(index)
      this.#computeAllocated = () => [...set].sort((a, b) => a - b)
    } else {
      const ratio = options.allocation ?? 1
      if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`allocation ${ratio} out of range 0..1`)
      const threshold = ratio * 4294967296
      const key = this.#allocationKey
      this.#isAllocated = index => index >= 0 && index < count && hashIndex(key, index) < threshold
      this.#computeAllocated = () => {
        const result: number[] = []
        if (ratio === 0) return result
        for (let i = 0; i < count; i++) if (hashIndex(key, i) < threshold) result.push(i)
        return result
      }
    }
  }

  allocatedBlocks(): number[] {
    this.#allocated ??= this.#computeAllocated()
    return this.#allocated.slice()
  }

  isAllocated(index: number): boolean {
    return this.#isAllocated(index)
  }

  getBlock(index: number): Buffer {
    assertBlockIndex(this.virtualSize, index)
    if (!this.#isAllocated(index)) return ZERO_BLOCK
    const length = blockLengthOf(this.virtualSize, index)
    if (length < BLOCK_SIZE) return (this.#lastBlock ??= this.#makeLastBlock(index, length))
    return this.#view(index)
  }

  readBlock(index: number, target: Buffer): void {
    this.getBlock(index).copy(target, 0, 0, BLOCK_SIZE)
  }

  #view(index: number): Buffer {
    const pool = (this.#pool ??= this.#makePool())
    const h = hashIndex(this.#key, index)
    let start: number
    switch (h & 7) {
      case 0: // data, then zeros
        start = RANDOM_START + RANDOM_LENGTH - HALF
        break
      case 1: // zeros, then data
        start = RANDOM_START - HALF
        break
      default:
        start = RANDOM_START + ((h >>> 3) % WINDOW_POSITIONS) * 512
    }
    return pool.subarray(start, start + BLOCK_SIZE)
  }

  #makeLastBlock(index: number, length: number): Buffer {
    const block = Buffer.alloc(BLOCK_SIZE)
    this.#view(index).copy(block, 0, 0, length)
    return block
  }

  #makePool(): Buffer {
    const pool = Buffer.alloc(POOL_SIZE)
    new Random(this.seed).fill(pool.subarray(RANDOM_START, RANDOM_START + RANDOM_LENGTH))
    return pool
  }
}

/** Picks `wanted` distinct integers in [0, count) (rejection sampling on the smaller side). */
function pickBlocks(random: Random, count: number, wanted: number): Set<number> {
  const invert = wanted * 2 > count
  const draw = invert ? count - wanted : wanted
  const drawn = new Set<number>()
  while (drawn.size < draw) drawn.add(random.below(count))
  if (!invert) return drawn
  const result = new Set<number>()
  for (let i = 0; i < count; i++) if (!drawn.has(i)) result.add(i)
  return result
}
