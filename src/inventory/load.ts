// TEMPORARY minimal loader; replaced by the fixture loader (authoring format, captures, generator).
import type { XoObject } from './types.js'
import type { IdGenerator } from './ids.js'

export interface LoadedInventory {
  readonly objects: XoObject[]
  readonly warnings: string[]
  /** Whether the store must derive back-references (hand-written fixtures) or keep them (captures). */
  readonly deriveBackReferences: boolean
}

export interface LoadContext {
  readonly ids: IdGenerator
  readonly now: number
}

export type InventorySource = string | { readonly objects: XoObject[] } | Record<string, unknown>

export function loadInventory(source: InventorySource, _context: LoadContext): LoadedInventory {
  if (typeof source === 'object' && Array.isArray((source as { objects?: unknown }).objects)) {
    return { objects: (source as { objects: XoObject[] }).objects, warnings: [], deriveBackReferences: true }
  }
  return { objects: [], warnings: [], deriveBackReferences: true }
}
