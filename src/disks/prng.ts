/**
 * Small deterministic hashing helpers for synthetic disk data (the seeded generator itself is the
 * inventory's `Random`, src/inventory/ids.ts).
 */

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
