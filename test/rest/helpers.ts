/**
 * A small hand-made inventory for the REST tests, built from the reference objects copied in
 * `fixtures/` (re-linked so that relations are consistent), independent of the default fixture.
 */
import { readFileSync } from 'node:fs'
import { createXoMock, ManualClock, type XoMock } from '../../src/index.js'
import type { XoObject } from '../../src/inventory/types.js'

type Obj = Record<string, unknown>

function load(name: string): Obj {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Obj
}

export const POOL = 'b7569d99-30f8-178a-7d94-801de3e29b5b'
export const HOST = 'b61a5c92-700e-4966-a13b-00633f03eea8'
export const VM_HALTED = 'f07ab729-c0e8-721c-45ec-f11276377030'
export const VM_WEB1 = '11111111-1111-4111-8111-111111111111'
export const VM_WEB2 = '22222222-2222-4222-8222-222222222222'
export const VM_WEB1_REF = 'OpaqueRef:11111111-aaaa-bbbb-cccc-111111111111'
export const TEMPLATE = 'b7569d99-30f8-178a-7d94-801de3e29b5b-f873abe0-b138-4995-8f6f-498b423d234d'
export const VM_SNAPSHOT = '926ed61e-f8c9-8619-da05-1f454ed3dec9'
export const CONTROLLER = '9b4775bd-9493-490a-9afa-f786a44caa4f'
export const SR = 'c4284e12-37c9-7967-b9e8-83ef229c3e03'
export const VDI = 'c77f9955-c1d2-4b39-aa1c-73cdb2dacb7e'
export const VDI_SNAPSHOT = 'd2727772-735b-478f-b6f9-11e7db56dfd0'
export const VBD = '5f9a4c0b-3548-6171-4396-699a0e56cc60'
export const VBD_SNAPSHOT = '33333333-3333-4333-8333-333333333333'
export const MESSAGE = 'f775eaeb-abe5-94e0-9682-14c37c3a1dfe'
export const ALARM_SR = '6a4cc401-6cba-0d41-3b02-b848c5017343'
export const ALARM_UNKNOWN = '0c98c71c-2f9c-d5c2-b9b6-2c8371730eab'
export const ALARM_BOND = '44444444-4444-4444-8444-444444444444'
export const TASK_API = '0mdd1basu'
export const TASK_BOB = '0mgyz928y-k3j9x2m7q1p'
export const ADMIN = '722d17b9-699b-49d2-8193-be1ac573d3de'
export const BOB = '088124f3-41b6-4258-9653-6eedc7b46111'
export const BOB_TOKEN = 'bob-token-0123456789abcdefghijklmnopqrstuvw'
export const ADMIN_TOKEN = 'admin-token-0123456789abcdefghijklmnopqrstu'
export const GROUP = '7d98fee4-3357-41a7-ac3f-9124212badb7'
export const DEVS = '7981ba62-c395-4546-bfa4-d1261653a77f'
export const SERVER = '63375ed4-6d71-4fce-91b0-0a98921b1f9f'
export const ADMIN_PASSWORD = 'admin-password'
export const BOB_PASSWORD = 'bob:secret'

function xapi(object: Obj, patch: Obj = {}): Obj {
  return { ...object, $pool: POOL, $poolId: POOL, ...patch }
}

