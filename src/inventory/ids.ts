/**
 * Seeded identifiers and random numbers. Two generators built from the same seed produce the same
 * sequence, so an inventory built twice with the same seed is identical.
 */

/** Hashes a string to 128 bits (cyrb128), used to seed the PRNG. */
export function hash128(input: string): [number, number, number, number] {
  let h1 = 1779033703
  let h2 = 3144134277
  let h3 = 1013904242
  let h4 = 2773480762
  for (let i = 0; i < input.length; i++) {
    const k = input.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0]
}

const HEX: string[] = []
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'))
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** sfc32 PRNG: small, fast, good enough for test data. */
export class Random {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: string | number) {
    ;[this.#a, this.#b, this.#c, this.#d] = hash128(String(seed))
    for (let i = 0; i < 12; i++) this.uint32()
  }

  uint32(): number {
    const a = this.#a
    const b = this.#b
    const c = this.#c
    const d = this.#d
    const t = (((a + b) | 0) + d) | 0
    this.#d = (d + 1) | 0
    this.#a = b ^ (b >>> 9)
    this.#b = (c + (c << 3)) | 0
    this.#c = (c << 21) | (c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** Float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296
  }

  /** Integer in [0, n), n up to 2^53. */
  below(n: number): number {
    if (n <= 4294967296) return Math.floor(this.next() * n)
    return Math.floor(((this.uint32() * 4294967296 + this.uint32()) / 18446744073709551616) * n)
  }

  /** Fills `target` with pseudo-random bytes: a xorshift128 stream seeded from this generator (fast). */
  fill(target: Uint8Array): void {
    if (target.byteOffset % 4 !== 0) {
      for (let i = 0; i < target.length; i++) target[i] = this.uint32() & 0xff
      return
    }
    const words = new Uint32Array(target.buffer, target.byteOffset, target.length >>> 2)
    let x = this.uint32() | 1
    let y = this.uint32()
    let z = this.uint32()
    let w = this.uint32()
    for (let i = 0; i < words.length; i++) {
      const t = x ^ (x << 11)
      x = y
      y = z
      z = w
      w = w ^ (w >>> 19) ^ (t ^ (t >>> 8))
      words[i] = w
    }
    for (let i = words.length << 2; i < target.length; i++) target[i] = this.uint32() & 0xff
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new RangeError('pick from an empty list')
    return list[Math.floor(this.next() * list.length)]!
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += 4) {
      const n = this.uint32()
      out[i] = n & 0xff
      if (i + 1 < length) out[i + 1] = (n >>> 8) & 0xff
      if (i + 2 < length) out[i + 2] = (n >>> 16) & 0xff
      if (i + 3 < length) out[i + 3] = n >>> 24
    }
    return out
  }

  /** A derived generator, independent from this one's future draws. */
  fork(label: string): Random {
    return new Random(`${this.uint32()}:${label}`)
  }
}

/** Generates the identifiers XO and XAPI use, from a seed. */
export class IdGenerator {
  readonly random: Random

  constructor(seed: string | number) {
    this.random = new Random(seed)
  }

  /** RFC 4122 version 4 UUID. */
  uuid(): string {
    const b = this.random.bytes(16)
    b[6] = (b[6]! & 0x0f) | 0x40
    b[8] = (b[8]! & 0x3f) | 0x80
    const parts: string[] = []
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) parts.push('-')
      parts.push(HEX[b[i]!]!)
    }
    // join() yields a flat string (concatenation would keep a rope of 20 pieces per id)
    return parts.join('')
  }

  /** XAPI opaque reference. */
  opaqueRef(): string {
    return `OpaqueRef:${this.uuid()}`
  }

  /** Locally administered unicast MAC address, as XAPI generates for VIFs. */
  mac(): string {
    const b = this.random.bytes(6)
    b[0] = (b[0]! & 0xfc) | 0x02
    return [...b].map((x) => HEX[x]).join(':')
  }

  /** 43-character base64url string (32 random bytes), the shape of XO authentication tokens. */
  token(): string {
    const b = this.random.bytes(43)
    let s = ''
    for (let i = 0; i < 43; i++) s += BASE64URL[b[i]! & 63]
    return s
  }

  /** XO task id (`@vates/task` ≥ 0.7): 9-char zero-padded base36 ms timestamp, `-`, random base36. */
  taskId(now: number): string {
    let suffix = ''
    for (let i = 0; i < 11; i++) suffix += (this.random.uint32() % 36).toString(36)
    return `${now.toString(36).padStart(9, '0')}-${suffix}`
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(value: string): boolean {
  return UUID_RE.test(value)
}
