/**
 * The JSON-RPC interceptor: journal entry, fault rules and scenario triggers for every call received on
 * `/api/` (see `RpcInterceptor` in `src/rpc/types.ts`).
 */
import type { MockContext } from '../context.js'
import type { UserObject } from '../inventory/types.js'
import { DROP_REPLY, type InterceptedRpcCall, type RpcInterceptor, type RpcOutcome } from '../rpc/types.js'
import { lazy, type CallFeed } from './calls.js'
import { sleep } from './clock.js'
import type { FaultRegistry } from './faults.js'
import type { Journal } from './journal.js'
import { targetsOfParams } from './targets.js'

export interface RpcHookDeps {
  readonly ctx: MockContext
  readonly faults: FaultRegistry
  readonly journal: Journal
  readonly calls: CallFeed
}

function userEmail(ctx: MockContext, call: InterceptedRpcCall): string | undefined {
  const id = call.connection.userId
  if (id === undefined) return undefined
  const user = ctx.store.get(id)
  return user?.type === 'user' ? (user as UserObject).email : undefined
}

export function createRpcInterceptor(deps: RpcHookDeps): RpcInterceptor {
  const { ctx, faults, journal, calls } = deps
  const { clock, store } = ctx
  return async (call, next) => {
    const start = clock.now()
    const targets = lazy(() => targetsOfParams(store, call.params))
    let fault: string | undefined
    let delayMs: number | undefined
    const finish = (outcome: RpcOutcome | undefined, note?: string) => {
      // the user is read after the call: `session.signIn` journals the user it signed in
      const user = userEmail(ctx, call)
      const error = outcome !== undefined && 'error' in outcome ? outcome.error : undefined
      journal.add({
        transport: 'rpc',
        method: call.method,
        ...(call.params === undefined ? {} : { params: call.params }),
        ...(error === undefined ? (note === undefined ? {} : { error: note }) : { error: note === undefined ? error.message : `${error.message} (${note})`, code: error.code }),
        ...(user === undefined ? {} : { user }),
        ...(fault === undefined ? {} : { fault }),
        ...(delayMs === undefined ? {} : { delayMs }),
        at: start,
        durationMs: clock.now() - start,
      })
      if (outcome !== undefined && calls.size > 0) calls.emit({ transport: 'rpc', method: call.method, ok: error === undefined, targets })
    }

    const decision = faults.decide({ transport: 'rpc', method: call.method, targets })
    if (decision.delays.length > 0) {
      // one wait for the total: successive waits would each need the clock to move again
      fault = decision.delays[decision.delays.length - 1]!.fault
      delayMs = decision.delays.reduce((total, delay) => total + delay.ms, 0)
      await sleep(clock, delayMs)
    }
    const terminal = decision.effect
    if (terminal === undefined) {
      const outcome = await next()
      finish(outcome)
      return outcome
    }
    fault = terminal.fault
    const { effect } = terminal
    if ('error' in effect) {
      const { code, message, data } = effect.error
      const outcome: RpcOutcome = { error: data === undefined ? { message, code } : { message, code, data } }
      finish(outcome)
      return outcome
    }
    if ('drop' in effect) {
      // the call runs, its reply is lost
      const outcome = await next()
      finish(outcome, 'reply dropped by a fault')
      return DROP_REPLY
    }
    if ('close' in effect) {
      finish(undefined, `connection closed by a fault with code ${effect.close}`)
      const close = () => call.closeConnection(effect.close, effect.reason ?? 'xo-mock fault')
      if (effect.after === undefined || effect.after <= 0) close()
      else clock.setTimeout(close, effect.after)
      return DROP_REPLY
    }
    // hang: the call never runs and never gets an answer
    finish(undefined, 'hung by a fault (no reply)')
    return new Promise<never>(() => {})
  }
}
