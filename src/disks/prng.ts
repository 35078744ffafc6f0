/**
 * Small deterministic hashing / random helpers for synthetic disk data. Pure functions and
 * per-instance generators only.
 */

/** Hashes a string to four 32-bit words (a cyrb128-style multiply/xor mix). */
export function hashSeed(seed: string): [number, number, number, number] {
  let a = 0x6a09e667
  let b = 0xbb67ae85
  let c = 0x3c6ef372
  let d = 0xa54ff53a
  for (let i = 0; i < seed.length; i++) {
    const k = seed.charCodeAt(i)
    a = b ^ Math.imul(a ^ k, 0x2545f491)
    b = c ^ Math.imul(b ^ k, 0x9e3779b1)
    c = d ^ Math.imul(c ^ k, 0x85ebca6b)
    d = a ^ Math.imul(d ^ k, 0xc2b2ae35)
  }
  a = mix32(a ^ seed.length)
  b = mix32(b ^ a)
  c = mix32(c ^ b)
  d = mix32(d ^ c)
  return [a, b, c, d]
}

/** murmur3's 32-bit finalizer: a cheap bijective scrambler. */
export function mix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}

/** Hash of (key, index) as an unsigned 32-bit integer. */
export function hashIndex(key: number, index: number): number {
  // Mix the high part too so that indexes above 2^32 (not reachable for disks, but cheap) still differ.
  return mix32(key ^ mix32(index >>> 0) ^ Math.imul(Math.floor(index / 4294967296), 0x27d4eb2f))
}

/** sfc32 generator: 4 words of state, good statistical quality, fast in JS. */
export class Sfc32 {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(state: readonly [number, number, number, number]) {
    ;[this.#a, this.#b, this.#c, this.#d] = state
    for (let i = 0; i < 15; i++) this.next()
  }

  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** Integer in [0, n). */
  below(n: number): number {
    if (n <= 4294967296) return Math.floor((this.next() / 4294967296) * n)
    return Math.floor(((this.next() * 4294967296 + this.next()) / 18446744073709551616) * n)
  }

  /** Fills `target` with pseudo-random bytes, one 32-bit word at a time (xorshift128 seeded by sfc32). */
  fill(target: Buffer): void {
    if (target.byteOffset % 4 !== 0) {
      for (let i = 0; i < target.length; i++) target[i] = this.next() & 0xff
      return
    }
    const words = new Uint32Array(target.buffer, target.byteOffset, target.length >>> 2)
    let x = this.next() | 1
    let y = this.next()
    let z = this.next()
    let w = this.next()
    for (let i = 0; i < words.length; i++) {
      const t = x ^ (x << 11)
      x = y
      y = z
      z = w
      w = w ^ (w >>> 19) ^ (t ^ (t >>> 8))
      words[i] = w
    }
    for (let i = words.length << 2; i < target.length; i++) target[i] = this.next() & 0xff
  }
}
