/**
 * Injectable time source. Everything that reads time (timestamps, task timing, scenario steps, pings)
 * goes through a Clock so that tests can run on a manual clock and never sleep.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  setTimeout(callback: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export interface TimerHandle {
  readonly id: number
}

/** The real clock. Timers are unref'd so that they never keep a process alive. */
export class SystemClock implements Clock {
  readonly #timers = new Map<number, NodeJS.Timeout>()
  #next = 1

  now(): number {
    return Date.now()
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#next++
    const timer = globalThis.setTimeout(() => {
      this.#timers.delete(id)
      callback()
    }, Math.max(0, ms))
    timer.unref?.()
    this.#timers.set(id, timer)
    return { id }
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = this.#timers.get(handle.id)
    if (timer !== undefined) {
      globalThis.clearTimeout(timer)
      this.#timers.delete(handle.id)
    }
  }
}

interface ManualTimer {
  readonly id: number
  readonly at: number
  readonly callback: () => void
}

/**
 * A clock that only moves when told to (`advance`, `set`). Timers fire in due-time order (then creation
 * order) while advancing, each seeing `now()` equal to its due time.
 */
export class ManualClock implements Clock {
  #now: number
  #next = 1
  #timers: ManualTimer[] = []

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.#next++, at: this.#now + Math.max(0, ms), callback }
    this.#timers.push(timer)
    return { id: timer.id }
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle.id)
  }

  /** Number of timers waiting. */
  get pending(): number {
    return this.#timers.length
  }

  /** Moves time forward by `ms`, firing every timer that becomes due. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('advance expects a non-negative number of milliseconds')
    this.set(this.#now + ms)
  }

  /** Moves time forward to `time` (never backward), firing every timer that becomes due. */
  set(time: number): void {
    if (time < this.#now) throw new RangeError('the clock cannot go backward')
    for (;;) {
      let due: ManualTimer | undefined
      for (const timer of this.#timers) {
        if (timer.at <= time && (due === undefined || timer.at < due.at || (timer.at === due.at && timer.id < due.id))) due = timer
      }
      if (due === undefined) break
      this.#timers = this.#timers.filter((timer) => timer !== due)
      this.#now = due.at
      due.callback()
    }
    this.#now = time
  }
}
