// JSON-RPC adapters of `schedule.*` (`api/schedule.mjs`); schedules are stored, never run.
import * as schedule from '../../domain/schedule.js'
import type { MethodTable } from '../types.js'

export const scheduleMethods: MethodTable = {
  'schedule.create': (call) => {
    const p = call.params as unknown as schedule.CreateScheduleOptions
    return schedule.createSchedule(call.ctx, { ...p, userId: call.user?.id })
  },
  'schedule.set': (call) => {
    const { id, ...settings } = call.params as unknown as schedule.ScheduleSettings & { id: string }
    schedule.setSchedule(call.ctx, id, settings)
  },
  'schedule.delete': (call) => {
    schedule.deleteSchedule(call.ctx, call.params.id as string)
  },
  'schedule.get': (call) => schedule.getSchedule(call.ctx, call.params.id as string),
  'schedule.getAll': (call) => schedule.getAllSchedules(call.ctx),
}
