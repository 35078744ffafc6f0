// The test-control plane (/_mock): reset, inventory, faults, journal, scenarios, clock, coverage.
import type { FastifyInstance } from 'fastify'
import type { MockContext } from '../context.js'

export interface ControlPlane {
  /** Registers the control routes and the app-level hooks (called before the XO APIs register). */
  register(app: FastifyInstance): Promise<void>
  close(): Promise<void>
}

export function createControlPlane(_ctx: MockContext): ControlPlane {
  return { register: async () => {}, close: async () => {} }
}
