/**
 * The XML-RPC value encoding used by XVA's ova.xml (formats.md §2.3): a writer, and a small parser
 * for a single `<value>` (no dependency; ova.xml is machine-written and small).
 */
import { DiskFormatError } from './errors.js'

export type XmlRpcValue = string | number | boolean | Date | null | XmlRpcValue[] | XmlRpcStruct
export interface XmlRpcStruct {
  [key: string]: XmlRpcValue
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, c => ESCAPES[c])
}

/** `19700101T00:00:00Z`, XAPI's dateTime.iso8601 form. */
export function formatXmlRpcDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/-/g, '')
}

/**
 * Serializes a value. Strings and integers are untyped (`<value>text</value>`, as XAPI and XO write
 * them, XAPI's 64-bit integers being strings), non-integers `<double>`, booleans `<boolean>0|1`,
 * dates `<dateTime.iso8601>`, null `<nil/>`.
 */
export function toXmlRpc(value: XmlRpcValue): string {
  const parts: string[] = []
  write(value, parts)
  return parts.join('')
}

function write(value: XmlRpcValue, out: string[]): void {
  if (value === null) {
    out.push('<value><nil/></value>')
  } else if (typeof value === 'string') {
    out.push('<value>', escapeXml(value), '</value>')
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot encode ${value} in XML-RPC`)
    out.push(Number.isInteger(value) ? `<value>${value}</value>` : `<value><double>${value}</double></value>`)
  } else if (typeof value === 'boolean') {
    out.push(`<value><boolean>${value ? 1 : 0}</boolean></value>`)
  } else if (value instanceof Date) {
    out.push(`<value><dateTime.iso8601>${formatXmlRpcDate(value)}</dateTime.iso8601></value>`)
  } else if (Array.isArray(value)) {
    out.push('<value><array><data>')
    for (const item of value) write(item, out)
    out.push('</data></array></value>')
  } else {
    out.push('<value><struct>')
    for (const [key, item] of Object.entries(value)) {
      out.push('<member><name>', escapeXml(key), '</name>')
      write(item, out)
      out.push('</member>')
    }
    out.push('</struct></value>')
  }
}

/** Parses a document holding one XML-RPC `<value>` (an XML prologue and comments are allowed). */
export function parseXmlRpc(xml: string): XmlRpcValue {
  const parser = new Parser(xml)
  parser.skipMisc()
  const value = parser.value()
  parser.skipMisc()
  if (!parser.atEnd()) parser.fail('unexpected content after the top-level <value>')
  return value
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decodeText(text: string, fail: (message: string) => never): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|&/g, (match, entity: string | undefined) => {
    if (entity === undefined) fail('unescaped "&"')
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16))
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10))
    const decoded = ENTITIES[entity]
    if (decoded === undefined) fail(`unknown entity ${match}`)
    return decoded
  })
}

/** Parses XAPI's `19700101T00:00:00Z` (also with dashes, fractional seconds or without zone). */
function parseDate(text: string, fail: (message: string) => never): Date {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim())
  if (m === null) fail(`invalid dateTime.iso8601 ${JSON.stringify(text)}`)
  const zone = m[8] === undefined || m[8] === 'Z' ? 'Z' : m[8].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${zone}`)
}

class Parser {
  readonly #xml: string
  #pos = 0

  constructor(xml: string) {
    this.#xml = xml
  }

  fail(message: string): never {
    throw new DiskFormatError('BAD_XML', `invalid ova.xml at character ${this.#pos}: ${message}`)
  }

  atEnd(): boolean {
    return this.#pos >= this.#xml.length
  }

  #skipSpace(): void {
    const xml = this.#xml
    while (this.#pos < xml.length && /\s/.test(xml[this.#pos])) this.#pos++
  }

