/**
 * Jobs (`api/job.mjs`, `xo-mixins/jobs/index.mjs`). XO jobs have their own `type` (`call`, `backup`,
 * `metadataBackup`, `mirrorBackup`); the store's `type` is `job`, so the mock keeps XO's type in
 * `jobType` and restores it when serving. `job.*` methods only see `call` jobs (`job.getAll` lists
 * them, `job.get` of another type → code 1). The mock stores jobs but never runs them.
 */
import type { MockContext } from '../context.js'
import type { XoObject } from '../inventory/types.js'
import { noSuchObject } from './errors.js'
import { deleteSchedule } from './schedule.js'

export interface JobObject extends XoObject {
  readonly type: 'job'
  /** XO's job `type` (`backup` when absent, as the REST collections read it). */
  readonly jobType?: string
  readonly userId?: string
  readonly runId?: string
}

/** XO's type of a stored job (`backup` when `jobType` is absent). */
export const jobTypeOf = (job: XoObject): string => (typeof job.jobType === 'string' ? job.jobType : 'backup')

/** A job as XO serves it: XO's `type`, `runId` only while running. */
export function serializeJob(job: JobObject): Record<string, unknown> {
  const { type: _type, jobType: _jobType, ...rest } = job
  return { ...rest, type: jobTypeOf(job) }
}

export function getJobRecord(ctx: MockContext, id: string, jobType?: string): JobObject {
  const job = ctx.store.get(id)
  if (job === undefined || job.type !== 'job' || (jobType !== undefined && jobTypeOf(job) !== jobType)) throw noSuchObject(id, 'job')
  return job as JobObject
}

/** `job.get` (call jobs only). */
export const getJob = (ctx: MockContext, id: string) => serializeJob(getJobRecord(ctx, id, 'call'))

/** `job.getAll` (call jobs only). */
export function getAllJobs(ctx: MockContext, jobType: string | undefined = 'call'): Array<Record<string, unknown>> {
  return [...ctx.store.ofType<JobObject>('job')].filter((job) => jobType === undefined || jobTypeOf(job) === jobType).map(serializeJob)
}

/**
 * `job.create {job}`: the caller becomes `userId` when none is given (and, for a `schedule.runSequence`
 * call job, `created_by`/`updated_by`). Returns the new job's id.
 */
export function createJob(ctx: MockContext, callerId: string | undefined, props: Record<string, unknown>): JobObject {
  const { id: _id, type, ...rest } = props
  let extra: Record<string, unknown> = {}
  if (type === 'call' && rest.method === 'schedule.runSequence' && callerId !== undefined) {
    extra = { created_by: callerId, updated_by: callerId, userId: callerId }
  } else if (!rest.userId && callerId !== undefined) {
    extra = { userId: callerId }
  }
  return ctx.store.add<JobObject>({ ...rest, ...extra, id: ctx.ids.uuid(), type: 'job', jobType: String(type) })
}

/** `job.set {job}`: XO's `patch` (undefined keeps, null removes); `type` changes `jobType`. */
export function setJob(ctx: MockContext, callerId: string | undefined, props: Record<string, unknown> & { id: string }): JobObject {
  const job = getJobRecord(ctx, props.id)
  const { id: _id, type, ...rest } = props
  const patch: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) patch[key] = value ?? undefined
  if (type !== undefined && type !== null) patch.jobType = String(type)
  if (jobTypeOf(job) === 'call' && job.method === 'schedule.runSequence' && callerId !== undefined) {
    Object.assign(patch, { created_by: job.created_by ?? job.userId, updated_by: callerId, userId: callerId })
  }
  return ctx.store.update<JobObject>(job.id, patch)
}

/** `job.delete`: silent for an unknown id; the job's schedules are deleted too. */
export function deleteJob(ctx: MockContext, id: string): void {
  if (ctx.store.get(id)?.type === 'job') ctx.store.remove(id)
  for (const schedule of [...ctx.store.ofType('schedule')]) if (schedule.jobId === id) deleteSchedule(ctx, schedule.id)
}
