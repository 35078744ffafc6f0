/**
 * The test-control plane: the same operations under `/_mock` (routes.ts) and in-process on `xo.control`.
 *
 * - reset to the boot inventory, export / load an inventory (inventory.ts);
 * - fault rules on REST routes, JSON-RPC methods, WebSocket connections and transfer URLs (faults.ts,
 *   applied by the app-level HTTP hooks of http.ts and the JSON-RPC interceptor of rpc-hook.ts);
 * - the request journal (journal.ts);
 * - scenarios: timelines of inventory changes and call-triggered steps (scenarios.ts);
 * - the clock (clock.ts), task timing policies (tasks.ts), coverage, the control plane's OpenAPI.
 *
 * Everything is per instance: several mocks in one process share nothing.
 */
import { resetDiskContent } from '../domain/disk-content.js'
import type { FastifyInstance } from 'fastify'
import type { MockContext } from '../context.js'
import type { InventorySource } from '../inventory/load.js'
import type { TokenObject, XoObject } from '../inventory/types.js'
import { restCoverage, summarizeCoverage, restCoverageMarkdown } from '../rest/coverage.js'
import { rpcCoverage, rpcCoverageMarkdown } from '../rpc/coverage.js'
import type { RpcServer } from '../rpc/socket.js'
import type { RpcInterceptor } from '../rpc/types.js'
import type { XoTaskLog } from '../domain/xo-task.js'
import { CallFeed } from './calls.js'
import { clockInfo, moveClock, type ClockInfo } from './clock.js'
import { FaultRegistry, type FaultInfo, type FaultRule } from './faults.js'
import { installHttpHooks } from './http.js'
import { exportInventory, prepareInventory, syncStore, type LoadResult } from './inventory.js'
import { DEFAULT_JOURNAL_SIZE, Journal, type JournalEntry, type JournalQuery } from './journal.js'
import { controlOpenApi } from './openapi.js'
import { registerControlRoutes } from './routes.js'
import { createRpcInterceptor } from './rpc-hook.js'
import { bundledScenarios, ScenarioManager, type ScenarioInfo, type ScenarioRequest } from './scenarios.js'
import { TaskPolicies, type TaskErrorSpec, type TaskPolicyEntry, type TaskPolicySpec } from './tasks.js'

export { ControlError } from './errors.js'
export type { ClockInfo } from './clock.js'
export type { DelaySpec, ErrorSpec, FaultEffect, FaultInfo, FaultMatch, FaultRule } from './faults.js'
export type { JournalEntry, JournalQuery, Transport } from './journal.js'
export type { LoadResult, SyncStats } from './inventory.js'
export type { ScenarioInfo, ScenarioRequest, ScenarioState } from './scenarios.js'
export type { ScenarioSpec, Selector, StepSpec, Target, TriggerSpec, UpdateSpec } from './scenario-spec.js'
export type { TaskErrorSpec, TaskPolicyEntry, TaskPolicySpec } from './tasks.js'
export { CONTROL_PREFIX } from './http.js'

export interface ControlOptions {
  /** Seed of the fault PRNGs (probability, jitter): the mock's seed. Default `xo-mock`. */
  readonly seed?: string | number
  /** Capacity of the journal ring (default 1000; 0 disables the journal). */
  readonly journalSize?: number
}

export interface Coverage {
  /** REST operations of XO's OpenAPI spec; null when this server has no REST API. */
  readonly rest: {
    readonly total: number
    readonly implemented: number
    readonly notImplemented: number
    readonly operations: readonly { readonly method: string; readonly path: string; readonly implemented: boolean; readonly operationId?: string }[]
  } | null
  readonly rpc: { readonly total: number; readonly implemented: number; readonly methods: readonly { readonly method: string; readonly implemented: boolean }[] }
}

