// `npm run coverage`: regenerates docs/COVERAGE.md and the README's coverage summary from the code.
import { readFileSync, writeFileSync } from 'node:fs'
import { coverageReport } from '../dist/coverage-report.js'

const START = '<!-- coverage:start -->'
const END = '<!-- coverage:end -->'
const { document, summary } = await coverageReport()
writeFileSync(new URL('../docs/COVERAGE.md', import.meta.url), document)
const readmeUrl = new URL('../README.md', import.meta.url)
const readme = readFileSync(readmeUrl, 'utf8')
const start = readme.indexOf(START)
const end = readme.indexOf(END)
if (start === -1 || end === -1) throw new Error(`README.md lacks the ${START} … ${END} markers`)
writeFileSync(readmeUrl, readme.slice(0, start + START.length) + '\n' + summary + readme.slice(end))
console.log(summary.trim())
