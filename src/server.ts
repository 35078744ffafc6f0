import Fastify, { type FastifyInstance } from 'fastify'
import type { MockContext } from './context.js'
import { createControlPlane, type ControlOptions, type ControlPlane } from './control/index.js'
import { registerRest } from './rest/index.js'
import { restPlugins } from './rest/plugins.js'
import { registerRpc, type RpcServer } from './rpc/index.js'

export interface ServerOptions {
  readonly logger?: boolean
  /** Control plane (/_mock) options: fault seed, journal size. */
  readonly control?: ControlOptions
}

export interface MockServer {
  readonly app: FastifyInstance
  readonly rpc: RpcServer
  readonly control: ControlPlane
}

/** Builds the Fastify app serving one mock: control plane, REST under /rest/v0, JSON-RPC on /api/. */
export async function buildServer(ctx: MockContext, options: ServerOptions = {}): Promise<MockServer> {
  const app = Fastify({
    logger: options.logger ?? false,
    // XO (Express) routes are case-insensitive and accept a trailing slash; ids can be long
    // (backup archive ids are paths)
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 1000 },
    bodyLimit: 100 * 1024,
    forceCloseConnections: true,
  })
  const control = createControlPlane(ctx, options.control)
  // app-level hooks (journal, faults) must exist before the API scopes inherit them
  await control.register(app)
  await registerRest(app, ctx, restPlugins)
  // control plane: the JSON-RPC interceptor (journal, faults, scenario triggers) and reset of transfer URLs
  const rpc = await registerRpc(app, ctx, { interceptor: control.rpcInterceptor })
  control.attachRpc(rpc)
  app.addHook('onClose', async () => {
    await control.close()
  })
  return { app, rpc, control }
}
