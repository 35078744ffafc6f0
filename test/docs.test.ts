import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { coverageReport } from '../src/coverage-report.js'

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')

describe('documentation', () => {
  it('docs/COVERAGE.md and the README summary match the code (run `npm run coverage` to update)', async () => {
    const { document, summary } = await coverageReport()
    expect(read('docs/COVERAGE.md')).toBe(document)
    expect(read('README.md')).toContain(`<!-- coverage:start -->\n${summary}<!-- coverage:end -->`)
  })

  it('README shows the example test file as it runs in CI (test/control/example.test.ts)', () => {
    const example = read('test/control/example.test.ts').replace("from '../../src/index.js'", "from 'xo-mock'")
    expect(read('README.md')).toContain('<!-- example:start -->\n```ts\n' + example + '```\n<!-- example:end -->')
  })

  it('README gives the two set-up commands and .ci/run runs the same test command', () => {
    const readme = read('README.md')
    expect(readme).toContain('npm ci && npm start')
    expect(readme).toContain('npm test')
    expect(read('.ci/run')).toMatch(/\nnpm test\b/)
  })
})
