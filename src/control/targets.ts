/** The objects a call is about, for fault filters and scenario triggers. */
import type { ObjectStore } from '../inventory/store.js'
import type { XoObject } from '../inventory/types.js'

function addResolved(store: ObjectStore, value: string, found: Map<string, XoObject>): boolean {
  if (value === '') return false
  const object = store.resolve(value)
  if (object === undefined) return false
  found.set(object.id, object)
  return true
}

/** Objects named by the path segments of a request (`/rest/v0/vms/<id>/actions/start`, `/vdis/<id>.vhd`). */
export function targetsOfPath(store: ObjectStore, path: string): XoObject[] {
  const found = new Map<string, XoObject>()
  for (const raw of path.split('/')) {
    if (raw === '') continue
    let segment = raw
    try {
      segment = decodeURIComponent(raw)
    } catch {
      // kept as is
    }
    if (!addResolved(store, segment, found)) {
      const dot = segment.indexOf('.')
      if (dot > 0) addResolved(store, segment.slice(0, dot), found)
    }
  }
  return [...found.values()]
}

/** Objects named by JSON-RPC params: string values (and strings in arrays) that are ids or opaque refs. */
export function targetsOfParams(store: ObjectStore, params: unknown): XoObject[] {
  const found = new Map<string, XoObject>()
  const visit = (value: unknown, depth: number) => {
    if (typeof value === 'string') addResolved(store, value, found)
    else if (depth > 0 && value !== null && typeof value === 'object') {
      for (const item of Array.isArray(value) ? value : Object.values(value)) visit(item, depth - 1)
    }
  }
  visit(params, 2)
  return [...found.values()]
}
