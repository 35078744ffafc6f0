/**
 * Patterns used by fault rules, scenario triggers and journal queries:
 * - method globs (`vm.start`, `vm.*`, `*`): `*` matches any run of characters;
 * - HTTP patterns (`GET /rest/v0/vms/:id`, `/rest/v0/vms/*`, `* /api/*`): an optional method (or `*`), then
 *   a path where `:name` matches one segment (or its part before a literal suffix, as in `:id.vhd`), `*`
 *   matches within one segment, and a last segment `*` (or any `**` segment) matches the rest of the path.
 *   Paths compare case-insensitively and a trailing slash is ignored, as XO's routes do.
 */
import { badRequest } from './errors.js'

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** A method-name glob, case-insensitive. */
export function compileGlob(glob: string): (value: string) => boolean {
  if (!glob.includes('*')) {
    const lower = glob.toLowerCase()
    return (value) => value.toLowerCase() === lower
  }
  const regex = new RegExp('^' + glob.split('*').map(escapeRegExp).join('.*') + '$', 'i')
  return (value) => regex.test(value)
}

export interface HttpPattern {
  readonly source: string
  /** Upper-case method, undefined for any. */
  readonly method: string | undefined
  readonly regex: RegExp
}

const METHOD_RE = /^([A-Za-z]+|\*)\s+(\S.*)$/

function segmentRegex(segment: string): string {
  let out = ''
  let index = 0
  while (index < segment.length) {
    const char = segment[index]!
    if (char === '*') {
      out += '[^/]*'
      index++
    } else if (char === ':' && /[A-Za-z_$]/.test(segment[index + 1] ?? '')) {
      let end = index + 1
      while (end < segment.length && /[\w$]/.test(segment[end]!)) end++
      out += '[^/]+?'
      index = end
    } else {
      out += escapeRegExp(char)
      index++
    }
  }
  return out
}

/** Compiles `[METHOD ]/path/pattern`; throws a 400 ControlError on a malformed pattern. */
export function compileHttpPattern(text: string, path = 'pattern'): HttpPattern {
  const trimmed = text.trim()
  let method: string | undefined
  let pathPattern = trimmed
  const withMethod = METHOD_RE.exec(trimmed)
  if (withMethod !== null) {
    method = withMethod[1] === '*' ? undefined : withMethod[1]!.toUpperCase()
    pathPattern = withMethod[2]!.trim()
  }
  if (!pathPattern.startsWith('/')) throw badRequest(`${path}: expected "[METHOD ]/path" (e.g. "GET /rest/v0/vms/:id"), got ${JSON.stringify(text)}`)
  const segments = pathPattern.replace(/\?.*$/, '').split('/').slice(1)
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop()
  let source = '^'
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1
    if (segment === '**' || (last && segment === '*')) source += '(?:/.*)?'
    else source += '/' + segmentRegex(segment)
  })
  source += '/?$'
  return { source: text, method, regex: new RegExp(source, 'i') }
}

export function matchHttp(pattern: HttpPattern, method: string, path: string): boolean {
  if (pattern.method !== undefined && pattern.method !== method.toUpperCase()) return false
  return pattern.regex.test(path)
}

/** The path of a request target, without its query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/** One pattern or a list of them (a fault may match several methods or routes). */
export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value]
}
