/**
 * Inventory operations of the control plane: reset to the boot state, export, load.
 *
 * Both reset and load bring the store to a target list of objects through the one mutation API
 * (`remove`, `add`, `update`), changing only what differs: every subscriber (JSON-RPC `all`, SSE, task
 * watch) sees exactly the objects that changed, and the JSON-RPC connections of users that still exist
 * stay open (a wholesale `replaceAll` would remove every user, which closes their connections). Objects a
 * reset re-creates come last in iteration order.
 */
import type { MockContext } from '../context.js'
import { DEFAULT_EMAIL, defaultAdminUser } from '../domain/auth.js'
import { jsonEqual } from '../inventory/freeze.js'
import { BUNDLED_INVENTORIES, InventoryError, loadInventory, type InventorySource } from '../inventory/load.js'
import { deriveBackReferences, type Patch } from '../inventory/store.js'
import type { TokenObject, UserObject, XoObject } from '../inventory/types.js'
import { badRequest } from './errors.js'

// XO's default admin (also in src/index.ts, not imported to keep the control plane free of import cycles)

export interface SyncStats {
  readonly added: number
  readonly updated: number
  readonly removed: number
}

/** Brings the store to exactly `target` (ids, types, fields) with the fewest changes. */
export function syncStore(ctx: MockContext, target: readonly XoObject[]): SyncStats {
  const { store } = ctx
  const byId = new Map<string, XoObject>()
  for (const object of target) byId.set(object.id, object)
  let added = 0
  let updated = 0
  let removed = 0
  for (const object of [...store.all()]) {
    const wanted = byId.get(object.id)
    if (wanted === undefined || wanted.type !== object.type) {
      if (store.has(object.id)) {
        store.remove(object.id)
        removed++
      }
    }
  }
  for (const object of target) {
    if (!store.has(object.id)) {
      store.add(object)
      added++
    }
  }
  // Field updates; adding/updating children moves the parents' back-reference arrays, so a second pass
  // puts those arrays back in their target order (forward references are final after the first pass).
  const touched = new Set<string>()
  for (let pass = 0; pass < 3; pass++) {
    let changed = false
    for (const wanted of target) {
      const current = store.get(wanted.id)!
      if (current === wanted || jsonEqual(current, wanted)) continue
      const patch: Patch = { ...wanted }
      for (const key of Object.keys(current)) if (!(key in wanted)) patch[key] = undefined
      store.update(wanted.id, patch)
      touched.add(wanted.id)
      changed = true
    }
    if (!changed) break
  }
  updated = touched.size
  return { added, updated, removed }
}

/** The current inventory as an `xo.getAllObjects`-style capture `{id: object}` (XO-side objects included). */
export function exportInventory(ctx: MockContext): Record<string, XoObject> {
  const out: Record<string, XoObject> = {}
  for (const object of ctx.store.all()) out[object.id] = object
  return out
}

export interface LoadResult {
  readonly objects: number
  readonly warnings: readonly string[]
  readonly changes: SyncStats
}

/**
 * Loads an inventory source (authoring document, capture, `{objects}`, bundled name; file paths only when
 * `allowPaths`) and returns the objects to sync to, after the same defaults as at boot (an admin user
 * when there is none) and with `keepTokens` carried over (re-bound to an admin if their user is gone).
 */
export function prepareInventory(
  ctx: MockContext,
  source: InventorySource,
  options: { readonly allowPaths: boolean; readonly keepTokens: readonly TokenObject[] },
): { objects: XoObject[]; warnings: string[] } {
  if (typeof source === 'string' && !options.allowPaths && !BUNDLED_INVENTORIES.includes(source) && source !== 'generated' && !source.startsWith('generated:')) {
    throw badRequest(`source: expected a bundled inventory (${BUNDLED_INVENTORIES.join(', ')}) or generated[:options], got ${JSON.stringify(source)}`)
  }
  let loaded
  try {
    loaded = loadInventory(source, { ids: ctx.ids, now: ctx.clock.now(), name: '<request body>' })
  } catch (error) {
    if (error instanceof InventoryError) throw badRequest(error.message)
    throw badRequest((error as Error).message.split('\n')[0]!)
  }
  let objects = loaded.objects
  if (loaded.deriveBackReferences) {
    objects = objects.map((object) => ({ ...object }))
    deriveBackReferences(objects)
  }
  const ids = new Set<string>()
  for (const [index, object] of objects.entries()) {
    if (ids.has(object.id)) throw badRequest(`<request body>: [${index}].id: duplicate id ${JSON.stringify(object.id)}`)
    ids.add(object.id)
  }
  const users = objects.filter((object): object is UserObject => object.type === 'user')
  if (users.length === 0) {
    const admin = defaultAdminUser(ctx.ids)
    objects.push(admin)
    users.push(admin)
  }
  const admin = users.find((user) => user.email === DEFAULT_EMAIL && user.permission === 'admin') ?? users.find((user) => user.permission === 'admin')
  for (const token of options.keepTokens) {
    if (ids.has(token.id)) continue
    if (ids.has(token.user_id)) objects.push(token)
    else if (admin !== undefined) objects.push({ ...token, user_id: admin.id })
  }
  return { objects, warnings: loaded.warnings }
}
