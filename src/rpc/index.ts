// TEMPORARY placeholder; replaced by the JSON-RPC adapter.
import type { FastifyInstance } from 'fastify'
import type { MockContext } from '../context.js'

export async function registerRpc(_app: FastifyInstance, _ctx: MockContext): Promise<void> {}
