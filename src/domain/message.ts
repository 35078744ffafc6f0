/** XAPI messages (`api/message.mjs`): `{name, body, time, $object}`. */
import type { MockContext } from '../context.js'
import { requireObject } from './pool.js'

/** `message.delete` (XAPI `message.destroy`): the message leaves the inventory. */
export function deleteMessage(ctx: MockContext, messageId: string): void {
  ctx.store.remove(requireObject(ctx, messageId, 'message').id)
}
