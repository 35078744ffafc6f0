import { describe, expect, it } from 'vitest'

import { compilePartial, matchesPartial } from '../../src/filter/index.js'

const vm = {
  type: 'VM',
  name_label: 'debian-web-01',
  power_state: 'Running',
  tags: ['prod', 'web'],
  CPUs: { number: 2, max: 4 },
  memory: { size: 2147483648, dynamic: [1073741824, 2147483648] },
  os_version: null,
  disks: [{ size: 10, SR: 'sr-1' }, { size: 20 }],
}

describe('matchesPartial (lodash isMatch)', () => {
  it('compares strings exactly and case-sensitively', () => {
    expect(matchesPartial({ type: 'VM' }, vm)).toBe(true)
    expect(matchesPartial({ type: 'vm' }, vm)).toBe(false)
    expect(matchesPartial({ type: 'VM' }, { ...vm, type: 'VM-template' })).toBe(false)
    expect(matchesPartial({ type: 'VM', power_state: 'Running' }, vm)).toBe(true)
  })

  it('compares nested objects partially', () => {
    expect(matchesPartial({ CPUs: { number: 2 } }, vm)).toBe(true)
    expect(matchesPartial({ CPUs: { number: '2' } }, vm)).toBe(false)
    expect(matchesPartial({ CPUs: {} }, vm)).toBe(true)
    expect(matchesPartial({ CPUs: [] }, vm)).toBe(false)
    expect(matchesPartial({ os_version: null }, vm)).toBe(true)
    expect(matchesPartial({ os_version: {} }, vm)).toBe(false)
    expect(matchesPartial({ missing: {} }, vm)).toBe(false)
  })

  it('matches arrays as unordered subsets', () => {
    expect(matchesPartial({ tags: [] }, vm)).toBe(true)
    expect(matchesPartial({ tags: [] }, { type: 'VM' })).toBe(false)
    expect(matchesPartial({ tags: ['web'] }, vm)).toBe(true)
    expect(matchesPartial({ tags: ['web', 'prod'] }, vm)).toBe(true)
    expect(matchesPartial({ tags: ['prod', 'prod'] }, vm)).toBe(false)
    expect(matchesPartial({ tags: ['pro'] }, vm)).toBe(false)
    expect(matchesPartial({ tags: ['prod', 'web', 'x'] }, vm)).toBe(false)
    expect(matchesPartial({ memory: { dynamic: [2147483648] } }, vm)).toBe(true)
    expect(matchesPartial({ disks: [{ size: 20 }, { SR: 'sr-1' }] }, vm)).toBe(true)
  })

  it('pairs array elements greedily, like lodash', () => {
    const value = { items: [{ a: 1, b: 2 }, { a: 1 }] }
    expect(matchesPartial({ items: [{ a: 1, b: 2 }, { a: 1 }] }, value)).toBe(true)
    // {a: 1} grabs the first element, leaving nothing for {a: 1, b: 2}
    expect(matchesPartial({ items: [{ a: 1 }, { a: 1, b: 2 }] }, value)).toBe(false)
  })

  it('handles NaN, nullish values and inherited keys like lodash', () => {
    expect(matchesPartial({ x: NaN }, { x: NaN })).toBe(true)
    expect(matchesPartial({}, null)).toBe(true)
    expect(matchesPartial({ a: 1 }, null)).toBe(false)
    expect(matchesPartial({ length: 3 }, 'abc')).toBe(true)
    expect(matchesPartial({ x: undefined }, {})).toBe(false)
    expect(matchesPartial({ x: undefined }, { x: undefined })).toBe(true)
    expect(matchesPartial({ constructor: {} }, {})).toBe(false) // Object function is not an object-tagged value
  })

  it('compilePartial can be reused', () => {
    const predicate = compilePartial({ tags: ['prod'] })
    expect([vm, { ...vm, tags: [] }, { tags: ['prod'] }].filter(predicate)).toHaveLength(2)
  })
})
