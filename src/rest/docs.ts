/**
 * `GET /rest/v0/docs/swagger.json` and `GET /rest/v0/docs` (public, reference §11).
 *
 * swagger.json — choice: XO's own spec (npm `@xen-orchestra/rest-api` 0.39.0) is the starting point,
 * since every one of its operations is routed by the mock; each operation is marked with
 * `x-xo-mock-implemented` (from the live route table, coverage.ts), the ones answering 501 get a
 * `[xo-mock: 501]` summary prefix and a `501` response, the mock's extra hidden route (`GET
 * /backup/jobs/{id}` → 308) is added, and `info` says what the document describes and counts the
 * coverage (`x-xo-mock-coverage`). Pretty-printed like every XO JSON body; built once, on first use.
 *
 * docs — choice: swagger-ui-dist is not installed and a CDN must not be the only way, so `/docs` is a
 * self-contained, readable HTML listing of the operations (grouped by tag, with their status) that
 * works offline; `/docs?ui=swagger` serves a small page loading Swagger UI from unpkg.com for those
 * who have network access (clearly labelled as such).
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { XO_OPENAPI, isAnswered, summarizeCoverage, type CoverageEntry, type OpenApiOperation } from './coverage.js'
import type { RestKit } from './index.js'
import { JSON_CONTENT_TYPE, jsonText } from './serialize.js'

const publicRoute = { config: { xoPublic: true } } as const

const NOT_IMPLEMENTED_SCHEMA = {
  type: 'object',
  properties: { error: { type: 'string', enum: ['not implemented'] } },
  required: ['error'],
}

/** The OpenAPI document describing what this mock serves. */
export function buildMockSpec(entries: readonly CoverageEntry[]): Record<string, unknown> {
  const status = new Map(entries.map((entry) => [`${entry.method} ${entry.path}`, entry.implemented]))
  const summary = summarizeCoverage(entries)
  const paths: Record<string, Record<string, unknown>> = {}
  for (const [path, item] of Object.entries(XO_OPENAPI.paths)) {
    const out: Record<string, unknown> = {}
    for (const [key, operation] of Object.entries(item)) {
      const implemented = status.get(`${key.toUpperCase()} ${path}`) ?? true
      out[key] = implemented
        ? { ...operation, 'x-xo-mock-implemented': true }
        : {
            ...operation,
            summary: `[xo-mock: 501] ${operation.summary ?? operation.operationId ?? `${key.toUpperCase()} ${path}`}`,
            responses: {
              ...operation.responses,
              '501': {
                description: 'Not implemented by xo-mock',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/XoMockNotImplemented' }, example: { error: 'not implemented' } } },
              },
            },
            'x-xo-mock-implemented': false,
          }
    }
    paths[path] = out
  }
  paths['/backup/jobs/{id}'] = {
    get: {
      operationId: 'XoMockDeprecatedBackupJobRedirect',
      summary: 'Redirects to /backup/jobs/vm/{id} (hidden route of XO, not in its spec)',
      deprecated: true,
      tags: ['backup-jobs'],
      security: [{ '*': [] }],
      parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'string' } }],
      responses: { '308': { description: 'Permanent Redirect to /rest/v0/backup/jobs/vm/{id}' } },
      'x-xo-mock-implemented': true,
    },
  }
  const info = XO_OPENAPI.info
  return {
    ...XO_OPENAPI,
    info: {
      ...info,
      title: `xo-mock — ${String(info.title)} ${String(info.version)}`,
      description:
        `${String(info.description ?? '')}\n\nServed by xo-mock, a mock Xen Orchestra server. This is XO's own OpenAPI spec ` +
        `(@xen-orchestra/rest-api ${String(info.version)}) with every operation marked \`x-xo-mock-implemented\`: ` +
        `${summary.implemented} of ${summary.total} operations are implemented, the ${summary.notImplemented} others answer ` +
        `501 {"error": "not implemented"}.`,
      'x-xo-mock-coverage': summary,
    },
    paths,
    components: { ...XO_OPENAPI.components, schemas: { ...XO_OPENAPI.components.schemas, XoMockNotImplemented: NOT_IMPLEMENTED_SCHEMA } },
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'))
}

