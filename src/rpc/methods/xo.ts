/**
 * `xo.*` (`api/xo.mjs`, `xo.mjs` `getObjects`).
 *
 * `xo.getAllObjects {filter?, limit?, ndjson?}` returns the XAPI objects keyed by id, in insertion order,
 * with no ACL filtering. An object filter is lodash `_.matches` (deep partial equality, arrays as subsets),
 * a string filter is complex-matcher syntax (`type:VM` is a case-insensitive substring match). With
 * `ndjson: true` it returns `{$getFrom}`: a one-shot URL serving one `JSON.stringify(object)` + `\n` per
 * object as `application/json`.
 */
import { Readable } from 'node:stream'
import type { MockContext } from '../../context.js'
import { compileFilter, compilePartial } from '../../filter/index.js'
import type { TokenObject, XoObject } from '../../inventory/types.js'
import { isXapiType } from '../../inventory/types.js'
import { registerDownload } from '../transfers.js'
import type { MethodTable } from '../types.js'

/** The matching XAPI objects, in collection order, at most `limit` of them. */
export function selectObjects(ctx: MockContext, filter: unknown, limit: number | undefined): XoObject[] {
  const predicate =
    filter === undefined ? undefined : typeof filter === 'string' ? compileFilter(filter) : compilePartial(filter)
  const max = limit === undefined ? Infinity : limit
  const selected: XoObject[] = []
  if (max <= 0) return selected
  for (const object of ctx.store.all()) {
    if (!isXapiType(object.type)) continue
    if (predicate !== undefined && !predicate(object)) continue
    selected.push(object)
    if (selected.length >= max) break
  }
  return selected
}

function* ndjsonLines(objects: readonly XoObject[]): Generator<string> {
  for (const object of objects) yield JSON.stringify(object) + '\n'
}

export const xoMethods: MethodTable = {
  'xo.getAllObjects': ({ ctx, params, transfers }) => {
    const { filter, limit, ndjson = false } = params as { filter?: unknown; limit?: number; ndjson?: boolean }
    const objects = selectObjects(ctx, filter, limit)
    if (ndjson) {
      // the selection is made now, like XO (the stream serializes the objects of this moment)
      return registerDownload(transfers, () => Readable.from(ndjsonLines(objects)), { contentType: 'application/json' })
    }
    const result: Record<string, XoObject> = {}
    for (const object of objects) result[object.id] = object
    return result
  },

  /** XO's `clean` hooks; here: drop expired authentication tokens. */
  'xo.clean': ({ ctx }) => {
    const now = ctx.clock.now()
    const expired = [...ctx.store.ofType<TokenObject>('token')].filter((token) => !(token.expiration >= now))
    for (const token of expired) ctx.store.remove(token.id)
  },

  /** Backs up XO's config before an upgrade; nothing to do in a mock. */
  'xo.snapshotBeforeUpgrade': () => undefined,
}
