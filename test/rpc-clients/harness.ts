/**
 * Shared harness of the xo-lib integration tests: a fresh mock per test (the default fixture inventory),
 * xo-lib 0.9.0 clients over a real WebSocket that record the `all` notifications they receive, and the
 * bookkeeping of the method → test-case table (`cases.ts`): every call made through `XoClient.call`
 * records the method under the running test, and after each test the methods the table assigns to it
 * must all have been called successfully.
 */
import { createRequire } from 'node:module'
import { afterEach, beforeEach, expect } from 'vitest'
import { createXoMock, type XoMock, type XoMockOptions } from '../../src/index.js'
import type { XoObject } from '../../src/inventory/types.js'
import { METHOD_CASES } from './cases.js'

const require = createRequire(import.meta.url)

/** The part of xo-lib 0.9.0's `Xo` class (a `JsonRpcWebSocketClient`) the tests use. */
export interface XoLib {
  open(): Promise<void>
  close(): Promise<void>
  signIn(credentials: Record<string, unknown>): Promise<void>
  call(method: string, params?: unknown): Promise<any>
  refreshUser(): Promise<any>
  on(event: string, listener: (...args: any[]) => void): unknown
  readonly user: any
  readonly status: string
}

type XoLibConstructor = new (options: { url: string; credentials?: Record<string, unknown> }) => XoLib

/** xo-lib 0.9.0, as its users load it (CommonJS, `.default`). */
export const Xo = (require('xo-lib') as { default: XoLibConstructor }).default

/**
 * `JsonRpcWebSocketClient#call`, the parent class's method: xo-lib's own `call()` refuses `session.*`
 * client-side, and xo-lib itself sends `session.signIn` / `session.getUser` through this one.
 */
const transportCall = (Object.getPrototypeOf(Xo.prototype) as { call(this: XoLib, method: string, params?: unknown): Promise<any> }).call

/** `params` of an `all` notification. */
export interface AllNotification {
  readonly type: 'enter' | 'exit'
  readonly items: Record<string, any>
}

// ---------------------------------------------------------------------------------------------
// Method → test-case bookkeeping

const exercised = new Map<string, Set<string>>()
let currentTest: string | undefined

function record(method: string): void {
  if (currentTest === undefined) return
  let set = exercised.get(currentTest)
  if (set === undefined) exercised.set(currentTest, (set = new Set()))
  set.add(method)
}

/** The methods the case table assigns to a test. */
export function methodsOfCase(title: string): string[] {
  return Object.entries(METHOD_CASES)
    .filter(([, test]) => test === title)
    .map(([method]) => method)
}

/**
 * Registers the hooks that check, after each test of the file, that every method the case table
 * assigns to it was called successfully through xo-lib during the test.
 */
export function trackMethodCases(): void {
  beforeEach((context) => {
    currentTest = context.task.name
    exercised.delete(context.task.name)
  })
  afterEach((context) => {
    const title = context.task.name
    currentTest = undefined
    const called = exercised.get(title) ?? new Set<string>()
    const missing = methodsOfCase(title).filter((method) => !called.has(method))
    expect(missing, `methods the case table assigns to "${title}" but the test did not call successfully`).toEqual([])
  })
}

// ---------------------------------------------------------------------------------------------
// Notifications

/** What a series of `all` notifications did: the last object entered per id, the ids that exited. */
export class Changes {
  readonly entered: Record<string, any> = {}
  readonly exited = new Set<string>()
  /** Ids in the order of their first `enter`. */
  readonly enterOrder: string[] = []

  constructor(readonly notifications: readonly AllNotification[]) {
    for (const { type, items } of notifications) {
      for (const [id, value] of Object.entries(items)) {
        if (type === 'enter') {
          if (!(id in this.entered)) this.enterOrder.push(id)
          this.entered[id] = value
          this.exited.delete(id)
        } else {
          delete this.entered[id]
          this.exited.add(id)
        }
      }
    }
  }

  /** The entered objects of a type. */
  ofType(type: string): any[] {
    return Object.values(this.entered).filter((object) => object.type === type)
  }

  /** Ids of everything entered or exited. */
  get ids(): string[] {
    return [...Object.keys(this.entered), ...this.exited]
  }
}

// ---------------------------------------------------------------------------------------------
// Client

/** A signed-in (or not) xo-lib client that keeps every `all` notification it receives. */
export class XoClient {
  readonly notifications: AllNotification[] = []
  readonly other: unknown[] = []
  readonly #waiters = new Set<() => void>()

