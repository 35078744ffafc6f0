import Fastify, { type FastifyInstance } from 'fastify'
import type { MockContext } from './context.js'
import { registerRest } from './rest/index.js'
import { registerRpc } from './rpc/index.js'

export interface ServerOptions {
  readonly logger?: boolean
}

/** Builds the Fastify app serving one mock: REST under /rest/v0, JSON-RPC on /api/. */
export async function buildServer(ctx: MockContext, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // XO (Express) routes are case-insensitive and accept a trailing slash
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    bodyLimit: 100 * 1024,
    forceCloseConnections: true,
  })
  await registerRest(app, ctx)
  await registerRpc(app, ctx)
  return app
}
