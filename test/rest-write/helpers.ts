/**
 * Helpers of the REST write-path tests: the read tests' small linked inventory (test/rest/helpers.ts)
 * made consistent for writes (the pool's master and default SR exist, the schedule's job exists),
 * requests through `app.inject`, and a recorder of the store's change feed.
 */
import type { XoMock } from '../../src/index.js'
import type { Change } from '../../src/inventory/store.js'
import type { XoObject } from '../../src/inventory/types.js'
import { adminCookie, buildObjects, HOST, POOL, SR, startMock } from '../rest/helpers.js'

export * from '../rest/helpers.js'

export const JOB = 'd33f3dc1-92b4-469c-ad58-4c2a106a4721'
export const SCHEDULE = 'cf7249f8-d20b-494f-97f4-b1f32f94e780'
export const NETWORK = '9fe12ca3-d75d-cfb0-492e-cfd2bc6c568f'
export const PIF = 'd9e42451-3794-089f-de81-4ee0e6137bee'
export const PBD = '16b2a60f-7c4d-f45f-7c7a-963b06fc587d'
export const VIF = 'f028c5d4-578a-332c-394e-087aaca32dd3'
/** A plain guest network of the pool (the fixture network is the host internal management one). */
export const GUEST_NETWORK = '5e1bfb4d-0e4c-4f2c-9c1b-6a1f8d5e9a10'

export function writeObjects(): XoObject[] {
  const objects = buildObjects().map((object) => {
    if (object.id === POOL) return { ...object, master: HOST, default_SR: SR }
    if (object.type === 'schedule') return { ...object, jobId: JOB }
    return object
  })
  objects.push({
    id: GUEST_NETWORK,
    type: 'network',
    uuid: GUEST_NETWORK,
    name_label: 'Pool-wide network',
    name_description: '',
    automatic: false,
    bridge: 'xenbr1',
    current_operations: {},
    defaultIsLocked: false,
    MTU: 1500,
    other_config: {},
    tags: [],
    PIFs: [],
    VIFs: [],
    nbd: false,
    insecureNbd: false,
    $pool: POOL,
    $poolId: POOL,
    _xapiRef: 'OpaqueRef:guest-network',
  } as XoObject)
  return objects
}

export type WriteMock = Awaited<ReturnType<typeof startMock>>

export async function startWriteMock(objects: XoObject[] = writeObjects()): Promise<WriteMock> {
  return startMock(objects)
}

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | number | undefined>
  readonly text: string
  json(): any
}

/** One request through `app.inject` (admin cookie by default); `body` is sent as JSON. */
export async function call(
  mock: XoMock,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = { cookie: adminCookie },
): Promise<Reply> {
  const response = await mock.app.inject({
    method,
    url,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  return {
    status: response.statusCode,
    headers: response.headers,
    text: response.payload,
    json: () => JSON.parse(response.payload),
  }
}

/** Records the change feed until stopped. */
export function recordChanges(mock: XoMock): { readonly changes: Change[]; stop(): void; of(type: string): Change[] } {
  const changes: Change[] = []
  const stop = mock.inventory.subscribe((change) => changes.push(change))
  return { changes, stop, of: (type) => changes.filter((change) => change.type === type) }
}

/** The task objects of the store, by id. */
export function task(mock: XoMock, id: string): Record<string, any> {
  const object = mock.inventory.get(id)
  if (object === undefined) throw new Error(`no task ${id}`)
  return object as Record<string, any>
}
