import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'

import { MemoryBlockStore, type SparseBlockStore } from './block-store.js'
import { DirectoryBlockStore } from './dir-block-store.js'

/**
 * Per-VDI content storage of one mock server: creates, opens and deletes SparseBlockStores by id.
 * In memory by default; in a directory (`dataDir`, one sub-folder per id) when configured.
 * Every BlobStore owns its own state: two servers in one process never share anything unless they
 * are given the same dataDir.
 */
export interface BlobStore {
  readonly dataDir: string | undefined
  /** Creates an empty store; rejects when the id already exists. */
  create(id: string, virtualSize: number): Promise<SparseBlockStore>
  /** The store with this id, or undefined. */
  open(id: string): Promise<SparseBlockStore | undefined>
  has(id: string): Promise<boolean>
  /** Deletes a store and its data; resolves to false when there was none. */
  delete(id: string): Promise<boolean>
  /**
   * Moves the content of `sourceId` to `targetId`, dropping whatever `targetId` held (how an upload into
   * an existing VDI is committed once it validated). Returns the store under its new id.
   */
  replace(sourceId: string, targetId: string): Promise<SparseBlockStore>
  /** Ids of all stores, sorted. */
  list(): Promise<string[]>
}

export interface BlobStoreOptions {
  /** Keep content in this directory instead of memory (created when missing). */
  dataDir?: string
}

export function createBlobStore(options: BlobStoreOptions = {}): BlobStore {
  return options.dataDir === undefined ? new MemoryBlobStore() : new DirectoryBlobStore(options.dataDir)
}

export class BlobExistsError extends Error {
  constructor(id: string) {
    super(`disk content ${JSON.stringify(id)} already exists`)
    this.name = 'BlobExistsError'
  }
}

export class BlobNotFoundError extends Error {
  constructor(id: string) {
    super(`no disk content ${JSON.stringify(id)}`)
    this.name = 'BlobNotFoundError'
  }
}

function assertId(id: string): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > 512) throw new TypeError(`invalid blob id ${JSON.stringify(id)}`)
}

class MemoryBlobStore implements BlobStore {
  readonly dataDir = undefined
  readonly #stores = new Map<string, MemoryBlockStore>()

  async create(id: string, virtualSize: number): Promise<SparseBlockStore> {
    assertId(id)
    if (this.#stores.has(id)) throw new BlobExistsError(id)
    const store = new MemoryBlockStore(id, virtualSize)
    this.#stores.set(id, store)
    return store
  }

  async open(id: string): Promise<SparseBlockStore | undefined> {
    return this.#stores.get(id)
  }

  async has(id: string): Promise<boolean> {
    return this.#stores.has(id)
  }

  async delete(id: string): Promise<boolean> {
    return this.#stores.delete(id)
  }

  async replace(sourceId: string, targetId: string): Promise<SparseBlockStore> {
    assertId(targetId)
    const source = this.#stores.get(sourceId)
    if (source === undefined) throw new BlobNotFoundError(sourceId)
    if (sourceId === targetId) return source
    const moved = new MemoryBlockStore(targetId, source.virtualSize, source.takeBlocks())
    this.#stores.delete(sourceId)
    this.#stores.set(targetId, moved)
    return moved
  }

  async list(): Promise<string[]> {
    return [...this.#stores.keys()].sort()
  }
}

/** Folder names: safe ids as they are, anything else as `~` + hex of its UTF-8 bytes. */
function encodeId(id: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id) && id.length <= 200 ? id : '~' + Buffer.from(id, 'utf8').toString('hex')
}

function decodeId(name: string): string {
  return name.startsWith('~') ? Buffer.from(name.slice(1), 'hex').toString('utf8') : name
}

class DirectoryBlobStore implements BlobStore {
  readonly dataDir: string
  readonly #open = new Map<string, Promise<DirectoryBlockStore | undefined>>()
  #ready: Promise<unknown> | undefined

  constructor(dataDir: string) {
    this.dataDir = dataDir
  }

  #ensureDir(): Promise<unknown> {
    this.#ready ??= mkdir(this.dataDir, { recursive: true })
    return this.#ready
  }

  #path(id: string): string {
    return join(this.dataDir, encodeId(id))
  }

  async create(id: string, virtualSize: number): Promise<SparseBlockStore> {
    assertId(id)
    await this.#ensureDir()
    let store: DirectoryBlockStore
    try {
      store = await DirectoryBlockStore.create(id, this.#path(id), virtualSize)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new BlobExistsError(id)
      throw error
    }
    this.#open.set(id, Promise.resolve(store))
    return store
  }

  open(id: string): Promise<SparseBlockStore | undefined> {
    assertId(id)
    let pending = this.#open.get(id)
    if (pending === undefined) {
      pending = DirectoryBlockStore.open(id, this.#path(id))
      this.#open.set(id, pending)
      // Do not cache "absent": another create may come.
      void pending.then(
        store => store === undefined && this.#open.get(id) === pending && this.#open.delete(id),
        () => this.#open.get(id) === pending && this.#open.delete(id),
      )
    }
    return pending
  }

  async has(id: string): Promise<boolean> {
    return (await this.open(id)) !== undefined
  }

  async delete(id: string): Promise<boolean> {
    assertId(id)
    const existed = (await this.open(id)) !== undefined
    this.#open.delete(id)
    await rm(this.#path(id), { recursive: true, force: true })
    return existed
  }

  async replace(sourceId: string, targetId: string): Promise<SparseBlockStore> {
    assertId(targetId)
    const source = await this.open(sourceId)
    if (source === undefined) throw new BlobNotFoundError(sourceId)
    if (sourceId === targetId) return source
    await this.delete(targetId)
    this.#open.delete(sourceId)
    await rename(this.#path(sourceId), this.#path(targetId))
    const moved = await this.open(targetId)
    if (moved === undefined) throw new BlobNotFoundError(targetId)
    return moved
  }

  async list(): Promise<string[]> {
    await this.#ensureDir()
    const entries = await readdir(this.dataDir, { withFileTypes: true })
    return entries
      .filter(entry => entry.isDirectory())
      .map(entry => decodeId(entry.name))
      .sort()
  }
}
