import { describe, expect, it } from 'vitest'
import { createXoMock, ManualClock } from '../src/index.js'

// relative fixture times ("-2h") are taken from the clock at load: same seed + same start = same inventory
const START = Date.UTC(2026, 10, 27)

describe('createXoMock', () => {
  it('runs several independent servers in one process', async () => {
    const a = await createXoMock({ inventory: 'default', seed: 1, clock: new ManualClock(START) })
    const b = await createXoMock({ inventory: 'default', seed: 1, clock: new ManualClock(START) })
    try {
      expect(a.url).not.toBe(b.url)
      // same seed: same inventory
      expect([...a.inventory.all()].filter((o) => o.type === 'VM')).toEqual([...b.inventory.all()].filter((o) => o.type === 'VM'))
      const vm = a.inventory.ofType('VM').next().value!
      a.inventory.update(vm.id, { name_label: 'changed in a' })
      expect(a.inventory.get(vm.id)!.name_label).toBe('changed in a')
      expect(b.inventory.get(vm.id)!.name_label).not.toBe('changed in a')

      const fromA = await fetch(`${a.url}/rest/v0/vms/${vm.id}`, { headers: { cookie: `authenticationToken=${a.token}` } })
      const fromB = await fetch(`${b.url}/rest/v0/vms/${vm.id}`, { headers: { cookie: `authenticationToken=${b.token}` } })
      expect(((await fromA.json()) as { name_label: string }).name_label).toBe('changed in a')
      expect(((await fromB.json()) as { name_label: string }).name_label).not.toBe('changed in a')
      // tokens and users are per instance
      a.inventory.remove(a.token)
      const revoked = await fetch(`${a.url}/rest/v0/vms`, { headers: { cookie: `authenticationToken=${a.token}` } })
      expect(revoked.status).toBe(401)
      const stillValid = await fetch(`${b.url}/rest/v0/vms`, { headers: { cookie: `authenticationToken=${b.token}` } })
      expect(stillValid.status).toBe(200)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('derives a different inventory from a different seed', async () => {
    const a = await createXoMock({ inventory: 'minimal', seed: 1 })
    const b = await createXoMock({ inventory: 'minimal', seed: 2 })
    try {
      const idsA = [...a.inventory.ofType('VM')].map((vm) => vm.id)
      const idsB = [...b.inventory.ofType('VM')].map((vm) => vm.id)
      expect(idsA).toHaveLength(idsB.length)
      expect(idsA).not.toEqual(idsB)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})
