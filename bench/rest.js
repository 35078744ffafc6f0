// REST collection benchmark (issue: foundation): mock vs a bare Fastify route serving the same bytes.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cannon, rssMiB, startProcess, stop } from './lib.js'

const QUERY = '/rest/v0/vms?fields=name_label,power_state&filter=power_state:Running'
const READY = /ready on (http:\/\/[^\s]+)/
const TOKEN = 'bench-token'
const headers = { cookie: `authenticationToken=${TOKEN}` }

async function mock(inventory) {
  return startProcess(['bin/xo-mock.js', 'serve', '--port', '0', '--token', TOKEN, '--inventory', inventory], READY, QUERY, headers)
}

async function bareWith(bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'xo-mock-bench-'))
  const file = join(dir, 'body.json')
  writeFileSync(file, bytes)
  return startProcess(['bench/bare-server.js', file], READY, '/')
}

async function throughput(inventory, label) {
  const server = await mock(inventory)
  const body = Buffer.from(await (await fetch(server.url + QUERY, { headers })).arrayBuffer())
  const bare = await bareWith(body)
  const bareRps = await cannon(bare.url + QUERY)
  const mockRps = await cannon(server.url + QUERY, headers)
  await stop(bare.child)
  await stop(server.child)
  const ratio = mockRps / bareRps
  console.log(`${label}: mock ${mockRps.toFixed(0)} req/s, bare Fastify same bytes (${body.length} B) ${bareRps.toFixed(0)} req/s, ratio ${ratio.toFixed(2)}`)
  return ratio
}

async function startup(inventory, label) {
  const bare = await startProcess(['bench/bare-server.js'], READY, '/')
  await stop(bare.child)
  const server = await mock(inventory)
  const rss = rssMiB(server.child.pid)
  await stop(server.child)
  console.log(`${label}: start to first answer ${server.ms.toFixed(0)} ms vs bare Fastify process ${bare.ms.toFixed(0)} ms, ratio ${(server.ms / bare.ms).toFixed(2)}; RSS ${rss.toFixed(0)} MiB`)
}

export async function run() {
  console.log('# REST collections')
  await throughput('default', 'default inventory')
  await throughput('generated:vms=10000', '10,000 generated VMs')
  await startup('default', 'start, default inventory')
  await startup('generated:vms=100000', 'start, 100,000 generated VMs')
}
