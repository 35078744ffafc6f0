import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import WebSocket from 'ws'
import type { MockContext } from '../../src/context.js'
import { createContext, createXoMock, type XoMock, type XoMockOptions } from '../../src/index.js'
import type { XoObject } from '../../src/inventory/types.js'
import { registerRpc, type RpcServer, type RpcServerOptions } from '../../src/rpc/index.js'
import type { RpcHandler } from '../../src/rpc/types.js'

export const POOL = 'a0000000-0000-4000-8000-000000000001'
export const HOST = 'a0000000-0000-4000-8000-000000000002'
export const VM1 = 'a0000000-0000-4000-8000-000000000003'
export const VM2 = 'a0000000-0000-4000-8000-000000000004'
export const TEMPLATE = 'a0000000-0000-4000-8000-000000000005'
export const SR = 'a0000000-0000-4000-8000-000000000006'
export const VDI = 'a0000000-0000-4000-8000-000000000007'
export const VBD = 'a0000000-0000-4000-8000-000000000008'
export const NETWORK = 'a0000000-0000-4000-8000-000000000009'
export const USER = 'b0000000-0000-4000-8000-000000000001'
export const ADMIN = 'b0000000-0000-4000-8000-000000000002'

export const USER_EMAIL = 'bob@example.org'
export const USER_PASSWORD = 'bob-secret'

const xapi = (id: string, type: string, extra: Record<string, unknown>): XoObject => ({
  id,
  type,
  uuid: id,
  $pool: POOL,
  $poolId: POOL,
  _xapiRef: `OpaqueRef:${id}`,
  ...extra,
})

/** A small hand-made inventory: one pool, one host, two VMs (one with an ACL for bob), a template, storage. */
export function smallInventory(): { objects: XoObject[] } {
  return {
    objects: [
      xapi(POOL, 'pool', { name_label: 'Lab pool', master: HOST, default_SR: SR, tags: [] }),
      xapi(HOST, 'host', { name_label: 'host1', power_state: 'Running', enabled: true, $container: POOL, residentVms: [], tags: [] }),
      xapi(VM1, 'VM', {
        name_label: 'web1',
        power_state: 'Running',
        $container: HOST,
        CPUs: { max: 4, number: 2 },
        tags: ['prod', 'web'],
        $VBDs: [],
        VIFs: [],
      }),
      xapi(VM2, 'VM', { name_label: 'db1', power_state: 'Halted', $container: POOL, CPUs: { max: 2, number: 1 }, tags: ['prod'], $VBDs: [], VIFs: [] }),
      xapi(TEMPLATE, 'VM-template', { name_label: 'Debian 12', $container: POOL, tags: [], $VBDs: [], VIFs: [] }),
      xapi(SR, 'SR', { name_label: 'Local storage', SR_type: 'ext', $container: HOST, VDIs: [], $PBDs: [], size: 1e12, usage: 1e9, physical_usage: 1e9, shared: false }),
      xapi(VDI, 'VDI', { name_label: 'web1 disk', $SR: SR, $VBDs: [], size: 1e10, usage: 1e9 }),
      xapi(VBD, 'VBD', { VM: VM1, VDI, attached: true, is_cd_drive: false, device: 'xvda', position: '0' }),
      xapi(NETWORK, 'network', { name_label: 'Pool-wide network', bridge: 'xenbr0', PIFs: [], VIFs: [], tags: [] }),
      { id: ADMIN, type: 'user', email: 'admin@admin.net', name: 'admin', permission: 'admin', groups: [], preferences: {}, password: 'admin' },
      { id: USER, type: 'user', email: USER_EMAIL, name: 'bob', permission: 'none', groups: [], preferences: {}, password: USER_PASSWORD },
      { id: 'acl001', type: 'acl', subject: USER, object: VM1, action: 'operator' },
    ],
  }
}

export async function startMock(options: XoMockOptions = {}): Promise<XoMock> {
  return createXoMock({ inventory: smallInventory(), port: 0, ...options })
}

