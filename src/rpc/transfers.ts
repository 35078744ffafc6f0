/**
 * One-shot HTTP transfer URLs of the JSON-RPC API (`xo.mjs` `registerHttpRequest`): a method registers a
 * handler under `/api/<43-char base64url token>[/<URI-encoded file name>]` and returns `{$getFrom: path}`
 * (download) or `{$sendTo: path}` (upload). The path is relative; clients resolve it against the server
 * URL and send a plain request with no cookie: possessing the URL is the authorization.
 *
 * As in xo-server, the URL is consumed by the first request that reaches it, whatever its HTTP method and
 * query string. Differences, on purpose:
 * - entries expire (default one hour, on the context clock) so that forgotten URLs do not pile up;
 * - the token alone identifies the entry (the file-name suffix is informative: a request with another or
 *   no suffix is served too);
 * - an unknown, used or expired URL gets `404` with a text explanation (xo-server redirects to `/signin`).
 *
 * Usage from a method handler (every `RpcCall` carries its server's registry as `call.transfers`):
 * ```ts
 * return registerDownload(call.transfers, () => stream, { suffix: `/${name}.xva` })
 * return registerUpload(call.transfers, async ({ body }) => importXva(body), { respond: 'jsonrpc' })
 * ```
 */
import { randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import type { Clock } from '../inventory/clock.js'

/** What a download handler may return: sent as the body, always chunked (no `Content-Length`, as XO). */
export type DownloadBody = string | Buffer | Uint8Array | Readable | AsyncIterable<unknown> | Record<string, unknown> | unknown[]

export interface DownloadOptions {
  /** Appended to the path, e.g. `/2026-01-01 - my vm.xva` (encoded with `encodeURIComponent` per segment). */
  readonly suffix?: string
  /** Default: `application/octet-stream` (`application/json` for objects and arrays). */
  readonly contentType?: string
  /** Extra response headers (e.g. `content-disposition`). */
  readonly headers?: Readonly<Record<string, string>>
  /** Lifetime of the URL in ms; default: the registry's. */
  readonly ttl?: number
}

export interface UploadRequest {
  /** The request body, unread: a raw byte stream whatever its content type. */
  readonly body: Readable
  readonly method: string
  readonly headers: IncomingHttpHeaders
  readonly query: URLSearchParams
}

export interface UploadOptions {
  readonly suffix?: string
  readonly ttl?: number
  /**
   * How the handler's outcome is answered:
   * - `'plain'` (default, XO's `registerHttpRequest`): a string/Buffer is the body, an object is JSON,
   *   `undefined` is an empty 200; a thrown error gives `500` with the text `unknown error`;
   * - `'jsonrpc'` (XO's `registerApiHttpRequest`, used by `vm.import` / `disk.import`): the result is
   *   sent as `{"id":0,"jsonrpc":"2.0","result":…}`; a thrown error gives `500` with a JSON-RPC error
   *   response of id 0 exposing the message.
   */
  readonly respond?: 'plain' | 'jsonrpc'
}

export type DownloadHandler = () => DownloadBody | Promise<DownloadBody>
export type UploadHandler = (request: UploadRequest) => unknown

export type TransferEntry =
  | { readonly kind: 'download'; readonly path: string; readonly expiresAt: number; readonly handler: DownloadHandler; readonly options: DownloadOptions }
  | { readonly kind: 'upload'; readonly path: string; readonly expiresAt: number; readonly handler: UploadHandler; readonly options: UploadOptions }

export const DEFAULT_TRANSFER_TTL = 60 * 60 * 1000

/** Per-server registry of one-shot transfer URLs. */
export class TransferRegistry {
  readonly #entries = new Map<string, TransferEntry>()
  readonly #clock: Clock
  readonly #ttl: number

  constructor(clock: Clock, options: { readonly ttl?: number } = {}) {
    this.#clock = clock
    this.#ttl = options.ttl ?? DEFAULT_TRANSFER_TTL
  }

  /** Number of live (unused, unexpired) URLs. */
  get size(): number {
    this.#sweep()
    return this.#entries.size
  }

  /** Registers an entry and returns its relative path `/api/<token>[suffix]`. */
  add(
    kind: TransferEntry['kind'],
    handler: DownloadHandler | UploadHandler,
    options: DownloadOptions | UploadOptions = {},
  ): string {
    this.#sweep()
    const token = randomBytes(32).toString('base64url')
    const path = `/api/${token}${encodeSuffix(options.suffix)}`
    const expiresAt = this.#clock.now() + (options.ttl ?? this.#ttl)
    this.#entries.set(token, { kind, path, expiresAt, handler, options } as TransferEntry)
    return path
  }

  /** Removes and returns the entry of a token (one-shot), or undefined when unknown or expired. */
  take(token: string): TransferEntry | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    this.#entries.delete(token)
    return entry.expiresAt > this.#clock.now() ? entry : undefined
  }

  clear(): void {
    this.#entries.clear()
  }

  #sweep(): void {
    const now = this.#clock.now()
    for (const [token, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(token)
  }
}

function encodeSuffix(suffix: string | undefined): string {
  if (suffix === undefined || suffix === '') return ''
  const trimmed = suffix.startsWith('/') ? suffix.slice(1) : suffix
  return '/' + trimmed.split('/').map(encodeURIComponent).join('/')
}

/** Registers a one-shot download and returns what the method should answer: `{$getFrom: path}`. */
export function registerDownload(registry: TransferRegistry, handler: DownloadHandler, options: DownloadOptions = {}): { $getFrom: string } {
  return { $getFrom: registry.add('download', handler, options) }
}

/** Registers a one-shot upload and returns what the method should answer: `{$sendTo: path}`. */
export function registerUpload(registry: TransferRegistry, handler: UploadHandler, options: UploadOptions = {}): { $sendTo: string } {
  return { $sendTo: registry.add('upload', handler, options) }
}

/** Turns a download handler's result into a stream (never a known length: no `Content-Length`). */
export function toBodyStream(body: DownloadBody): { stream: Readable; json: boolean } {
  if (body instanceof Readable) return { stream: body, json: false }
  if (typeof body === 'string' || body instanceof Uint8Array) return { stream: Readable.from([body]), json: false }
  if (body !== null && typeof body === 'object' && Symbol.asyncIterator in body) {
    return { stream: Readable.from(body as AsyncIterable<unknown>), json: false }
  }
  return { stream: Readable.from([JSON.stringify(body)]), json: true }
}
