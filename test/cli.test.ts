import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const BIN = fileURLToPath(new URL('../bin/xo-mock.js', import.meta.url))

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const done = once(child, 'exit').then(([code]) => ({ code: code as number, stdout, stderr }))
  return { child, done, output: () => stdout }
}

async function waitForLine(get: () => string, re: RegExp): Promise<RegExpExecArray> {
  for (let i = 0; i < 400; i++) {
    const match = re.exec(get())
    if (match !== null) return match
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`no line matching ${re} in: ${get()}`)
}

describe('xo-mock serve', () => {
  it('prints one ready line with the URL and credentials, then serves the inventory', async () => {
    const { child, done, output } = run(['serve', '--port', '0', '--inventory', 'minimal', '--token', 'cli-test-token', '--seed', '7'])
    try {
      const [line, url] = await waitForLine(output, /ready on (http:\/\/127\.0\.0\.1:\d+)[^\n]*\n/)
      expect(line).toContain('admin@admin.net')
      expect(line).toContain('cli-test-token')
      const ping = await fetch(`${url}/rest/v0/ping`)
      expect(ping.status).toBe(200)
      const vms = await fetch(`${url}/rest/v0/vms`, { headers: { cookie: 'authenticationToken=cli-test-token' } })
      expect(vms.status).toBe(200)
      expect(((await vms.json()) as string[]).every((href) => href.startsWith('/rest/v0/vms/'))).toBe(true)
    } finally {
      child.kill('SIGTERM')
    }
    const { code } = await done
    expect(code).toBe(0)
  })

  it('takes its configuration from the environment as well', async () => {
    const { child, done, output } = run(['serve'], { XO_MOCK_PORT: '0', XO_MOCK_INVENTORY: 'minimal', XO_MOCK_TOKEN: 'env-token' })
    try {
      const [, url] = await waitForLine(output, /ready on (http:\/\/127\.0\.0\.1:\d+)/)
      const response = await fetch(`${url}/rest/v0/pools`, { headers: { cookie: 'authenticationToken=env-token' } })
      expect(response.status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    await done
  })

  it.each([
    [['serve', '--port', 'abc'], /^xo-mock: --port expects an integer, got 'abc'\n$/],
    [['serve', '--port', '70000'], /^xo-mock: --port must be between 0 and 65535, got 70000\n$/],
    [['serve', '--bogus'], /^xo-mock: Unknown option '--bogus'/],
    [['serve', '--inventory', '/nonexistent/lab.json'], /^xo-mock: \/nonexistent\/lab\.json: .+\n$/],
    [['frobnicate'], /^xo-mock: unknown command 'frobnicate'/],
  ])('rejects %j with a one-line error and a non-zero exit', async (args, message) => {
    const { done } = run(args)
    const { code, stderr, stdout } = await done
    expect(code).not.toBe(0)
    expect(stdout).toBe('')
    expect(stderr).toMatch(message)
    expect(stderr.trim().split('\n')).toHaveLength(1)
  })
})
