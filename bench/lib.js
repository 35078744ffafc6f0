// Shared helpers of the benchmarks: autocannon runs, child-process start timing, RSS.
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

export function cannon(url, headers = {}, { duration = 5, connections = 10 } = {}) {
  return new Promise((resolve, reject) => {
    autocannon({ url, headers, duration, connections, pipelining: 1 }, (error, result) => {
      if (error) reject(error)
      else if (result.non2xx > 0 || result.errors > 0) reject(new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`))
      else resolve(result.requests.average)
    })
  })
}

/**
 * Starts `node <args>` and resolves when it printed a line matching `ready` (the line gives the URL)
 * and answered `path` once: { ms, url, child }.
 */
export function startProcess(args, ready, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let buffer = ''
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)))
    child.stdout.on('data', async (chunk) => {
      buffer += chunk
      const match = ready.exec(buffer)
      if (match === null) return
      child.stdout.removeAllListeners('data')
      const url = match[1]
      const response = await fetch(url + path, { headers })
      await response.arrayBuffer()
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      child.removeAllListeners('exit')
      resolve({ ms, url, child })
    })
  })
}

export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)[1])
  return kib / 1024
}

export function stop(child) {
  return new Promise((resolve) => {
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
}