function firstLine(operation: OpenApiOperation): string {
  const text = operation.summary ?? operation.description ?? ''
  return text.split('\n').find((line) => line.trim() !== '') ?? ''
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td{padding:.2rem .5rem;vertical-align:top;border-bottom:1px solid #f0f0f0}
code{font-size:.9rem}.m{font-weight:bold;font-family:monospace;width:4.5rem}.GET{color:#0a7}.POST{color:#07c}
.PUT{color:#a60}.PATCH{color:#a3a}.DELETE{color:#c22}.ok{color:#0a7}.no{color:#c22}.dep{color:#888;text-decoration:line-through}
.note{background:#f6f6f6;padding:.6rem 1rem;border-left:4px solid #999}`

/** The self-contained HTML listing of `/docs`. */
export function docsHtml(entries: readonly CoverageEntry[], restBase: string): string {
  const summary = summarizeCoverage(entries)
  const status = new Map(entries.map((entry) => [`${entry.method} ${entry.path}`, entry.implemented]))
  const byTag = new Map<string, string[]>()
  for (const [path, item] of Object.entries(XO_OPENAPI.paths)) {
    for (const [key, operation] of Object.entries(item)) {
      const method = key.toUpperCase()
      const implemented = status.get(`${method} ${path}`) ?? true
      const tag = operation.tags?.[0] ?? 'other'
      const rows = byTag.get(tag) ?? []
      byTag.set(tag, rows)
      rows.push(
        `<tr><td class="m ${method}">${method}</td><td><code${operation.deprecated === true ? ' class="dep"' : ''}>${escapeHtml(restBase + path)}</code></td>` +
          `<td>${escapeHtml(firstLine(operation))}</td><td class="${implemented ? 'ok">implemented' : 'no">501 not implemented'}</td></tr>`,
      )
    }
  }
  const sections = [...byTag.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tag, rows]) => `<h2 id="${escapeHtml(tag)}">${escapeHtml(tag)}</h2>\n<table>\n${rows.join('\n')}\n</table>`)
    .join('\n')
  const version = escapeHtml(String(XO_OPENAPI.info.version))
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>xo-mock — REST API ${version}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>xo-mock — Xen Orchestra REST API (<code>${escapeHtml(restBase)}</code>)</h1>
<p class="note">This page lists the operations of XO's OpenAPI spec (<code>@xen-orchestra/rest-api</code> ${version}) and what
xo-mock does with them: <strong>${summary.implemented}</strong> of ${summary.total} are implemented, the
${summary.notImplemented} others answer <code>501 {"error": "not implemented"}</code>.
The machine-readable spec is <a href="${escapeHtml(restBase)}/docs/swagger.json"><code>${escapeHtml(restBase)}/docs/swagger.json</code></a>
(load it in any OpenAPI viewer). An interactive Swagger UI is available at <a href="${escapeHtml(restBase)}/docs?ui=swagger">?ui=swagger</a>
— it loads swagger-ui from unpkg.com, so it needs network access; this page does not.</p>
${sections}
</body>
</html>
`
}

/** The page loading Swagger UI from a CDN (opt-in, `?ui=swagger`). */
export function swaggerUiHtml(restBase: string): string {
  const specUrl = `${restBase}/docs/swagger.json`
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>xo-mock — Swagger UI</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<p style="font-family:sans-serif">Swagger UI is loaded from unpkg.com (network needed). Offline, use the
<a href="${escapeHtml(restBase)}/docs">operation listing</a> or open <a href="${escapeHtml(specUrl)}">${escapeHtml(specUrl)}</a> in an OpenAPI viewer.</p>
<div id="swagger-ui"></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
<script>window.onload = () => { window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#swagger-ui' }) }</script>
</body>
</html>
`
}

const HTML_CONTENT_TYPE = 'text/html; charset=utf-8'

/**
 * Registers the docs routes; `coverage` gives the coverage of this server (known once the route map
 * has registered, i.e. before the first request).
 */
export function registerDocs(scope: FastifyInstance, kit: RestKit, coverage: () => readonly CoverageEntry[]): void {
  const { ctx } = kit
  let specBody: Buffer | undefined
  if (!isAnswered(scope, ctx, 'GET', '/docs/swagger.json')) {
    scope.get('/docs/swagger.json', publicRoute, (_request, reply: FastifyReply) => {
      specBody ??= Buffer.from(jsonText(buildMockSpec(coverage())))
      return reply.header('content-type', JSON_CONTENT_TYPE).send(specBody)
    })
  }
  if (scope.findRoute({ method: 'GET', url: `${ctx.restBase}/docs` }) === null) {
    let listing: string | undefined
    scope.get('/docs', publicRoute, (request, reply: FastifyReply) => {
      const ui = (request.query as Record<string, unknown>).ui
      if (ui === 'swagger') return reply.header('content-type', HTML_CONTENT_TYPE).send(swaggerUiHtml(ctx.restBase))
      listing ??= docsHtml(coverage(), ctx.restBase)
      return reply.header('content-type', HTML_CONTENT_TYPE).send(listing)
    })
  }
}
