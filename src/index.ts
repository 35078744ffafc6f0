import type { FastifyInstance } from 'fastify'
import { makeContext, type ApiProfile, type MockContext } from './context.js'
import { addFixedToken, DEFAULT_EMAIL, defaultAdminUser, findUserByEmail } from './domain/auth.js'
import { ManualClock, SystemClock, type Clock } from './inventory/clock.js'
import { IdGenerator } from './inventory/ids.js'
import { loadInventory, type InventorySource } from './inventory/load.js'
import { ObjectStore } from './inventory/store.js'
import type { UserObject, XoObject } from './inventory/types.js'
import type { MockControl, ScenarioRequest } from './control/index.js'
import type { RpcServer } from './rpc/index.js'
import { buildServer } from './server.js'

export type { Change, ChangeListener, Patch } from './inventory/store.js'
export { ObjectStore } from './inventory/store.js'
export { ManualClock, SystemClock, type Clock } from './inventory/clock.js'
export type { XoObject } from './inventory/types.js'
// control plane (/_mock and xo.control)
export type {
  ClockInfo,
  Coverage,
  FaultEffect,
  FaultInfo,
  FaultMatch,
  FaultRule,
  JournalEntry,
  JournalQuery,
  LoadResult,
  MockControl,
  ScenarioInfo,
  ScenarioRequest,
  ScenarioSpec,
  StepSpec,
  TaskPolicyEntry,
  TaskPolicySpec,
} from './control/index.js'
export { ControlError } from './control/index.js'

export { DEFAULT_EMAIL, DEFAULT_PASSWORD } from './domain/auth.js'

export interface XoMockOptions {
  /** A fixture path, a bundled inventory name (`default`, …) or an inventory document. Default: `default`. */
  readonly inventory?: InventorySource
  /** Seed of ids and generated data. Default: `xo-mock`. */
  readonly seed?: string | number
  /** A ready-made admin authentication token to add. */
  readonly token?: string
  /** `manual` for a clock that only moves when told to, or a Clock instance. Default: the system clock. */
  readonly clock?: Clock | 'manual' | 'system'
  readonly host?: string
  /** 0 (default) picks a free port. */
  readonly port?: number
  readonly logger?: boolean
  /** Keep imported disk content in this directory instead of memory. */
  readonly dataDir?: string
  /** REST API era to imitate: `current` (default) or `legacy`. */
  readonly apiProfile?: ApiProfile
  /** Interval of SSE pings in ms (default 30 000, as XO). */
  readonly ssePingInterval?: number
  /** Capacity of the request journal (`/_mock/journal`, default 1000; 0 disables it). */
  readonly journalSize?: number
  /** Scenarios to start once the server listens: bundled names, file paths or documents. */
  readonly scenarios?: readonly (string | ScenarioRequest)[]
}

export interface XoMock {
  /** Base URL, e.g. `http://127.0.0.1:34567`. */
  readonly url: string
  /** An admin authentication token (the `token` option, or one created at start). */
  readonly token: string
  readonly email: string
  readonly password: string
  /** The object graph: typed reads and mutations through the one mutation API. */
  readonly inventory: ObjectStore
  readonly context: MockContext
  readonly app: FastifyInstance
  /** The JSON-RPC server: sessions, transfers, notifier. */
  readonly rpc: RpcServer
  /** The test-control plane: the operations of `/_mock`, in-process (`xo.control.reset()`, `addFault()`, …). */
  readonly control: MockControl
  readonly warnings: readonly string[]
  close(): Promise<void>
}

function makeClock(option: XoMockOptions['clock']): Clock {
  if (option === undefined || option === 'system') return new SystemClock()
  if (option === 'manual') return new ManualClock()
  return option
}

/** Builds the context of one mock: clock, seeded ids, the inventory loaded into a fresh store. */
export function createContext(options: XoMockOptions = {}): MockContext {
  const clock = makeClock(options.clock)
  const ids = new IdGenerator(options.seed ?? 'xo-mock')
  const loaded = loadInventory(options.inventory ?? 'default', { ids, now: clock.now() })
  const store = new ObjectStore()
  store.replaceAll(loaded.objects, { deriveBackReferences: loaded.deriveBackReferences })
  if (store.count('user') === 0) store.add(defaultAdminUser(ids))
  const bootObjects: XoObject[] = [...store.all()]
  const config: Partial<MockContext['config']> = {}
  if (options.dataDir !== undefined) Object.assign(config, { dataDir: options.dataDir })
  if (options.apiProfile !== undefined) Object.assign(config, { apiProfile: options.apiProfile })
  if (options.ssePingInterval !== undefined) Object.assign(config, { ssePingInterval: options.ssePingInterval })
  return makeContext({ store, clock, ids, bootObjects, warnings: loaded.warnings, config })
}

/** The admin user a ready-made token belongs to: XO's default admin if present, else the first admin. */
function defaultAdmin(ctx: MockContext): UserObject {
  const user = findUserByEmail(ctx, DEFAULT_EMAIL)
  if (user !== undefined && user.permission === 'admin') return user
  for (const candidate of ctx.store.ofType<UserObject>('user')) if (candidate.permission === 'admin') return candidate
  throw new Error('the inventory has no admin user')
}

/** Starts a mock XO server. Many can run side by side in one process. */
export async function createXoMock(options: XoMockOptions = {}): Promise<XoMock> {
  const context = createContext(options)
  const admin = defaultAdmin(context)
  const token =
    // like a fixed --token, the generated admin token does not expire in mock time (a manual clock may be advanced far)
    addFixedToken(context, admin.id, options.token ?? context.ids.token()).id
  const { app, rpc, control } = await buildServer(context, {
    logger: options.logger,
    control: { seed: options.seed ?? 'xo-mock', journalSize: options.journalSize },
  })
  const host = options.host ?? '127.0.0.1'
  await app.listen({ host, port: options.port ?? 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  try {
    for (const scenario of options.scenarios ?? []) control.runScenario(scenario)
  } catch (error) {
    await app.close()
    throw error
  }
  return {
    url: `http://${shownHost}:${port}`,
    token,
    email: admin.email,
    password: admin.password ?? '',
    inventory: context.store,
    context,
    app,
    rpc,
    control,
    warnings: context.warnings,
    close: () => app.close(),
  }
}
