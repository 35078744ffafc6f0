/**
 * Tags (`api/tag.mjs`, `xo-mixins/tags.mjs`): tags live in the `tags` array of XAPI objects (XAPI
 * `add_tags` / `remove_tags`, set semantics); tag configurations (colors) are XO-side records.
 *
 * A configured tag is stored as `{id: 'tag:<name>', type: 'tag', name, color?}` and served as XO does:
 * `{id: <name>, color?}`.
 */
import type { MockContext } from '../context.js'
import { isXapiType, type XoObject } from '../inventory/types.js'
import { invalidParameters, noSuchObject, PlainError } from './errors.js'

export interface TagConfigObject extends XoObject {
  readonly type: 'tag'
  readonly name: string
  readonly color?: string
}

const tagRecordId = (name: string) => `tag:${name}`

function taggableObject(ctx: MockContext, id: string): XoObject & { tags: readonly string[] } {
  const object = ctx.store.get(id)
  // XO only resolves XAPI objects (`getObject`): XO-side records are unknown to it
  if (object === undefined || !isXapiType(object.type)) throw noSuchObject(id)
  if (!Array.isArray(object.tags)) throw new PlainError(`${object.type} objects have no tags`)
  return object as XoObject & { tags: readonly string[] }
}

/** `tag.add`: idempotent. */
export function addTag(ctx: MockContext, objectId: string, tag: string): XoObject {
  const object = taggableObject(ctx, objectId)
  if (object.tags.includes(tag)) return object
  return ctx.store.update(object.id, { tags: [...object.tags, tag] })
}

/** `tag.remove`: removing a missing tag is silent. */
export function removeTag(ctx: MockContext, objectId: string, tag: string): XoObject {
  const object = taggableObject(ctx, objectId)
  if (!object.tags.includes(tag)) return object
  return ctx.store.update(object.id, { tags: object.tags.filter((value) => value !== tag) })
}

/**
 * `tag.set`: sets (`#rgb` is expanded to `#rrggbb`) or removes (null) a tag's color; a configuration
 * without any property left is deleted.
 */
export function setTagConfig(ctx: MockContext, name: string, settings: { color?: string | null }): void {
  const id = tagRecordId(name)
  const existing = ctx.store.get(id) as TagConfigObject | undefined
  let color = existing?.color
  if (settings.color !== undefined) {
    if (settings.color === null) color = undefined
    else {
      if (!/^#?([0-9A-F]{3}){1,2}$/i.test(settings.color)) throw invalidParameters('the color must be in hexadecimal format')
      const c = settings.color
      color = c.length === 4 ? `#${c[1]}${c[1]}${c[2]}${c[2]}${c[3]}${c[3]}` : c
    }
  }
  if (color === undefined) {
    if (existing !== undefined) ctx.store.remove(id)
  } else if (existing === undefined) {
    ctx.store.add<TagConfigObject>({ id, type: 'tag', name, color })
  } else {
    ctx.store.update(id, { color })
  }
}

export function serializeTagConfig(tag: TagConfigObject): Record<string, unknown> {
  return tag.color === undefined ? { id: tag.name } : { id: tag.name, color: tag.color }
}

/** `tag.getAllConfigured`: `[{id: <tag>, color?}]`. */
export function getAllConfiguredTags(ctx: MockContext): Array<Record<string, unknown>> {
  return [...ctx.store.ofType<TagConfigObject>('tag')].map(serializeTagConfig)
}

/** Every tag used by an XAPI object, sorted (what the REST API and xo-web list). */
export function getAllUsedTags(ctx: MockContext): string[] {
  const tags = new Set<string>()
  for (const object of ctx.store.all()) {
    if (isXapiType(object.type) && Array.isArray(object.tags)) for (const tag of object.tags) tags.add(String(tag))
  }
  return [...tags].sort()
}
