import { describe, expect, it } from 'vitest'

import { type FilterNode, compileFilter, matchFilter, parseFilter } from '../../src/filter/index.js'

// A VM as xo-server's xapi-object-to-xo produces it (trimmed).
const vm = Object.freeze({
  id: '0b7f1c9e-1111-4a4a-9c9c-000000000001',
  type: 'VM',
  $pool: 'cccc0000-0000-4000-8000-000000000001',
  name_label: 'debian-web-01',
  name_description: 'Debian 12 web server (nginx)',
  power_state: 'Running',
  tags: ['prod', 'web', 'team:ops'],
  CPUs: { number: 2, max: 4 },
  memory: { size: 2147483648, dynamic: [1073741824, 2147483648] },
  other: { 'xo:backup:job': 'a1b2', base_template_name: 'Debian Bookworm 12' },
  addresses: { '0/ipv4/0': '10.0.0.5', '0/ipv6/0': 'fe80::1' },
  mainIpAddress: '10.0.0.5',
  auto_poweron: true,
  high_availability: '',
  VIFs: [],
  os_version: { distro: 'debian', major: '12' },
  startTime: 1747053793,
  current_operations: {},
  notes: 'multi\nline',
})

const halted = {
  ...vm,
  name_label: 'Serveur-Été',
  power_state: 'Halted',
  tags: [],
  CPUs: { number: 1, max: 1 },
  auto_poweron: false,
  startTime: null,
  os_version: null,
}

const matches = (filter: string, value: unknown = vm): boolean => compileFilter(filter)(value)

