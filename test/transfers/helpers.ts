/**
 * A small hand-made inventory for the transfer tests (disks of a few MiB, with fixture allocation
 * settings), plus HTTP helpers working on real sockets (streaming, aborts) and the Debian validators.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { createXoMock, ManualClock, type XoMock, type XoMockOptions } from '../../src/index.js'
import type { XoObject } from '../../src/inventory/types.js'

export const POOL = 'c0000000-0000-4000-8000-000000000001'
export const POOL2 = 'c0000000-0000-4000-8000-000000000002'
export const HOST = 'c0000000-0000-4000-8000-000000000003'
export const SR = 'c0000000-0000-4000-8000-000000000004'
export const SR_THICK = 'c0000000-0000-4000-8000-000000000005'
export const SR_ISO = 'c0000000-0000-4000-8000-000000000006'
export const NETWORK = 'c0000000-0000-4000-8000-000000000007'
export const VM = 'c0000000-0000-4000-8000-000000000010'
export const VM_RUNNING = 'c0000000-0000-4000-8000-000000000011'
export const VM_SNAPSHOT = 'c0000000-0000-4000-8000-000000000012'
export const TEMPLATE = 'c0000000-0000-4000-8000-000000000013'
export const VDI1 = 'c0000000-0000-4000-8000-000000000020'
export const VDI2 = 'c0000000-0000-4000-8000-000000000021'
export const VDI_RUNNING = 'c0000000-0000-4000-8000-000000000022'
export const VDI_TEMPLATE = 'c0000000-0000-4000-8000-000000000023'
export const VDI_BIG = 'c0000000-0000-4000-8000-000000000024'
export const VDI_SNAPSHOT = 'c0000000-0000-4000-8000-000000000025'
export const VDI_EMPTY = 'c0000000-0000-4000-8000-000000000026'
export const TOKEN = 'transfer-token-0123456789abcdefghijklmnopqrs'

export const MiB = 1024 * 1024
export const GiB = 1024 * MiB
/** 64 MiB, half of its 2 MiB blocks allocated. */
export const VDI1_SIZE = 64 * MiB
/** Not a multiple of the 2 MiB block: the last block is partial. */
export const VDI2_SIZE = 5 * MiB + 3 * 512
/** The largest VHD qemu opens (0xff000000 sectors), four blocks allocated. */
export const VDI_BIG_SIZE = 2040 * GiB

const xapi = (id: string, type: string, extra: Record<string, unknown>, pool = POOL): XoObject => ({
  id,
  type,
  uuid: id,
  $pool: pool,
  $poolId: pool,
  _xapiRef: `OpaqueRef:${id}`,
  ...extra,
})

const vmFields = (name: string, extra: Record<string, unknown> = {}) => ({
  name_label: name,
  name_description: `${name} description`,
  power_state: 'Halted',
  $container: POOL,
  CPUs: { max: 2, number: 2 },
  memory: { dynamic: [GiB, 2 * GiB], static: [GiB / 2, 2 * GiB], size: 2 * GiB },
  boot: { firmware: 'bios', order: 'cd' },
  virtualizationMode: 'hvm',
  other: { base_template_name: 'Debian Bookworm 12' },
  tags: ['transfer'],
  blockedOperations: {},
  current_operations: {},
  snapshots: [],
  $VBDs: [],
  VIFs: [],
  ...extra,
})

const vdi = (id: string, name: string, size: number, extra: Record<string, unknown> = {}) =>
  xapi(id, 'VDI', {
    name_label: name,
    name_description: '',
    size,
    usage: size,
    VDI_type: 'user',
    $SR: SR,
    $VBDs: [],
    snapshots: [],
    tags: [],
    other_config: {},
    current_operations: {},
    cbt_enabled: false,
    missing: false,
    ...extra,
  })

const vbd = (id: string, vm: string, vdiId: string | undefined, position: string, extra: Record<string, unknown> = {}) =>
  xapi(id, 'VBD', {
    VM: vm,
    ...(vdiId === undefined ? {} : { VDI: vdiId }),
    position,
    device: null,
    bootable: position === '0',
    is_cd_drive: false,
    read_only: false,
    attached: false,
    ...extra,
  })