  private constructor(readonly xo: XoLib) {
    xo.on('notification', (message: { method: string; params: AllNotification }) => {
      if (message.method === 'all') this.notifications.push(message.params)
      else this.other.push(message)
      for (const waiter of this.#waiters) waiter()
    })
  }

  /**
   * Opens xo-lib on the mock's URL as users pass it (`http://host:port`: xo-lib 0.9.0 appends `/api/`
   * and jsonrpc-websocket-client turns `http` into `ws`).
   */
  static async open(url: string): Promise<XoClient> {
    const xo = new Xo({ url })
    await xo.open()
    return new XoClient(xo)
  }

  /** `xo.signIn(credentials)`: xo-lib sends `session.signIn` and keeps the user. */
  async signIn(credentials: Record<string, unknown>): Promise<any> {
    await this.xo.signIn(credentials)
    record('session.signIn')
    return this.xo.user
  }

  /** `xo.call(method, params)`; `session.*` methods go through the transport xo-lib uses for them. */
  async call<T = any>(method: string, params?: unknown): Promise<T> {
    const result = (method.startsWith('session.') ? await transportCall.call(this.xo, method, params) : await this.xo.call(method, params)) as T
    record(method)
    return result
  }

  /** The error a call fails with (fails the test if it succeeds). */
  async callError(method: string, params?: unknown): Promise<any> {
    try {
      await (method.startsWith('session.') ? transportCall.call(this.xo, method, params) : this.xo.call(method, params))
    } catch (error) {
      return error
    }
    throw new Error(`${method} succeeded, an error was expected`)
  }

  /** `xo.getAllObjects {filter?}`. */
  objects(filter?: unknown): Promise<Record<string, any>> {
    return this.call('xo.getAllObjects', filter === undefined ? {} : { filter })
  }

  /** One object as `xo.getAllObjects` sees it (undefined when absent). */
  async object(id: string): Promise<any> {
    return (await this.objects({ id }))[id]
  }

  /** A position in the notification list, to look at what came after it. */
  mark(): number {
    return this.notifications.length
  }

  /** What the notifications received after `mark` did. */
  since(mark: number): Changes {
    return new Changes(this.notifications.slice(mark))
  }

  /** Resolves once `predicate` holds for the notifications received after `mark`. */
  async waitFor(mark: number, predicate: (changes: Changes) => boolean, timeout = 3000): Promise<Changes> {
    const check = () => predicate(this.since(mark))
    if (check()) return this.since(mark)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        reject(new Error(`timeout waiting for notifications (received ${JSON.stringify(this.since(mark).ids)})`))
      }, timeout)
      const waiter = () => {
        if (!check()) return
        clearTimeout(timer)
        this.#waiters.delete(waiter)
        resolve()
      }
      this.#waiters.add(waiter)
    })
    return this.since(mark)
  }

  /**
   * The changes since `mark`, checked against `xo.getAllObjects`: every entered object is there exactly
   * as notified, every exited id is gone. (The mock flushes notifications before a call's response, so
   * they have all arrived once the call returned.)
   */
  async synced(mark: number): Promise<Changes> {
    // a round trip: anything still in flight on the socket is received before its response
    const all = await this.objects()
    const changes = this.since(mark)
    for (const [id, object] of Object.entries(changes.entered)) expect(all[id], `getAllObjects[${id}] vs its last enter`).toEqual(object)
    for (const id of changes.exited) expect(all[id], `getAllObjects[${id}] after its exit`).toBeUndefined()
    return changes
  }

  async close(): Promise<void> {
    if (this.xo.status !== 'closed') await this.xo.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Mock per test

export interface MockHandle {
  readonly mock: XoMock
  /** A new xo-lib client signed in as the default admin (`{email, password}`). */
  admin(): Promise<XoClient>
  /** A new xo-lib client, signed in with these credentials (not signed in when omitted). */
  client(credentials?: Record<string, unknown>): Promise<XoClient>
}

/** A fresh mock (default fixture inventory) for each test of the file, closed after it with its clients. */
export function useMock(options: XoMockOptions = {}): MockHandle {
  let current: XoMock | undefined
  const clients: XoClient[] = []
  beforeEach(async () => {
    current = await createXoMock({ inventory: 'default', seed: 'rpc-clients', port: 0, ...options })
  })
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close()
    await current?.close()
    current = undefined
  })
  const client = async (credentials?: Record<string, unknown>) => {
    const opened = await XoClient.open(handle.mock.url)
    clients.push(opened)
    if (credentials !== undefined) await opened.signIn(credentials)
    return opened
  }
  const handle: MockHandle = {
    get mock() {
      if (current === undefined) throw new Error('no mock outside a test')
      return current
    },
    admin: () => client({ email: handle.mock.email, password: handle.mock.password }),
    client,
  }
  return handle
}

// ---------------------------------------------------------------------------------------------
// Picking fixture objects

/** Objects of a type in the mock's inventory (server side), optionally filtered. */
export function objectsOf(mock: XoMock, type: string, predicate: (object: any) => boolean = () => true): any[] {
  return [...mock.inventory.ofType<XoObject>(type)].filter(predicate)
}

/** The first object of a type matching `predicate`; a clear failure when the fixture has none. */
export function pick(mock: XoMock, type: string, predicate: (object: any) => boolean = () => true, what = type): any {
  const found = objectsOf(mock, type, predicate)[0]
  if (found === undefined) throw new Error(`the fixture inventory has no ${what}`)
  return found
}

/** Current state of an object in the mock (server side). */
export function current(mock: XoMock, id: string): any {
  return mock.inventory.get(id)
}

export const GiB = 1024 ** 3
export const MiB = 1024 ** 2
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