/** The in-process control API (`xo.control`): one method per `/_mock` route. */
export interface MockControl {
  /** `POST /_mock/reset`: boot inventory back (only what changed is changed), tasks, journal, faults, scenarios, task policies cleared. */
  reset(): void
  /** `GET /_mock/inventory`. */
  exportInventory(): Record<string, XoObject>
  /** `PUT /_mock/inventory`: a document, a capture, a bundled name or (in-process) a file path. */
  loadInventory(source: InventorySource, options?: { readonly asBoot?: boolean }): LoadResult
  /** `POST /_mock/faults`. */
  addFault(rule: FaultRule): FaultInfo
  /** `GET /_mock/faults`. */
  faults(): FaultInfo[]
  /** `GET /_mock/faults/{id}`. */
  fault(id: string): FaultInfo
  /** `DELETE /_mock/faults/{id}`. */
  removeFault(id: string): void
  /** `DELETE /_mock/faults`. */
  clearFaults(): void
  /** `GET /_mock/journal`. */
  journal(query?: JournalQuery): JournalEntry[]
  /** `DELETE /_mock/journal`. */
  clearJournal(): void
  /** `POST /_mock/scenarios`: a document, a bundled name (with overrides), or (in-process) a file path. */
  runScenario(scenario: string | ScenarioRequest): ScenarioInfo
  /** `GET /_mock/scenarios`. */
  scenarios(): ScenarioInfo[]
  /** `GET /_mock/scenarios/{id}`. */
  scenario(id: string): ScenarioInfo
  /** `DELETE /_mock/scenarios/{id}`. */
  stopScenario(id: string): void
  /** `DELETE /_mock/scenarios`. */
  stopScenarios(): void
  /** `GET /_mock/scenarios/bundled`. */
  bundledScenarios(): { name: string; description?: string }[]
  /** `GET /_mock/clock`. */
  clock(): ClockInfo
  /** `POST /_mock/clock {"advance": ms}` (manual clock only). */
  advanceClock(ms: number): ClockInfo
  /** `POST /_mock/clock {"set": time}` (manual clock only, never backward). */
  setClock(time: number | string): ClockInfo
  /** `POST /_mock/task-policies`. */
  setTaskPolicy(action: string, policy: TaskPolicySpec): TaskPolicyEntry
  /** `GET /_mock/task-policies`. */
  taskPolicies(): TaskPolicyEntry[]
  /** `DELETE /_mock/task-policies/{action}`. */
  removeTaskPolicy(action: string): void
  /** `DELETE /_mock/task-policies`. */
  clearTaskPolicies(): void
  /** `GET /_mock/tasks`: tasks whose operation waits (manual or delayed policy). */
  waitingTasks(): XoTaskLog[]
  /** `POST /_mock/tasks/{id}/complete`: runs the waiting operation, or ends the task with `result` when given. */
  completeTask(id: string, outcome?: { readonly result?: unknown }): XoTaskLog
  /** `POST /_mock/tasks/{id}/fail`. */
  failTask(id: string, error?: TaskErrorSpec): XoTaskLog
  /** `GET /_mock/coverage`. */
  coverage(): Coverage
  /** `GET /_mock/openapi.json`. */
  openapi(): Record<string, unknown>
}

export interface ControlPlane extends MockControl {
  /** Registers the `/_mock` routes and the app-level hooks (called before the XO APIs register). */
  register(app: FastifyInstance): Promise<void>
  /** The JSON-RPC interceptor to pass to the RPC server (journal, faults, triggers). */
  readonly rpcInterceptor: RpcInterceptor
  /** Tells the control plane about the JSON-RPC server (reset forgets its transfer URLs). */
  attachRpc(rpc: RpcServer): void
  close(): Promise<void>
}

class Control implements ControlPlane {
  readonly #ctx: MockContext
  readonly #faults: FaultRegistry
  readonly #journal: Journal
  readonly #calls = new CallFeed()
  readonly #scenarios: ScenarioManager
  readonly #tasks: TaskPolicies
  readonly #hungSockets = new Set<{ destroy(): void }>()
  readonly rpcInterceptor: RpcInterceptor
  #boot: readonly XoObject[]
  #rpc: RpcServer | undefined
  #closed = false

