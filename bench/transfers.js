// Transfer benchmarks (issue: transfers), each a ratio against a baseline measured in the same run:
// - VHD and raw VDI export: mock vs a bare node:http server writing the same number of bytes from
//   reused buffers (target ≥ 0.8);
// - XVA + zstd VM export: mock vs zstd-napi compressing the same (uncompressed XVA) bytes alone, in
//   this process (target ≥ 0.5);
// - raw VDI upload: mock (`POST /srs/{id}/vdis?raw`, in-memory blob store) vs a bare sink that reads
//   and drops the body (target ≥ 0.8).
// Servers run in child processes (`node bench/transfers.js serve mock|bare`); downloads are measured
// with curl, uploads with a node:http client writing one reused buffer. Each figure is the median of
// three runs. MB = 10^6 bytes.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { randomFillSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const TOKEN = 'bench-token'
const COOKIE = `authenticationToken=${TOKEN}`
const MiB = 1024 * 1024
const BLOCK = 2 * MiB
const EXPORT_SIZE = 2048 * MiB
const XVA_DISK_SIZE = 512 * MiB
const UPLOAD_SIZE = 512 * MiB
const RUNS = 3

const POOL = 'e0000000-0000-4000-8000-000000000001'
const HOST = 'e0000000-0000-4000-8000-000000000002'
const SR = 'e0000000-0000-4000-8000-000000000003'
const VDI = 'e0000000-0000-4000-8000-000000000004'
const VM = 'e0000000-0000-4000-8000-000000000005'
const VM_VDI = 'e0000000-0000-4000-8000-000000000006'
const VBD = 'e0000000-0000-4000-8000-000000000007'

const exec = promisify(execFile)

// ---------------------------------------------------------------------------------------------
// Servers (child processes)

function inventory() {
  const xapi = (id, type, extra) => ({ id, type, uuid: id, $pool: POOL, $poolId: POOL, _xapiRef: `OpaqueRef:${id}`, ...extra })
  const vdi = (id, size) =>
    xapi(id, 'VDI', { name_label: id, size, usage: size, VDI_type: 'user', $SR: SR, $VBDs: [], snapshots: [], tags: [], other_config: { 'xo-mock:allocation': '1' } })
  return {
    objects: [
      xapi(POOL, 'pool', { name_label: 'bench', master: HOST, default_SR: SR, tags: [] }),
      xapi(HOST, 'host', { name_label: 'host', power_state: 'Running', $container: POOL, residentVms: [], tags: [] }),
      xapi(SR, 'SR', { name_label: 'SR', SR_type: 'ext', content_type: 'user', $container: HOST, VDIs: [], $PBDs: [], size: 1024 ** 4, usage: 0, physical_usage: 0 }),
      vdi(VDI, EXPORT_SIZE),
      vdi(VM_VDI, XVA_DISK_SIZE),
      xapi(VM, 'VM', { name_label: 'bench', power_state: 'Halted', $container: POOL, CPUs: { max: 1, number: 1 }, memory: { dynamic: [MiB, MiB], static: [MiB, MiB], size: MiB }, $VBDs: [], VIFs: [], tags: [] }),
      xapi(VBD, 'VBD', { VM, VDI: VM_VDI, position: '0', bootable: true, is_cd_drive: false, read_only: false, attached: false }),
      { id: 'e0000000-0000-4000-8000-0000000000ff', type: 'user', email: 'admin@admin.net', name: 'admin', permission: 'admin', groups: [], preferences: {}, password: 'admin' },
    ],
  }
}

async function serveMock() {
  const { createXoMock } = await import('../dist/index.js')
  const mock = await createXoMock({ inventory: inventory(), token: TOKEN, port: 0 })
  console.log(`mock ready on ${mock.url}`)
}

/** The same I/O as the mock's exports, from reused buffers: footer, header, BAT, blocks, footer. */
async function serveBare() {
  const { createServer } = await import('node:http')
  const data = randomFillSync(Buffer.allocUnsafe(BLOCK))
  const bitmap = Buffer.alloc(512, 0xff)
  const blocks = EXPORT_SIZE / BLOCK
  const bat = Buffer.alloc(Math.max(512, Math.ceil((blocks * 4) / 512) * 512), 0xff)
  const footer = Buffer.alloc(512, 1)
  const header = Buffer.alloc(1024, 2)
  const write = async (res, buffer) => {
    if (!res.write(buffer)) await once(res, 'drain')
  }
  const server = createServer(async (req, res) => {
    try {
      if (req.method === 'POST') {
        req.on('data', () => {})
        await once(req, 'end')
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"x"}')
      } else if (req.url.startsWith('/raw')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': EXPORT_SIZE })
        for (let i = 0; i < blocks; i++) await write(res, data)
        res.end()
      } else {
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        await write(res, footer)
        await write(res, header)
        await write(res, bat)
        for (let i = 0; i < blocks; i++) {
          await write(res, bitmap)
          await write(res, data)
        }
        res.end(footer)
      }
    } catch {
      res.destroy()
    }
  })
  server.listen(0, '127.0.0.1', () => console.log(`bare ready on http://127.0.0.1:${server.address().port}`))
}

function start(kind) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', kind], { stdio: ['ignore', 'pipe', 'inherit'] })
    let buffer = ''
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)))
    child.stdout.on('data', (chunk) => {
      buffer += chunk
      const match = /ready on (http:\/\/\S+)/.exec(buffer)
      if (match === null) return
      child.stdout.removeAllListeners('data')
      child.removeAllListeners('exit')
      resolve({ url: match[1], child })
    })
  })
}

