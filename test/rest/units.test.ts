import { describe, expect, it } from 'vitest'
import { cookieValue } from '../../src/rest/auth.js'
import { BodyCache, Lru } from '../../src/rest/cache.js'
import { toErrorReply, ValidationError } from '../../src/rest/errors.js'
import { compileProjection, stringToPath } from '../../src/rest/project.js'
import { parseCollectionQuery } from '../../src/rest/query.js'
import { markdownTable } from '../../src/rest/serialize.js'
import { XoApiError, PlainError, noSuchObject } from '../../src/domain/errors.js'
import { NoSuchObjectError } from '../../src/inventory/store.js'
import { compileFilter } from '../../src/filter/index.js'

describe('projection (lodash pick)', () => {
  const object = {
    name_label: 'vm',
    CPUs: { max: 4, number: 2 },
    tags: ['a', 'b'],
    'a.b': 'literal',
    other: { 'xo:backup': 'x' },
    nothing: null,
  }
  const pick = (fields: string | undefined) => compileProjection(fields)(object, '/h')

  it('returns the href without fields', () => {
    expect(pick(undefined)).toBe('/h')
  })

  it('copies everything with *', () => {
    expect(pick('*')).toEqual({ ...object, href: '/h' })
  })

  it('picks plain and nested keys, href last', () => {
    expect(pick('CPUs.number,name_label')).toEqual({ CPUs: { number: 2 }, name_label: 'vm', href: '/h' })
    expect(Object.keys(pick('CPUs.number,name_label') as object)).toEqual(['CPUs', 'name_label', 'href'])
    expect(pick('CPUs.max,CPUs.number')).toEqual({ CPUs: { max: 4, number: 2 }, href: '/h' })
    expect(pick('nothing')).toEqual({ nothing: null, href: '/h' })
  })

  it('builds arrays for index paths', () => {
    expect(pick('tags[1]')).toEqual({ tags: [undefined, 'b'], href: '/h' })
    expect(JSON.stringify(pick('tags.1'))).toBe('{"tags":[null,"b"],"href":"/h"}')
    expect(pick('tags.length')).toEqual({ tags: { length: 2 }, href: '/h' })
  })

  it('prefers a verbatim key to a path', () => {
    expect(pick('a.b')).toEqual({ 'a.b': 'literal', href: '/h' })
    expect(pick('other["xo:backup"]')).toEqual({ other: { 'xo:backup': 'x' }, href: '/h' })
  })

  it('drops missing paths and refuses prototype keys', () => {
    expect(pick('nope,CPUs.nope,name_label.x,__proto__,constructor')).toEqual({ href: '/h' })
    expect(pick('')).toEqual({ href: '/h' })
  })

  it('parses paths like lodash stringToPath', () => {
    expect(stringToPath('a[0].b')).toEqual(['a', '0', 'b'])
    expect(stringToPath('.a')).toEqual(['', 'a'])
    expect(stringToPath('a["b.c"]')).toEqual(['a', 'b.c'])
    expect(stringToPath("a['x\\'y']")).toEqual(['a', "x'y"])
  })
})

describe('query validation', () => {
  it('has defaults', () => {
    expect(parseCollectionQuery({})).toEqual({ fields: undefined, filter: undefined, limit: Infinity, ndjson: false, markdown: false })
  })

  it('parses booleans like tsoa plus the bare flag', () => {
    expect(parseCollectionQuery({ ndjson: 'TrUe', markdown: 'FALSE' })).toMatchObject({ ndjson: true, markdown: false })
    expect(parseCollectionQuery({ ndjson: '' })).toMatchObject({ ndjson: true })
    expect(() => parseCollectionQuery({ ndjson: ['true', 'true'] })).toThrow(ValidationError)
  })

  it('parses limit with validator.js isFloat', () => {
    expect(parseCollectionQuery({ limit: '-2.5' }).limit).toBe(-2.5)
    expect(parseCollectionQuery({ limit: '+3' }).limit).toBe(3)
    expect(parseCollectionQuery({ limit: '.5' }).limit).toBe(0.5)
    expect(parseCollectionQuery({ limit: '1E2' }).limit).toBe(100)
    for (const bad of ['', '.', '-', '+', '1,5', '0x10', 'NaN', ' 1']) {
      expect(() => parseCollectionQuery({ limit: bad }), bad).toThrow(ValidationError)
    }
  })
})

