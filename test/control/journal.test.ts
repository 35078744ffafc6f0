import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import { admin, api, RawClient, startMock, wsUrl } from './helpers.js'

let xo: XoMock
beforeAll(async () => {
  xo = await startMock({ inventory: 'minimal' })
})
afterAll(() => xo.close())

describe('journal', () => {
  it('records REST requests and JSON-RPC calls, not /_mock requests', async () => {
    xo.control.clearJournal()
    const vm = xo.inventory.ofType<{ id: string; type: string }>('VM').next().value!
    await fetch(`${xo.url}/rest/v0/vms/${vm.id}?fields=name_label`, { headers: admin(xo) })
    await fetch(`${xo.url}/rest/v0/vms/nope`, { headers: admin(xo) })
    await api(xo, 'GET', '/_mock/faults')
    const rpc = await RawClient.open(wsUrl(xo))
    await rpc.call('session.signIn', { email: xo.email, password: xo.password })
    await rpc.call('vm.start', { id: vm.id }).catch(() => undefined)
    rpc.close()

    const entries = (await api(xo, 'GET', '/_mock/journal')).body
    expect(entries).toEqual([
      expect.objectContaining({ transport: 'rest', method: 'GET', path: `/rest/v0/vms/${vm.id}`, query: 'fields=name_label', status: 200, user: xo.email }),
      expect.objectContaining({ transport: 'rest', method: 'GET', path: '/rest/v0/vms/nope', status: 404, error: 'no such VM nope' }),
      expect.objectContaining({ transport: 'ws', method: 'GET', path: '/api/', status: 101 }),
      expect.objectContaining({ transport: 'rpc', method: 'session.signIn', user: xo.email }),
      expect.objectContaining({ transport: 'rpc', method: 'vm.start', params: { id: vm.id }, code: expect.any(Number), error: expect.any(String) }),
    ])
    for (const entry of entries) {
      expect(entry.at).toBe(xo.control.clock().now)
      expect(entry.durationMs).toBe(0)
    }
    expect(entries.map((entry: { seq: number }) => entry.seq)).toEqual([...entries.map((entry: { seq: number }) => entry.seq)].sort((a, b) => a - b))
  })

  it('is queried by transport, method (glob), path (pattern), limit and since', async () => {
    xo.control.clearJournal()
    for (const path of ['/rest/v0/vms', '/rest/v0/hosts', '/rest/v0/vms', '/rest/v0/srs']) await fetch(xo.url + path, { headers: admin(xo) })
    await fetch(`${xo.url}/rest/v0/vms`, { method: 'DELETE', headers: admin(xo) })
    const rpc = await RawClient.open(wsUrl(xo))
    await rpc.call('session.signIn', { email: xo.email, password: xo.password })
    await rpc.call('system.getMethodsInfo').catch(() => undefined)
    rpc.close()

    const query = async (qs: string) => (await api(xo, 'GET', `/_mock/journal?${qs}`)).body as { method: string; path?: string; seq: number }[]
    expect((await query('transport=rpc')).map((entry) => entry.method)).toEqual(['session.signIn', 'system.getMethodsInfo'])
    expect((await query('transport=rpc&method=system.*')).map((entry) => entry.method)).toEqual(['system.getMethodsInfo'])
    expect((await query('transport=rest&method=delete')).map((entry) => entry.path)).toEqual(['/rest/v0/vms'])
    expect((await query('path=/rest/v0/vms')).map((entry) => entry.method)).toEqual(['GET', 'GET', 'DELETE'])
    expect((await query('path=/rest/v0/*&limit=2')).map((entry) => entry.path)).toEqual(['/rest/v0/srs', '/rest/v0/vms'])
    const all = await query('')
    expect((await query(`since=${all[4]!.seq}`)).map((entry) => entry.seq)).toEqual(all.slice(5).map((entry) => entry.seq))
    expect(xo.control.journal({ transport: 'rest', limit: 1 })).toEqual([expect.objectContaining({ method: 'DELETE' })])

    expect((await api(xo, 'GET', '/_mock/journal?transport=soap')).body).toEqual({ error: 'transport: expected one of rest, rpc, transfer, ws, got "soap"' })
    expect((await api(xo, 'GET', '/_mock/journal?limit=many')).status).toBe(400)
  })

  it('is cleared by DELETE', async () => {
    await fetch(`${xo.url}/rest/v0/vms`, { headers: admin(xo) })
    expect(xo.control.journal().length).toBeGreaterThan(0)
    expect((await api(xo, 'DELETE', '/_mock/journal')).status).toBe(204)
    expect((await api(xo, 'GET', '/_mock/journal')).body).toEqual([])
  })

  it('is a bounded ring: only the most recent entries are kept', async () => {
    const small = await startMock({ inventory: 'minimal', journalSize: 5 })
    try {
      for (let i = 0; i < 12; i++) await fetch(`${small.url}/rest/v0/ping?n=${i}`)
      const entries = small.control.journal()
      expect(entries).toHaveLength(5)
      expect(entries.map((entry) => entry.query)).toEqual(['n=7', 'n=8', 'n=9', 'n=10', 'n=11'])
      expect(entries.map((entry) => entry.seq)).toEqual([8, 9, 10, 11, 12])
    } finally {
      await small.close()
    }
    const none = await startMock({ inventory: 'minimal', journalSize: 0 })
    try {
      await fetch(`${none.url}/rest/v0/ping`)
      expect(none.control.journal()).toEqual([])
    } finally {
      await none.close()
    }
  })
})
