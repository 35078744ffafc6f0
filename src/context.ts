import type { Clock } from './inventory/clock.js'
import type { IdGenerator } from './inventory/ids.js'
import type { ObjectStore } from './inventory/store.js'
import type { XoObject } from './inventory/types.js'

/**
 * Everything one mock server instance owns. Passed explicitly to every domain operation and adapter;
 * nothing is kept at module level, so several servers can live in one process.
 */
export interface MockContext {
  readonly store: ObjectStore
  readonly clock: Clock
  readonly ids: IdGenerator
  /** The objects the server booted with (what `reset` goes back to). */
  readonly bootObjects: readonly XoObject[]
  /** Warnings collected while loading the inventory (dangling references of captures, …). */
  readonly warnings: readonly string[]
  /** Base path of the REST API. */
  readonly restBase: '/rest/v0'
}
