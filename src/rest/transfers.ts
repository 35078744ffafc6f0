/**
 * REST transfers (reference §5 Exports, §6 Imports; formats.md §1.7, §2.4): thin adapters over
 * `domain/transfer.ts`.
 *
 * - `GET /vdis/{id}.{vhd|raw}`, `GET /vdi-snapshots/{id}.{vhd|raw}`: `application/octet-stream`,
 *   `Content-Disposition: attachment; filename=<id>.<format>`, `Content-Length` for raw only (the VHD
 *   is chunked, as XO serves XAPI's stream).
 * - `GET /vms|vm-snapshots|vm-templates/{id}.xva[?compress=zstd|gzip]` (deprecated `true` → gzip,
 *   `false` → none): chunked, `Content-Disposition: attachment; filename=<id>.xva`; `ova` → 501.
 * - `PUT /vdis/{id}.{vhd|raw}` → 204; `POST /srs/{id}/vdis[?raw]` → 201 `{id}` + Location;
 *   `POST /pools/{id}/vms[?sr=]` → 201 `{id}` + Location.
 *
 * Order of checks, as XO's middlewares: authentication (scope hook) → unknown id 404 → ACL 403 →
 * parameter validation 422 (tsoa's shape) → the operation. `HEAD` answers the headers and stops the
 * export at once. A client that disconnects destroys the export stream (Fastify), which stops block
 * reads and removes the temporary `[XO Export]` snapshot of a running VM; an upload the client aborts
 * fails the import, which deletes what it stored.
 *
 * Legacy profile: `Content-Disposition: attachment` without file name, `compress` passed as is
 * (anything but `zstd`/`gzip` means none, no 422), imports answer 200 with the bare uuid, and the VM
 * import ignores `sr` (XO read `req.params.sr`).
 */
import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DiskFormatError } from '../disks/index.js'
import { notImplemented } from '../domain/errors.js'
import {
  exportVdi,
  exportVm,
  importVdiIntoSr,
  importVm,
  replaceVdiContent,
  TransferError,
  uploadSource,
  type VdiFormat,
  type XvaCompression,
} from '../domain/transfer.js'
import type { XoObject } from '../inventory/types.js'
import { requestUser } from './auth.js'
import { findIn, type CollectionDef } from './collections.js'
import { noSuchObject, notEnoughPrivileges, RestApiError, ValidationError, type FieldError } from './errors.js'
import type { RestKit, RestPlugin } from './index.js'
import { sendJson } from './serialize.js'

type FileRequest = FastifyRequest<{ Params: { id: string; format: string }; Querystring: Record<string, unknown> }>
type IdRequest = FastifyRequest<{ Params: { id: string }; Querystring: Record<string, unknown> }>

const OCTET_STREAM = 'application/octet-stream'
const ANY_OF = 'Value does not match any allowed schema'
const XAPI_INFO = 'This is a XenServer/XCP-ng error, not an XO error'

/** The object of a collection route, after the 404 and ACL checks. */
function lookup(kit: RestKit, request: FastifyRequest, collection: string, id: string, action: string): { def: CollectionDef; object: XoObject } {
  const def = kit.collections.get(collection)!
  const object = findIn(kit.ctx, def, id)
  if (object === undefined) throw noSuchObject(id, def.xoType)
  // the mock's ACLs do not distinguish actions: any ACL on the object (or its pool / container) grants it
  if (!kit.viewerOf(requestUser(request)).canRead(object, 'acl')) throw notEnoughPrivileges(object.id, def.resource, action)
  return { def, object }
}

function queryValue(request: FastifyRequest, name: string): unknown {
  return (request.query as Record<string, unknown> | undefined)?.[name]
}

/** A query string parameter declared `string` (repeated: the first value). */
function queryString(request: FastifyRequest, name: string): string | undefined {
  const value = queryValue(request, name)
  return Array.isArray(value) ? String(value[0]) : typeof value === 'string' ? value : undefined
}

function contentLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length']
  if (header === undefined || !/^\d+$/.test(header)) return undefined
  return Number(header)
}

/** Aborted when the client goes away before the whole body arrived. */
function uploadSignal(request: FastifyRequest): AbortSignal {
  const controller = new AbortController()
  const raw = request.raw
  raw.once('close', () => {
    if (!raw.complete) controller.abort(new Error('upload aborted by the client'))
  })
  return controller.signal
}

/** Runs an upload; on failure the rest of the body is drained (the answer goes first) and errors mapped. */
async function upload<T>(request: FastifyRequest, xapiSide: boolean, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  try {
    return await run(uploadSignal(request))
  } catch (error) {
    request.raw.resume()
    throw mapError(error, xapiSide)
  }
}

function mapError(error: unknown, xapiSide: boolean): unknown {
  if (error instanceof TransferError) return new RestApiError(error.message, error.status, error.data)
  if (xapiSide && error instanceof DiskFormatError) return Object.assign(error, { info: XAPI_INFO })
  return error
}

function attachment(kit: RestKit, id: string, format: string): string {
  return kit.ctx.config.apiProfile === 'legacy' ? 'attachment' : `attachment; filename=${id}.${format}`
}

function sendDownload(request: FastifyRequest, reply: FastifyReply, stream: Readable): FastifyReply {
  if (request.method === 'HEAD') {
    stream.destroy()
    return reply.send()
  }
  return reply.send(stream)
}

