import { createHash } from 'node:crypto'

import { SyntheticContent, type XvaVm } from '../../src/disks/index.js'
import { buildOvaXml } from '../../src/disks/ova-xml.js'
import { TAR_END, encodeTarHeader, tarPadding } from '../../src/disks/tar.js'
import { loadXxhash, xxh64Hex } from '../../src/disks/xxhash.js'
import { UUIDS } from './helpers.js'

const MiB = 1024 * 1024

export function sampleVm(): XvaVm {
  return {
    vm: { uuid: UUIDS.vm, name_label: 'web & db <prod>', name_description: "it's \"quoted\"", memory: 2 * 1024 ** 3, VCPUs_max: 2, tags: ['a', 'b'] },
    disks: [
      {
        content: new SyntheticContent({ seed: 'xva-a', virtualSize: 9 * MiB + 1536, allocation: 0.6 }),
        vdi: { uuid: UUIDS.vdi, name_label: 'root' },
        vbd: { uuid: UUIDS.vbd, userdevice: 0 },
      },
      {
        content: new SyntheticContent({ seed: 'xva-b', virtualSize: 64 * MiB, blocks: [3, 4, 20] }),
        vdi: { uuid: UUIDS.vdi2, name_label: 'data', name_description: 'second' },
        vbd: { uuid: UUIDS.vbd2, userdevice: '1', bootable: false },
      },
    ],
    vifs: [{ uuid: UUIDS.vif, device: 0, MAC: '12:34:56:78:9a:bc', network: { uuid: UUIDS.network, name_label: 'Pool-wide network', bridge: 'xenbr0' } }],
  }
}

export interface TarEntry {
  name: string
  data: Buffer
}

export function buildTar(entries: TarEntry[], end = true): Buffer {
  const parts: Buffer[] = []
  for (const { name, data } of entries) parts.push(encodeTarHeader(name, data.length, 0), data, tarPadding(data.length))
  if (end) parts.push(TAR_END)
  return Buffer.concat(parts)
}

/** ova.xml for one disk of `virtualSize` bytes; the VDI's ref is returned with it. */
export function ovaFor(virtualSize: number): { xml: Buffer; ref: string } {
  const { xml, disks } = buildOvaXml({
    vm: { uuid: UUIDS.vm, name_label: 'hand-made' },
    disks: [
      {
        content: new SyntheticContent({ seed: 'unused', virtualSize, blockCount: 0 }),
        vdi: { uuid: UUIDS.vdi, name_label: 'd' },
        vbd: { uuid: UUIDS.vbd, userdevice: 0 },
      },
    ],
  })
  return { xml, ref: disks[0].ref }
}

export async function chunkEntries(
  ref: string,
  chunks: { n: number; data: Buffer }[],
  kind: 'xxhash' | 'checksum' = 'xxhash',
): Promise<TarEntry[]> {
  const hasher = await loadXxhash()
  const entries: TarEntry[] = []
  for (const { n, data } of chunks) {
    const name = `${ref}/${String(n).padStart(8, '0')}`
    entries.push({ name, data })
    const sum = kind === 'xxhash' ? xxh64Hex(hasher, data) : createHash('sha1').update(data).digest('hex')
    entries.push({ name: `${name}.${kind}`, data: Buffer.from(sum) })
  }
  return entries
}