export function transferInventory(): { objects: XoObject[] } {
  return {
    objects: [
      xapi(POOL, 'pool', { name_label: 'Transfer pool', master: HOST, default_SR: SR, tags: [] }),
      xapi(POOL2, 'pool', { name_label: 'Pool without default SR', tags: [] }, POOL2),
      xapi(HOST, 'host', { name_label: 'host1', power_state: 'Running', enabled: true, $container: POOL, residentVms: [], tags: [] }),
      xapi(SR, 'SR', {
        name_label: 'Local storage',
        SR_type: 'ext',
        content_type: 'user',
        allocationStrategy: 'thin',
        shared: false,
        $container: HOST,
        VDIs: [],
        $PBDs: [],
        size: 1024 * GiB,
        usage: 10 * GiB,
        physical_usage: 5 * GiB,
        tags: [],
      }),
      xapi(SR_THICK, 'SR', {
        name_label: 'LVM',
        SR_type: 'lvm',
        content_type: 'user',
        allocationStrategy: 'thick',
        shared: false,
        $container: HOST,
        VDIs: [],
        $PBDs: [],
        size: 100 * GiB,
        usage: 0,
        physical_usage: 0,
        tags: [],
      }),
      xapi(SR_ISO, 'SR', { name_label: 'ISOs', SR_type: 'iso', content_type: 'iso', shared: true, $container: POOL, VDIs: [], $PBDs: [], size: 0, usage: 0, physical_usage: 0 }),
      xapi(NETWORK, 'network', { name_label: 'Pool-wide network associated with eth0', name_description: '', bridge: 'xenbr0', MTU: 1500, PIFs: [], VIFs: [], tags: [] }),
      xapi(VM, 'VM', vmFields('web')),
      xapi(VM_RUNNING, 'VM', vmFields('db', { power_state: 'Running', $container: HOST })),
      xapi(VM_SNAPSHOT, 'VM-snapshot', vmFields('web_before', { $snapshot_of: VM, snapshot_time: 1767225000 })),
      xapi(TEMPLATE, 'VM-template', vmFields('My template', { isDefaultTemplate: false, template_info: { disks: [] } })),
      vdi(VDI1, 'web system', VDI1_SIZE, { other_config: { 'xo-mock:allocation': '0.5' } }),
      vdi(VDI2, 'web data', VDI2_SIZE, { other_config: { 'xo-mock:allocation': '1' } }),
      vdi(VDI_RUNNING, 'db system', 16 * MiB, { other_config: { 'xo-mock:allocation': '1' } }),
      vdi(VDI_TEMPLATE, 'template disk', 4 * MiB, { other_config: { 'xo-mock:allocation': '100%' } }),
      vdi(VDI_BIG, 'huge sparse disk', VDI_BIG_SIZE, { other_config: { 'xo-mock:allocation': '8 MiB' } }),
      vdi(VDI_EMPTY, 'empty disk', 16 * MiB, { usage: 0 }),
      xapi(VDI_SNAPSHOT, 'VDI-snapshot', {
        name_label: 'web system',
        name_description: '',
        size: VDI1_SIZE,
        usage: VDI1_SIZE,
        VDI_type: 'user',
        $SR: SR,
        $VBDs: [],
        $snapshot_of: VDI1,
        snapshot_time: 1767225000,
        tags: [],
        other_config: { 'xo-mock:allocation': '0.25' },
      }),
      vbd('c0000000-0000-4000-8000-000000000030', VM, VDI1, '0'),
      vbd('c0000000-0000-4000-8000-000000000031', VM, VDI2, '1', { read_only: true }),
      vbd('c0000000-0000-4000-8000-000000000032', VM, undefined, '3', { is_cd_drive: true, read_only: true, bootable: false }),
      vbd('c0000000-0000-4000-8000-000000000033', VM_RUNNING, VDI_RUNNING, '0', { attached: true, device: 'xvda' }),
      vbd('c0000000-0000-4000-8000-000000000034', VM_SNAPSHOT, VDI_SNAPSHOT, '0'),
      vbd('c0000000-0000-4000-8000-000000000035', TEMPLATE, VDI_TEMPLATE, '0'),
      xapi('c0000000-0000-4000-8000-000000000040', 'VIF', {
        $VM: VM,
        $network: NETWORK,
        device: '0',
        MAC: '96:ef:a1:00:00:01',
        MTU: 1500,
        attached: false,
        lockingMode: 'network_default',
        allowedIpv4Addresses: [],
        allowedIpv6Addresses: [],
        other_config: {},
      }),
      { id: 'd0000000-0000-4000-8000-000000000001', type: 'user', email: 'admin@admin.net', name: 'admin', permission: 'admin', groups: [], preferences: {}, password: 'admin' },
    ],
  }
}

