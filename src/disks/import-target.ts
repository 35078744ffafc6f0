import type { BlobStore } from './blob-store.js'
import type { SparseBlockStore } from './block-store.js'

/** Where an import writes: a new store `id` in `blobStore` (deleted again if the import fails). */
export interface ImportTarget {
  blobStore: BlobStore
  id: string
  /** Aborts the import (the created store is deleted). */
  signal?: AbortSignal
}

export interface DiskImportResult {
  virtualSize: number
  store: SparseBlockStore
}

/**
 * Runs an import that may create stores, deleting every store it created when it fails (validation
 * error, source error or abort), then rethrows.
 */
export async function withCleanup<T>(
  blobStore: BlobStore,
  run: (track: (id: string) => void) => Promise<T>,
): Promise<T> {
  const created: string[] = []
  try {
    return await run(id => created.push(id))
  } catch (error) {
    await Promise.allSettled(created.map(id => blobStore.delete(id)))
    throw error
  }
}
