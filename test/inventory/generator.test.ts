import { describe, expect, it } from 'vitest'
import { DOCUMENT_SCHEMA } from '../../src/inventory/authoring.js'
import { generateInventory, GENERATOR_DEFAULTS, parseGeneratorSpec } from '../../src/inventory/generator.js'
import { deriveBackReferences, ObjectStore } from '../../src/inventory/store.js'
import { checkBackReferences, checkInvariants, validate } from '../../src/inventory/validate.js'
import { byType, errorOf, load } from './helpers.js'

describe('parseGeneratorSpec', () => {
  it('parses generated[:key=value,…] with short aliases', () => {
    expect(parseGeneratorSpec('generated')).toEqual({})
    expect(parseGeneratorSpec('generated:')).toEqual({})
    expect(parseGeneratorSpec('generated:vms=10000')).toEqual({ vms: 10000 })
    expect(parseGeneratorSpec('generated:vms=10, pools=2,hosts=4,srs=3,vdis=2,networks=3,seed=abc')).toEqual({
      vms: 10,
      pools: 2,
      hostsPerPool: 4,
      srsPerPool: 3,
      vdisPerVm: 2,
      networksPerPool: 3,
      seed: 'abc',
    })
    expect(parseGeneratorSpec('generated:hostsPerPool=1,vdisPerVm=0')).toEqual({ hostsPerPool: 1, vdisPerVm: 0 })
  })

  it.each([
    ['generated:foo=1', `generated:foo=1: foo: unknown parameter (expected ${Object.keys(GENERATOR_DEFAULTS).join(', ')})`],
    ['generated:vms', 'generated:vms: vms: expected key=value'],
    ['generated:vms=ten', "generated:vms=ten: vms: expected a non-negative integer, got 'ten'"],
    ['generated:pools=0', 'generated:pools=0: pools: expected an integer from 1 to 100, got 0'],
    ['generated:vms=3000000', 'generated:vms=3000000: vms: expected an integer from 0 to 2000000, got 3000000'],
    ['generatedvms=1', 'generatedvms=1: expected generated:key=value,key=value'],
  ])('%s → one-line error', (spec, message) => {
    expect(errorOf(() => parseGeneratorSpec(spec))).toBe(message)
  })
})

describe('generateInventory', () => {
  it('returns a valid authoring document, the same for the same options', () => {
    const doc = generateInventory({ vms: 40, pools: 2 })
    expect(() => validate(doc, DOCUMENT_SCHEMA, 'generated', '')).not.toThrow()
    expect(generateInventory({ vms: 40, pools: 2 })).toEqual(doc)
    expect(generateInventory({ vms: 40, pools: 2, seed: 'other' })).not.toEqual(doc)
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc)
  })

  it('rejects out-of-range options', () => {
    expect(errorOf(() => generateInventory({ hostsPerPool: 0 }))).toBe('generateInventory: hostsPerPool: expected an integer from 1 to 64, got 0')
  })

  it.each([
    [{ vms: 200 }],
    [{ vms: 120, pools: 3, hostsPerPool: 2, srsPerPool: 3, vdisPerVm: 2, networksPerPool: 4 }],
    [{ vms: 7, pools: 2, hostsPerPool: 1, srsPerPool: 1, vdisPerVm: 0, networksPerPool: 1 }],
    [{ vms: 0 }],
  ])('loaded through the same loader, %j obeys the invariants', (options) => {
    const o = { ...GENERATOR_DEFAULTS, ...options }
    const { objects, warnings } = load(generateInventory(options), 'gen')
    expect(warnings).toEqual([])
    expect(checkInvariants(objects, { strict: true })).toEqual([])
    expect(checkBackReferences(objects, deriveBackReferences)).toEqual([])
    const types = byType(objects)
    const count = (type: string) => types.get(type)?.length ?? 0
    expect(count('pool')).toBe(o.pools)
    expect(count('host')).toBe(o.pools * o.hostsPerPool)
    expect(count('VM-controller')).toBe(o.pools * o.hostsPerPool)
    expect(count('network')).toBe(o.pools * o.networksPerPool)
    expect(count('SR')).toBe(o.pools * (o.srsPerPool + 1)) // + an ISO SR per pool
    expect(count('VM')).toBe(o.vms)
    const snapshots = count('VM-snapshot')
    expect(count('VDI')).toBe(o.vms * o.vdisPerVm + o.pools * 2) // + 2 ISO files per pool
    expect(count('VDI-snapshot')).toBe(snapshots * o.vdisPerVm)
    expect(count('VIF')).toBe(o.vms + snapshots)
    if (o.vms >= 4 * o.pools) {
      const states = new Set(types.get('VM')!.map((vm) => vm.power_state))
      expect([...states].sort()).toEqual(['Halted', 'Paused', 'Running', 'Suspended'])
    }
    for (const host of types.get('host')!) expect((host.PIFs as string[]).length).toBe(o.networksPerPool)
    expect(count('user')).toBe(2)
    expect(count('server')).toBe(o.pools)
  })

  it('loads 10k VMs through the NAME, deterministically', () => {
    const start = performance.now()
    const { objects } = load('generated:vms=10000', 'big')
    const elapsed = performance.now() - start
    const types = byType(objects)
    expect(types.get('VM')).toHaveLength(10000)
    const store = new ObjectStore()
    store.replaceAll(objects)
    expect(store.count('VM')).toBe(10000)
    const vm = types.get('VM')![1234]!
    expect(store.get(vm.id)).toEqual(vm)
    // generous bound: a slow CI machine, the point is to catch quadratic behaviour
    expect(elapsed).toBeLessThan(30_000)
    expect(load('generated:vms=10000', 'big').objects[5000]).toEqual(objects[5000])
  }, 120_000)

  it('shares frozen default values between objects instead of copying them', () => {
    const vms = byType(load('generated:vms=20', 's').objects).get('VM')!
    expect(vms[0]!.bios_strings).toBe(vms[1]!.bios_strings)
    expect(Object.isFrozen(vms[0]!.bios_strings)).toBe(true)
    expect(vms[0]!.vulnerabilities).toBe(vms[1]!.vulnerabilities)
    expect(vms[0]!.current_operations).toBe(vms[1]!.current_operations)
  })
})
