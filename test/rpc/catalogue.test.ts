import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import { CATALOGUE, METHOD_NAMES } from '../../src/rpc/catalogue/index.js'
import { ValidatorCache } from '../../src/rpc/catalogue/schema.js'
import { rpcCoverage, rpcCoverageMarkdown } from '../../src/rpc/index.js'
import { allMethods, transportMethods } from '../../src/rpc/methods/index.js'
import { RawClient, signedInClient, startMock, wsUrl } from './helpers.js'

describe('catalogue', () => {
  it('holds the 345 declarations of methods.json (143 admin, 193 signed-in, 9 public)', () => {
    const raw = JSON.parse(readFileSync(new URL('../../src/rpc/catalogue/methods.json', import.meta.url), 'utf8')) as { name: string }[]
    expect(METHOD_NAMES).toHaveLength(345)
    expect(new Set(raw.map((entry) => entry.name))).toEqual(new Set(METHOD_NAMES))
    const count = (permission: unknown) => [...CATALOGUE.values()].filter((entry) => entry.permission === permission).length
    expect([count('admin'), count('signed-in'), count(null)]).toEqual([143, 193, 9])
    expect(Object.isFrozen(CATALOGUE.get('vm.start')!.params)).toBe(true)
  })

  it('compiles the params of every method with ajv (XO rules) without error', () => {
    const cache = new ValidatorCache()
    let compiled = 0
    for (const declaration of CATALOGUE.values()) if (cache.get(declaration) !== null) compiled++
    expect(compiled).toBe(345 - 49)
  })

  it('every handler is a catalogue method', () => {
    expect(Object.keys(allMethods).filter((name) => !CATALOGUE.has(name))).toEqual([])
  })

  it('reports coverage as data and Markdown', () => {
    const coverage = rpcCoverage()
    expect(coverage).toHaveLength(345)
    expect(coverage.find((entry) => entry.method === 'session.signIn')).toEqual({ method: 'session.signIn', implemented: true })
    expect(coverage.find((entry) => entry.method === 'xo.exportConfig')).toEqual({ method: 'xo.exportConfig', implemented: false })
    for (const name of Object.keys(transportMethods)) expect(coverage.find((entry) => entry.method === name)?.implemented, name).toBe(true)
    // aliases follow their target
    const aliased = rpcCoverage({ 'host.restartAgent': () => true })
    expect(aliased.find((entry) => entry.method === 'host.restart_agent')?.implemented).toBe(true)
    const markdown = rpcCoverageMarkdown()
    expect(markdown).toMatch(/^JSON-RPC methods implemented: \*\*\d+ of 345\*\*/)
    expect(markdown).toContain('| `session` | 5/5 |')
  })
})

describe('introspection', () => {
  let mock: XoMock
  beforeAll(async () => {
    mock = await startMock()
  })
  afterAll(async () => {
    await mock.close()
  })

  it('system.listMethods: every name, sorted by namespace then name, aliases included', async () => {
    const client = await RawClient.open(wsUrl(mock))
    const names = await client.call('system.listMethods')
    expect(names).toHaveLength(345)
    expect(names).toEqual([...names].sort())
    expect(names).toContain('host.restart_agent')
    expect(names).toContain('hub.recipe.createKubernetesCluster')
    client.close()
  })

  it('system.getMethodsInfo: params as declared ({} when none), description/permission absent when undeclared', async () => {
    const client = await RawClient.open(wsUrl(mock))
    const info = await client.call('system.getMethodsInfo')
    expect(info['session.signIn']).toEqual({ description: 'sign in', params: {}, permission: null })
    expect(info['token.delete'].permission).toBe('admin')
    expect(info['vm.start']).toEqual({
      params: { bypassMacAddressesCheck: { type: 'boolean', optional: true }, force: { type: 'boolean', optional: true }, host: { type: 'string', optional: true }, id: { type: 'string' } },
    })
    expect(info['host.restart_agent']).toEqual(info['host.restartAgent'])
    client.close()
  })

  it('system.methodSignature: a one-element array; unknown method → code 1 with data {}', async () => {
    const client = await RawClient.open(wsUrl(mock))
    expect(await client.call('system.methodSignature', { method: 'token.create' })).toEqual([
      { name: 'token.create', description: 'create a new authentication token', params: CATALOGUE.get('token.create')!.params },
    ])
    const { raw } = await client.request('system.methodSignature', { method: 'no.such' }, 'sig')
    expect(raw).toBe('{"error":{"message":"no such object undefined","code":1,"data":{}},"id":"sig","jsonrpc":"2.0"}')
    client.close()
  })

  it('versions and time zone', async () => {
    const client = await RawClient.open(wsUrl(mock))
    expect(await client.call('system.getServerVersion')).toBe('5.207.2')
    expect(await client.call('system.getVersion')).toBe('0.1')
    expect((await client.request('system.getServerTimezone')).json.error.code).toBe(2)
    client.close()
    const admin = await signedInClient(mock)
    expect(typeof (await admin.call('system.getServerTimezone'))).toBe('string')
    admin.close()
  })
})
