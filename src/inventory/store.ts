import { deepFreeze, jsonEqual } from './freeze.js'
import { relationsOfChild, relationsOfParent } from './relations.js'
import type { XoObject } from './types.js'

export type ChangeKind = 'add' | 'update' | 'remove'

/** One record of the change feed. `object` is the new object (the last known one for `remove`). */
export interface Change {
  readonly seq: number
  readonly kind: ChangeKind
  readonly id: string
  readonly type: string
  readonly object: XoObject
  readonly previous?: XoObject
}

export type ChangeListener = (change: Change) => void

/** A patch: keys set to `undefined` are removed from the object. */
export type Patch = Record<string, unknown>

export class NoSuchObjectError extends Error {
  constructor(
    readonly id: string,
    readonly expectedType?: string,
  ) {
    super(`no such ${expectedType ?? 'object'} ${id}`)
    this.name = 'NoSuchObjectError'
  }
}

export class DuplicateObjectError extends Error {
  constructor(readonly id: string) {
    super(`an object with id ${id} already exists`)
    this.name = 'DuplicateObjectError'
  }
}

export interface LoadOptions {
  /** Recompute every back-reference array from the forward references (hand-written fixtures). */
  readonly deriveBackReferences?: boolean
}

/**
 * The object graph: every XO object, indexed by id, by type and by XAPI ref, behind one mutation API
 * (`add`, `update`, `remove`, `replaceAll`) that keeps back-references consistent and emits one
 * ordered change feed. Objects are frozen; an update replaces the object wholesale, like XO does.
 */
export class ObjectStore {
  readonly #objects = new Map<string, XoObject>()
  readonly #byType = new Map<string, Map<string, XoObject>>()
  readonly #byRef = new Map<string, string>()
  readonly #listeners = new Set<ChangeListener>()
  #seq = 0

  /** Sequence number of the last change; any mutation increases it. */
  get version(): number {
    return this.#seq
  }

  get size(): number {
    return this.#objects.size
  }

  /** Subscribe to the change feed; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  get(id: string): XoObject | undefined {
    return this.#objects.get(id)
  }

  /** Resolves an id or a XAPI opaque ref (`OpaqueRef:…`), like xo-server's getObject. */
  resolve(idOrRef: string): XoObject | undefined {
    const direct = this.#objects.get(idOrRef)
    if (direct !== undefined) return direct
    const id = this.#byRef.get(idOrRef)
    return id === undefined ? undefined : this.#objects.get(id)
  }

  /** The object with this id (or ref) and one of these types, else NoSuchObjectError. */
  getOfType<T extends XoObject = XoObject>(id: string, types: string | readonly string[]): T {
    const object = this.resolve(id)
    const list = typeof types === 'string' ? [types] : types
    if (object === undefined || !list.includes(object.type)) throw new NoSuchObjectError(id, list[0])
    return object as T
  }

  has(id: string): boolean {
    return this.#objects.has(id)
  }

  /** Every object, in insertion order. */
  all(): IterableIterator<XoObject> {
    return this.#objects.values()
  }

  /** Objects of one type, in insertion order. */
  ofType<T extends XoObject = XoObject>(type: string): IterableIterator<T> {
    const map = this.#byType.get(type)
    return (map === undefined ? [].values() : map.values()) as IterableIterator<T>
  }

  count(type: string): number {
    return this.#byType.get(type)?.size ?? 0
  }

