// TEMPORARY placeholder; replaced by the REST adapter.
import type { FastifyInstance } from 'fastify'
import type { MockContext } from '../context.js'

export async function registerRest(_app: FastifyInstance, _ctx: MockContext): Promise<void> {}
