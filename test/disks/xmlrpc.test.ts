import { describe, expect, it } from 'vitest'

import { DiskFormatError } from '../../src/disks/index.js'
import { parseXmlRpc, toXmlRpc, type XmlRpcValue } from '../../src/disks/xmlrpc.js'

describe('XML-RPC (ova.xml)', () => {
  it('round-trips values, escaping what must be', () => {
    const value: XmlRpcValue = {
      s: `a & b < c > d "e" 'f'`,
      empty: '',
      spaces: '  x  ',
      n: 42,
      negative: -1,
      f: 1.5,
      t: true,
      no: false,
      d: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      nil: null,
      list: ['a', 1, [true]],
      nested: { 'weird key & <more>': {} },
    }
    const xml = toXmlRpc(value)
    expect(xml).toContain('<dateTime.iso8601>20260102T03:04:05Z</dateTime.iso8601>')
    expect(xml).toContain('<value>42</value>')
    const back = parseXmlRpc(xml) as Record<string, XmlRpcValue>
    expect(back).toEqual({ ...(value as object), n: '42', negative: '-1', list: ['a', '1', [true]] })
    const proto = parseXmlRpc('<value><struct><member><name>__proto__</name><value>x</value></member></struct></value>') as object
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype)
    expect(Object.keys(proto)).toEqual(['__proto__'])
  })

  it('reads XAPI-style typed values, whitespace, prologue, comments, CDATA, self-closing tags', () => {
    const xml = `<?xml version="1.0"?>
      <!-- exported -->
      <value>
        <struct>
          <member><name>a</name><value><string>x&#65;&#x42;</string></value></member>
          <member> <name>b</name> <value><int>7</int></value> </member>
          <member><name>c</name><value><i8>8589934592</i8></value></member>
          <member><name>d</name><value><double>0.5</double></value></member>
          <member><name>e</name><value><boolean>1</boolean></value></member>
          <member><name>f</name><value/></member>
          <member><name>g</name><value><string/></value></member>
          <member><name>h</name><value><array><data/></array></value></member>
          <member><name>i</name><value><nil/></value></member>
          <member><name>j</name><value><![CDATA[<raw>]]></value></member>
          <member><name>k</name><value><dateTime.iso8601>1970-01-01T00:00:00Z</dateTime.iso8601></value></member>
        </struct>
      </value>
    `
    expect(parseXmlRpc(xml)).toEqual({ a: 'xAB', b: 7, c: 8589934592, d: 0.5, e: true, f: '', g: '', h: [], i: null, j: '<raw>', k: new Date(0) })
  })

  it('reports malformed documents with a position', () => {
    for (const bad of ['<value><struct><member><name>a</name></member></struct></value>', '<value>a &bogus; b</value>', '<value><int>x</int></value>', '<value>1</value><value>2</value>', '<struct/>']) {
      expect(() => parseXmlRpc(bad)).toThrow(DiskFormatError)
      expect(() => parseXmlRpc(bad)).toThrow(/invalid ova.xml at character \d+/)
    }
  })
})
