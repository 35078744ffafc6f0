/**
 * Which catalogue methods the mock implements, for the README's generated coverage table.
 * An alias counts as implemented when its target is.
 */
import { METHOD_DECLARATIONS, namespaceOf } from './catalogue/index.js'
import { allMethods } from './methods/index.js'
import type { MethodTable } from './types.js'

export interface RpcCoverageEntry {
  readonly method: string
  readonly implemented: boolean
}

/** One entry per catalogue method, sorted by name. */
export function rpcCoverage(handlers: MethodTable = allMethods): RpcCoverageEntry[] {
  return METHOD_DECLARATIONS.map((declaration) => ({
    method: declaration.name,
    implemented:
      Object.hasOwn(handlers, declaration.name) || (declaration.aliasOf !== undefined && Object.hasOwn(handlers, declaration.aliasOf)),
  }))
}

const code = (name: string) => '`' + name + '`'

/**
 * A Markdown summary and table (one row per namespace: counts, implemented and missing methods).
 * Methods that are not implemented answer JSON-RPC error code 0 `not implemented`.
 */
export function rpcCoverageMarkdown(handlers: MethodTable = allMethods): string {
  const entries = rpcCoverage(handlers)
  const byNamespace = new Map<string, RpcCoverageEntry[]>()
  for (const entry of entries) {
    const namespace = namespaceOf(entry.method)
    let list = byNamespace.get(namespace)
    if (list === undefined) byNamespace.set(namespace, (list = []))
    list.push(entry)
  }
  const implemented = entries.filter((entry) => entry.implemented).length
  const lines = [
    `JSON-RPC methods implemented: **${implemented} of ${entries.length}** (the other methods are declared with their real`,
    'parameters and permissions, and answer error code 0 `not implemented`).',
    '',
    '| namespace | implemented | methods implemented | methods not implemented |',
    '| --- | --- | --- | --- |',
  ]
  for (const [namespace, list] of byNamespace) {
    const done = list.filter((entry) => entry.implemented).map((entry) => code(entry.method))
    const missing = list.filter((entry) => !entry.implemented).map((entry) => code(entry.method))
    lines.push(`| ${code(namespace)} | ${done.length}/${list.length} | ${done.join(', ') || '–'} | ${missing.join(', ') || '–'} |`)
  }
  return lines.join('\n') + '\n'
}
