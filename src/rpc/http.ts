/**
 * HTTP side of the one-shot transfer URLs (`$getFrom` / `$sendTo`, see `transfers.ts`): any HTTP method on
 * `/api/<token>[/<name>]`, no authentication. Downloads are always chunked (no `Content-Length`, which
 * xo-cli needs); upload bodies reach the handler unread, whatever their content type.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { formatError, formatResponse } from './wire.js'
import { toBodyStream, type TransferEntry, type TransferRegistry } from './transfers.js'
import { XoApiError } from '../domain/errors.js'
import { JsonRpcError, toWireError } from './errors.js'

const TRANSFER_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/** The token of a `/api/<token>[/…]` request target. */
function tokenOf(url: string): string {
  const path = url.split('?', 1)[0]!
  const rest = path.replace(/^\/+api\/+/i, '')
  return rest.split('/', 1)[0]!
}

export async function registerTransferRoutes(app: FastifyInstance, transfers: TransferRegistry): Promise<void> {
  await app.register(async (instance) => {
    // bodies stay unread for the upload handlers, whatever their content type (or none)
    instance.removeAllContentTypeParsers()
    instance.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))

    // a WebSocket upgrade on a transfer path: refused plainly (@fastify/websocket would accept it, then close)
    instance.addHook('onRequest', async (request, reply) => {
      if (request.ws) return reply.code(404).type('text/plain; charset=utf-8').send('no WebSocket endpoint here: the JSON-RPC API is on /api/\n')
    })

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const entry = transfers.take(tokenOf(request.raw.url ?? ''))
      if (entry === undefined) {
        return reply.code(404).type('text/plain; charset=utf-8').send('no such transfer URL: unknown, already used or expired\n')
      }
      return entry.kind === 'download' ? serveDownload(entry, reply) : serveUpload(entry, request, reply)
    }
    instance.route({ method: TRANSFER_METHODS, url: '/api/:token', handler })
    instance.route({ method: TRANSFER_METHODS, url: '/api/:token/*', handler })
  })
}

async function serveDownload(entry: Extract<TransferEntry, { kind: 'download' }>, reply: FastifyReply): Promise<FastifyReply> {
  let body
  try {
    body = await entry.handler()
  } catch {
    return reply.code(500).type('text/plain; charset=utf-8').send('unknown error')
  }
  const { stream, json } = toBodyStream(body)
  for (const [name, value] of Object.entries(entry.options.headers ?? {})) reply.header(name, value)
  reply.type(entry.options.contentType ?? (json ? 'application/json' : 'application/octet-stream'))
  return reply.send(stream)
}

async function serveUpload(entry: Extract<TransferEntry, { kind: 'upload' }>, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const jsonRpc = entry.options.respond === 'jsonrpc'
  const url = new URL(request.raw.url ?? '/', 'http://localhost')
  let result: unknown
  try {
    result = await entry.handler({ body: request.raw, method: request.method, headers: request.headers, query: url.searchParams })
  } catch (error) {
    request.raw.resume()
    if (jsonRpc) return reply.code(500).type('application/json').send(formatError(0, exposedError(error)))
    return reply.code(500).type('text/plain; charset=utf-8').send('unknown error')
  }
  request.raw.resume()
  if (jsonRpc) return reply.type('application/json').send(formatResponse(0, result))
  if (result === undefined) return reply.send()
  if (typeof result === 'string') return reply.type('text/plain; charset=utf-8').send(result)
  if (Buffer.isBuffer(result) || result instanceof Uint8Array) return reply.type('application/octet-stream').send(Buffer.from(result))
  return reply.type('application/json').send(JSON.stringify(result))
}

/** XO's `registerApiHttpRequest` with `exposeAllErrors`: XO errors as they are, others with their message. */
function exposedError(error: unknown) {
  const isWireReady = error instanceof XoApiError || typeof (error as { toJsonRpcError?: unknown } | null)?.toJsonRpcError === 'function'
  if (!isWireReady && error !== null && typeof error === 'object') {
    const { message, code, data } = error as { message?: unknown; code?: unknown; data?: unknown }
    return new JsonRpcError(String(message ?? ''), typeof code === 'number' ? code : -32000, data).toJsonRpcError()
  }
  return toWireError(error, false)
}