  /** Whitespace, comments, processing instructions, doctype. */
  skipMisc(): void {
    for (;;) {
      this.#skipSpace()
      if (this.#xml.startsWith('<?', this.#pos)) this.#skipPast('?>')
      else if (this.#xml.startsWith('<!--', this.#pos)) this.#skipPast('-->')
      else if (this.#xml.startsWith('<!DOCTYPE', this.#pos)) this.#skipPast('>')
      else return
    }
  }

  #skipPast(end: string): void {
    const at = this.#xml.indexOf(end, this.#pos)
    if (at === -1) this.fail(`missing ${JSON.stringify(end)}`)
    this.#pos = at + end.length
  }

  /** Reads `<name>` or `<name/>` (after optional space); returns true when self-closing. */
  #open(name: string): boolean {
    this.skipMisc()
    const xml = this.#xml
    if (!xml.startsWith('<' + name, this.#pos)) this.fail(`expected <${name}>`)
    let at = this.#pos + 1 + name.length
    while (at < xml.length && /\s/.test(xml[at])) at++
    if (xml.startsWith('/>', at)) {
      this.#pos = at + 2
      return true
    }
    if (xml[at] !== '>') this.fail(`expected <${name}>`)
    this.#pos = at + 1
    return false
  }

  #close(name: string): void {
    this.skipMisc()
    const tag = `</${name}`
    if (!this.#xml.startsWith(tag, this.#pos)) this.fail(`expected </${name}>`)
    let at = this.#pos + tag.length
    while (at < this.#xml.length && /\s/.test(this.#xml[at])) at++
    if (this.#xml[at] !== '>') this.fail(`expected </${name}>`)
    this.#pos = at + 1
  }

  /** Text up to the next `<`, entity-decoded (CDATA sections are supported). */
  #text(): string {
    let result = ''
    for (;;) {
      const lt = this.#xml.indexOf('<', this.#pos)
      if (lt === -1) this.fail('unterminated text')
      result += decodeText(this.#xml.slice(this.#pos, lt), message => this.fail(message))
      this.#pos = lt
      if (!this.#xml.startsWith('<![CDATA[', lt)) return result
      const end = this.#xml.indexOf(']]>', lt)
      if (end === -1) this.fail('unterminated CDATA')
      result += this.#xml.slice(lt + 9, end)
      this.#pos = end + 3
    }
  }

  #peekTag(): string | undefined {
    const m = /^<([A-Za-z0-9_.:-]+)/.exec(this.#xml.slice(this.#pos, this.#pos + 64))
    return m === null ? undefined : m[1]
  }

  #scalar(tag: string): string {
    if (this.#open(tag)) return ''
    const text = this.#text()
    this.#close(tag)
    return text
  }

  value(): XmlRpcValue {
    if (this.#open('value')) return ''
    const start = this.#pos
    this.#skipSpace()
    const tag = this.#xml.startsWith('</', this.#pos) ? undefined : this.#peekTag()
    if (tag === undefined) {
      // Untyped value: a string, whitespace included.
      this.#pos = start
      const text = this.#text()
      this.#close('value')
      return text
    }
    let result: XmlRpcValue
    switch (tag) {
      case 'string':
        result = this.#scalar(tag)
        break
      case 'int':
      case 'i4':
      case 'i8':
      case 'double': {
        const text = this.#scalar(tag).trim()
        result = Number(text)
        if (text === '' || Number.isNaN(result)) this.fail(`invalid <${tag}> ${JSON.stringify(text)}`)
        break
      }
      case 'boolean': {
        const text = this.#scalar(tag).trim()
        if (text !== '0' && text !== '1') this.fail(`invalid <boolean> ${JSON.stringify(text)}`)
        result = text === '1'
        break
      }
      case 'dateTime.iso8601':
        result = parseDate(this.#scalar(tag), message => this.fail(message))
        break
      case 'base64':
        result = this.#scalar(tag).trim()
        break
      case 'nil':
        this.#scalar(tag)
        result = null
        break
      case 'struct':
        result = this.#struct()
        break
      case 'array':
        result = this.#array()
        break
      default:
        this.fail(`unknown XML-RPC type <${tag}>`)
    }
    this.#close('value')
    return result
  }

  #struct(): XmlRpcStruct {
    const result: XmlRpcStruct = {}
    if (this.#open('struct')) return result
    for (;;) {
      this.skipMisc()
      if (this.#xml.startsWith('</struct', this.#pos)) break
      this.#open('member')
      const name = this.#scalar('name')
      // defineProperty: a member called "__proto__" must stay a plain key.
      Object.defineProperty(result, name, { value: this.value(), enumerable: true, writable: true, configurable: true })
      this.#close('member')
    }
    this.#close('struct')
    return result
  }

  #array(): XmlRpcValue[] {
    const result: XmlRpcValue[] = []
    if (this.#open('array')) return result
    if (!this.#open('data')) {
      for (;;) {
        this.skipMisc()
        if (this.#xml.startsWith('</data', this.#pos)) break
        result.push(this.value())
      }
      this.#close('data')
    }
    this.#close('array')
    return result
  }
}
