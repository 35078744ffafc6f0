/** Completed calls, as scenario `after` triggers see them. */
import type { XoObject } from '../inventory/types.js'
import type { Transport } from './journal.js'

export interface CompletedCall {
  readonly transport: Transport
  /** HTTP method or JSON-RPC method name. */
  readonly method: string
  readonly path?: string
  /** The call succeeded (no JSON-RPC error, HTTP status below 400). */
  readonly ok: boolean
  /** Objects named by the call (RPC params, request path). */
  readonly targets: () => readonly XoObject[]
}

export type CallListener = (call: CompletedCall) => void

export class CallFeed {
  readonly #listeners = new Set<CallListener>()

  get size(): number {
    return this.#listeners.size
  }

  subscribe(listener: CallListener): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  emit(call: CompletedCall): void {
    for (const listener of this.#listeners) listener(call)
  }
}

/** Memoizes a lazy computation. */
export function lazy<T>(compute: () => T): () => T {
  let done = false
  let value: T
  return () => {
    if (!done) {
      value = compute()
      done = true
    }
    return value
  }
}