describe('matchFilter', () => {
  it('empty filter matches everything', () => {
    expect(matches('')).toBe(true)
    expect(matches('   ', null)).toBe(true)
    expect(matchFilter({ type: 'null' }, undefined)).toBe(true)
  })

  it('case-insensitive substring on strings', () => {
    expect(matches('power_state:running')).toBe(true)
    expect(matches('power_state:RUN')).toBe(true)
    expect(matches('power_state:halted')).toBe(false)
    expect(matches('name_description:"Debian 12"')).toBe(true)
    expect(matches('name_label:"debian 12"')).toBe(false)
  })

  it('ANDs terms: `name_label:foo bar` is a property term and a bare word', () => {
    expect(matches('name_label:debian nginx')).toBe(true)
    expect(matches('name_label:debian xyz')).toBe(false)
    expect(matches('name_label:nginx')).toBe(false)
  })

  it('searches arrays and objects recursively', () => {
    expect(matches('tags:pro')).toBe(true)
    expect(matches('tags:"team:ops"')).toBe(true)
    expect(matches('addresses:10.0.0')).toBe(true)
    expect(matches('os_version:DEBIAN')).toBe(true)
    expect(matches('bookworm')).toBe(true)
    expect(matches('fe80')).toBe(true)
    expect(matches('nowhere')).toBe(false)
    expect(matches('tags:prod', halted)).toBe(false)
  })

  it('OR, NOT and groups', () => {
    expect(matches('|(power_state:halted power_state:running)')).toBe(true)
    expect(matches('!power_state:running')).toBe(false)
    expect(matches('!power_state:running', halted)).toBe(true)
    expect(matches('!(power_state:running tags:prod)', halted)).toBe(true)
    expect(matches('type:VM |(CPUs:number:>4 memory:size:>=2147483648)')).toBe(true)
  })

  it('nested properties', () => {
    expect(matches('other:base_template_name:jessie')).toBe(false)
    expect(matches('other:base_template_name:bookworm')).toBe(true)
    expect(matches('other:"xo:backup:job"?')).toBe(true)
    expect(matches('CPUs:number:2')).toBe(true)
    expect(matches('missing:nested:foo')).toBe(false)
    expect(matches('os_version:distro:debian', halted)).toBe(false)
  })

  it('truthiness', () => {
    expect(matches('auto_poweron?')).toBe(true)
    expect(matches('auto_poweron?', halted)).toBe(false)
    expect(matches('!auto_poweron?', halted)).toBe(true)
    expect(matches('high_availability?')).toBe(false)
    expect(matches('VIFs?')).toBe(true) // [] is truthy
    expect(matches('x?', null)).toBe(false)
  })

  it('globs are unanchored and case-insensitive; `.` does not cross lines', () => {
    expect(matches('name_label:deb*web')).toBe(true)
    expect(matches('name_label:DEB*01')).toBe(true)
    expect(matches('name_label:web*deb')).toBe(false)
    expect(matches('name_label:eb*eb')).toBe(true)
    expect(matches('name_label:*')).toBe(true)
    expect(matches('notes:multi*line')).toBe(false)
    expect(matches('mainIpAddress:10.0.*.5')).toBe(true)
    expect(matches('mainIpAddress:10*0*0*5')).toBe(true)
  })

  it('numeric words equal numbers or are substrings of strings', () => {
    expect(matches('CPUs:2')).toBe(true) // CPUs.number === 2
    expect(matches('CPUs:3')).toBe(false)
    expect(matches('memory:1073741824')).toBe(true) // inside memory.dynamic
    expect(matches('os_version:major:12')).toBe(true) // substring of '12'
    expect(matches('os_version:major:1')).toBe(true)
    expect(matches('startTime:1747053793')).toBe(true)
    expect(matches('startTime:174705379')).toBe(false) // numbers are not substring-matched
    expect(matches('CPUs:number:"2"')).toBe(false) // quoted: strings only
    expect(matches('CPUs:number:2.0')).toBe(true)
    expect(matches('CPUs:number:0x2')).toBe(true)
  })

  it('regular expressions', () => {
    expect(matches('type:/^VM$/')).toBe(true)
    expect(matches('type:/^VM$/', { type: 'VM-template' })).toBe(false)
    expect(matches('name_label:/^DEBIAN/')).toBe(false)
    expect(matches('name_label:/^DEBIAN/i')).toBe(true)
    expect(matches('tags:/^web$/')).toBe(true)
    expect(matches('/fe80::/')).toBe(true)
  })

  it('comparisons (XO HEAD semantics: JavaScript relational operators)', () => {
    expect(matches('CPUs:number:>1')).toBe(true)
    expect(matches('CPUs:number:>2')).toBe(false)
    expect(matches('CPUs:number:>=2')).toBe(true)
    expect(matches('CPUs:number:<2')).toBe(false)
    expect(matches('CPUs:number:<=2')).toBe(true)
    expect(matches('memory:size:>1e9')).toBe(true)
    expect(matches('startTime:>1747053792')).toBe(true)
    expect(matches('tags:length:>0')).toBe(true)
    expect(matches('tags:length:0', halted)).toBe(true)
    expect(matches('VIFs:length:0')).toBe(true)
    expect(matches('name_label:length:13')).toBe(true)
    expect(matches('CPUs:>0')).toBe(false) // plain object → NaN
    expect(matches('missing:<1')).toBe(false) // undefined → NaN
    expect(matches('startTime:<1', halted)).toBe(true) // null → 0 (0.7.0: false)
    expect(matches('os_version:major:>=12')).toBe(true) // '12' → 12 (0.7.0: false)
    expect(matches('auto_poweron:>0')).toBe(true) // true → 1 (0.7.0: false)
    expect(matches('d:>1700000000', { d: new Date(1800000000) })).toBe(true)
  })

  it('non-ASCII text follows String#toLowerCase', () => {
    expect(matches('name_label:été', halted)).toBe(true)
    expect(matches('name_label:ÉTÉ', halted)).toBe(true)
    expect(matches('name_label:ete', halted)).toBe(false)
    expect(matches('kelvin', { n: '\u212Aelvin' })).toBe(true) // Kelvin sign lower-cases to ASCII k
    expect(matches('istanbul', { n: 'İstanbul' })).toBe(false) // İ lower-cases to i + U+0307
    expect(matches('İSTANBUL', { n: 'İstanbul' })).toBe(true)
    expect(matches('οδος', { n: 'ΟΔΟΣ' })).toBe(true) // final sigma
    expect(matches('οδοσ', { n: 'ΟΔΟΣ' })).toBe(false)
    expect(matches('abc', { n: 'xxABCé' })).toBe(true)
    expect(matches('abc', { n: 'ABé' })).toBe(false)
  })

  it('only arrays and plain objects are searched recursively (lodash semantics)', () => {
    class Box {
      constructor(readonly value: string) {}
    }
    expect(matches('foo', { box: new Box('foo') })).toBe(false)
    expect(matches('foo', { map: new Map([['a', 'foo']]) })).toBe(false)
    expect(matches('foo', { nested: Object.assign(Object.create(null), { a: 'foo' }) })).toBe(true)
    // plain objects with a numeric `length` are iterated as array-likes
    expect(matches('bar', { o: { length: 1, 0: 'foo', x: 'bar' } })).toBe(false)
    expect(matches('foo', { o: { length: 1, 0: 'foo', x: 'bar' } })).toBe(true)
    expect(matches('bar', { o: { length: '1', 0: 'foo', x: 'bar' } })).toBe(true)
  })

  it('property access works on primitives and inherited members, like XO', () => {
    expect(matches('name_label:0:d')).toBe(true)
    expect(matches('constructor?')).toBe(true)
    expect(matches('x:foo', 'str')).toBe(false)
    expect(matches('foo', null)).toBe(false)
  })

  it('matchFilter caches compilation per node and accepts hand-built ASTs', () => {
    const node: FilterNode = {
      type: 'and',
      children: [
        { type: 'property', name: 'type', child: { type: 'regexp', pattern: '^vm$', flags: 'i' } },
        { type: 'not', child: { type: 'truthyProperty', name: 'auto_poweron' } },
      ],
    }
    expect(matchFilter(node, vm)).toBe(false)
    expect(matchFilter(node, halted)).toBe(true)
    expect(matchFilter(parseFilter('tags:web'), vm)).toBe(true)
  })

  it('filters a large collection quickly', () => {
    const objects = Array.from({ length: 100_000 }, (_, i) => ({
      ...vm,
      name_label: `vm-${i}`,
      CPUs: { number: i % 8, max: 8 },
      tags: i % 10 === 0 ? ['prod'] : ['dev'],
    }))
    const predicate = compileFilter('type:VM tags:prod CPUs:number:>=2 !name_label:/7$/ web')
    const start = performance.now()
    const count = objects.filter(predicate).length
    const elapsed = performance.now() - start
    expect(count).toBe(
      objects.filter(o => o.tags[0] === 'prod' && o.CPUs.number >= 2 && !o.name_label.endsWith('7')).length,
    )
    expect(elapsed).toBeLessThan(2000)
  })
})
