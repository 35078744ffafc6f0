/**
 * Body formats of the REST API (reference §0 and §3):
 * - JSON: Express `res.json` with `json spaces` = 2 → `JSON.stringify(value, null, 2)`, no trailing
 *   newline, `application/json; charset=utf-8`;
 * - NDJSON: one compact `JSON.stringify(item)` per line, every line `\n`-terminated,
 *   `application/x-ndjson` (no charset) — streamed, see stream.ts;
 * - Markdown (`markdown=true`): XO's `makeMarkdownTable`, `text/markdown; charset=utf-8`.
 */
import type { FastifyReply } from 'fastify'

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson'
export const MARKDOWN_CONTENT_TYPE = 'text/markdown; charset=utf-8'

/** XO's JSON body text. `undefined` (never sent by XO as JSON) becomes an empty body. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? ''
}

export function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.header('content-type', JSON_CONTENT_TYPE).send(jsonText(value))
}

/** One NDJSON line (with its `\n`). */
export function ndjsonLine(value: unknown): string {
  return JSON.stringify(value) + '\n'
}

function escapeCell(value: unknown): string {
  if (value == null) return ''
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

/**
 * XO's `makeMarkdownTable` (`helpers/markdown.helper.mts`): `No results.` when empty; hrefs joined by
 * `\n` when the items are strings; else a GitHub table whose columns are the first item's keys minus
 * `href`, objects JSON-stringified, `|` escaped and newlines replaced by spaces.
 */
export function markdownTable(items: readonly unknown[]): string {
  if (items.length === 0) return 'No results.'
  if (typeof items[0] === 'string') return items.join('\n')
  const records = items as readonly Record<string, unknown>[]
  const headers = Object.keys(records[0]!).filter((key) => key !== 'href')
  const lines = ['| ' + headers.join(' | ') + ' |', '| ' + headers.map(() => '---').join(' | ') + ' |']
  for (const record of records) lines.push('| ' + headers.map((header) => escapeCell(record[header])).join(' | ') + ' |')
  return lines.join('\n')
}
