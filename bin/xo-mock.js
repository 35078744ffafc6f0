#!/usr/bin/env node
// Entry point of the `xo-mock` command: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli.js', import.meta.url)
if (!existsSync(cli)) {
  console.error('xo-mock: dist/cli.js is missing; run `npm run build` (npm ci does it) first')
  process.exit(1)
}
const { main } = await import(cli.href)
process.exitCode = await main(process.argv.slice(2))
