/**
 * XO's OpenAPI spec (npm `@xen-orchestra/rest-api` 0.39.0, `openapi/openapi.json`) as the contract of
 * the route map, and the coverage of the REST API measured against it.
 *
 * "Implemented" is read from the live route table of a built server: an operation is implemented when
 * a route registered before the route map (route-map.ts, last REST plugin) answers a sample URL of
 * it with exactly the operation's path parameters (so `GET /vms/{id}.{format}` is not counted as
 * answered by `GET /vms/:id`, which would take `<id>.xva` for an id). The route map answers every
 * other operation with 501 `{"error": "not implemented"}` and records the result per context.
 */
import type { FastifyInstance } from 'fastify'
import type { MockContext } from '../context.js'
import spec from './openapi/openapi.json' with { type: 'json' }

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH'

export interface OpenApiSchema {
  readonly $ref?: string
  readonly enum?: readonly unknown[]
  readonly [key: string]: unknown
}

export interface OpenApiParameter {
  readonly in: string
  readonly name: string
  readonly required?: boolean
  readonly schema?: OpenApiSchema
  readonly [key: string]: unknown
}

export interface OpenApiOperation {
  readonly operationId?: string
  readonly summary?: string
  readonly description?: string
  readonly tags?: readonly string[]
  readonly deprecated?: boolean
  readonly parameters?: readonly OpenApiParameter[]
  readonly responses?: Readonly<Record<string, { readonly description?: string; readonly content?: Readonly<Record<string, { readonly schema?: OpenApiSchema }>> }>>
  readonly [key: string]: unknown
}

export interface OpenApiDocument {
  readonly openapi: string
  readonly info: Readonly<Record<string, unknown>>
  readonly servers?: readonly unknown[]
  readonly paths: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>
  readonly components: { readonly schemas: Readonly<Record<string, OpenApiSchema>>; readonly [key: string]: unknown }
}

/** XO's spec, as shipped (never mutated: docs.ts builds its own copy). */
export const XO_OPENAPI = spec as unknown as OpenApiDocument

export interface SpecOperation {
  readonly method: HttpMethod
  /** OpenAPI path, relative to `/rest/v0`: `/vms/{id}.{format}`. */
  readonly path: string
  readonly operation: OpenApiOperation
}

const METHODS: readonly HttpMethod[] = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH']

/** Every operation of XO's spec, in spec order. */
export function specOperations(document: OpenApiDocument = XO_OPENAPI): SpecOperation[] {
  const list: SpecOperation[] = []
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [key, operation] of Object.entries(item)) {
      const method = key.toUpperCase() as HttpMethod
      if (METHODS.includes(method)) list.push({ method, path, operation })
    }
  }
  return list
}

/** `/vms/{id}.{format}` → `/vms/:id.:format` (find-my-way syntax). */
export function fastifyPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1')
}

/** The names of the path parameters, in order. */
export function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!)
}

function resolveSchema(schema: OpenApiSchema | undefined, document: OpenApiDocument): OpenApiSchema | undefined {
  let current = schema
  for (let i = 0; i < 8 && current?.$ref !== undefined; i++) current = document.components.schemas[current.$ref.split('/').pop()!]
  return current
}

/**
 * Plausible values of an operation's path parameters: the first value of an enum (`xva`, `vhd`,
 * `pool` for an event subscription), else a distinct placeholder per name.
 */
export function sampleParams(path: string, operation?: OpenApiOperation, document: OpenApiDocument = XO_OPENAPI): Record<string, string> {
  const params: Record<string, string> = {}
  for (const name of pathParameterNames(path)) {
    const declared = operation?.parameters?.find((parameter) => parameter.in === 'path' && parameter.name === name)
    const values = resolveSchema(declared?.schema, document)?.enum
    params[name] = values !== undefined && typeof values[0] === 'string' ? values[0] : `xo-mock-sample-${name.toLowerCase()}`
  }
  return params
}

