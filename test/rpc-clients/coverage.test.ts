/**
 * Every implemented JSON-RPC method has a test case in this folder (`cases.ts`), and every case names a
 * test that exists, in a file that checks the table at run time (`trackMethodCases()`), and whose body
 * calls the method. A newly implemented method without a case fails here.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { rpcCoverage } from '../../src/rpc/index.js'
import { METHOD_CASES } from './cases.js'

const folder = fileURLToPath(new URL('.', import.meta.url))

/** Methods xo-lib sends through its own helpers (`xo.signIn()`, `xo.refreshUser()`). */
const XO_LIB_HELPERS: Readonly<Record<string, string>> = { 'session.signIn': '.signIn(', 'session.getUser': '.refreshUser(' }

/** Each `it('<title>', …)` of the folder's test files: its file and its body's source. */
function testsOfFolder(): Map<string, { file: string; body: string; tracked: boolean }> {
  const tests = new Map<string, { file: string; body: string; tracked: boolean }>()
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.test.ts') && name !== 'coverage.test.ts')) {
    const source = readFileSync(folder + file, 'utf8')
    const tracked = /^trackMethodCases\(\)$/m.test(source)
    const starts = [...source.matchAll(/^\s*it\(\s*'((?:[^'\\]|\\.)*)'/gm)]
    starts.forEach((match, index) => {
      const end = index + 1 < starts.length ? starts[index + 1]!.index : source.length
      const title = match[1]!.replace(/\\'/g, "'")
      expect(tests.has(title), `duplicate test title "${title}"`).toBe(false)
      tests.set(title, { file, body: source.slice(match.index, end), tracked })
    })
  }
  return tests
}

describe('method coverage of the xo-lib integration tests', () => {
  const implemented = rpcCoverage()
    .filter((entry) => entry.implemented)
    .map((entry) => entry.method)

  it('every implemented method has a case, and every case is an implemented method', () => {
    expect(implemented.length).toBeGreaterThan(0)
    const withoutCase = implemented.filter((method) => !Object.hasOwn(METHOD_CASES, method))
    expect(withoutCase, 'implemented methods without a test case in cases.ts').toEqual([])
    const stale = Object.keys(METHOD_CASES).filter((method) => !implemented.includes(method))
    expect(stale, 'cases.ts entries for methods that are not implemented').toEqual([])
  })

  it('every case names an existing, tracked test whose body calls the method', () => {
    const tests = testsOfFolder()
    const problems: string[] = []
    for (const [method, title] of Object.entries(METHOD_CASES)) {
      const test = tests.get(title)
      if (test === undefined) {
        problems.push(`${method}: no test titled "${title}"`)
        continue
      }
      if (!test.tracked) problems.push(`${method}: ${test.file} does not call trackMethodCases()`)
      // the method name as a string literal: call('vm.start', …), a [method, …] table entry…
      const named = test.body.includes(`'${method}'`) || (XO_LIB_HELPERS[method] !== undefined && test.body.includes(XO_LIB_HELPERS[method]))
      if (!named) problems.push(`${method}: "${title}" (${test.file}) never names '${method}'`)
    }
    expect(problems).toEqual([])
  })
})