function vdiExportRoute(kit: RestKit, collection: string) {
  return async function exportVdiContent(request: FileRequest, reply: FastifyReply) {
    const { id, format } = request.params
    const { object } = lookup(kit, request, collection, id, 'export-content')
    if (format !== 'vhd' && format !== 'raw') throw new ValidationError({ format: { message: ANY_OF, value: format } })
    let stream
    try {
      stream = await exportVdi(kit.ctx, object.id, format)
    } catch (error) {
      throw mapError(error, false)
    }
    reply.header('content-type', OCTET_STREAM).header('content-disposition', attachment(kit, id, format))
    if (format === 'raw') reply.header('content-length', String(stream.length))
    return sendDownload(request, reply, stream)
  }
}

/** `compress` after XO's deprecation middleware (`true` → gzip, `false` → none), or its field error. */
function parseCompress(kit: RestKit, value: unknown): { compress?: XvaCompression; error?: FieldError } {
  if (value === undefined) return {}
  if (kit.ctx.config.apiProfile === 'legacy') return value === 'zstd' || value === 'gzip' ? { compress: value } : {}
  if (value === 'true') return { compress: 'gzip' }
  if (value === 'false') return {}
  if (value === 'zstd' || value === 'gzip') return { compress: value }
  return { error: { message: ANY_OF, value } }
}

function vmExportRoute(kit: RestKit, collection: string) {
  return async function exportVmContent(request: FileRequest, reply: FastifyReply) {
    const { id, format } = request.params
    const { object } = lookup(kit, request, collection, id, 'export')
    const fields: Record<string, FieldError> = {}
    if (format !== 'xva' && format !== 'ova') fields.format = { message: ANY_OF, value: format }
    const { compress, error } = parseCompress(kit, queryValue(request, 'compress'))
    if (error !== undefined) fields.compress = error
    if (Object.keys(fields).length > 0) throw new ValidationError(fields)
    if (format === 'ova') throw notImplemented()
    const stream = await exportVm(kit.ctx, object.id, { compress })
    reply.header('content-type', OCTET_STREAM).header('content-disposition', attachment(kit, id, format))
    return sendDownload(request, reply, stream)
  }
}

function replaceContentRoute(kit: RestKit) {
  return async function importVdiContent(request: FileRequest, reply: FastifyReply) {
    const { id, format } = request.params
    const { object } = lookup(kit, request, 'vdis', id, 'import-content')
    if (format !== 'vhd' && format !== 'raw') {
      request.raw.resume()
      throw new ValidationError({ format: { message: ANY_OF, value: format } })
    }
    const length = contentLength(request)
    await upload(request, true, (signal) => replaceVdiContent(kit.ctx, object.id, uploadSource(request.raw), { format: format as VdiFormat, length, signal }))
    return reply.code(204).send()
  }
}

/** `raw`: absent → VHD; bare `?raw`, or a boolean (`true`/`false`, any case); anything else → 422. */
function parseRaw(value: unknown): { raw: boolean; error?: FieldError } {
  if (value === undefined) return { raw: false }
  const text = Array.isArray(value) ? undefined : String(value).toLowerCase()
  if (text === '' || text === 'true') return { raw: true }
  if (text === 'false') return { raw: false }
  return { raw: false, error: { message: 'invalid boolean value', value } }
}

function created(kit: RestKit, reply: FastifyReply, collection: string, id: string): FastifyReply {
  if (kit.ctx.config.apiProfile === 'legacy') return reply.code(200).send(id)
  return sendJson(reply.code(201).header('location', `${kit.ctx.restBase}/${collection}/${id}`), { id })
}

function importVdiRoute(kit: RestKit) {
  return async function importVdi(request: IdRequest, reply: FastifyReply) {
    const { object: sr } = lookup(kit, request, 'srs', request.params.id, 'import:vdi')
    const { raw, error } = parseRaw(queryValue(request, 'raw'))
    if (error !== undefined) {
      request.raw.resume()
      throw new ValidationError({ raw: error })
    }
    const length = contentLength(request)
    const vdiId = await upload(request, false, (signal) =>
      importVdiIntoSr(kit.ctx, sr.id, uploadSource(request.raw), {
        raw,
        length,
        name_label: queryString(request, 'name_label'),
        name_description: queryString(request, 'name_description'),
        signal,
      }),
    )
    return created(kit, reply, 'vdis', vdiId)
  }
}

function importVmRoute(kit: RestKit) {
  return async function importVmRequest(request: IdRequest, reply: FastifyReply) {
    const { object: pool } = lookup(kit, request, 'pools', request.params.id, 'import:vm')
    const srId = kit.ctx.config.apiProfile === 'legacy' ? undefined : queryString(request, 'sr')
    const vmId = await upload(request, true, (signal) => importVm(kit.ctx, { poolId: pool.id, srId }, uploadSource(request.raw), { signal }))
    return created(kit, reply, 'vms', vmId)
  }
}

export const transferRoutes: RestPlugin = async (scope, kit) => {
  await scope.register(async (child: FastifyInstance) => {
    // upload bodies reach the routes unread, whatever their content type (or none), and without the
    // app's body size limit
    child.removeAllContentTypeParsers()
    child.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))

    for (const collection of ['vdis', 'vdi-snapshots']) {
      child.route({ method: ['GET', 'HEAD'], url: `/${collection}/:id.:format`, handler: vdiExportRoute(kit, collection) })
    }
    for (const collection of ['vms', 'vm-snapshots', 'vm-templates']) {
      child.route({ method: ['GET', 'HEAD'], url: `/${collection}/:id.:format`, handler: vmExportRoute(kit, collection) })
    }
    child.put('/vdis/:id.:format', replaceContentRoute(kit))
    child.post('/srs/:id/vdis', importVdiRoute(kit))
    child.post('/pools/:id/vms', importVmRoute(kit))
  })
}
