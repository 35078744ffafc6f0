// `xo-mock generate` and `xo-mock validate`: inventory commands of the CLI.
import type { parseArgs } from 'node:util'
import { IdGenerator } from './inventory/ids.js'
import { generateInventory, loadInventory, type GeneratorOptions } from './inventory/load.js'

type Parse = (args: string[], options: Record<string, { type: 'string' | 'boolean' }>) => ReturnType<typeof parseArgs>
type IntOption = (name: string, value: string | undefined, min: number, max: number) => number | undefined

/** Prints a generated authoring document (JSON) on stdout. */
export async function generate(args: string[], parse: Parse, intOption: IntOption): Promise<number> {
  const { values, positionals } = parse(args, {
    pools: { type: 'string' },
    hosts: { type: 'string' },
    vms: { type: 'string' },
    srs: { type: 'string' },
    vdis: { type: 'string' },
    networks: { type: 'string' },
    seed: { type: 'string' },
  })
  if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'`)
  const get = (name: string) => values[name] as string | undefined
  const options: GeneratorOptions = {
    pools: intOption('pools', get('pools'), 1, 100),
    hostsPerPool: intOption('hosts', get('hosts'), 1, 64),
    vms: intOption('vms', get('vms'), 0, 2_000_000),
    srsPerPool: intOption('srs', get('srs'), 1, 50),
    vdisPerVm: intOption('vdis', get('vdis'), 0, 16),
    networksPerPool: intOption('networks', get('networks'), 1, 50),
    seed: get('seed'),
  }
  for (const key of Object.keys(options) as (keyof GeneratorOptions)[]) if (options[key] === undefined) delete (options as Record<string, unknown>)[key]
  const document = generateInventory(options)
  await new Promise<void>((resolve, reject) => process.stdout.write(JSON.stringify(document, null, 2) + '\n', (error) => (error ? reject(error) : resolve())))
  return 0
}

/** Loads an inventory (path or NAME) and prints a one-line summary, then its warnings. */
export async function validate(args: string[], parse: Parse): Promise<number> {
  const { positionals } = parse(args, { seed: { type: 'string' } })
  if (positionals.length !== 1) throw new Error('validate expects one inventory path or NAME')
  const source = positionals[0]!
  const loaded = loadInventory(source, { ids: new IdGenerator('xo-mock'), now: Date.now() })
  const counts = new Map<string, number>()
  for (const object of loaded.objects) counts.set(object.type, (counts.get(object.type) ?? 0) + 1)
  const summary = [...counts].map(([type, n]) => `${n} ${type}`).join(', ')
  console.log(`${source}: valid (${loaded.objects.length} objects: ${summary}; ${loaded.warnings.length} warnings)`)
  for (const warning of loaded.warnings) console.log(`warning: ${warning}`)
  return 0
}