function stop({ child }) {
  return new Promise((resolve) => {
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
}

// ---------------------------------------------------------------------------------------------
// Clients

/** MB/s of one download through curl (body discarded). */
async function curlRate(url, headers = {}) {
  const args = ['-s', '-f', '-o', '/dev/null', '-w', '%{size_download} %{time_total}']
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`)
  const { stdout } = await exec('curl', [...args, url])
  const [bytes, seconds] = stdout.trim().split(' ').map(Number)
  return { bytes, seconds, rate: bytes / seconds / 1e6 }
}

/** MB/s of one upload of `size` bytes (a reused 2 MiB buffer, random or zero, with Content-Length). */
function uploadRate(url, size, headers = {}, { zeros = false } = {}) {
  const data = zeros ? Buffer.alloc(BLOCK) : randomFillSync(Buffer.allocUnsafe(BLOCK))
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': size, 'content-type': 'application/octet-stream' }, agent: false }, (res) => {
      res.resume()
      res.on('end', () => {
        if (res.statusCode >= 300) reject(new Error(`${url}: HTTP ${res.statusCode}`))
        const seconds = Number(process.hrtime.bigint() - started) / 1e9
        resolve({ bytes: size, seconds, rate: size / seconds / 1e6 })
      })
    })
    req.on('error', reject)
    ;(async () => {
      for (let sent = 0; sent < size; sent += BLOCK) {
        if (!req.write(data.subarray(0, Math.min(BLOCK, size - sent)))) await once(req, 'drain')
      }
      req.end()
    })().catch(reject)
  })
}

/** Seconds zstd-napi takes to compress `input` alone (same settings as the mock: level 3, checksum). */
async function zstdSeconds(input) {
  const { CompressStream } = await import('zstd-napi')
  const stream = new CompressStream({ compressionLevel: 3, checksumFlag: true })
  stream.on('data', () => {})
  const started = process.hrtime.bigint()
  const done = once(stream, 'end')
  for (let at = 0; at < input.length; at += MiB) {
    if (!stream.write(input.subarray(at, Math.min(input.length, at + MiB)))) await once(stream, 'drain')
  }
  stream.end()
  await done
  return Number(process.hrtime.bigint() - started) / 1e9
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function pair(label, target, measureMock, measureBase, baseLabel) {
  const mock = []
  const base = []
  for (let i = 0; i < RUNS; i++) {
    base.push(await measureBase())
    mock.push(await measureMock())
  }
  const m = median(mock)
  const b = median(base)
  const ratio = m / b
  console.log(`${label}: mock ${m.toFixed(0)} MB/s, ${baseLabel} ${b.toFixed(0)} MB/s, ratio ${ratio.toFixed(2)} (target ≥ ${target})`)
  return ratio
}

export async function run() {
  console.log('# Transfers')
  const mock = await start('mock')
  const bare = await start('bare')
  try {
    const auth = { cookie: COOKIE }
    await pair(
      'VHD export (2 GiB allocated)',
      0.8,
      async () => (await curlRate(`${mock.url}/rest/v0/vdis/${VDI}.vhd`, auth)).rate,
      async () => (await curlRate(`${bare.url}/vhd`)).rate,
      'bare node:http same bytes',
    )
    await pair(
      'raw export (2 GiB)',
      0.8,
      async () => (await curlRate(`${mock.url}/rest/v0/vdis/${VDI}.raw`, auth)).rate,
      async () => (await curlRate(`${bare.url}/raw`)).rate,
      'bare node:http same bytes',
    )

    // XVA + zstd: input rate of the mock (uncompressed XVA bytes per second) vs zstd-napi alone
    const plain = Buffer.from(await (await fetch(`${mock.url}/rest/v0/vms/${VM}.xva`, { headers: auth })).arrayBuffer())
    await pair(
      `XVA + zstd export (${(plain.length / 1e6).toFixed(0)} MB tar)`,
      0.5,
      async () => plain.length / (await curlRate(`${mock.url}/rest/v0/vms/${VM}.xva?compress=zstd`, auth)).seconds / 1e6,
      async () => plain.length / (await zstdSeconds(plain)) / 1e6,
      'zstd-napi alone on the same bytes',
    )

    await pair(
      `raw upload (${UPLOAD_SIZE / MiB} MiB)`,
      0.8,
      async () => (await uploadRate(`${mock.url}/rest/v0/srs/${SR}/vdis?raw`, UPLOAD_SIZE, auth)).rate,
      async () => (await uploadRate(`${bare.url}/upload`, UPLOAD_SIZE)).rate,
      'bare sink',
    )
    // diagnostic: the same upload of zeros (validated, nothing stored): the cost of keeping the data
    await pair(
      `raw upload of zeros (${UPLOAD_SIZE / MiB} MiB, nothing stored)`,
      0.8,
      async () => (await uploadRate(`${mock.url}/rest/v0/srs/${SR}/vdis?raw`, UPLOAD_SIZE, auth, { zeros: true })).rate,
      async () => (await uploadRate(`${bare.url}/upload`, UPLOAD_SIZE, {}, { zeros: true })).rate,
      'bare sink',
    )
  } finally {
    await stop(mock)
    await stop(bare)
  }
}

if (process.argv[2] === 'serve') {
  process.on('SIGTERM', () => process.exit(0))
  if (process.argv[3] === 'mock') await serveMock()
  else await serveBare()
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await run()
}