/** The whole inventory, in a fixed order. */
export function buildObjects(): XoObject[] {
  const vm = load('VM')
  const sr = load('SR')
  const objects: Obj[] = [
    xapi(load('pool'), { id: POOL, uuid: POOL, $pool: POOL, $poolId: POOL }),
    xapi(load('host')),
    xapi(vm, { $container: POOL }),
    xapi(vm, {
      id: VM_WEB1,
      uuid: VM_WEB1,
      _xapiRef: VM_WEB1_REF,
      name_label: 'web-1',
      power_state: 'Running',
      $container: HOST,
      tags: ['prod', 'web'],
      CPUs: { max: 4, number: 2 },
      name_description: 'first | web\nserver',
    }),
    xapi(vm, {
      id: VM_WEB2,
      uuid: VM_WEB2,
      _xapiRef: 'OpaqueRef:22222222-aaaa-bbbb-cccc-222222222222',
      name_label: 'web-2',
      power_state: 'Running',
      $container: HOST,
      tags: [],
      CPUs: { max: 8, number: 4 },
    }),
    xapi(load('VM-template')),
    xapi(load('VM-snapshot'), { $snapshot_of: VM_HALTED }),
    xapi(load('VM-controller'), { $container: HOST }),
    xapi(sr, { $container: HOST }),
    xapi(load('VDI'), { $SR: SR }),
    xapi(load('VDI-snapshot'), { $SR: SR, $snapshot_of: VDI }),
    xapi(load('VBD'), { VM: VM_HALTED, VDI }),
    xapi(load('VBD'), { id: VBD_SNAPSHOT, uuid: VBD_SNAPSHOT, _xapiRef: 'OpaqueRef:vbd-snapshot', VM: VM_SNAPSHOT, VDI: VDI_SNAPSHOT }),
    xapi(load('VIF'), { $VM: VM_WEB1, $network: '9fe12ca3-d75d-cfb0-492e-cfd2bc6c568f' }),
    xapi(load('network')),
    xapi(load('PIF'), { $host: HOST, $network: '9fe12ca3-d75d-cfb0-492e-cfd2bc6c568f' }),
    xapi(load('PBD'), { host: HOST, SR }),
    xapi(load('PCI'), { $host: HOST }),
    xapi(load('PGPU'), { $host: HOST }),
    load('SM'),
    xapi(load('message'), { $object: VM_WEB1 }),
    {
      id: ALARM_SR,
      type: 'message',
      uuid: ALARM_SR,
      name: 'ALARM',
      time: 1724862780,
      $object: SR,
      body: 'value: 0.002\nconfig:\n<variable>\n<name value="physical_utilisation"/>\n<alarm_trigger_level value="0.8"/>\n</variable>',
      $pool: POOL,
      $poolId: POOL,
      _xapiRef: 'OpaqueRef:alarm-sr',
    },
    {
      id: ALARM_UNKNOWN,
      type: 'message',
      uuid: ALARM_UNKNOWN,
      name: 'ALARM',
      time: 1724862781,
      $object: '3f607494-26f1-b328-b626-d81cf007de37',
      body: 'value: NaN\nconfig:\n<variable>\n<name value="cpu_usage"/>\n</variable>',
      $pool: POOL,
      $poolId: POOL,
      _xapiRef: 'OpaqueRef:alarm-unknown',
    },
    {
      id: ALARM_BOND,
      type: 'message',
      uuid: ALARM_BOND,
      name: 'BOND_STATUS_CHANGED',
      time: 1724862782,
      $object: HOST,
      body: 'The status of the eth0+eth1 bond is: 1/2 up',
      $pool: POOL,
      $poolId: POOL,
      _xapiRef: 'OpaqueRef:alarm-bond',
    },
    { ...load('task'), type: 'task' },
    {
      id: TASK_BOB,
      type: 'task',
      properties: { name: 'REST API: start VM', objectId: VM_WEB1, objectType: 'VM', userId: BOB, type: 'xo:rest-api:action' },
      start: 1767225600000,
      status: 'success',
      updatedAt: 1767225601000,
      end: 1767225601000,
    },
    (() => {
      const { pw_hash: _hash, ...user } = load('user')
      return { ...user, type: 'user', password: ADMIN_PASSWORD }
    })(),
    {
      id: BOB,
      type: 'user',
      email: 'bob@example.org',
      name: 'bob',
      permission: 'none',
      groups: [],
      preferences: {},
      password: BOB_PASSWORD,
    },
    { ...load('group'), type: 'group' },
    { id: DEVS, type: 'group', name: 'devs', users: [BOB], aclRoleIds: [] },
    { ...load('server'), type: 'server', password: 'server-secret' },
    // a XAPI task record: not part of the REST task log
    { id: 'xapi-task', type: 'task', name_label: 'Async.VM.start', status: 'pending', progress: 0.5 },
    { ...load('schedule'), type: 'schedule' },
    { ...load('proxy'), type: 'proxy' },
    (() => {
      const job = load('backup-job')
      return { ...job, type: 'job', jobType: job.type }
    })(),
    { ...load('backup-log'), type: 'backupLog' },
    { ...load('restore-log'), type: 'restoreLog' },
    (() => {
      const remote = load('backup-repository')
      return { ...remote, type: 'remote', url: 's3://FOIS5DY532RGXD62TJ52:plain-secret@s3.us-east-2.amazonaws.com/with-lock/backup?useVhdDirectory=true' }
    })(),
    { id: BOB_TOKEN, type: 'token', user_id: BOB, created_at: 0, expiration: 8e15 },
    { id: ADMIN_TOKEN, type: 'token', user_id: ADMIN, created_at: 0, expiration: 8e15 },
    // bob may read VM web-1 directly, and SR objects through his group
    { id: 'acl-bob-web1', type: 'acl', subject: BOB, object: VM_WEB1, action: 'view' },
    { id: 'acl-devs-sr', type: 'acl', subject: DEVS, object: SR, action: 'operate' },
  ]
  return objects as XoObject[]
}

export async function startMock(objects: XoObject[] = buildObjects()): Promise<XoMock & { clock: ManualClock }> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const mock = await createXoMock({ inventory: { objects }, clock, token: ADMIN_TOKEN, port: 0 })
  return Object.assign(mock, { clock })
}

export const adminCookie = `authenticationToken=${ADMIN_TOKEN}`
export const bobCookie = `authenticationToken=${BOB_TOKEN}`

export function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')
}

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | number | undefined>
  readonly text: string
  json(): unknown
}

/** `GET` (or another method) through `app.inject`, with optional cookie / Authorization. */
export async function get(mock: XoMock, url: string, headers: Record<string, string> = { cookie: adminCookie }, method: 'GET' | 'HEAD' | 'POST' = 'GET'): Promise<Reply> {
  const response = await mock.app.inject({ method, url, headers })
  return {
    status: response.statusCode,
    headers: response.headers,
    text: response.payload,
    json: () => JSON.parse(response.payload) as unknown,
  }
}
