/**
 * The `all` notifications (`xo.mjs` `_watchObjects`, `xo-collection`): every change of an XAPI object is
 * buffered and flushed on `process.nextTick` as at most one
 * `{"jsonrpc":"2.0","method":"all","params":{"type":"enter","items":{id: object}}}` followed by at most one
 * `{…"params":{"type":"exit","items":{id: 0}}}`, sent to every signed-in connection (no ACL filtering).
 *
 * Buffering follows xo-collection: within a flush, add then remove cancels out, add then update stays an
 * add, remove then add becomes an update; enter items are the latest full objects, exit values are `0`.
 *
 * Pending changes are also flushed right before any JSON-RPC response is written, so that the effects of a
 * call (e.g. the `enter` of the VM `vm.create` made) reach clients before its result, as XO does in
 * practice.
 */
import type { Change } from '../inventory/store.js'
import { isXapiType, type XoObject } from '../inventory/types.js'
import type { SessionRegistry } from './connections.js'
import { formatNotification } from './wire.js'

type Action = 'add' | 'update' | 'remove'

export class Notifier {
  readonly #sessions: SessionRegistry
  readonly #actions = new Map<string, Action>()
  readonly #objects = new Map<string, XoObject>()
  #scheduled = false
  #stopped = false

  /** Feed it with `onChange` from the server's single store subscription. */
  constructor(sessions: SessionRegistry) {
    this.#sessions = sessions
  }

  /** Number of buffered changes not flushed yet. */
  get pending(): number {
    return this.#actions.size
  }

  /** Buffers one change of the store's feed (non-XAPI objects are ignored). */
  onChange(change: Change): void {
    if (this.#stopped || !isXapiType(change.type)) return
    const { id } = change
    const previous = this.#actions.get(id)
    switch (change.kind) {
      case 'add':
        this.#actions.set(id, previous === 'remove' ? 'update' : (previous ?? 'add'))
        this.#objects.set(id, change.object)
        break
      case 'update':
        this.#actions.set(id, previous === 'add' ? 'add' : 'update')
        this.#objects.set(id, change.object)
        break
      case 'remove':
        if (previous === 'add') {
          this.#actions.delete(id)
          this.#objects.delete(id)
        } else {
          this.#actions.set(id, 'remove')
          this.#objects.delete(id)
        }
        break
    }
    if (!this.#scheduled) {
      this.#scheduled = true
      process.nextTick(() => {
        this.#scheduled = false
        this.flush()
      })
    }
  }

  /** Sends the buffered changes now (one enter, then one exit) to every signed-in connection. */
  flush(): void {
    if (this.#actions.size === 0) return
    const entered: Record<string, XoObject> = {}
    const exited: Record<string, 0> = {}
    let hasEntered = false
    let hasExited = false
    for (const [id, action] of this.#actions) {
      if (action === 'remove') {
        exited[id] = 0
        hasExited = true
      } else {
        entered[id] = this.#objects.get(id)!
        hasEntered = true
      }
    }
    this.#actions.clear()
    this.#objects.clear()
    const messages: string[] = []
    if (hasEntered) messages.push(formatNotification('all', { type: 'enter', items: entered }))
    if (hasExited) messages.push(formatNotification('all', { type: 'exit', items: exited }))
    for (const session of this.#sessions.signedIn()) {
      for (const message of messages) session.send(message)
    }
  }

  /** Drops pending changes and ignores later ones (server close). */
  stop(): void {
    this.#stopped = true
    this.#actions.clear()
    this.#objects.clear()
  }
}
