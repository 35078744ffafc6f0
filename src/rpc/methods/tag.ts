// JSON-RPC adapters of `tag.*` (`api/tag.mjs`).
import * as tag from '../../domain/tag.js'
import type { MethodTable } from '../types.js'

export const tagMethods: MethodTable = {
  'tag.add': (call) => {
    tag.addTag(call.ctx, call.objects.object!.id, call.params.tag as string)
  },
  'tag.remove': (call) => {
    tag.removeTag(call.ctx, call.objects.object!.id, call.params.tag as string)
  },
  'tag.set': (call) => {
    tag.setTagConfig(call.ctx, call.params.id as string, { color: call.params.color as string | null | undefined })
  },
  'tag.getAllConfigured': (call) => tag.getAllConfiguredTags(call.ctx),
}