  constructor(ctx: MockContext, options: ControlOptions) {
    this.#ctx = ctx
    this.#faults = new FaultRegistry(options.seed ?? 'xo-mock')
    this.#journal = new Journal(options.journalSize ?? DEFAULT_JOURNAL_SIZE)
    this.#scenarios = new ScenarioManager(ctx, this.#calls)
    this.#tasks = new TaskPolicies(ctx)
    // the boot state: the inventory as the server is built, i.e. ctx.bootObjects plus the mock's own admin
    // token (created after the context), which must survive a reset for `xo.token` to stay valid
    this.#boot = [...ctx.store.all()]
    this.rpcInterceptor = createRpcInterceptor({ ctx, faults: this.#faults, journal: this.#journal, calls: this.#calls })
  }

  async register(app: FastifyInstance): Promise<void> {
    installHttpHooks(app, { ctx: this.#ctx, faults: this.#faults, journal: this.#journal, calls: this.#calls, hungSockets: this.#hungSockets })
    await registerControlRoutes(app, this, this.#ctx)
  }

  attachRpc(rpc: RpcServer): void {
    this.#rpc = rpc
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#scenarios.clear()
    this.#faults.clear()
    this.#destroyHungSockets()
  }

  #destroyHungSockets(): void {
    for (const socket of this.#hungSockets) socket.destroy()
    this.#hungSockets.clear()
  }

  /** Boot state back; the returned promise settles once uploaded disk contents are dropped too. */
  reset(): Promise<void> {
    this.#scenarios.clear(true)
    this.#faults.clear(true)
    this.#destroyHungSockets()
    this.#tasks.clear()
    syncStore(this.#ctx, this.#boot)
    this.#rpc?.transfers.clear()
    this.#journal.clear()
    // disk content operations are queued: reads that follow see the boot contents
    return resetDiskContent(this.#ctx)
  }

  exportInventory(): Record<string, XoObject> {
    return exportInventory(this.#ctx)
  }

  loadInventory(source: InventorySource, options: { readonly asBoot?: boolean } = {}): LoadResult {
    return this.#load(source, { allowPaths: true, asBoot: options.asBoot === true })
  }

  /** Shared by the route (no file paths) and the in-process method. */
  loadInventoryFrom(source: InventorySource, options: { readonly allowPaths: boolean; readonly asBoot: boolean }): LoadResult {
    return this.#load(source, options)
  }

  #load(source: InventorySource, options: { readonly allowPaths: boolean; readonly asBoot: boolean }): LoadResult {
    const keepTokens = this.#boot.filter((object): object is TokenObject => object.type === 'token')
    const { objects, warnings } = prepareInventory(this.#ctx, source, { allowPaths: options.allowPaths, keepTokens })
    const changes = syncStore(this.#ctx, objects)
    void resetDiskContent(this.#ctx)
    if (options.asBoot) this.#boot = [...this.#ctx.store.all()]
    return { objects: this.#ctx.store.size, warnings, changes }
  }

  addFault(rule: FaultRule): FaultInfo {
    return this.#faults.add(rule)
  }

  faults(): FaultInfo[] {
    return this.#faults.list()
  }

  fault(id: string): FaultInfo {
    return this.#faults.get(id)
  }

  removeFault(id: string): void {
    this.#faults.remove(id)
  }

  clearFaults(): void {
    this.#faults.clear()
  }

  journal(query: JournalQuery = {}): JournalEntry[] {
    return this.#journal.query(query)
  }

  clearJournal(): void {
    this.#journal.clear()
  }

  runScenario(scenario: string | ScenarioRequest): ScenarioInfo {
    return this.#scenarios.start(scenario, { allowPaths: true })
  }

  /** The route's variant: bundled names only, no file paths. */
  startScenarioFromRequest(body: unknown): ScenarioInfo {
    return this.#scenarios.start(body, { allowPaths: false })
  }

  scenarios(): ScenarioInfo[] {
    return this.#scenarios.list()
  }

  scenario(id: string): ScenarioInfo {
    return this.#scenarios.get(id)
  }

  stopScenario(id: string): void {
    this.#scenarios.remove(id)
  }

  stopScenarios(): void {
    this.#scenarios.clear()
  }

  bundledScenarios(): { name: string; description?: string }[] {
    return bundledScenarios()
  }

  clock(): ClockInfo {
    return clockInfo(this.#ctx.clock)
  }

  advanceClock(ms: number): ClockInfo {
    return moveClock(this.#ctx.clock, { advance: ms })
  }

  setClock(time: number | string): ClockInfo {
    return moveClock(this.#ctx.clock, { set: time })
  }

  moveClock(body: unknown): ClockInfo {
    return moveClock(this.#ctx.clock, body)
  }

  setTaskPolicy(action: string, policy: TaskPolicySpec): TaskPolicyEntry {
    return this.#tasks.set(action, policy)
  }

  taskPolicies(): TaskPolicyEntry[] {
    return this.#tasks.list()
  }

  removeTaskPolicy(action: string): void {
    this.#tasks.remove(action)
  }

  clearTaskPolicies(): void {
    this.#tasks.clear()
  }

  waitingTasks(): XoTaskLog[] {
    return this.#tasks.waiting()
  }

  completeTask(id: string, outcome?: { readonly result?: unknown }): XoTaskLog {
    return this.#tasks.complete(id, outcome)
  }

  failTask(id: string, error?: TaskErrorSpec): XoTaskLog {
    return this.#tasks.fail(id, error === undefined ? undefined : { error })
  }

  coverage(): Coverage {
    let rest: Coverage['rest'] = null
    try {
      const entries = restCoverage(this.#ctx)
      rest = {
        ...summarizeCoverage(entries),
        operations: entries.map((entry) => ({
          method: entry.method,
          path: `${this.#ctx.restBase}${entry.path}`,
          implemented: entry.implemented,
          ...(entry.operationId === undefined ? {} : { operationId: entry.operationId }),
        })),
      }
    } catch {
      // no REST API built for this context
    }
    const methods = rpcCoverage()
    return { rest, rpc: { total: methods.length, implemented: methods.filter((entry) => entry.implemented).length, methods } }
  }

  coverageMarkdown(): string {
    let rest = ''
    try {
      rest = restCoverageMarkdown(restCoverage(this.#ctx)) + '\n'
    } catch {
      rest = 'No REST API on this server.\n\n'
    }
    return `# xo-mock coverage\n\n## REST\n\n${rest}## JSON-RPC\n\n${rpcCoverageMarkdown()}`
  }

  openapi(): Record<string, unknown> {
    return controlOpenApi()
  }
}

export type ControlImplementation = Control

export function createControlPlane(ctx: MockContext, options: ControlOptions = {}): ControlPlane {
  return new Control(ctx, options)
}
