import { createRequire } from 'node:module'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { createXoMock, type XoMock, type XoMockOptions } from '../../src/index.js'

export { RawClient, signedInClient, wsUrl } from '../rpc/helpers.js'

const require = createRequire(import.meta.url)

export interface XoLibClient {
  open(): Promise<void>
  close(): Promise<void>
  signIn(credentials: Record<string, unknown>): Promise<void>
  call(method: string, params?: unknown): Promise<any>
  on(event: string, listener: (...args: any[]) => void): void
}
export const XoLib = (require('xo-lib') as { default: new (options: { url: string }) => XoLibClient }).default

/** A mock on a manual clock (default inventory unless told otherwise). */
export function startMock(options: XoMockOptions = {}): Promise<XoMock> {
  return createXoMock({ clock: 'manual', ...options })
}

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: any
  readonly text: string
}

/** Calls the mock with the admin token (cookie), JSON in and out. */
export async function api(xo: XoMock, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { cookie: `authenticationToken=${xo.token}`, ...headers } }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] = 'application/json'
  }
  const response = await fetch(xo.url + path, init)
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: response.status, headers: response.headers, body: parsed, text }
}

export interface RawResponse {
  readonly status?: number
  readonly headers?: IncomingHttpHeaders
  /** Body bytes received before the end or the error. */
  readonly body: Buffer
  /** How it ended: `end` (complete), `aborted` (cut mid-body), `error` (no response: reset). */
  readonly outcome: 'end' | 'aborted' | 'error'
  readonly error?: string
}

/** A GET with node:http that reports truncated bodies and resets instead of throwing. */
export function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const request = httpRequest(url, { headers: { connection: 'close', ...headers } }, (response) => {
      let settled = false
      const settle = (outcome: RawResponse['outcome'], error?: string) => {
        if (settled) return
        settled = true
        resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks), outcome, ...(error === undefined ? {} : { error }) })
      }
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => settle(response.complete ? 'end' : 'aborted'))
      response.on('aborted', () => settle('aborted'))
      response.on('error', (error) => settle('aborted', error.message))
      response.on('close', () => settle(response.complete ? 'end' : 'aborted'))
    })
    request.on('error', (error) => resolve({ body: Buffer.concat(chunks), outcome: 'error', error: error.message }))
    request.end()
  })
}

/** Lets pending I/O and nextTick flushes happen (no clock involved). */
export const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `predicate` on real time until it holds (for network round trips, never for mock time). */
export async function until<T>(predicate: () => T | undefined | false, timeout = 3000): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = predicate()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error('timeout')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

export const admin = (xo: XoMock) => ({ cookie: `authenticationToken=${xo.token}` })
