/**
 * The REST API adapter: everything under `/rest/v0` lives in one encapsulated Fastify scope with
 * - the authentication hook (auth.ts) on every request of the scope, unknown paths included;
 * - XO-shaped errors (errors.ts) and Express' HTML 404 for unknown paths;
 * - the public singletons (`/ping`, `/gui-routes`, `/mcp/status`, the `/rest/v0` redirect) and the
 *   `/users/me` alias;
 * - the read side of the collections (routes.ts).
 * Later parts of the API (actions, exports, events, …) register in the same scope through
 * `RestPlugin`s, so they inherit authentication and error handling.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MockContext } from '../context.js'
import { createAuthHook, requestUser } from './auth.js'
import { restErrorHandler, sendExpressNotFound } from './errors.js'
import { createRestKit, registerCollectionRoutes, type RestKit } from './routes.js'
import { jsonText, sendJson } from './serialize.js'

export type { RestKit } from './routes.js'

/** A part of the REST API registered inside the `/rest/v0` scope (paths relative to it). */
export type RestPlugin = (scope: FastifyInstance, kit: RestKit) => void | Promise<void>

const publicRoute = { config: { xoPublic: true } } as const

function registerPublicRoutes(scope: FastifyInstance, ctx: MockContext): void {
  // Express' `res.redirect()` (text variant of its body)
  scope.get('/', publicRoute, (_request, reply) => {
    const location = `${ctx.restBase}/docs`
    return reply.code(302).header('location', location).header('content-type', 'text/plain; charset=utf-8').send(`Found. Redirecting to ${location}`)
  })
  // depends on the clock: never cached
  scope.get('/ping', publicRoute, (_request, reply) => sendJson(reply, { result: 'pong', timestamp: ctx.clock.now() }))
  const guiRoutes = jsonText({ xo5: '/', xo6: '/v6' })
  scope.get('/gui-routes', publicRoute, (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(guiRoutes))
  const mcpStatus = jsonText({ enabled: true })
  scope.get('/mcp/status', publicRoute, (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(mcpStatus))
}

/**
 * `/users/me` and `/users/me/...` (any method) → 307 to the current user's URL, query string kept
 * (`users/user.middleware.mts`), after authentication.
 */
function registerUsersMe(scope: FastifyInstance, ctx: MockContext): void {
  const redirect = (request: FastifyRequest, reply: FastifyReply) => {
    const user = requestUser(request)
    const url = request.url
    const at = url.toLowerCase().indexOf('/users/me')
    const location = `${ctx.restBase}/users/${user.id}${url.slice(at + '/users/me'.length)}`
    return reply.code(307).header('location', location).header('content-type', 'text/plain; charset=utf-8').send(`Temporary Redirect. Redirecting to ${location}`)
  }
  scope.all('/users/me', redirect)
  scope.all('/users/me/*', redirect)
}

export async function registerRest(app: FastifyInstance, ctx: MockContext, plugins: readonly RestPlugin[] = []): Promise<void> {
  await app.register(
    async (scope) => {
      scope.decorateRequest('xoUser', null)
      scope.addHook('onRequest', createAuthHook(ctx))
      scope.setErrorHandler(restErrorHandler)
      scope.setNotFoundHandler(sendExpressNotFound)
      registerPublicRoutes(scope, ctx)
      registerUsersMe(scope, ctx)
      const kit = createRestKit(ctx)
      registerCollectionRoutes(scope, kit)
      for (const plugin of plugins) await plugin(scope, kit)
    },
    { prefix: ctx.restBase },
  )
}
