/**
 * The mock's clock as the control plane shows it (`GET /_mock/clock`) and moves it (`POST /_mock/clock`,
 * manual clocks only). Every timer of the mock — fault delays, scenario steps, task timing, token expiry,
 * SSE pings — runs on this clock, so on a manual clock a test advances time instead of sleeping.
 */
import { ManualClock, type Clock } from '../inventory/clock.js'
import { ControlError, badRequest, checkKeys, describe, isPlainObject } from './errors.js'

export interface ClockInfo {
  /** `manual` (moves only when told to) or `system` (real time; any other Clock implementation: `custom`). */
  readonly mode: 'manual' | 'system' | 'custom'
  /** ms since the epoch. */
  readonly now: number
  readonly iso: string
  /** Timers waiting on a manual clock. */
  readonly pendingTimers?: number
}

export interface ClockMove {
  /** Moves forward by this many ms. */
  readonly advance?: number
  /** Moves forward to this time (ms since the epoch or an ISO date); never backward. */
  readonly set?: number | string
}

export function clockInfo(clock: Clock): ClockInfo {
  const now = clock.now()
  const mode = clock instanceof ManualClock ? 'manual' : clock.constructor.name === 'SystemClock' ? 'system' : 'custom'
  const info: ClockInfo = { mode, now, iso: new Date(now).toISOString() }
  return clock instanceof ManualClock ? { ...info, pendingTimers: clock.pending } : info
}

/** Advances a manual clock, firing every timer that becomes due (synchronously, in due order). */
export function moveClock(clock: Clock, move: unknown): ClockInfo {
  if (!(clock instanceof ManualClock)) {
    throw new ControlError(409, 'the clock is not manual: start the mock with --clock manual (or clock: "manual") to move it')
  }
  if (!isPlainObject(move)) throw badRequest(`expected {"advance": ms} or {"set": time}, got ${describe(move)}`)
  checkKeys(move, ['advance', 'set'], '')
  if ((move.advance === undefined) === (move.set === undefined)) throw badRequest('expected exactly one of advance, set')
  if (move.advance !== undefined) {
    const ms = move.advance
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw badRequest(`advance: expected a non-negative number of ms, got ${describe(ms)}`)
    clock.advance(ms)
  } else {
    const target = typeof move.set === 'string' ? Date.parse(move.set) : move.set
    if (typeof target !== 'number' || !Number.isFinite(target)) throw badRequest(`set: expected ms since the epoch or an ISO date, got ${describe(move.set)}`)
    if (target < clock.now()) throw new ControlError(409, `set: the clock cannot go backward (now ${new Date(clock.now()).toISOString()})`)
    clock.set(target)
  }
  return clockInfo(clock)
}

/** Resolves after `ms` on the mock's clock (at once for 0). */
export function sleep(clock: Clock, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve) => clock.setTimeout(resolve, ms))
}