  types(): string[] {
    return [...this.#byType.keys()]
  }

  /** Adds an object, links it into its parents' back-references and emits `add` (then parents' `update`). */
  add<T extends XoObject>(input: T): T {
    if (typeof input.id !== 'string' || input.id === '') throw new TypeError('object without id')
    if (typeof input.type !== 'string' || input.type === '') throw new TypeError(`object ${input.id} without type`)
    if (this.#objects.has(input.id)) throw new DuplicateObjectError(input.id)
    const object = deepFreeze({ ...input }) as T
    this.#insert(object)
    this.#emit('add', object)
    for (const relation of relationsOfChild(object.type)) {
      this.#link(relation.parentTypes, relation.parentFields, object[relation.childField], object.id)
    }
    return object
  }

  /**
   * Shallow-merges `patch` into the object (keys whose value is `undefined` are deleted) and emits
   * `update` if anything changed. Forward references that change move the back-references.
   */
  update<T extends XoObject = XoObject>(id: string, patch: Patch | ((current: T) => Patch)): T {
    const current = this.#objects.get(id) as T | undefined
    if (current === undefined) throw new NoSuchObjectError(id)
    const changes = typeof patch === 'function' ? patch(current) : patch
    let changed = false
    const next: Record<string, unknown> = { ...current }
    for (const key of Object.keys(changes)) {
      if (key === 'id' || key === 'type') {
        if (changes[key] !== current[key]) throw new TypeError(`cannot change ${key} of ${id}`)
        continue
      }
      const value = changes[key]
      if (value === undefined) {
        if (key in next) {
          delete next[key]
          changed = true
        }
      } else if (!jsonEqual(value, current[key])) {
        next[key] = value
        changed = true
      }
    }
    if (!changed) return current
    const object = deepFreeze(next) as T
    this.#replace(object, current)
    this.#emit('update', object, current)
    for (const relation of relationsOfChild(object.type)) {
      const before = current[relation.childField]
      const after = object[relation.childField]
      if (before !== after) {
        this.#unlink(relation.parentTypes, relation.parentFields, before, id)
        this.#link(relation.parentTypes, relation.parentFields, after, id)
      }
    }
    return object
  }

  /** Removes an object, unlinks it from its parents and emits `remove` (then parents' `update`). */
  remove(id: string): XoObject {
    const object = this.#objects.get(id)
    if (object === undefined) throw new NoSuchObjectError(id)
    this.#delete(object)
    this.#emit('remove', object)
    for (const relation of relationsOfChild(object.type)) {
      this.#unlink(relation.parentTypes, relation.parentFields, object[relation.childField], id)
    }
    return object
  }

  /**
   * Replaces the whole content (boot, reset, inventory load). Emits `remove` for every old object, then
   * `add` for every new one, so live subscribers see the switch like any other change.
   */
  replaceAll(objects: Iterable<XoObject>, options: LoadOptions = {}): void {
    const derive = options.deriveBackReferences === true
    const list: XoObject[] = []
    const seen = new Set<string>()
    for (const input of objects) {
      if (seen.has(input.id)) throw new DuplicateObjectError(input.id)
      seen.add(input.id)
      // derivation writes into the objects: work on copies then; otherwise the objects are frozen as given
      list.push(derive ? { ...input } : input)
    }
    if (derive) deriveBackReferences(list)
    const old = [...this.#objects.values()]
    this.#objects.clear()
    this.#byType.clear()
    this.#byRef.clear()
    if (this.#listeners.size > 0) for (const object of old) this.#emit('remove', object)
    for (const input of list) {
      const object = deepFreeze(input)
      this.#insert(object)
      if (this.#listeners.size > 0) this.#emit('add', object)
      else this.#seq++
    }
  }

  #insert(object: XoObject): void {
    this.#objects.set(object.id, object)
    let map = this.#byType.get(object.type)
    if (map === undefined) this.#byType.set(object.type, (map = new Map()))
    map.set(object.id, object)
    const ref = object._xapiRef
    if (typeof ref === 'string') this.#byRef.set(ref, object.id)
  }

  #replace(object: XoObject, previous: XoObject): void {
    this.#objects.set(object.id, object)
    this.#byType.get(object.type)!.set(object.id, object)
    if (object._xapiRef !== previous._xapiRef) {
      if (typeof previous._xapiRef === 'string') this.#byRef.delete(previous._xapiRef)
      if (typeof object._xapiRef === 'string') this.#byRef.set(object._xapiRef, object.id)
    }
  }

  #delete(object: XoObject): void {
    this.#objects.delete(object.id)
    this.#byType.get(object.type)?.delete(object.id)
    const ref = object._xapiRef
    if (typeof ref === 'string') this.#byRef.delete(ref)
  }

  #link(parentTypes: readonly string[], parentFields: readonly string[], parentId: unknown, childId: string): void {
    if (typeof parentId !== 'string') return
    const parent = this.#objects.get(parentId)
    if (parent === undefined || !parentTypes.includes(parent.type)) return
    const patch: Patch = {}
    for (const field of parentFields) {
      const list = parent[field]
      const array = Array.isArray(list) ? (list as string[]) : []
      if (!array.includes(childId)) patch[field] = [...array, childId]
    }
    if (Object.keys(patch).length > 0) this.update(parentId, patch)
  }

  #unlink(parentTypes: readonly string[], parentFields: readonly string[], parentId: unknown, childId: string): void {
    if (typeof parentId !== 'string') return
    const parent = this.#objects.get(parentId)
    if (parent === undefined || !parentTypes.includes(parent.type)) return
    const patch: Patch = {}
    for (const field of parentFields) {
      const list = parent[field]
      if (Array.isArray(list) && list.includes(childId)) patch[field] = list.filter((value) => value !== childId)
    }
    if (Object.keys(patch).length > 0) this.update(parentId, patch)
  }

  #emit(kind: ChangeKind, object: XoObject, previous?: XoObject): void {
    const change: Change =
      previous === undefined
        ? { seq: ++this.#seq, kind, id: object.id, type: object.type, object }
        : { seq: ++this.#seq, kind, id: object.id, type: object.type, object, previous }
    for (const listener of this.#listeners) listener(change)
  }
}

/**
 * Recomputes, in place, every back-reference array of `objects` from the forward references
 * (children in list order). Arrays of parents that no relation feeds are left untouched.
 */
export function deriveBackReferences(objects: XoObject[]): void {
  const byId = new Map<string, Record<string, unknown>>()
  for (const object of objects) byId.set(object.id, object as Record<string, unknown>)
  for (const object of objects) {
    for (const relation of relationsOfParent(object.type)) {
      for (const field of relation.parentFields) (object as Record<string, unknown>)[field] = []
    }
  }
  for (const object of objects) {
    for (const relation of relationsOfChild(object.type)) {
      const parentId = object[relation.childField]
      if (typeof parentId !== 'string') continue
      const parent = byId.get(parentId)
      if (parent === undefined || !relation.parentTypes.includes(parent.type as string)) continue
      for (const field of relation.parentFields) {
        // each child feeds a given parent field through one relation only: no duplicate possible
        ;(parent[field] as string[]).push(object.id)
      }
    }
  }
}
