/**
 * JSON-RPC transfer methods (reference §6, §7.3, §7.5): each registers a one-shot URL under `/api/`
 * and answers `{$getFrom}` (download, always chunked: no Content-Length, which xo-cli needs) or
 * `{$sendTo}` (upload); the work happens when the URL is used.
 *
 * - `vm.export {vm, compress?, format?}` → `/<date> - <name_label>.xva`; compress `'zstd'`, `true` or
 *   `'gzip'` (gzip), anything else none (XO's `VM_export` mapping); a running VM goes through a
 *   temporary `[XO Export]` snapshot taken when the download starts. `ova` → not implemented.
 * - `disk.exportContent {id, format?}` → `/<name_label>.vhd` (vmdk / qcow2: not implemented).
 * - `vm.import {sr, type?}` → POST the XVA (plain, gzip or zstd); reply `{"id":0,"jsonrpc":"2.0",
 *   "result":"<vm uuid>"}`, errors as a JSON-RPC error of id 0 (HTTP 500). `url` / other types: not
 *   implemented.
 * - `disk.import {sr, name, type, description?}` → POST `multipart/form-data` whose `file` part is the
 *   disk (`vhd`, or `raw` / `iso` sized by the request length minus the multipart framing, which holds
 *   when `file` is the last part); a body that is not multipart fails, as with XO. Reply like
 *   `vm.import` with the new VDI uuid.
 * - `disk.importContent {id}` → POST a VHD (Content-Length required) that replaces the VDI's content.
 *   As in XO (its handler's `format` shadows json-rpc-peer's), the reply is HTTP 500 `unknown error`
 *   even when the content was imported.
 */
import { Readable } from 'node:stream'
import { notImplemented, PlainError } from '../../domain/errors.js'
import { exportVdi, exportVm, importVdiIntoSr, importVm, replaceVdiContent, uploadSource, type XvaCompression } from '../../domain/transfer.js'
import type { XoObject } from '../../inventory/types.js'
import { registerDownload, registerUpload, type UploadRequest } from '../transfers.js'
import type { MethodTable, RpcCall } from '../types.js'

function nameOf(object: XoObject): string {
  return typeof object.name_label === 'string' ? object.name_label : object.id
}

function lengthOf(request: UploadRequest): number | undefined {
  const header = request.headers['content-length']
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined
}

/** Aborted when the uploader goes away before the whole body arrived. */
function uploadSignal(body: Readable): AbortSignal {
  const controller = new AbortController()
  body.once('close', () => {
    if ((body as Readable & { complete?: boolean }).complete !== true) controller.abort(new Error('upload aborted by the client'))
  })
  return controller.signal
}

/** XO's `VM_export` mapping of `compress`. */
function xvaCompression(value: unknown): XvaCompression | undefined {
  if (value === 'zstd') return 'zstd'
  if (value === true || value === 'gzip') return 'gzip'
  return undefined
}

function vmExport(call: RpcCall) {
  const vm = call.objects.vm!
  const { compress, format = 'xva' } = call.params as { compress?: unknown; format?: string }
  if (format !== 'xva') throw notImplemented()
  const date = new Date(call.ctx.clock.now()).toISOString().replace(/:/g, '_')
  return registerDownload(call.transfers, () => exportVm(call.ctx, vm.id, { compress: xvaCompression(compress) }), {
    suffix: `/${date} - ${nameOf(vm)}.${format}`,
    headers: { 'content-disposition': 'attachment' },
  })
}

function diskExportContent(call: RpcCall) {
  const vdi = call.objects.vdi!
  const { format = 'vhd' } = call.params as { format?: string }
  if (format !== 'vhd') throw notImplemented()
  return registerDownload(call.transfers, () => exportVdi(call.ctx, vdi.id, 'vhd'), { suffix: `/${nameOf(vdi)}.${format}` })
}

function vmImport(call: RpcCall) {
  const sr = call.objects.sr!
  const { type = 'xva', url } = call.params as { type?: string; url?: string }
  if (type !== 'xva' || url !== undefined) throw notImplemented()
  return registerUpload(
    call.transfers,
    ({ body }) => importVm(call.ctx, { poolId: sr.$pool as string, srId: sr.id }, uploadSource(body), { signal: uploadSignal(body) }),
    { respond: 'jsonrpc' },
  )
}

