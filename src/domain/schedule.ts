/**
 * Schedules (`api/schedule.mjs`, `xo-mixins/scheduling.mjs`): `{id, cron, enabled, jobId, name,
 * timezone?, userId}`. The mock stores them but never runs them.
 */
import type { MockContext } from '../context.js'
import type { XoObject } from '../inventory/types.js'
import { noSuchObject } from './errors.js'

export interface ScheduleObject extends XoObject {
  readonly type: 'schedule'
  readonly cron: string
  readonly enabled: boolean
  readonly jobId: string
  readonly name?: string
  readonly timezone?: string
  readonly userId?: string
}

export function serializeSchedule(schedule: ScheduleObject): Record<string, unknown> {
  const { type: _type, ...rest } = schedule
  return rest
}

export function getScheduleRecord(ctx: MockContext, id: string): ScheduleObject {
  const schedule = ctx.store.get(id)
  if (schedule === undefined || schedule.type !== 'schedule') throw noSuchObject(id, 'schedule')
  return schedule as ScheduleObject
}

/** `schedule.get`. */
export const getSchedule = (ctx: MockContext, id: string) => serializeSchedule(getScheduleRecord(ctx, id))

/** `schedule.getAll`. */
export function getAllSchedules(ctx: MockContext): Array<Record<string, unknown>> {
  return [...ctx.store.ofType<ScheduleObject>('schedule')].map(serializeSchedule)
}

export interface CreateScheduleOptions {
  readonly cron: string
  readonly jobId: string
  /** Default false (XO stores nothing, which reads back as false). */
  readonly enabled?: boolean
  /** Default `''`. */
  readonly name?: string
  readonly timezone?: string
  readonly userId?: string
}

/** `schedule.create`: returns the served schedule. */
export function createSchedule(ctx: MockContext, options: CreateScheduleOptions): Record<string, unknown> {
  const schedule = ctx.store.add<ScheduleObject>({
    id: ctx.ids.uuid(),
    type: 'schedule',
    cron: options.cron,
    enabled: options.enabled ?? false,
    jobId: options.jobId,
    name: options.name ?? '',
    ...(options.timezone === undefined ? {} : { timezone: options.timezone }),
    ...(options.userId === undefined ? {} : { userId: options.userId }),
  })
  return serializeSchedule(schedule)
}

export interface ScheduleSettings {
  readonly cron?: string
  readonly enabled?: boolean
  readonly jobId?: string
  /** null removes the name. */
  readonly name?: string | null
  readonly timezone?: string | null
  readonly userId?: string
}

/** `schedule.set` (XO's `patch`: undefined keeps, null removes). */
export function setSchedule(ctx: MockContext, id: string, settings: ScheduleSettings): ScheduleObject {
  const schedule = getScheduleRecord(ctx, id)
  const patch: Record<string, unknown> = {}
  for (const key of ['cron', 'enabled', 'jobId', 'name', 'timezone', 'userId'] as const) {
    const value = settings[key]
    if (value !== undefined) patch[key] = value ?? undefined
  }
  return ctx.store.update<ScheduleObject>(schedule.id, patch)
}

/**
 * `schedules/{id}/actions/run` (`runJobSequence([schedule.jobId], schedule)`): the schedule's job must
 * exist (code 1 `no such job`). The mock does not execute jobs: running one changes nothing.
 */
export function runSchedule(ctx: MockContext, id: string): void {
  const schedule = getScheduleRecord(ctx, id)
  const job = ctx.store.get(schedule.jobId)
  if (job === undefined || job.type !== 'job') throw noSuchObject(schedule.jobId, 'job')
}

/** `schedule.delete`: deleting an unknown id is silent. */
export function deleteSchedule(ctx: MockContext, id: string): void {
  if (ctx.store.get(id)?.type === 'schedule') ctx.store.remove(id)
}
