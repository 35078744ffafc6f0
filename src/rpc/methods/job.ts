// JSON-RPC adapters of `job.*` (`api/job.mjs`); jobs are stored, never run.
import * as job from '../../domain/job.js'
import type { MethodTable } from '../types.js'

export const jobMethods: MethodTable = {
  'job.create': (call) => job.createJob(call.ctx, call.user?.id, call.params.job as Record<string, unknown>).id,
  'job.set': (call) => {
    job.setJob(call.ctx, call.user?.id, call.params.job as Record<string, unknown> & { id: string })
  },
  'job.delete': (call) => {
    job.deleteJob(call.ctx, call.params.id as string)
  },
  'job.get': (call) => job.getJob(call.ctx, call.params.id as string),
  'job.getAll': (call) => job.getAllJobs(call.ctx),
}
