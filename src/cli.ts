import { parseArgs } from 'node:util'
import { createXoMock, type XoMock } from './index.js'

const USAGE = `Usage:
  xo-mock serve [--host ADDR] [--port N] [--inventory PATH|NAME] [--token TOKEN] [--seed N] [--clock system|manual]
                [--scenario NAME|PATH]... [--journal-size N] [--data-dir DIR] [--api-profile current|legacy]
  xo-mock generate [--pools N] [--hosts N] [--vms N] [--srs N] [--vdis N] [--networks N] [--seed N]
  xo-mock validate PATH|NAME
  xo-mock help

Environment (used when the flag is absent): XO_MOCK_HOST, XO_MOCK_PORT, XO_MOCK_INVENTORY, XO_MOCK_TOKEN,
XO_MOCK_SEED, XO_MOCK_CLOCK, XO_MOCK_SCENARIOS (comma-separated), XO_MOCK_JOURNAL_SIZE, XO_MOCK_DATA_DIR,
XO_MOCK_API_PROFILE.

--scenario starts a bundled scenario (fixtures/scenarios/NAME.json) or a scenario file once the server
listens; repeat it to start several. --journal-size bounds the request journal (/_mock/journal, default
1000, 0 disables it).`

/** A user error: printed as one line, exit code 2. */
class UsageError extends Error {}

function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} expects an integer, got '${value}'`)
  const n = Number(value)
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`)
  return n
}

function parse(args: string[], options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true })
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!)
  }
}

async function serve(args: string[], env: NodeJS.ProcessEnv): Promise<XoMock> {
  const parsed = parse(args, {
    host: { type: 'string' },
    port: { type: 'string' },
    inventory: { type: 'string' },
    token: { type: 'string' },
    seed: { type: 'string' },
    clock: { type: 'string' },
    scenario: { type: 'string', multiple: true },
    'journal-size': { type: 'string' },
    'data-dir': { type: 'string' },
    'api-profile': { type: 'string' },
  })
  const { scenario: scenarioFlags, ...rest } = parsed.values as Record<string, string | string[] | undefined>
  const values = rest as Record<string, string | undefined>
  const positionals = parsed.positionals
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`)
  const port = intOption('port', values.port ?? env.XO_MOCK_PORT, 0, 65535) ?? 9000
  const clock = values.clock ?? env.XO_MOCK_CLOCK ?? 'system'
  if (clock !== 'system' && clock !== 'manual') throw new UsageError(`--clock must be 'system' or 'manual', got '${clock}'`)
  const token = values.token ?? env.XO_MOCK_TOKEN
  if (token !== undefined && !/^[\w.~-]{1,200}$/.test(token)) throw new UsageError('--token must be 1 to 200 characters among A-Z a-z 0-9 . _ ~ -')
  const apiProfile = values['api-profile'] ?? env.XO_MOCK_API_PROFILE ?? 'current'
  if (apiProfile !== 'current' && apiProfile !== 'legacy') throw new UsageError(`--api-profile must be 'current' or 'legacy', got '${apiProfile}'`)
  const dataDir = values['data-dir'] ?? env.XO_MOCK_DATA_DIR
  const journalSize = intOption('journal-size', values['journal-size'] ?? env.XO_MOCK_JOURNAL_SIZE, 0, 10_000_000)
  const scenarios = Array.isArray(scenarioFlags)
    ? scenarioFlags
    : (env.XO_MOCK_SCENARIOS ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '')
  return createXoMock({
    apiProfile,
    ...(dataDir === undefined || dataDir === '' ? {} : { dataDir }),
    journalSize,
    scenarios,
    host: values.host ?? env.XO_MOCK_HOST ?? '127.0.0.1',
    port,
    inventory: values.inventory ?? env.XO_MOCK_INVENTORY ?? 'default',
    token,
    seed: values.seed ?? env.XO_MOCK_SEED,
    clock,
  })
}

/** Runs the CLI; resolves with the process exit code (serve keeps running until a signal). */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'serve': {
        const mock = await serve(rest, env)
        for (const warning of mock.warnings) console.error(`xo-mock: warning: ${warning}`)
        for (const run of mock.control.scenarios()) console.error(`xo-mock: scenario ${run.name ?? run.id} started (${run.id}, ${run.state})`)
        console.log(`xo-mock ready on ${mock.url} (REST ${mock.url}/rest/v0, JSON-RPC ${mock.url.replace(/^http/, 'ws')}/api/) user ${mock.email} password ${mock.password} token ${mock.token}`)
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop)
            process.off('SIGTERM', stop)
            mock.close().then(resolve, resolve)
          }
          process.on('SIGINT', stop)
          process.on('SIGTERM', stop)
        })
        return 0
      }
      case 'generate':
        return await (await import('./cli-inventory.js')).generate(rest, parse, intOption)
      case 'validate':
        return await (await import('./cli-inventory.js')).validate(rest, parse)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE)
        return command === undefined ? 2 : 0
      default:
        throw new UsageError(`unknown command '${command}' (try 'xo-mock help')`)
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.error(`xo-mock: ${message.split('\n')[0]}`)
    return error instanceof UsageError ? 2 : 1
  }
}

// `serve` without the signal handling, for tests
export { serve as startServer, UsageError }