export type TransferMock = XoMock & { clock: ManualClock; headers: Record<string, string> }

export async function startTransferMock(options: XoMockOptions = {}): Promise<TransferMock> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const mock = await createXoMock({ inventory: transferInventory(), clock, token: TOKEN, port: 0, ...options })
  return Object.assign(mock, { clock, headers: { cookie: `authenticationToken=${TOKEN}` } })
}

export interface Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  text(): string
  json(): any
}

export interface RequestOptions {
  readonly method?: string
  readonly headers?: Record<string, string | number>
  /** Sent with Content-Length (unless `chunked`). */
  readonly body?: Buffer
  readonly chunked?: boolean
}

/** One HTTP request on its own connection; resolves with the whole answer. */
export function send(mock: TransferMock, path: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...mock.headers, ...options.headers }
    if (options.body !== undefined && options.chunked !== true) headers['content-length'] = options.body.length
    const req = httpRequest(new URL(path, mock.url), { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: () => body.toString('utf8'), json: () => JSON.parse(body.toString('utf8')) })
      })
    })
    req.on('error', reject)
    if (options.chunked === true && options.body !== undefined) {
      // several writes: chunked transfer encoding
      const half = Math.floor(options.body.length / 2)
      req.write(options.body.subarray(0, half))
      req.end(options.body.subarray(half))
    } else req.end(options.body)
  })
}

/** Downloads to a file; resolves with the status, headers and the file path. */
export function download(mock: TransferMock, path: string, file: string, headers: Record<string, string> = mock.headers): Promise<{ status: number; headers: IncomingHttpHeaders; file: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, mock.url), { headers, agent: false }, (res: IncomingMessage) => {
      pipeline(res, createWriteStream(file)).then(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, file }), reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Starts a download and destroys the connection once `bytes` arrived. Resolves with the headers. */
export function abortedDownload(url: string, headers: Record<string, string>, bytes: number): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let received = 0
      res.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (received >= bytes) {
          req.destroy()
          resolve(res.headers)
        }
      })
      res.on('error', () => {})
    })
    req.on('error', () => {})
    req.on('close', () => reject(new Error('connection closed before enough bytes arrived')))
    req.end()
  })
}

/**
 * Starts an upload announcing `length` bytes, sends `sent` of them (from `body`), then destroys the
 * connection. Resolves once the socket is closed.
 */
export function abortedUpload(mock: TransferMock, path: string, method: string, body: Buffer, length: number): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(new URL(path, mock.url), { method, headers: { ...mock.headers, 'content-length': length }, agent: false })
    req.on('error', () => {})
    req.on('close', () => resolve())
    req.write(body, () => setTimeout(() => req.destroy(), 50))
  })
}

export const run = promisify(execFile)

export async function tempDir(): Promise<{ path: string; file(name: string): string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'xo-mock-transfers-'))
  return { path, file: (name) => join(path, name), remove: () => rm(path, { recursive: true, force: true }) }
}

export async function qemuInfo(file: string): Promise<{ format: string; 'virtual-size': number; 'actual-size'?: number }> {
  const { stdout } = await run('qemu-img', ['info', '--output=json', file])
  return JSON.parse(stdout)
}

/** `qemu-img compare` (exit 0: identical content). */
export async function qemuCompare(a: string, aFormat: string, b: string, bFormat: string): Promise<void> {
  await run('qemu-img', ['compare', '-f', aFormat, '-F', bFormat, a, b])
}

export async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex')
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it holds (or throws after `timeout` ms). */
export async function eventually(check: () => boolean | Promise<boolean>, timeout = 3000): Promise<void> {
  const end = Date.now() + timeout
  for (;;) {
    if (await check()) return
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(20)
  }
}

/** Ids of the stored contents (blob store). */
export function blobIds(mock: XoMock): Promise<string[]> {
  return mock.context.blobs.list()
}
