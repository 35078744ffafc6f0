import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import { RawClient, signedInClient, sleep, startMock, wsUrl } from './helpers.js'

let mock: XoMock

beforeAll(async () => {
  mock = await startMock()
})
afterAll(async () => {
  await mock.close()
})

describe('JSON-RPC transport', () => {
  it('echoes ids exactly as sent (negative, 0, strings, xo-lib start id)', async () => {
    const client = await RawClient.open(wsUrl(mock))
    for (const id of [-9007199254740991, -1, 0, 1, 'abc', '0', 2.5]) {
      const { raw, json } = await client.request('system.getVersion', undefined, id)
      expect(json.id).toBe(id)
      expect(raw).toBe(JSON.stringify({ id, jsonrpc: '2.0', result: '0.1' }))
    }
    client.close()
  })

  it('accepts absent params, array params and JSON-RPC 1.0 requests (answered in 2.0)', async () => {
    const client = await RawClient.open(wsUrl(mock))
    client.send({ id: 1, jsonrpc: '2.0', method: 'system.getServerVersion' })
    expect((await client.response(1)).json.result).toBe('5.207.2')
    client.send({ id: 2, method: 'system.getVersion', params: [] })
    expect((await client.response(2)).raw).toBe('{"id":2,"jsonrpc":"2.0","result":"0.1"}')
    // array params become {"0": …}: rejected by validation of a method declaring params
    client.send({ id: 3, jsonrpc: '2.0', method: 'system.methodSignature', params: ['vm.start'] })
    const { json } = await client.response(3)
    expect(json.error.code).toBe(10)
    client.close()
  })

  it('sends `true` for a handler returning nothing', async () => {
    const client = await signedInClient(mock)
    const { raw } = await client.request('session.signOut', undefined, 7)
    expect(raw).toBe('{"id":7,"jsonrpc":"2.0","result":true}')
    client.close()
  })

  it('answers unknown methods with -32601 and the name as data ({code, data, message})', async () => {
    const client = await RawClient.open(wsUrl(mock))
    const { raw } = await client.request('no.such.method', {}, 5)
    expect(raw).toBe('{"error":{"code":-32601,"data":"no.such.method","message":"method not found: no.such.method"},"id":5,"jsonrpc":"2.0"}')
    client.close()
  })

  it('serializes XO errors as {message, code, data}', async () => {
    const client = await RawClient.open(wsUrl(mock))
    const { raw } = await client.request('xo.getAllObjects', {}, 1)
    expect(raw).toBe('{"error":{"message":"not enough permissions","code":2,"data":{"object":{}}},"id":1,"jsonrpc":"2.0"}')
    const { raw: admin } = await client.request('token.delete', {}, 2)
    expect(admin).toBe('{"error":{"message":"not enough permissions","code":2,"data":{"permission":"admin","object":{}}},"id":2,"jsonrpc":"2.0"}')
    const { raw: credentials } = await client.request('session.signIn', { email: 'nobody@example.org', password: 'x' }, 3)
    expect(credentials).toBe('{"error":{"message":"invalid credentials","code":3},"id":3,"jsonrpc":"2.0"}')
    client.close()
  })

  it('answers malformed JSON with -32700 and keeps the socket open', async () => {
    const client = await RawClient.open(wsUrl(mock))
    client.send('{"id": 1, "jsonrpc": "2.0", "method": ')
    const error = await client.waitFor(() => client.messages.find((message) => message.json?.error?.code === -32700))
    expect(error.raw).toBe('{"error":{"code":-32700,"message":"invalid JSON"},"id":null,"jsonrpc":"2.0"}')
    expect((await client.request('system.getVersion')).json.result).toBe('0.1')
    client.close()
  })

  it('answers invalid requests with -32600 (with the id when it is valid) and keeps the socket open', async () => {
    const client = await RawClient.open(wsUrl(mock))
    client.send({ id: 11, jsonrpc: '1.0', method: 'system.getVersion' })
    expect((await client.response(11)).json.error).toEqual({ code: -32600, message: "invalid version: string instead of undefined or '2.0'" })
    client.send({ id: 12, jsonrpc: '2.0', method: 'system.getVersion', params: 'x' })
    expect((await client.response(12)).json.error.code).toBe(-32600)
    client.send({ id: 13, method: 'system.getVersion', params: {} }) // 1.0 with object params
    expect((await client.response(13)).json.error.code).toBe(-32600)
    client.send({ id: null, jsonrpc: '2.0', method: 'system.getVersion' })
    await client.waitFor(() => client.messages.find((message) => message.json?.id === null && message.json?.error?.code === -32600))
    client.send([{ id: 14, jsonrpc: '2.0', method: 'system.getVersion' }])
    await client.waitFor(() => client.messages.find((message) => message.json?.error?.message?.includes('batch')))
    expect(client.messages.some((message) => message.json?.id === 14)).toBe(false)
    expect((await client.request('system.getVersion')).json.result).toBe('0.1')
    client.close()
  })

  it('ignores client notifications and responses', async () => {
    const client = await RawClient.open(wsUrl(mock))
    client.send({ jsonrpc: '2.0', method: 'system.getVersion' })
    client.send({ jsonrpc: '2.0', id: 99, result: true })
    await sleep(100)
    expect(client.messages).toEqual([])
    client.close()
  })

  it('accepts binary frames', async () => {
    const client = await RawClient.open(wsUrl(mock))
    client.ws.send(Buffer.from('{"id":1,"jsonrpc":"2.0","method":"system.getVersion"}'), { binary: true })
    expect((await client.response(1)).json.result).toBe('0.1')
    client.close()
  })

  it('answers concurrent requests as each completes (out of order)', async () => {
    const client = await signedInClient(mock)
    client.send({ id: 'slow', jsonrpc: '2.0', method: 'test.wait', params: { duration: '300' } })
    client.send({ id: 'fast', jsonrpc: '2.0', method: 'system.getVersion' })
    await client.response('slow')
    const ids = client.messages.map((message) => message.json?.id).filter((id) => id === 'slow' || id === 'fast')
    expect(ids).toEqual(['fast', 'slow'])
    client.close()
  })

  it('upgrades on /api/ and /api, refuses other paths with a plain HTTP error', async () => {
    for (const path of ['/api/', '/api', '/api/?foo=bar']) {
      const client = await RawClient.open(wsUrl(mock, path))
      expect((await client.request('system.getVersion')).json.result).toBe('0.1')
      client.close()
    }
    for (const path of ['/', '/foo', '/api/abcdef', '/rest/v0/vms', '//api/']) {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(wsUrl(mock, path))
        ws.on('unexpected-response', (_request, response) => {
          resolve(response.statusCode ?? 0)
          ws.terminate()
        })
        ws.on('open', () => reject(new Error(`upgrade accepted on ${path}`)))
        ws.on('error', () => {})
      })
      // plain HTTP refusal: 404 from the mock, or what the REST scope answers there (401 without cookie)
      expect(status, path).toBe(path.startsWith('/rest/') ? 401 : 404)
    }
  })

  it('ignores cookies and origin: every connection starts anonymous', async () => {
    const ws = new WebSocket(wsUrl(mock), { headers: { cookie: `authenticationToken=${mock.token}; token=${mock.token}`, origin: 'http://evil.example' } })
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send('{"id":1,"jsonrpc":"2.0","method":"xo.getAllObjects"}')
    const data = await new Promise<string>((resolve) => ws.once('message', (message) => resolve(String(message))))
    expect(JSON.parse(data).error.code).toBe(2)
    ws.close()
  })
})
