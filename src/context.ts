import { createBlobStore, type BlobStore } from './disks/blob-store.js'
import { SystemClock, type Clock } from './inventory/clock.js'
import { IdGenerator } from './inventory/ids.js'
import { ObjectStore } from './inventory/store.js'
import type { XoObject } from './inventory/types.js'

/** Which era of the REST API to imitate (see README: "Two API eras"). */
export type ApiProfile = 'current' | 'legacy'

export interface MockConfig {
  /** `current` (XO 5.207 / rest-api 0.39) or `legacy` (the hand-written /rest/v0 before 2025-10). */
  readonly apiProfile: ApiProfile
  /** Interval of the SSE `ping` events in ms (XO: 30 s). */
  readonly ssePingInterval: number
  /** Unflushed bytes an SSE client may lag behind before it is cut off (XO: 20 MiB). */
  readonly sseMaxBufferBytes: number
  /** Where imported disk content is kept; undefined = memory. */
  readonly dataDir: string | undefined
}

/**
 * Everything one mock server instance owns. Passed explicitly to every domain operation and adapter;
 * nothing is kept at module level, so several servers can live in one process.
 */
export interface MockContext {
  readonly store: ObjectStore
  readonly clock: Clock
  readonly ids: IdGenerator
  /** Disk content of imported / rewritten VDIs, by VDI id (fixture VDIs have synthetic content). */
  readonly blobs: BlobStore
  readonly config: MockConfig
  /** The objects the server booted with (what `reset` goes back to). */
  readonly bootObjects: readonly XoObject[]
  /** Warnings collected while loading the inventory (dangling references of captures, …). */
  readonly warnings: readonly string[]
  /** Base path of the REST API. */
  readonly restBase: '/rest/v0'
}

export const DEFAULT_CONFIG: MockConfig = Object.freeze({
  apiProfile: 'current',
  ssePingInterval: 30_000,
  sseMaxBufferBytes: 20 * 1024 * 1024,
  dataDir: undefined,
})

/** A context from parts, with defaults for the rest (tests build small contexts with it). */
export function makeContext(parts: Partial<Omit<MockContext, 'config'>> & { config?: Partial<MockConfig> } = {}): MockContext {
  const config: MockConfig = { ...DEFAULT_CONFIG, ...parts.config }
  return {
    store: parts.store ?? new ObjectStore(),
    clock: parts.clock ?? new SystemClock(),
    ids: parts.ids ?? new IdGenerator('xo-mock'),
    blobs: parts.blobs ?? createBlobStore({ dataDir: config.dataDir }),
    config,
    bootObjects: parts.bootObjects ?? [],
    warnings: parts.warnings ?? [],
    restBase: '/rest/v0',
  }
}
