// JSON-RPC notification benchmark (issue 3): 100 connected xo-lib clients, a burst of 10,000 object
// updates applied through `mock.inventory.update` (100 distinct objects per tick, so 100 `all` enter
// frames of 100 full objects each), timed until every client has counted all 10,000 updated items in the
// `enter` notifications it received. Baseline, same run: a bare `ws` WebSocketServer broadcasting the very
// frames the mock sent (captured by a warm-up run), one per tick, to 100 plain `ws` clients that parse
// them and count the same items.
//
// The clients run in worker threads (this file, `workerData.role`), the server in the main thread: the
// clients are other processes in real life, and the two measurements get the same split of the CPUs.
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import WebSocket, { WebSocketServer } from 'ws'

const CLIENTS = 100
/** Client worker threads (the clients' JSON parsing is most of the work of both measurements). */
const WORKERS = 2
const UPDATES = 10_000
const PER_TICK = 100
const TOKEN = 'bench-rpc-token'
/** Measured rounds of each side (alternated; the best kept). One keeps the bench under a minute. */
const ROUNDS = 1
/** The mock's WebSocket options (src/rpc/index.ts), for the bare server too. */
const WEBSOCKET_OPTIONS = { perMessageDeflate: { threshold: 524288 }, maxPayload: 100 * 1024 * 1024 }

const nextTick = () => new Promise((resolve) => setImmediate(resolve))

// ---------------------------------------------------------------------------------------------
// Worker: the clients

/** Counts the items of the `all` enter notifications; `onDone` once `expected` were counted. */
function counter(expected, onDone) {
  let count = 0
  let done = false
  return (message) => {
    if (message.method !== 'all' || message.params.type !== 'enter') return
    count += Object.keys(message.params.items).length
    if (!done && count >= expected) {
      done = true
      onDone()
    }
  }
}

async function clientsWorker({ kind, url, clients, expected }) {
  const sockets = []
  let remaining = clients
  const finished = () => {
    if (--remaining === 0) parentPort.postMessage('done')
  }
  if (kind === 'xo-lib') {
    const Xo = createRequire(import.meta.url)('xo-lib').default
    await Promise.all(
      Array.from({ length: clients }, async () => {
        const xo = new Xo({ url: url.replace(/^http/, 'ws') })
        await xo.open()
        await xo.signIn({ token: TOKEN })
        xo.on('notification', counter(expected, finished))
        sockets.push({ close: () => xo.close() })
      }),
    )
  } else {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        const ws = new WebSocket(url.replace(/^http/, 'ws') + '/api/')
        await new Promise((resolve, reject) => {
          ws.once('open', resolve)
          ws.once('error', reject)
        })
        const count = counter(expected, finished)
        ws.on('message', (data) => count(JSON.parse(String(data))))
        sockets.push({ close: () => ws.close() })
      }),
    )
  }
  parentPort.on('message', async (message) => {
    if (message !== 'close') return
    await Promise.all(sockets.map((socket) => socket.close()))
    parentPort.postMessage('closed')
  })
  parentPort.postMessage('ready')
}

if (!isMainThread && workerData?.role === 'rpc-bench-clients') await clientsWorker(workerData)

// ---------------------------------------------------------------------------------------------
// Main thread

/** One worker of `clients` clients; resolves once they are connected (and signed in). */
async function startWorker(kind, url, clients) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'rpc-bench-clients', kind, url, clients, expected: UPDATES } })
  const messages = []
  const waiters = []
  worker.on('message', (message) => {
    const waiter = waiters.findIndex(([expected]) => expected === message)
    if (waiter === -1) messages.push(message)
    else waiters.splice(waiter, 1)[0][1]()
  })
  worker.on('error', (error) => {
    throw error
  })
  const next = (expected) =>
    new Promise((resolve) => {
      const index = messages.indexOf(expected)
      if (index !== -1) {
        messages.splice(index, 1)
        resolve()
      } else waiters.push([expected, resolve])
    })
  await next('ready')
  return {
    done: () => next('done'),
    async close() {
      worker.postMessage('close')
      await next('closed')
      await worker.terminate()
    },
  }
}

/** CLIENTS clients spread over WORKERS worker threads. */
async function startClients(kind, url) {
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, (_, index) => startWorker(kind, url, Math.floor(CLIENTS / WORKERS) + (index < CLIENTS % WORKERS ? 1 : 0))),
  )
  return {
    done: () => Promise.all(workers.map((worker) => worker.done())),
    close: () => Promise.all(workers.map((worker) => worker.close())),
  }
}

