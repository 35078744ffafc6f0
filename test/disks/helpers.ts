import { execFile, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { BLOCK_SIZE, type DiskContent } from '../../src/disks/index.js'

const INSTALL_HINT = 'install it with: apt-get install -y qemu-utils xxhash zstd tar gzip'

/** Fails (never skips) when a validation tool is missing: CI installs them. */
export function requireTool(name: string): void {
  const result = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`required tool "${name}" is not installed; ${INSTALL_HINT}`)
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export function run(command: string, args: string[], options: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise(resolve => {
    execFile(command, args, { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

export async function runOk(command: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  const result = await run(command, args, options)
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`)
  return result.stdout
}

export async function withTmpDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'xo-mock-disks-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export async function toFile(stream: Readable, path: string): Promise<void> {
  await pipeline(stream, createWriteStream(path))
}

export async function collect(stream: AsyncIterable<Buffer | Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

export async function sha256(stream: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>): Promise<{ hash: string; length: number }> {
  const hash = createHash('sha256')
  let length = 0
  for await (const chunk of stream) {
    hash.update(chunk)
    length += chunk.length
  }
  return { hash: hash.digest('hex'), length }
}

/** Raw bytes of a DiskContent, hashed without going through the exporters. */
export async function contentHash(content: DiskContent): Promise<string> {
  const hash = createHash('sha256')
  const block = Buffer.alloc(BLOCK_SIZE)
  const count = Math.ceil(content.virtualSize / BLOCK_SIZE)
  for (let i = 0; i < count; i++) {
    await content.readBlock(i, block)
    hash.update(block.subarray(0, Math.min(BLOCK_SIZE, content.virtualSize - i * BLOCK_SIZE)))
  }
  return hash.digest('hex')
}

/** A Readable emitting `data` in chunks of `chunkSize` (to exercise chunk boundaries). */
export function chunked(data: Buffer, chunkSize = 65536): Readable {
  let offset = 0
  return new Readable({
    read() {
      if (offset >= data.length) {
        this.push(null)
        return
      }
      this.push(data.subarray(offset, offset + chunkSize))
      offset += chunkSize
    },
  })
}

/** Emits `data` then fails with `error` (an upload cut midway). */
export function failingAfter(data: Buffer, error: Error): Readable {
  let sent = false
  return new Readable({
    read() {
      if (!sent) {
        sent = true
        this.push(data)
      } else {
        setImmediate(() => this.destroy(error))
      }
    },
  })
}

export const UUIDS = {
  vm: '0b5e8a3c-5c1e-4b7a-9c55-6a8f3d1e2a01',
  vdi: '0b5e8a3c-5c1e-4b7a-9c55-6a8f3d1e2a02',
  vdi2: '0b5e8a3c-5c1e-4b7a-9c55-6a8f3d1e2a03',
  vbd: '0b5e8a3c-5c1e-4b7a-9c55-6a8f3d1e2a04',
  vbd2: '0b5e8a3c-5c1e-4b7a-9c55-6a8f3d1e2a05',
  vif: '0b5e8a3c-5c1e-4b7a-9c55-6a8f3d1e2a06',
  network: '0b5e8a3c-5c1e-4b7a-9c55-6a8f3d1e2a07',
  disk: '7f1c2d3e-4a5b-4c6d-8e7f-901234567890',
}

export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5)
