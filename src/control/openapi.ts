/** The OpenAPI document of the control plane (`GET /_mock/openapi.json`). */

const json = (schema: Record<string, unknown>, description = 'OK') => ({ description, content: { 'application/json': { schema } } })
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const error = (description: string) => json(ref('Error'), description)
const noContent = { description: 'Done' }
const common = { '400': error('Invalid request (the message names the path of the problem)'), '401': error('No or invalid credentials'), '403': error('Not an admin') }
const body = (schema: Record<string, unknown>, required = true) => ({ required, content: { 'application/json': { schema } } })
const idParam = (description: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description })

export function controlOpenApi(): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'xo-mock control plane',
      version: '1',
      description:
        'Test control of an xo-mock server: reset, inventory, faults, journal, scenarios, clock, task timing, coverage. ' +
        'Every route but this document needs an XO admin credential: the `authenticationToken` cookie, Basic email:password, or `Authorization: Bearer <token>`. ' +
        'Errors are JSON `{"error": "<one line>"}`. The same operations exist in-process on `xo.control`.',
    },
    servers: [{ url: '/_mock' }],
    security: [{ cookie: [] }, { basic: [] }, { bearer: [] }],
    paths: {
      '/reset': { post: { summary: 'Inventory back to its boot state; tasks, journal, faults, scenarios and task policies cleared', responses: { '204': noContent, ...common } } },
      '/inventory': {
        get: { summary: 'The current inventory as an xo.getAllObjects-style capture {id: object} (loadable by PUT)', responses: { '200': json({ type: 'object', additionalProperties: ref('XoObject') }), ...common } },
        put: {
          summary: 'Load an inventory: authoring document ("xoMock": 1), REST snapshot or {id: object} capture; or ?source=<bundled name|generated:…>',
          parameters: [
            { name: 'source', in: 'query', schema: { type: 'string' }, description: 'A bundled inventory (default, minimal) or generated[:options], instead of a body' },
            { name: 'asBoot', in: 'query', schema: { type: 'boolean' }, description: 'Also make it the state reset goes back to' },
          ],
          requestBody: body({ type: 'object' }, false),
          responses: { '200': json({ type: 'object', properties: { objects: { type: 'integer' }, warnings: { type: 'array', items: { type: 'string' } }, changes: ref('SyncStats') } }), ...common },
        },
      },
      '/faults': {
        get: { summary: 'Fault rules', responses: { '200': json({ type: 'array', items: ref('FaultInfo') }), ...common } },
        post: { summary: 'Add a fault rule', requestBody: body(ref('FaultRule')), responses: { '201': json(ref('FaultInfo'), 'Created'), ...common } },
        delete: { summary: 'Remove every fault rule', responses: { '204': noContent, ...common } },
      },
      '/faults/{id}': {
        get: { summary: 'One fault rule', parameters: [idParam('fault id')], responses: { '200': json(ref('FaultInfo')), '404': error('No such fault'), ...common } },
        delete: { summary: 'Remove a fault rule', parameters: [idParam('fault id')], responses: { '204': noContent, '404': error('No such fault'), ...common } },
      },
      '/journal': {
        get: {
          summary: 'Recent calls, oldest first (a bounded ring)',
          parameters: [
            { name: 'transport', in: 'query', schema: { type: 'string', enum: ['rest', 'rpc', 'transfer', 'ws'] } },
            { name: 'method', in: 'query', schema: { type: 'string' }, description: 'HTTP method or JSON-RPC method glob (vm.*)' },
            { name: 'path', in: 'query', schema: { type: 'string' }, description: 'Path pattern: /rest/v0/vms/:id, /rest/v0/vms/*' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'The last N matching entries' },
            { name: 'since', in: 'query', schema: { type: 'integer' }, description: 'Entries with a greater seq' },
          ],
          responses: { '200': json({ type: 'array', items: ref('JournalEntry') }), ...common },
        },
        delete: { summary: 'Clear the journal', responses: { '204': noContent, ...common } },
      },
      '/scenarios': {
        get: { summary: 'Scenario runs (running, finished, failed)', responses: { '200': json({ type: 'array', items: ref('ScenarioInfo') }), ...common } },
        post: {
          summary: 'Start a scenario: a document, or {"name": "<bundled>"} with optional let/loop/period overrides',
          requestBody: body(ref('Scenario')),
          responses: { '201': json(ref('ScenarioInfo'), 'Started'), '404': error('No such bundled scenario'), ...common },
        },
        delete: { summary: 'Stop and forget every run', responses: { '204': noContent, ...common } },
      },
      '/scenarios/bundled': { get: { summary: 'Scenarios shipped in fixtures/scenarios', responses: { '200': json({ type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, description: { type: 'string' } } } }), ...common } } },
      '/scenarios/{id}': {
        get: { summary: 'One run', parameters: [idParam('scenario run id')], responses: { '200': json(ref('ScenarioInfo')), '404': error('No such run'), ...common } },
        delete: { summary: 'Stop and forget a run', parameters: [idParam('scenario run id')], responses: { '204': noContent, '404': error('No such run'), ...common } },
      },
      '/clock': {
        get: { summary: 'The mock clock', responses: { '200': json(ref('Clock')), ...common } },
        post: {
          summary: 'Move a manual clock forward (timers due meanwhile fire in order)',
          requestBody: body({ type: 'object', properties: { advance: { type: 'number', minimum: 0 }, set: { oneOf: [{ type: 'number' }, { type: 'string', format: 'date-time' }] } } }),
          responses: { '200': json(ref('Clock')), '409': error('The clock is not manual, or set goes backward'), ...common },
        },
      },
      '/task-policies': {
        get: { summary: 'Task timing policies set through the control plane', responses: { '200': json({ type: 'array', items: ref('TaskPolicyEntry') }), ...common } },
        post: { summary: 'Set the timing policy of an action (vms/start, start, or * for all)', requestBody: body(ref('TaskPolicyEntry')), responses: { '201': json(ref('TaskPolicyEntry'), 'Set'), ...common } },
        delete: { summary: 'Remove every task timing policy', responses: { '204': noContent, ...common } },
      },
      '/task-policies/{action}': {
        delete: { summary: 'Remove the policy of an action', parameters: [{ name: 'action', in: 'path', required: true, schema: { type: 'string' }, description: 'URL-encoded (vms%2Fstart)' }], responses: { '204': noContent, '404': error('No policy for this action'), ...common } },
      },
      '/tasks': { get: { summary: 'Tasks whose operation waits (manual or delayed policy)', responses: { '200': json({ type: 'array', items: { type: 'object' } }), ...common } } },
      '/tasks/{id}/complete': {
        post: {
          summary: 'Run the waiting operation of a task now, or end it with {"result"} without running it',
          parameters: [idParam('task id')],
          requestBody: body({ type: 'object', properties: { result: {} } }, false),
          responses: { '200': json({ type: 'object' }, 'The finished task'), '404': error('No task waits under this id'), ...common },
        },
      },
      '/tasks/{id}/fail': {
        post: {
          summary: 'Fail a waiting task without running its operation',
          parameters: [idParam('task id')],
          requestBody: body({ type: 'object', properties: { error: ref('TaskError') } }, false),
          responses: { '200': json({ type: 'object' }, 'The failed task'), '404': error('No task waits under this id'), ...common },
        },
      },
      '/coverage': {
        get: {
          summary: 'Which REST operations (of XO\'s OpenAPI spec) and JSON-RPC methods (of the catalogue) are implemented',
          parameters: [{ name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'markdown'] } }],
          responses: { '200': json({ type: 'object', properties: { rest: { type: 'object', nullable: true }, rpc: { type: 'object' } } }), ...common },
        },
      },
      '/openapi.json': { get: { summary: 'This document (no credential needed)', security: [], responses: { '200': json({ type: 'object' }) } } },
    },
    components: {
      securitySchemes: {
        cookie: { type: 'apiKey', in: 'cookie', name: 'authenticationToken' },
        basic: { type: 'http', scheme: 'basic' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
        XoObject: { type: 'object', required: ['id', 'type'], properties: { id: { type: 'string' }, type: { type: 'string' } }, additionalProperties: true },
        SyncStats: { type: 'object', properties: { added: { type: 'integer' }, updated: { type: 'integer' }, removed: { type: 'integer' } } },
        FaultRule: {
          type: 'object',
          required: ['match', 'effect'],
          properties: {
            name: { type: 'string' },
            match: {
              description: 'Exactly one of: rpc (method glob or list), rest ("[METHOD ]/path/:param/*" or list; any HTTP route, transfer URLs included), transfer (true or patterns), ws (true: WebSocket connections on /api/)',
              type: 'object',
              properties: {
                rpc: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
                rest: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
                transfer: { oneOf: [{ type: 'boolean' }, { type: 'string' }, { type: 'array', items: { type: 'string' } }] },
                ws: { oneOf: [{ type: 'boolean' }, { type: 'string' }, { type: 'array', items: { type: 'string' } }] },
              },
            },
            filter: { type: 'string', description: 'complex-matcher filter on the target objects (ids in RPC params, ids in the REST path)' },
            effect: {
              description:
                'Exactly one of: delay (ms or {min,max}), error ({code,message,data?,status?}), status (HTTP status, with body? and headers?), drop (true: reset the connection / drop the RPC reply), close (WebSocket close code, with reason? and after?), truncateAfter (bytes of the response body), hang (true: never answer). rpc: delay, error, drop, close, hang; rest/transfer: delay, error, status, drop, hang, truncateAfter; ws: delay, error, status, drop, hang, close.',
              type: 'object',
            },
            times: { type: 'integer', minimum: 0 },
            skip: { type: 'integer', minimum: 0 },
            probability: { type: 'number', minimum: 0, maximum: 1 },
            seed: { oneOf: [{ type: 'string' }, { type: 'number' }] },
          },
        },
        FaultInfo: {
          allOf: [ref('FaultRule'), { type: 'object', properties: { id: { type: 'string' }, matched: { type: 'integer' }, applied: { type: 'integer' }, exhausted: { type: 'boolean' } } }],
        },
        JournalEntry: {
          type: 'object',
          required: ['seq', 'transport', 'method', 'at', 'durationMs'],
          properties: {
            seq: { type: 'integer' },
            transport: { type: 'string', enum: ['rest', 'rpc', 'transfer', 'ws'] },
            method: { type: 'string' },
            path: { type: 'string' },
            query: { type: 'string' },
            params: {},
            status: { type: 'integer' },
            error: { type: 'string' },
            code: { type: 'integer' },
            user: { type: 'string' },
            fault: { type: 'string' },
            at: { type: 'number' },
            durationMs: { type: 'number' },
          },
        },
        Scenario: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'A label, or alone (without steps) the name of a bundled scenario' },
            description: { type: 'string' },
            let: { type: 'object', additionalProperties: ref('Target'), description: 'Named objects resolved at start' },
            steps: { type: 'array', items: ref('Step') },
            loop: { type: 'boolean' },
            period: { type: 'number' },
          },
        },
        Target: {
          description: 'An id (templates allowed), a selector {"find": "<complex-matcher>", "type"?, "all"?, "each"?} resolved at start, or {"ref": "<let or as name>"}',
          oneOf: [{ type: 'string' }, { type: 'object' }],
        },
        Step: {
          type: 'object',
          description: 'One of update {id, set?, unset?}, add {object}, remove <target>; timed by at (ms) or after (a call trigger) with delay',
          properties: {
            at: { type: 'number' },
            after: { type: 'object', properties: { rpc: {}, rest: {}, filter: { type: 'string' }, count: { type: 'integer' }, always: { type: 'boolean' }, outcome: { type: 'string', enum: ['success', 'error', 'any'] } } },
            delay: { type: 'number' },
            repeat: { type: 'integer', minimum: 1 },
            every: { type: 'number' },
            as: { type: 'string' },
            comment: { type: 'string' },
            update: { type: 'object', properties: { id: ref('Target'), set: { type: 'object' }, unset: { type: 'array', items: { type: 'string' } } } },
            add: { type: 'object' },
            remove: ref('Target'),
          },
        },
        ScenarioInfo: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            description: { type: 'string' },
            state: { type: 'string', enum: ['running', 'finished', 'failed'] },
            loop: { type: 'boolean' },
            iteration: { type: 'integer' },
            startedAt: { type: 'number' },
            stepsRun: { type: 'integer' },
            bindings: { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
            error: { type: 'string' },
          },
        },
        Clock: { type: 'object', properties: { mode: { type: 'string', enum: ['manual', 'system', 'custom'] }, now: { type: 'number' }, iso: { type: 'string' }, pendingTimers: { type: 'integer' } } },
        TaskError: { type: 'object', properties: { message: { type: 'string' }, code: { oneOf: [{ type: 'string' }, { type: 'integer' }] }, params: { type: 'array', items: { type: 'string' } }, data: {} } },
        TaskPolicyEntry: {
          type: 'object',
          required: ['action', 'policy'],
          properties: {
            action: { type: 'string', description: 'vms/start, start (any collection) or * (default)' },
            policy: {
              type: 'object',
              required: ['type'],
              properties: {
                type: { type: 'string', enum: ['immediate', 'delay', 'jitter', 'manual', 'fail'] },
                ms: { type: 'number' },
                min: { type: 'number' },
                max: { type: 'number' },
                error: ref('TaskError'),
              },
            },
          },
        },
      },
    },
  }
}