/** The update plan: UPDATES / PER_TICK ticks of PER_TICK distinct XAPI objects (coalescing would merge repeats). */
function plan(mock) {
  const ids = [...mock.inventory.all()].filter((object) => typeof object._xapiRef === 'string').map((object) => object.id)
  if (ids.length < PER_TICK) throw new Error(`the inventory has only ${ids.length} XAPI objects`)
  const ticks = []
  let cursor = 0
  for (let n = 0; n < UPDATES; n += PER_TICK) {
    const tick = []
    for (let i = 0; i < PER_TICK; i++) tick.push(ids[cursor++ % ids.length])
    ticks.push(tick)
  }
  return ticks
}

/** The burst: one chunk of updates per tick; each tick's changes leave as one `all` enter frame. */
async function burst(mock, ticks, round) {
  let n = 0
  for (const tick of ticks) {
    for (const id of tick) mock.inventory.update(id, { xoMockBench: `${round}-${n++}` })
    await nextTick()
  }
}

/** Warm-up run with one raw client: the frames the mock sends for the burst (the baseline's frames). */
async function captureFrames(mock, ticks) {
  const ws = new WebSocket(mock.url.replace(/^http/, 'ws') + '/api/')
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const frames = []
  let items = 0
  let resolveDone
  const done = new Promise((resolve) => (resolveDone = resolve))
  ws.on('message', (data) => {
    const text = String(data)
    const message = JSON.parse(text)
    if (message.id === 1) return resolveSignedIn()
    frames.push(text)
    if (message.method === 'all' && message.params.type === 'enter') items += Object.keys(message.params.items).length
    if (items >= UPDATES) resolveDone()
  })
  let resolveSignedIn
  const signedIn = new Promise((resolve) => (resolveSignedIn = resolve))
  ws.send(JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'session.signIn', params: { token: TOKEN } }))
  await signedIn
  await burst(mock, ticks, 'capture')
  await done
  ws.close()
  return frames
}

async function measureMock(mock, ticks, round) {
  const clients = await startClients('xo-lib', mock.url)
  const start = performance.now()
  const received = clients.done()
  await burst(mock, ticks, round)
  const sent = performance.now() - start
  await received
  const ms = performance.now() - start
  await clients.close()
  return { ms, sent }
}

async function measureBare(frames) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...WEBSOCKET_OPTIONS })
  await new Promise((resolve) => wss.once('listening', resolve))
  const url = `http://127.0.0.1:${wss.address().port}`
  const clients = await startClients('ws', url)
  const start = performance.now()
  const received = clients.done()
  for (const frame of frames) {
    for (const client of wss.clients) client.send(frame)
    await nextTick()
  }
  const sent = performance.now() - start
  await received
  const ms = performance.now() - start
  await clients.close()
  await new Promise((resolve) => wss.close(resolve))
  return { ms, sent }
}

export async function run() {
  console.log('# JSON-RPC notifications')
  const { createXoMock } = await import('../dist/index.js')
  const mock = await createXoMock({ inventory: 'default', seed: 'bench', token: TOKEN, port: 0 })
  try {
    const ticks = plan(mock)
    const frames = await captureFrames(mock, ticks)
    const bytes = frames.reduce((total, frame) => total + Buffer.byteLength(frame), 0)
    const mockRuns = []
    const bareRuns = []
    for (let round = 0; round < ROUNDS; round++) {
      mockRuns.push(await measureMock(mock, ticks, round))
      bareRuns.push(await measureBare(frames))
    }
    const best = (runs) => runs.reduce((a, b) => (b.ms < a.ms ? b : a))
    const [mockBest, bareBest] = [best(mockRuns), best(bareRuns)]
    const mockRate = UPDATES / (mockBest.ms / 1000)
    const bareRate = UPDATES / (bareBest.ms / 1000)
    console.log(
      `${CLIENTS} clients, ${UPDATES} updates in ${frames.length} frames (${(bytes / 1024 / 1024).toFixed(1)} MiB per client); ` +
        `all received: mock ${mockBest.ms.toFixed(0)} ms, bare ws ${bareBest.ms.toFixed(0)} ms; ` +
        `all handed to the sockets (server side): mock ${mockBest.sent.toFixed(0)} ms, bare ws ${bareBest.sent.toFixed(0)} ms`,
    )
    console.log(`notifications: mock ${mockRate.toFixed(0)} updates/s, bare ws ${bareRate.toFixed(0)} updates/s, ratio ${(mockRate / bareRate).toFixed(2)}`)
    return mockRate / bareRate
  } finally {
    await mock.close()
  }
}
