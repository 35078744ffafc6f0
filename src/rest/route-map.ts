/**
 * The route map (last REST plugin, see plugins.ts): makes every operation of XO's OpenAPI spec
 * answer something.
 *
 * 1. the extra GET routes (reads.ts) and the docs (docs.ts), each only where nothing answers yet;
 * 2. for each operation of the spec (coverage.ts), checks the live route table: an operation already
 *    answered by a real route is "implemented"; every other one gets a route answering 501
 *    `{"error": "not implemented"}` (after authentication, like any protected XO route);
 * 3. records the result as this server's coverage (`restCoverage(ctx)`, docs, `/_mock/coverage`).
 *
 * Because it runs last and never registers over an existing route, it cannot shadow the routes of
 * the other REST plugins.
 */
import type { FastifyReply } from 'fastify'
import { fastifyPath, isAnswered, recordCoverage, restCoverage, specOperations, type CoverageEntry } from './coverage.js'
import { registerDocs } from './docs.js'
import type { RestPlugin } from './index.js'
import { registerReadRoutes } from './reads.js'
import { sendJson } from './serialize.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A 501 placeholder of the route map. */
    xoNotImplemented?: boolean
  }
}

const notImplemented = (_request: unknown, reply: FastifyReply) => sendJson(reply.code(501), { error: 'not implemented' })

export const routeMapRoutes: RestPlugin = (scope, kit) => {
  const { ctx } = kit
  registerReadRoutes(scope, kit)
  registerDocs(scope, kit, () => restCoverage(ctx))

  const entries: CoverageEntry[] = []
  for (const { method, path, operation } of specOperations()) {
    let implemented = isAnswered(scope, ctx, method, path, operation)
    if (!implemented) {
      try {
        scope.route({ method, url: fastifyPath(path), config: { xoNotImplemented: true }, handler: notImplemented })
      } catch {
        // a route with this very pattern exists (e.g. with constraints): it answers, count it so
        implemented = true
      }
    }
    entries.push({
      method,
      path,
      implemented,
      operationId: operation.operationId,
      tag: operation.tags?.[0],
      deprecated: operation.deprecated === true ? true : undefined,
    })
  }
  recordCoverage(ctx, entries)
}
