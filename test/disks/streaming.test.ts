import { once } from 'node:events'
import { createServer, get } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'

import { describe, expect, it } from 'vitest'

import { SyntheticContent, createRawStream, createVhdStream, createXvaStream, type DiskContent } from '../../src/disks/index.js'
import { T0, UUIDS } from './helpers.js'

const MiB = 1024 * 1024

/** Wraps a content and counts block reads; optionally slow (asynchronous). */
class CountingContent implements DiskContent {
  reads = 0
  readonly #inner: SyntheticContent
  readonly #delay: number

  constructor(inner: SyntheticContent, delay = 0) {
    this.#inner = inner
    this.#delay = delay
  }

  get virtualSize(): number {
    return this.#inner.virtualSize
  }

  allocatedBlocks(): number[] {
    return this.#inner.allocatedBlocks()
  }

  readBlock(index: number, target: Buffer): void | Promise<void> {
    this.reads++
    if (this.#delay === 0) return this.#inner.readBlock(index, target)
    return sleep(this.#delay).then(() => this.#inner.readBlock(index, target))
  }
}

const exporters: Record<string, (content: DiskContent) => Readable> = {
  raw: content => createRawStream(content),
  vhd: content => createVhdStream(content, { uuid: UUIDS.disk, timestamp: T0 }),
  xva: content => createXvaStream(xvaOf(content)),
  'xva+zstd': content => createXvaStream(xvaOf(content), { compress: 'zstd' }),
  'xva+gzip': content => createXvaStream(xvaOf(content), { compress: 'gzip' }),
}

/**
 * Blocks an exporter may read ahead of its consumer: the high-water marks (a few blocks), plus, for zstd,
 * the input job its worker thread compresses in the background (~8 MiB at level 3: 4 more blocks, plus
 * what the tar writer queued meanwhile). Far from the 256 blocks of the disk either way.
 */
const readAhead = (name: string) => (name === 'xva+zstd' ? 12 : 4)

function xvaOf(content: DiskContent) {
  return { vm: { uuid: UUIDS.vm, name_label: 'v' }, disks: [{ content, vdi: { uuid: UUIDS.vdi, name_label: 'd' }, vbd: { uuid: UUIDS.vbd, userdevice: 0 } }] }
}

function fullDisk(delay = 0): CountingContent {
  return new CountingContent(new SyntheticContent({ seed: 'stream', virtualSize: 512 * MiB }), delay)
}

describe('export streams', () => {
  for (const [name, make] of Object.entries(exporters)) {
    it(`${name}: respects backpressure (a paused consumer stops block reads)`, async () => {
      const content = fullDisk()
      const stream = make(content)
      stream.pause()
      stream.once('readable', () => {})
      await sleep(100)
      expect(content.reads).toBeGreaterThan(0)
      expect(content.reads).toBeLessThanOrEqual(readAhead(name))
      stream.destroy()
    })

    for (const delay of [0, 5]) {
      it(`${name}: destroying the stream after the first chunk stops generation (${delay ? 'async' : 'sync'} content)`, async () => {
        const content = fullDisk(delay)
        const stream = make(content)
        await once(stream, 'data')
        stream.destroy()
        const atDestroy = content.reads
        await sleep(100)
        expect(content.reads).toBe(atDestroy)
        expect(content.reads).toBeLessThanOrEqual(readAhead(name))
      })
    }
  }

  it('an HTTP client that disconnects stops the export', async () => {
    const content = fullDisk()
    const server = createServer((_req, res) => {
      const stream = createRawStream(content)
      res.setHeader('content-length', stream.length)
      pipeline(stream, res).catch(() => {})
    })
    server.listen(0)
    await once(server, 'listening')
    try {
      const { port } = server.address() as AddressInfo
      await new Promise<void>((resolve, reject) => {
        get({ port, path: '/' }, res => {
          let received = 0
          res.on('data', chunk => {
            received += chunk.length
            if (received > 8 * MiB) {
              res.destroy()
              resolve()
            }
          })
          res.on('error', () => {})
        }).on('error', reject)
      })
      await sleep(200)
      const after = content.reads
      await sleep(100)
      expect(content.reads).toBe(after)
      expect(content.reads).toBeLessThan(40) // 256 blocks in all
    } finally {
      server.close()
    }
  })

  it('a consumer reading to the end gets everything and the generator finishes', async () => {
    const content = new CountingContent(new SyntheticContent({ seed: 'all', virtualSize: 20 * MiB, allocation: 0.5 }), 1)
    const stream = createRawStream(content)
    let length = 0
    for await (const chunk of stream) length += (chunk as Buffer).length
    expect(length).toBe(20 * MiB)
    expect(content.reads).toBe(content.allocatedBlocks().length)
  })
})
