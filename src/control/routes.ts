/**
 * The `/_mock` routes: one encapsulated Fastify scope with its own admin authentication, JSON errors
 * `{"error": "<one line>"}` and 404s. XO has no route under `/_mock`, so nothing is shadowed.
 *
 * Authentication: the same credentials as the REST API (the `authenticationToken` cookie, Basic
 * email:password), plus `Authorization: Bearer <token>` for convenience. None → 401, not an admin → 403.
 * `GET /_mock/openapi.json` is public.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MockContext } from '../context.js'
import { PlainError, XoApiError } from '../domain/errors.js'
import type { InventorySource } from '../inventory/load.js'
import { extractCredentials, userOfCredentials, cookieValue, type Credentials } from '../rest/auth.js'
import { RestApiError, toErrorReply } from '../rest/errors.js'
import { ControlError, isPlainObject } from './errors.js'
import { CONTROL_PREFIX } from './http.js'
import type { ControlImplementation } from './index.js'

const PUBLIC_PATHS = new Set(['/openapi.json'])
const INVENTORY_BODY_LIMIT = 1024 * 1024 * 1024

function credentialsOf(request: FastifyRequest): Credentials | undefined {
  const authorization = request.headers.authorization
  if (typeof authorization === 'string' && /^bearer\s/i.test(authorization)) {
    const cookie = request.headers.cookie
    if (cookieValue(cookie, 'authenticationToken') || cookieValue(cookie, 'token')) {
      throw new ControlError(400, 'Having multiple authentication methods is not supported, please choose one')
    }
    const token = authorization.slice(authorization.indexOf(' ') + 1).trim()
    return token === '' ? undefined : { kind: 'token', token }
  }
  return extractCredentials(request)
}

function authenticateAdmin(ctx: MockContext, request: FastifyRequest): void {
  const credentials = credentialsOf(request)
  if (credentials === undefined) throw new ControlError(401, 'authentication required: an XO admin token (authenticationToken cookie or Bearer) or Basic credentials')
  let user
  try {
    user = userOfCredentials(ctx, credentials)
  } catch (error) {
    if (error instanceof PlainError) throw new ControlError(401, error.message)
    throw error
  }
  if (user.permission !== 'admin') throw new ControlError(403, 'not an admin: the control plane needs an XO admin')
}

function errorHandler(error: FastifyError | Error, _request: FastifyRequest, reply: FastifyReply): void {
  let status = 500
  if (error instanceof ControlError || error instanceof RestApiError) status = error.status
  else if (error instanceof XoApiError) status = toErrorReply(error).status
  else if (typeof (error as FastifyError).statusCode === 'number') status = (error as FastifyError).statusCode!
  if (status === 401) reply.header('www-authenticate', 'Basic realm="xo"')
  void reply.code(status).send({ error: error.message.split('\n')[0] })
}

function booleanQuery(value: unknown): boolean {
  return value === '' || value === 'true' || value === '1'
}

function integerQuery(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const text = String(value)
  if (!/^-?\d+$/.test(text)) throw new ControlError(400, `${name}: expected an integer, got ${JSON.stringify(text)}`)
  return Number(text)
}

export async function registerControlRoutes(app: FastifyInstance, control: ControlImplementation, ctx: MockContext): Promise<void> {
  await app.register(
    async (scope) => {
      scope.setErrorHandler(errorHandler)
      scope.setNotFoundHandler((request, reply) => {
        void reply.code(404).send({ error: `no such control route: ${request.method} ${request.url.split('?')[0]}` })
      })
      scope.addHook('onRequest', async (request) => {
        const path = request.url.split('?')[0]!.slice(CONTROL_PREFIX.length).replace(/\/$/, '')
        if (PUBLIC_PATHS.has(path.toLowerCase())) return
        authenticateAdmin(ctx, request)
      })

      type Query = Record<string, string | undefined>
      type IdParams = { id: string }

      scope.post('/reset', async (_request, reply) => {
        await control.reset()
        return reply.code(204).send()
      })

      scope.get('/inventory', async () => control.exportInventory())
      scope.put('/inventory', { bodyLimit: INVENTORY_BODY_LIMIT }, async (request) => {
        const query = request.query as Query
        const asBoot = booleanQuery(query.asBoot)
        let source: InventorySource
        if (query.source !== undefined && query.source !== '') {
          if (request.body !== undefined && request.body !== null) throw new ControlError(400, 'give either a body or ?source=, not both')
          source = query.source
        } else {
          if (!isPlainObject(request.body)) throw new ControlError(400, 'expected an inventory document as the JSON body (or ?source=<bundled name>)')
          source = request.body
        }
        return control.loadInventoryFrom(source, { allowPaths: false, asBoot })
      })

      scope.get('/faults', async () => control.faults())
      scope.post('/faults', async (request, reply) => reply.code(201).send(control.addFault(request.body as never)))
      scope.delete('/faults', async (_request, reply) => {
        control.clearFaults()
        return reply.code(204).send()
      })
      scope.get<{ Params: IdParams }>('/faults/:id', async (request) => control.fault(request.params.id))
      scope.delete<{ Params: IdParams }>('/faults/:id', async (request, reply) => {
        control.removeFault(request.params.id)
        return reply.code(204).send()
      })

      scope.get('/journal', async (request) => {
        const query = request.query as Query
        return control.journal({
          transport: query.transport === '' ? undefined : query.transport,
          method: query.method,
          path: query.path,
          limit: integerQuery(query.limit, 'limit'),
          since: integerQuery(query.since, 'since'),
        })
      })
      scope.delete('/journal', async (_request, reply) => {
        control.clearJournal()
        return reply.code(204).send()
      })

      scope.get('/scenarios', async () => control.scenarios())
      scope.get('/scenarios/bundled', async () => control.bundledScenarios())
      scope.post('/scenarios', async (request, reply) => reply.code(201).send(control.startScenarioFromRequest(request.body)))
      scope.delete('/scenarios', async (_request, reply) => {
        control.stopScenarios()
        return reply.code(204).send()
      })
      scope.get<{ Params: IdParams }>('/scenarios/:id', async (request) => control.scenario(request.params.id))
      scope.delete<{ Params: IdParams }>('/scenarios/:id', async (request, reply) => {
        control.stopScenario(request.params.id)
        return reply.code(204).send()
      })

      scope.get('/clock', async () => control.clock())
      scope.post('/clock', async (request) => control.moveClock(request.body))

      scope.get('/task-policies', async () => control.taskPolicies())
      scope.post('/task-policies', async (request, reply) => {
        const body = request.body
        if (!isPlainObject(body)) throw new ControlError(400, 'expected {"action": "<action>", "policy": {"type": …}}')
        return reply.code(201).send(control.setTaskPolicy(body.action as string, body.policy as never))
      })
      scope.delete('/task-policies', async (_request, reply) => {
        control.clearTaskPolicies()
        return reply.code(204).send()
      })
      scope.delete<{ Params: { action: string } }>('/task-policies/:action', async (request, reply) => {
        control.removeTaskPolicy(request.params.action)
        return reply.code(204).send()
      })
      scope.get('/tasks', async () => control.waitingTasks())
      scope.post<{ Params: IdParams }>('/tasks/:id/complete', async (request) => control.completeTask(request.params.id, isPlainObject(request.body) ? request.body : undefined))
      scope.post<{ Params: IdParams }>('/tasks/:id/fail', async (request) => {
        const body = request.body
        return control.failTask(request.params.id, isPlainObject(body) && body.error !== undefined ? (body.error as never) : undefined)
      })

      scope.get('/coverage', async (request, reply) => {
        const format = (request.query as Query).format
        if (format === 'markdown') return reply.header('content-type', 'text/markdown; charset=utf-8').send(control.coverageMarkdown())
        if (format !== undefined && format !== 'json') throw new ControlError(400, `format: expected json or markdown, got ${JSON.stringify(format)}`)
        return control.coverage()
      })

      scope.get('/openapi.json', async () => control.openapi())
    },
    { prefix: CONTROL_PREFIX },
  )
}