describe('markdown table', () => {
  it('follows XO makeMarkdownTable', () => {
    expect(markdownTable([])).toBe('No results.')
    expect(markdownTable(['/a', '/b'])).toBe('/a\n/b')
    expect(markdownTable([{ a: 1, b: null, href: '/x' }, { a: 'x|y\nz', c: 3, href: '/y' }])).toBe('| a | b |\n| --- | --- |\n| 1 |  |\n| x\\|y z |  |')
  })
})

describe('error mapping', () => {
  it('maps xo-common codes to statuses', () => {
    expect(toErrorReply(noSuchObject('x', 'VM'))).toEqual({ status: 404, body: { error: 'no such VM x', data: { id: 'x', type: 'VM' } } })
    expect(toErrorReply(new XoApiError(2, 'not enough permissions', { object: {} })).status).toBe(403)
    expect(toErrorReply(new XoApiError(10, 'bad', {})).status).toBe(422)
    expect(toErrorReply(new XoApiError(25, 'incorrect state', {})).status).toBe(409)
    expect(toErrorReply(new XoApiError(0, 'not implemented')).status).toBe(501)
    expect(toErrorReply(new XoApiError(13, 'VM state is halted but should be running', {})).status).toBe(500)
  })

  it('maps store, filter and plain errors', () => {
    expect(toErrorReply(new NoSuchObjectError('x', 'host'))).toEqual({ status: 404, body: { error: 'no such host x', data: { id: 'x', type: 'host' } } })
    expect(toErrorReply(new PlainError('empty password'))).toEqual({ status: 500, body: { error: 'empty password' } })
    let parseError: unknown
    try {
      compileFilter('a:')
    } catch (error) {
      parseError = error
    }
    expect(toErrorReply(parseError)).toEqual({ status: 400, body: { error: 'parse error: expected end of input at position 1', data: { stringToParse: 'a:' } } })
    const xapi = Object.assign(new Error('VM_BAD_POWER_STATE(OpaqueRef:x, halted, running)'), { info: 'This is a XenServer/XCP-ng error, not an XO error' })
    expect(toErrorReply(xapi)).toEqual({ status: 500, body: { error: xapi.message, info: xapi.info } })
  })
})

describe('cookie parsing', () => {
  it('reads the first occurrence, trims, unquotes and decodes', () => {
    expect(cookieValue('a=1; b=2', 'b')).toBe('2')
    expect(cookieValue('b=1; b=2', 'b')).toBe('1')
    expect(cookieValue(' b = "x%20y" ', 'b')).toBe('x y')
    expect(cookieValue('ab=1', 'b')).toBeUndefined()
    expect(cookieValue('b=%E0%A4%A', 'b')).toBe('%E0%A4%A')
    expect(cookieValue(undefined, 'b')).toBeUndefined()
  })
})

describe('caches', () => {
  it('evicts the least recently used entry', () => {
    const lru = new Lru<string, number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    expect(lru.get('a')).toBe(1)
    lru.set('c', 3)
    expect(lru.get('b')).toBeUndefined()
    expect(lru.get('a')).toBe(1)
    expect(lru.size).toBe(2)
  })

  it('drops stale bodies and bounds the total size', () => {
    const cache = new BodyCache({ maxEntries: 10, maxTotalLength: 10, maxBodyLength: 6 })
    cache.set('k', { version: 1, contentType: 't', body: Buffer.from('abc') })
    expect(cache.get('k', 1)?.body.toString()).toBe('abc')
    expect(cache.get('k', 2)).toBeUndefined()
    expect(cache.get('k', 1)).toBeUndefined()
    cache.set('big', { version: 1, contentType: 't', body: Buffer.from('1234567') })
    expect(cache.get('big', 1)).toBeUndefined()
    cache.set('a', { version: 1, contentType: 't', body: Buffer.from('123456') })
    cache.set('b', { version: 1, contentType: 't', body: Buffer.from('123456') })
    expect(cache.get('a', 1)).toBeUndefined()
    expect(cache.get('b', 1)?.body.toString()).toBe('123456')
    expect(BodyCache.key('u', '/x')).toBe('u\n/x')
  })
})