export const wsUrl = (mock: { readonly url: string }, path = '/api/') => mock.url.replace(/^http/, 'ws') + path

export interface Message {
  readonly raw: string
  readonly json: any
}

/** A raw WebSocket JSON-RPC client that keeps every message it receives (raw text and parsed). */
export class RawClient {
  readonly messages: Message[] = []
  readonly #waiters = new Set<() => void>()
  #nextId = 1000
  closeCode: number | undefined
  closeReason: string | undefined

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const raw = String(data)
      let json: unknown
      try {
        json = JSON.parse(raw)
      } catch {
        json = undefined
      }
      this.messages.push({ raw, json })
      for (const waiter of this.#waiters) waiter()
    })
    ws.on('close', (code, reason) => {
      this.closeCode = code
      this.closeReason = String(reason)
      for (const waiter of this.#waiters) waiter()
    })
  }

  static async open(url: string): Promise<RawClient> {
    const ws = new WebSocket(url)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return new RawClient(ws)
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** Waits until `predicate` holds on the messages (or the socket closes, if `orClose`). */
  async waitFor<T>(predicate: () => T | undefined, timeout = 3000): Promise<T> {
    const found = predicate()
    if (found !== undefined) return found
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check)
        reject(new Error('timeout waiting for a message'))
      }, timeout)
      const check = () => {
        const value = predicate()
        if (value !== undefined) {
          clearTimeout(timer)
          this.#waiters.delete(check)
          resolve(value)
        }
      }
      this.#waiters.add(check)
    })
  }

  /** The response with this id. */
  response(id: unknown, timeout?: number): Promise<Message> {
    return this.waitFor(() => this.messages.find((message) => message.json?.id === id && ('result' in message.json || 'error' in message.json)), timeout)
  }

  /** Sends a request and waits for its response. */
  async request(method: string, params?: unknown, id: unknown = this.#nextId++): Promise<Message> {
    const request: Record<string, unknown> = { id, jsonrpc: '2.0', method }
    if (params !== undefined) request.params = params
    this.send(request)
    return this.response(id)
  }

  /** Sends a request and returns its result, or throws its error object. */
  async call(method: string, params?: unknown): Promise<any> {
    const { json } = await this.request(method, params)
    if ('error' in json) throw Object.assign(new Error(json.error.message), json.error)
    return json.result
  }

  notifications(): any[] {
    return this.messages.filter((message) => message.json?.method === 'all').map((message) => message.json.params)
  }

  async waitClosed(timeout = 3000): Promise<number> {
    await this.waitFor(() => this.closeCode, timeout)
    return this.closeCode!
  }

  close(): void {
    this.ws.close()
  }
}

export async function signedInClient(mock: { readonly url: string }, credentials: Record<string, unknown> = { email: 'admin@admin.net', password: 'admin' }): Promise<RawClient> {
  const client = await RawClient.open(wsUrl(mock))
  await client.call('session.signIn', credentials)
  return client
}

/** Resolves once no message arrived for `ms` (used to check that nothing is sent). */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface CustomServer {
  readonly url: string
  readonly ctx: MockContext
  readonly rpc: RpcServer
  close(): Promise<void>
}

/** A Fastify app serving only the JSON-RPC adapter, with chosen handlers and options. */
export async function startRpcServer(options: RpcServerOptions & { readonly clock?: XoMockOptions['clock'] } = {}): Promise<CustomServer> {
  const ctx = createContext({ inventory: smallInventory(), clock: options.clock })
  const app = Fastify({ routerOptions: { caseSensitive: false, ignoreTrailingSlash: true }, forceCloseConnections: true })
  const rpc = await registerRpc(app, ctx, options)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as AddressInfo
  return { url: `http://127.0.0.1:${address.port}`, ctx, rpc, close: () => app.close() }
}

/** A handler that echoes what the pipeline gave it. */
export const echo: RpcHandler = ({ method, params, objects, user }) => ({
  method,
  params,
  objects: Object.fromEntries(Object.entries(objects).map(([key, object]) => [key, object.id])),
  user: user?.id,
})
