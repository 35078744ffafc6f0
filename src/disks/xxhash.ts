import xxhash, { type XXHashAPI } from 'xxhash-wasm'

/** XXH64 (seed 0) of an all-zero 1 MiB chunk, as XAPI writes it in `.xxhash` entries. */
export const ZERO_CHUNK_XXH64 = '87D2A1B6E1163EF1'

// A compiled WASM module is a stateless, process-wide resource (hash calls are synchronous and
// leave no state behind), so it is loaded once and shared by every server.
let loading: Promise<XXHashAPI> | undefined

export function loadXxhash(): Promise<XXHashAPI> {
  loading ??= xxhash()
  return loading
}

/** XXH64 of `data` as 16 upper-case hex digits (the `.xxhash` entry format). */
export function xxh64Hex(api: XXHashAPI, data: Uint8Array): string {
  return api.h64Raw(data).toString(16).toUpperCase().padStart(16, '0')
}