function diskImport(call: RpcCall) {
  const sr = call.objects.sr!
  const { name, description, type, url } = call.params as { name: string; description?: string; type: string; url?: string }
  if (url !== undefined || (type !== 'vhd' && type !== 'raw' && type !== 'iso')) throw notImplemented()
  return registerUpload(
    call.transfers,
    async (request) => {
      const boundary = multipartBoundary(request.headers['content-type'])
      if (boundary === undefined) throw new PlainError('disk.import expects a multipart/form-data body with a "file" part')
      const { dataStart, data } = await openMultipartFile(request.body, boundary, 'file')
      const total = lengthOf(request)
      const raw = type !== 'vhd'
      // closing delimiter after the part: CRLF "--" boundary "--" CRLF
      const closing = boundary.length + 8
      return importVdiIntoSr(call.ctx, sr.id, data, {
        raw,
        // raw sizes come from the request length minus the framing (`file` being the last part)
        length: raw && total !== undefined ? total - dataStart - closing : undefined,
        lengthRequired: raw,
        name_label: name,
        name_description: description ?? '',
        signal: uploadSignal(request.body),
      })
    },
    { respond: 'jsonrpc' },
  )
}

function diskImportContent(call: RpcCall) {
  const vdi = call.objects.vdi!
  return registerUpload(call.transfers, async (request) => {
    await replaceVdiContent(call.ctx, vdi.id, uploadSource(request.body), { format: 'vhd', length: lengthOf(request), signal: uploadSignal(request.body) })
    // XO's handler crashes right after a successful import (see the module comment)
    throw new PlainError('format is not a function')
  })
}

export const transferMethods: MethodTable = {
  'vm.export': vmExport,
  'vm.import': vmImport,
  'disk.exportContent': diskExportContent,
  'disk.import': diskImport,
  'disk.importContent': diskImportContent,
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data (streaming, for `disk.import`)

function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/form-data\b/i.test(contentType)) return undefined
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  return match === null ? undefined : (match[1] ?? match[2])
}

/**
 * Finds the part named `name` of a multipart body and streams its content, scanning for the boundary
 * with a carry-over of `boundary.length` bytes between chunks (the part is never buffered). Resolves
 * once the part's headers are read: `dataStart` is the offset of its first byte in the body.
 */
async function openMultipartFile(body: Readable, boundary: string, name: string): Promise<{ dataStart: number; data: AsyncGenerator<Buffer, void, undefined> }> {
  const parts = scanMultipart(body, boundary, name)
  const first = await parts.next()
  if (first.done === true || typeof first.value !== 'number') throw new PlainError(`invalid multipart body: no "${name}" part`)
  const data = (async function* () {
    for (;;) {
      const next = await parts.next()
      if (next.done === true) return
      yield next.value as Buffer
    }
  })()
  return { dataStart: first.value, data }
}

/** Yields the data offset of the part (a number), then its bytes. */
async function* scanMultipart(body: Readable, boundary: string, name: string): AsyncGenerator<number | Buffer, void, undefined> {
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  // the first boundary has no leading CRLF: pretend there was one
  let pending: Buffer = Buffer.from('\r\n')
  let consumed = -2
  let state: 'preamble' | 'headers' | 'data' | 'skip' | 'done' = 'preamble'
  /** Drops what was scanned, keeping a possible start of the delimiter. */
  const keepTail = (): Buffer => {
    const keep = Math.min(pending.length, delimiter.length - 1)
    const scanned = pending.subarray(0, pending.length - keep)
    consumed += scanned.length
    pending = Buffer.from(pending.subarray(pending.length - keep))
    return scanned
  }
  for await (const chunk of uploadSource(body)) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    let needMore = false
    while (!needMore && state !== 'done') {
      if (state === 'preamble' || state === 'skip') {
        const at = pending.indexOf(delimiter)
        if (at === -1) {
          keepTail()
          needMore = true
        } else {
          consumed += at + delimiter.length
          pending = pending.subarray(at + delimiter.length)
          state = 'headers'
        }
      } else if (state === 'headers') {
        if (pending.length < 2) {
          needMore = true
        } else if (pending[0] === 0x2d && pending[1] === 0x2d) {
          // closing delimiter: no more parts
          break
        } else {
          const end = pending.indexOf('\r\n\r\n')
          if (end === -1) {
            if (pending.length > 16 * 1024) throw new PlainError('invalid multipart body: part headers too long')
            needMore = true
          } else {
            const head = pending.subarray(0, end).toString('latin1')
            consumed += end + 4
            pending = pending.subarray(end + 4)
            const disposition = /content-disposition:[^\r\n]*;\s*name="([^"]*)"/i.exec(head)
            state = disposition?.[1] === name ? 'data' : 'skip'
            if (state === 'data') yield consumed
          }
        }
      } else {
        const at = pending.indexOf(delimiter)
        if (at === -1) {
          const scanned = keepTail()
          if (scanned.length > 0) yield scanned
          needMore = true
        } else {
          if (at > 0) yield pending.subarray(0, at)
          state = 'done'
        }
      }
    }
    if (state === 'done') return
    if (!needMore) break
  }
  throw new PlainError(`invalid multipart body: no complete "${name}" part`)
}