/** The OpenAPI path with its parameters substituted (URL-encoded). */
export function expandPath(path: string, params: Readonly<Record<string, string>>): string {
  return path.replace(/\{([^}]+)\}/g, (_match, name: string) => encodeURIComponent(params[name] ?? name))
}

/**
 * Whether a route of this Fastify scope already answers the operation: a route matches its sample URL
 * and captures exactly the sample parameter values.
 */
export function isAnswered(scope: FastifyInstance, ctx: MockContext, method: HttpMethod, path: string, operation?: OpenApiOperation): boolean {
  const params = sampleParams(path, operation)
  const found = scope.findRoute({ method, url: ctx.restBase + expandPath(path, params) })
  if (found === null) return false
  const expected = Object.values(params).sort()
  const got = Object.values((found.params ?? {}) as Record<string, unknown>)
    .map(String)
    .sort()
  return expected.length === got.length && expected.every((value, i) => value === got[i])
}

// --- coverage ------------------------------------------------------------------------------------

export interface CoverageEntry {
  readonly method: HttpMethod
  readonly path: string
  /** Answered by a real route (else: 501 `{"error": "not implemented"}` from the route map). */
  readonly implemented: boolean
  readonly operationId?: string
  readonly tag?: string
  readonly deprecated?: boolean
}

// per server (keyed by its context), written once by the route map when the server is built
const registry = new WeakMap<MockContext, readonly CoverageEntry[]>()

export function recordCoverage(ctx: MockContext, entries: readonly CoverageEntry[]): void {
  registry.set(ctx, Object.freeze([...entries]))
}

/**
 * The coverage of the REST API of a built server (its context: `mock.context`), one entry per
 * operation of XO's OpenAPI spec, in spec order. Throws if no REST API was built for this context.
 */
export function restCoverage(ctx: MockContext): readonly CoverageEntry[] {
  const entries = registry.get(ctx)
  if (entries === undefined) throw new Error('restCoverage: no REST API was built for this context')
  return entries
}

/**
 * Builds a throwaway server with an empty inventory and returns its coverage (for the README and
 * scripts that have no server at hand).
 */
export async function computeRestCoverage(): Promise<readonly CoverageEntry[]> {
  const [{ buildServer }, { makeContext }] = await Promise.all([import('../server.js'), import('../context.js')])
  const ctx = makeContext()
  const { app } = await buildServer(ctx)
  try {
    await app.ready()
    return restCoverage(ctx)
  } finally {
    await app.close()
  }
}

export interface CoverageSummary {
  readonly total: number
  readonly implemented: number
  readonly notImplemented: number
}

export function summarizeCoverage(entries: readonly CoverageEntry[]): CoverageSummary {
  const implemented = entries.filter((entry) => entry.implemented).length
  return { total: entries.length, implemented, notImplemented: entries.length - implemented }
}

/**
 * The coverage as Markdown (README, `/_mock/coverage`): a summary line and one table row per
 * operation.
 */
export function restCoverageMarkdown(entries: readonly CoverageEntry[]): string {
  const { total, implemented, notImplemented } = summarizeCoverage(entries)
  const version = String(XO_OPENAPI.info.version)
  const lines = [
    `REST API coverage against XO's OpenAPI spec (\`@xen-orchestra/rest-api\` ${version}): ${total} operations, ` +
      `**${implemented} implemented**, ${notImplemented} answer 501 \`{"error": "not implemented"}\`.`,
    '',
    '| Method | Path | Status |',
    '| --- | --- | --- |',
  ]
  for (const entry of entries) {
    const status = entry.implemented ? 'implemented' : '501 not implemented'
    lines.push(`| ${entry.method} | \`${entry.path}\`${entry.deprecated === true ? ' (deprecated)' : ''} | ${status} |`)
  }
  return lines.join('\n') + '\n'
}
