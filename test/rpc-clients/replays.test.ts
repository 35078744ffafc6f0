/**
 * Replays of the JSON-RPC call sequences of the real third-party clients (reference clients.md §0, §2,
 * §3, §4; jsonrpc-api.md §7.8): xo-cli 0.32.3, the Ansible `community.general.xen_orchestra` inventory
 * plugin 6.6.2 and the Terraform provider's Go SDK (xenorchestra-go-sdk v1.17.0). Each replay sends
 * the exact frames the client sends (its request-id scheme, a missing `params` key where it omits it)
 * on a plain WebSocket to `/api/`, and checks what the client reads from the answers, with the JSON
 * types it decodes them into.
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'
import { current, GiB, objectsOf, pick, sleep, useMock, XoClient } from './harness.js'

const t = useMock()

// ---------------------------------------------------------------------------------------------
// A wire-level JSON-RPC client with a client's own request-id scheme

interface Frame {
  readonly raw: string
  readonly json: any
}

class WireClient {
  readonly frames: Frame[] = []
  readonly #waiters = new Set<() => void>()
  #next: () => unknown

  private constructor(
    readonly ws: WebSocket,
    ids: () => unknown,
  ) {
    this.#next = ids
    ws.on('message', (data) => {
      const raw = String(data)
      this.frames.push({ raw, json: JSON.parse(raw) })
      for (const waiter of this.#waiters) waiter()
    })
  }

  /** Opens `ws://host:port/api/` the way the client computes it. */
  static async open(url: string, ids: () => unknown): Promise<WireClient> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/api/')
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return new WireClient(ws, ids)
  }

  /**
   * Sends a request (no `params` key when `params` is undefined) and waits for the frame answering it.
   * Returns the response and how many other frames (notifications) came before it.
   */
  async request(method: string, params?: unknown): Promise<{ response: any; raw: string; skipped: number }> {
    const id = this.#next()
    const request: Record<string, unknown> = { id, jsonrpc: '2.0', method }
    if (params !== undefined) request.params = params
    const start = this.frames.length
    this.ws.send(JSON.stringify(request))
    const index = await new Promise<number>((resolve, reject) => {
      const find = () => this.frames.findIndex((frame, i) => i >= start && 'id' in frame.json && frame.json.id === id)
      const timer = setTimeout(() => reject(new Error(`no response to ${method}`)), 5000)
      const waiter = () => {
        const found = find()
        if (found === -1) return
        clearTimeout(timer)
        this.#waiters.delete(waiter)
        resolve(found)
      }
      this.#waiters.add(waiter)
      waiter()
    })
    const frame = this.frames[index]!
    // every answer is a JSON-RPC 2.0 response echoing the id (same value, same JSON type)
    expect(frame.json.jsonrpc).toBe('2.0')
    expect(typeof frame.json.id).toBe(typeof id)
    expect('result' in frame.json || 'error' in frame.json).toBe(true)
    if ('error' in frame.json) {
      expect(Number.isInteger(frame.json.error.code)).toBe(true)
      expect(typeof frame.json.error.message).toBe('string')
    }
    return { response: frame.json, raw: frame.raw, skipped: index - start }
  }

  /** The `result` of a call, failing the test on an error response. */
  async call(method: string, params?: unknown): Promise<any> {
    const { response } = await this.request(method, params)
    if ('error' in response) throw Object.assign(new Error(`${method}: ${response.error.message}`), response.error)
    // sourcegraph/jsonrpc2 (Go SDK) needs `result` on every success, even null
    expect(response).toHaveProperty('result')
    return response.result
  }

  close(): void {
    this.ws.close()
  }
}

/** json-rpc-peer (xo-lib, xo-cli): ids from Number.MIN_SAFE_INTEGER upwards. */
const peerIds = () => {
  let next = Number.MIN_SAFE_INTEGER
  return () => next++
}
/** Ansible (`self.counter`) and sourcegraph/jsonrpc2 (uint64): 0, 1, 2, … */
const countingIds = () => {
  let next = 0
  return () => next++
}

// ---------------------------------------------------------------------------------------------
// Go-like strict JSON decoding of the fields the SDK reads

type GoType = 'string' | 'int' | 'number' | 'bool' | 'string[]' | 'map[string]string' | 'object' | 'int|numeric-string'

/** Whether a JSON value decodes into a Go field of this type (`null` leaves a non-pointer field zero). */
function decodes(value: unknown, type: GoType): boolean {
  if (value === null || value === undefined) return true
  switch (type) {
    case 'string':
      return typeof value === 'string'
    case 'int':
      return Number.isInteger(value)
    case 'number':
      return typeof value === 'number'
    case 'bool':
      return typeof value === 'boolean'
    case 'string[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'string')
    case 'map[string]string':
      return typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string')
    case 'object':
      return typeof value === 'object' && !Array.isArray(value)
    case 'int|numeric-string':
      return Number.isInteger(value) || (typeof value === 'string' && /^\d+$/.test(value))
  }
}

const path = (object: any, dotted: string) => dotted.split('.').reduce((value, key) => (value === null || value === undefined ? undefined : value[key]), object)

/** Fails with the list of fields that would not decode (or are missing when required). */
function expectGoDecodable(object: any, fields: Record<string, GoType>, required: readonly string[] = []): void {
  const problems: string[] = []
  for (const [field, type] of Object.entries(fields)) {
    const value = path(object, field)
    if (!decodes(value, type)) problems.push(`${field}: ${JSON.stringify(value)} is not ${type}`)
  }
  for (const field of required) if (path(object, field) === undefined) problems.push(`${field}: missing`)
  expect(problems, `${object.type} ${object.id}`).toEqual([])
}

/** `client/vm.go` Vm struct: the fields and types the SDK decodes. */
const GO_VM: Record<string, GoType> = {
  id: 'string',
  type: 'string',
  name_label: 'string',
  name_description: 'string',
  power_state: 'string',
  'CPUs.number': 'int',
  'CPUs.max': 'int',
  coresPerSocket: 'int',
  'memory.size': 'int',
  VIFs: 'string[]',
  $VBDs: 'string[]',
  virtualizationMode: 'string',
  $poolId: 'string',
  $container: 'string',
  'creation.date': 'string',
  'creation.template': 'string',
  'creation.user': 'string',
  auto_poweron: 'bool',
  high_availability: 'string',
  cloudConfig: 'string',
  resourceSet: 'string',
  secureBoot: 'bool',
  tags: 'string[]',
  videoram: 'int|numeric-string',
  vga: 'string',
  startDelay: 'int',
  startTime: 'number',
  xenStoreData: 'map[string]string',
  addresses: 'map[string]string',
  blockedOperations: 'map[string]string',
  'boot.firmware': 'string',
  affinityHost: 'string',
  expNestedHvm: 'bool',
  managementAgentDetected: 'bool',
  pvDriversDetected: 'bool',
}
const GO_VM_REQUIRED = ['id', 'type', 'name_label', 'power_state', 'CPUs.number', 'memory.size', '$VBDs', 'VIFs', 'boot', 'addresses', 'tags', '$poolId']

function expectGoVm(vm: any): void {
  // `boot` is XAPI's HVM_boot_params: `firmware` for HVM guests only
  expectGoDecodable(vm, GO_VM, vm.virtualizationMode === 'hvm' ? [...GO_VM_REQUIRED, 'boot.firmware'] : GO_VM_REQUIRED)
  expect(['Running', 'Halted', 'Paused', 'Suspended']).toContain(vm.power_state)
  expect(Array.isArray(vm.memory.dynamic) && vm.memory.dynamic.every(Number.isInteger)).toBe(true)
  expect(Array.isArray(vm.memory.static) && vm.memory.static.every(Number.isInteger)).toBe(true)
  for (const key of Object.keys(vm.addresses)) expect(key).toMatch(/^\d+\/ipv[46]\/\d+$/)
  // startTime: a number while running, null otherwise (present either way)
  expect(vm.startTime === null || typeof vm.startTime === 'number').toBe(true)
}

const GO_TYPES: Record<string, Record<string, GoType>> = {
  'VM-template': { id: 'string', uuid: 'string', name_label: 'string', $poolId: 'string', 'boot.firmware': 'string', 'boot.order': 'string', $VBDs: 'string[]', 'template_info.arch': 'string' },
  host: { id: 'string', name_label: 'string', tags: 'string[]', $pool: 'string', 'memory.usage': 'int', 'memory.size': 'int', 'cpus.cores': 'int', 'cpus.sockets': 'int' },
  pool: { id: 'string', name_label: 'string', name_description: 'string', 'cpus.cores': 'int', 'cpus.sockets': 'int', default_SR: 'string', master: 'string' },
  SR: { id: 'string', uuid: 'string', name_label: 'string', $poolId: 'string', SR_type: 'string', $container: 'string', physical_usage: 'int', size: 'int', usage: 'int', tags: 'string[]' },
  network: { id: 'string', name_label: 'string', name_description: 'string', bridge: 'string', automatic: 'bool', defaultIsLocked: 'bool', $poolId: 'string', MTU: 'int', PIFs: 'string[]', nbd: 'bool', insecureNbd: 'bool' },
  PIF: { id: 'string', uuid: 'string', device: 'string', $host: 'string', $network: 'string', $poolId: 'string', attached: 'bool', vlan: 'int', isBondMaster: 'bool', isBondSlave: 'bool', bondSlaves: 'string[]', bondMaster: 'string' },
  VIF: { id: 'string', attached: 'bool', $network: 'string', device: 'string', MAC: 'string', $VM: 'string' },
  VBD: { id: 'string', attached: 'bool', device: 'string', read_only: 'bool', VM: 'string', VDI: 'string', is_cd_drive: 'bool', position: 'string', bootable: 'bool', $poolId: 'string' },
  VDI: { id: 'string', $SR: 'string', name_label: 'string', name_description: 'string', size: 'int', $VBDs: 'string[]', parent: 'string', $poolId: 'string', tags: 'string[]' },
  bond: { id: 'string', uuid: 'string', master: 'string', mode: 'string', $poolId: 'string' },
}

// ---------------------------------------------------------------------------------------------
// xo-cli 0.32.3

/** `xo-cli list-commands` rendering, from what `system.getMethodsInfo` returns. */
function renderCommands(info: Record<string, any>): string {
  return Object.keys(info)
    .sort()
    .map((name) => {
      const { description, params } = info[name]
      const args = Object.entries(params as Record<string, any>).map(([param, schema]) => {
        const type = schema.type === undefined ? 'unknown type' : Array.isArray(schema.type) ? schema.type.join('|') : schema.type
        const arg = `${param}=<${type}>`
        return schema.optional === true || 'default' in schema ? ` [${arg}]` : ` ${arg}`
      })
      return `${name}${args.join('')}\n${description === undefined ? '' : `  ${description}\n`}`
    })
    .join('')
}

/** xo-cli's `k=v` arguments: strings, except `true`/`false` and `json:…`. */
function cliParams(args: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {}
  for (const arg of args) {
    const index = arg.indexOf('=')
    const [key, value] = [arg.slice(0, index), arg.slice(index + 1)]
    params[key] = value === 'true' ? true : value === 'false' ? false : value.startsWith('json:') ? JSON.parse(value.slice(5)) : value
  }
  return params
}

/** One xo-cli command after `register`: a new connection, signIn {token}, one call, close. */
async function xoCli(url: string, token: string, method: string, params?: unknown): Promise<any> {
  const cli = await WireClient.open(url, peerIds())
  try {
    await cli.call('session.signIn', { token })
    return await cli.call(method, params)
  } finally {
    cli.close()
  }
}

describe('xo-cli 0.32.3 replay', () => {
  it('register, list-commands, list-objects type=VM power_state=Running, vm.start id=…', async () => {
    const { mock } = t
    // register http://host:port admin@admin.net admin
    const register = await WireClient.open(mock.url, peerIds())
    const user = await register.call('session.signIn', { email: mock.email, password: mock.password })
    expect(user).toMatchObject({ id: expect.any(String), email: mock.email })
    const clientId = randomBytes(9).toString('base64url')
    const token = await register.call('token.create', { client: { id: clientId }, description: 'xo-cli@0.32.3 - host - Linux x86_64' })
    expect(typeof token).toBe('string')
    register.close()

    // list-commands: system.getMethodsInfo with no params key
    const info = await xoCli(mock.url, token, 'system.getMethodsInfo')
    expect(Object.keys(info).length).toBe(345)
    for (const [name, entry] of Object.entries<any>(info)) {
      expect(typeof entry, name).toBe('object')
      if ('description' in entry) expect(typeof entry.description, name).toBe('string')
      expect(typeof entry.params, name).toBe('object')
      for (const schema of Object.values<any>(entry.params)) {
        expect(schema.type === undefined || typeof schema.type === 'string' || (Array.isArray(schema.type) && schema.type.every((x: unknown) => typeof x === 'string')), name).toBe(true)
        if ('optional' in schema) expect(typeof schema.optional, name).toBe('boolean')
      }
    }
    const text = renderCommands(info)
    expect(text).toContain('vm.start [bypassMacAddressesCheck=<boolean>] [force=<boolean>] [host=<string>] id=<string>\n')
    expect(text).toContain('xo.getAllObjects [filter=<object|string>] [limit=<number>] [ndjson=<boolean>]\n')

    // list-objects type=VM power_state=Running: an object filter; printed as an array of the values
    const objects = await xoCli(mock.url, token, 'xo.getAllObjects', { filter: cliParams(['type=VM', 'power_state=Running']) })
    const listed = Object.values<any>(objects)
    const running = objectsOf(mock, 'VM', (vm) => vm.power_state === 'Running')
    expect(listed.map((vm) => vm.id).sort()).toEqual(running.map((vm) => vm.id).sort())
    for (const vm of listed) expect(vm).toMatchObject({ type: 'VM', power_state: 'Running', name_label: expect.any(String) })
    // list-objects with no argument: no filter key at all
    expect(Object.keys(await xoCli(mock.url, token, 'xo.getAllObjects', {})).length).toBe(
      [...mock.inventory.all()].filter((object) => !['user', 'group', 'token', 'server', 'acl'].includes(object.type)).length,
    )

    // vm.start id=<uuid>: string values; the result is printed
    const halted = pick(mock, 'VM', (vm) => vm.power_state === 'Halted' && vm.$VBDs.length > 0)
    expect(await xoCli(mock.url, token, 'vm.start', cliParams([`id=${halted.id}`]))).toBe(true)
    expect(current(mock, halted.id).power_state).toBe('Running')
    // vm.stop id=… force=true: booleans converted by the CLI; `vm=` aliasing is done by the server
    expect(await xoCli(mock.url, token, 'vm.stop', cliParams([`vm=${halted.id}`, 'force=true']))).toBe(true)
    expect(current(mock, halted.id).power_state).toBe('Halted')

    // registering again from the same client id refreshes the same token
    const again = await WireClient.open(mock.url, peerIds())
    await again.call('session.signIn', { email: mock.email, password: mock.password })
    expect(await again.call('token.create', { client: { id: clientId }, description: 'xo-cli@0.32.3 - host - Linux x86_64' })).toBe(token)
    again.close()
  })

  it('errors xo-cli relies on: code 10 with data.errors for bad params, a string data never', async () => {
    const { mock } = t
    const cli = await WireClient.open(mock.url, peerIds())
    await cli.call('session.signIn', { token: mock.token })
    const { response } = await cli.request('token.create', { client: { id: 1 } })
    expect(response.error.code).toBe(10)
    expect(typeof response.error.data).toBe('object')
    expect(response.error.data.errors[0]).toMatchObject({ instancePath: expect.any(String), message: expect.any(String) })
    const unknown = await cli.request('no.such.method', {})
    expect(unknown.response.error).toMatchObject({ code: -32601, data: 'no.such.method' })
    cli.close()
  })
})

// ---------------------------------------------------------------------------------------------
// Ansible community.general.xen_orchestra 6.6.2

/**
 * The plugin's `_populate` on the three maps, as a KeyError-checking emulation: required keys must be
 * present (`obj[key]`), `$poolId` of a host must be a pool, power states must be known groups.
 * Returns the inventory groups → host names.
 */
function ansiblePopulate(vms: Record<string, any>, pools: Record<string, any>, hosts: Record<string, any>): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  const add = (group: string, host?: string) => {
    if (!groups.has(group)) groups.set(group, [])
    if (host !== undefined) groups.get(group)!.push(host)
  }
  const required = (object: any, key: string) => {
    if (!(key in object)) throw new Error(`KeyError: '${key}' in ${object.type} ${object.id}`)
    return object[key]
  }
  const groupName = (label: string) => label.toLowerCase().replace(/[ -]/g, '_')
  for (const group of ['xo_hosts', 'xo_pools', 'running', 'halted', 'suspended', 'paused', 'with_ip', 'without_ip']) add(group)
  const poolGroups = new Map<string, string>()
  for (const [id, pool] of Object.entries(pools)) {
    const group = `xo_pool_${groupName(required(pool, 'name_label'))}`
    poolGroups.set(id, group)
    add(group)
  }
  const hostGroups = new Map<string, string>()
  for (const host of Object.values(hosts)) {
    const name = required(host, 'uuid')
    for (const key of ['name_label', '$poolId', 'enabled', 'hostname', 'memory', 'address', 'cpus', 'tags', 'version', 'power_state', 'productBrand']) required(host, key)
    const pool = poolGroups.get(host.$poolId)
    if (pool === undefined) throw new Error(`add_child(None, ${name}): $poolId ${host.$poolId} is not a pool`)
    const group = `xo_host_${groupName(host.name_label)}`
    hostGroups.set(host.id, group)
    add(group)
    add('xo_hosts', name)
    add(pool, name)
  }
  for (const [id, vm] of Object.entries(vms)) {
    for (const key of ['$poolId', '$container', 'name_label', 'type', 'tags', 'os_version']) required(vm, key)
    required(required(vm, 'CPUs'), 'number')
    required(required(vm, 'memory'), 'size')
    const state = String(required(vm, 'power_state')).toLowerCase()
    if (!groups.has(state)) throw new Error(`add_child(${state}, ${id}): unknown group`)
    add(state, id)
    add(vm.mainIpAddress ? 'with_ip' : 'without_ip', id)
    const hostGroup = hostGroups.get(vm.$container)
    if (hostGroup !== undefined) add(hostGroup, id)
    const poolGroup = poolGroups.get(vm.$poolId)
    if (poolGroup !== undefined) add(poolGroup, id)
  }
  return groups
}

describe('Ansible xen_orchestra inventory replay', () => {
  it('ids 0..3: signIn {username, password}, getAllObjects VM / pool / host; every field it reads', async () => {
    const { mock } = t
    const plugin = await WireClient.open(mock.url, countingIds())
    // the plugin raises "Could not connect" when 'error' is in the answer
    const signIn = await plugin.request('session.signIn', { username: mock.email, password: mock.password })
    expect(signIn.response.id).toBe(0)
    expect(signIn.response).not.toHaveProperty('error')
    const answers = []
    for (const type of ['VM', 'pool', 'host']) answers.push(await plugin.request('xo.getAllObjects', { filter: { type } }))
    // each answer came first: no skipped frame (the plugin sleeps 0.1 s per skipped message, 100 at most)
    expect(answers.map((answer) => [answer.response.id, answer.skipped])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ])
    const [vms, pools, hosts] = answers.map((answer) => answer.response.result as Record<string, any>)
    expect(Object.keys(vms!).length).toBe(mock.inventory.count('VM'))
    for (const vm of Object.values(vms!)) {
      expect(vm.type).toBe('VM')
      expect(typeof vm.name_label).toBe('string')
      expect(typeof vm.CPUs.number).toBe('number')
      expect(typeof vm.memory.size).toBe('number')
      expect(Array.isArray(vm.tags)).toBe(true)
      expect(vm.os_version === null || typeof vm.os_version === 'object').toBe(true)
      if ('mainIpAddress' in vm) expect(typeof vm.mainIpAddress).toBe('string')
    }
    for (const host of Object.values(hosts!)) {
      expect(host).toMatchObject({ uuid: expect.any(String), enabled: expect.any(Boolean), hostname: expect.any(String), address: expect.any(String), version: expect.any(String), productBrand: expect.any(String) })
    }

    const groups = ansiblePopulate(vms!, pools!, hosts!)
    expect(groups.get('running')!.sort()).toEqual(objectsOf(mock, 'VM', (vm) => vm.power_state === 'Running').map((vm) => vm.id).sort())
    expect(groups.get('xo_hosts')!.length).toBe(mock.inventory.count('host'))
    const vm = pick(mock, 'VM', (candidate) => candidate.power_state === 'Running' && candidate.mainIpAddress)
    const host = current(mock, vm.$container)
    expect(groups.get(`xo_host_${host.name_label.toLowerCase().replace(/[ -]/g, '_')}`)).toContain(vm.id)
    expect(groups.get('with_ip')).toContain(vm.id)
    // the process exits without closing the socket
    plugin.ws.terminate()
  })
})

/** Debian's ansible 7.7.0 (community.general 6.6.2) with python3-websocket, when installed. */
const ansibleInventory = ['/usr/bin/ansible-inventory', '/usr/local/bin/ansible-inventory'].find((candidate) => existsSync(candidate))

describe('the real Ansible inventory plugin (when installed)', () => {
  it.skipIf(ansibleInventory === undefined)('ansible-inventory --list against the mock: groups and host vars', async () => {
    const { mock } = t
    const dir = mkdtempSync(join(tmpdir(), 'xo-mock-ansible-'))
    try {
      const config = join(dir, 'xen_orchestra.yml')
      writeFileSync(
        config,
        [
          'plugin: community.general.xen_orchestra',
          `api_host: ${new URL(mock.url).host}`,
          `user: ${mock.email}`,
          `password: ${mock.password}`,
          'use_ssl: false',
          'validate_certs: false',
          'groups:',
          `  tagged_prod: "'prod' in tags"`,
          '',
        ].join('\n'),
      )
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(
          ansibleInventory!,
          ['-i', config, '--list'],
          { env: { ...process.env, ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true', ANSIBLE_LOCAL_TEMP: dir, HOME: dir }, timeout: 60_000 },
          (error, out, err) => (error === null ? resolve(out) : reject(new Error(`${error.message}\n${err}`))),
        )
      })
      const inventory = JSON.parse(stdout)
      const ids = (predicate: (vm: any) => boolean) => objectsOf(mock, 'VM', predicate).map((vm) => vm.id).sort()
      expect([...inventory.running.hosts].sort()).toEqual(ids((vm) => vm.power_state === 'Running'))
      expect([...inventory.halted.hosts].sort()).toEqual(ids((vm) => vm.power_state === 'Halted'))
      expect([...inventory.tagged_prod.hosts].sort()).toEqual(ids((vm) => vm.tags.includes('prod')))
      expect([...inventory.xo_hosts.hosts].sort()).toEqual(objectsOf(mock, 'host').map((host) => host.id).sort())
      const vm = pick(mock, 'VM', (candidate) => typeof candidate.mainIpAddress === 'string')
      expect(inventory._meta.hostvars[vm.id]).toMatchObject({ name_label: vm.name_label, ansible_host: vm.mainIpAddress, cpus: vm.CPUs.number, memory: vm.memory.size, type: 'VM' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

// ---------------------------------------------------------------------------------------------
// Terraform provider / xenorchestra-go-sdk v1

/** The SDK's `GetAllObjectsOfType`: the whole map, each value decoded with `id`. */
async function goObjects(client: WireClient, type: string): Promise<any[]> {
  const result = await client.call('xo.getAllObjects', { filter: { type } })
  expect(typeof result === 'object' && !Array.isArray(result)).toBe(true)
  const objects = Object.values<any>(result)
  for (const object of objects) expect(typeof object.id).toBe('string')
  return objects
}

/** terraform `StateChangeConf`: polls until `done`, waits 100 ms, then doubling (capped here at 1 s). */
async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeout = 10_000): Promise<{ value: T; polls: number }> {
  let wait = 100
  const deadline = Date.now() + timeout
  for (let polls = 1; ; polls++) {
    const value = await read()
    if (done(value)) return { value, polls }
    if (Date.now() > deadline) throw new Error('timeout while polling')
    await sleep(wait)
    wait = Math.min(wait * 2, 1000)
  }
}

describe('Terraform provider (Go SDK v1) replay', () => {
  it('NewClient, template lookup, vm.create with the provider params, polling until Running, reads with Go types, vm.delete', async () => {
    const { mock } = t
    const go = await WireClient.open(mock.url, countingIds())
    // NewClient with username/password: signIn {email, password}, then token.create {}
    const user = await go.call('session.signIn', { email: mock.email, password: mock.password })
    expect(user).toMatchObject({ id: expect.any(String), email: mock.email })
    expect(typeof (await go.call('token.create', {}))).toBe('string')

    // data sources: every type the provider decodes, with the SDK's field types
    for (const [type, fields] of Object.entries(GO_TYPES)) {
      for (const object of await goObjects(go, type)) expectGoDecodable(object, fields)
    }
    for (const vm of await goObjects(go, 'VM')) expectGoVm(vm)

    // template: by name_label (+ $poolId); its disks: VBDs whose VM is the template, not CD drives
    const templates = await goObjects(go, 'VM-template')
    const wanted = pick(mock, 'VM-template', (tpl) => tpl.$VBDs.length > 0 && !tpl.isDefaultTemplate)
    const template = templates.find((tpl) => tpl.name_label === wanted.name_label && tpl.$poolId === wanted.$poolId)
    const templateDisks = (await goObjects(go, 'VBD')).filter((vbd) => vbd.VM === template.id && !vbd.is_cd_drive)
    expect(templateDisks.length).toBeGreaterThan(0)
    const vdis = await goObjects(go, 'VDI')
    const templateVdi = vdis.find((vdi) => vdi.id === templateDisks[0].VDI)
    const pool = (await goObjects(go, 'pool')).find((candidate) => candidate.id === template.$poolId)
    const sr = pool.default_SR
    const network = (await goObjects(go, 'network')).find((net) => net.$poolId === pool.id && net.PIFs.length > 0)

    // vm.create, exactly the keys the SDK sends (bootAfterCreate because of destroyCloudConfigVdiAfterBoot)
    const params = {
      bootAfterCreate: true,
      clone: true,
      name_label: 'terraform-vm',
      name_description: 'managed by terraform',
      template: template.id,
      coreOs: false,
      cpuCap: null,
      cpuWeight: null,
      CPUs: 2,
      secureBoot: false,
      expNestedHvm: false,
      VDIs: [
        { $SR: sr, SR: sr, name_label: 'root', name_description: 'root disk', size: templateVdi.size + GiB, type: 'user', userdevice: templateDisks[0].position },
        { $SR: sr, SR: sr, name_label: 'data', name_description: 'data disk', size: 4 * GiB, type: 'user' },
      ],
      VIFs: [{ network: network.id }, { network: network.id, mac: '02:42:00:00:00:01' }],
      tags: ['terraform', 'env:test'],
      auto_poweron: false,
      high_availability: '',
      memoryMax: 2 * GiB,
      memoryStaticMax: 2 * GiB,
      destroyCloudConfigVdiAfterBoot: true,
      cloudConfig: '#cloud-config\nhostname: terraform-vm\n',
      networkConfig: 'network:\n  version: 1\n',
      videoram: 8,
      vga: 'std',
      hvmBootFirmware: 'bios',
      startDelay: 0,
      blockedOperations: { destroy: 'true' },
      coresPerSocket: 1,
    }
    const id = await go.call('vm.create', params)
    expect(typeof id).toBe('string')

    // after create: getAllObjects VM by id, vm.set {id, xenStoreData}
    let vm = (await goObjects(go, 'VM')).find((candidate) => candidate.id === id)
    expect(vm).toBeDefined()
    expect(await go.call('vm.set', { id, xenStoreData: { 'vm-data/terraform': 'yes' } })).toBe(true)

    // the start was launched without waiting: poll the whole VM map until Running
    const { value } = await poll(
      () => goObjects(go, 'VM'),
      (all) => all.find((candidate) => candidate.id === id)?.power_state === 'Running',
    )
    vm = value.find((candidate) => candidate.id === id)
    expectGoVm(vm)
    expect(vm).toMatchObject({
      name_label: 'terraform-vm',
      name_description: 'managed by terraform',
      CPUs: { number: 2 },
      tags: ['terraform', 'env:test'],
      auto_poweron: false,
      high_availability: '',
      blockedOperations: { destroy: 'true' },
      xenStoreData: { 'vm-data/terraform': 'yes' },
      boot: { firmware: 'bios' },
      creation: { template: template.id },
    })
    expect(vm.memory.size).toBe(2 * GiB)
    expect(typeof vm.startTime).toBe('number')
    // wait_for_ip: addresses keyed `<n>/ipv4/<m>`
    expect(Object.keys(vm.addresses).some((key) => /^\d+\/ipv4\/\d+$/.test(key))).toBe(true)

    // resource reads: VIFs, disks (VBD + VDI), CD-ROMs
    const vifs = (await goObjects(go, 'VIF')).filter((vif) => vif.$VM === id)
    expect(vifs.map((vif) => vif.$network)).toEqual([network.id, network.id])
    expect(vifs.map((vif) => vif.MAC)).toContain('02:42:00:00:00:01')
    for (const vif of vifs) expectGoDecodable(vif, GO_TYPES.VIF!, ['device', 'MAC', 'attached'])
    const vbds = (await goObjects(go, 'VBD')).filter((vbd) => vbd.VM === id)
    const disks = vbds.filter((vbd) => !vbd.is_cd_drive)
    const diskVdis = (await goObjects(go, 'VDI')).filter((vdi) => disks.some((vbd) => vbd.VDI === vdi.id))
    // the root disk was resized, the data disk added; the cloud-config drive was destroyed after boot
    expect(diskVdis.map((vdi) => vdi.name_label).sort()).toEqual(['data', 'root'])
    expect(diskVdis.find((vdi) => vdi.name_label === 'root').size).toBe(templateVdi.size + GiB)
    for (const vbd of vbds) {
      expectGoDecodable(vbd, GO_TYPES.VBD!, ['position', 'attached', 'device'])
      expect(typeof vbd.position).toBe('string')
    }

    // DeleteVm: blocked destroy first (code 5), then unblocked by vm.set and deleted
    const blocked = await go.request('vm.delete', { id })
    expect(blocked.response.error.code).toBe(5)
    expect(await go.call('vm.set', { id, blockedOperations: { destroy: null } })).toBe(true)
    await go.call('vm.delete', { id })
    const { value: after } = await poll(
      () => goObjects(go, 'VM'),
      (all) => !all.some((candidate) => candidate.id === id),
    )
    expect(after.some((candidate) => candidate.id === id)).toBe(false)
    for (const vdi of diskVdis) expect(current(mock, vdi.id)).toBeUndefined()
    go.close()
  })

  it('StartVm, HaltVm, SuspendVm, PauseVm: the SDK polls pvDriversDetected then power_state', async () => {
    const { mock } = t
    const go = await WireClient.open(mock.url, countingIds())
    await go.call('session.signIn', { token: mock.token })
    const halted = pick(mock, 'VM', (vm) => vm.power_state === 'Halted' && vm.$VBDs.length > 0 && vm.virtualizationMode === 'hvm')
    const state = async () => (await goObjects(go, 'VM')).find((vm) => vm.id === halted.id)

    expect(await go.call('vm.start', { id: halted.id })).toBe(true)
    await poll(state, (vm) => vm.power_state === 'Running')
    for (const [method, target] of [
      ['vm.pause', 'Paused'],
      ['vm.start', 'Running'],
      ['vm.suspend', 'Suspended'],
      ['vm.start', 'Running'],
      ['vm.stop', 'Halted'],
    ] as const) {
      // HaltVm / SuspendVm / PauseVm first wait for the PV drivers
      if (method !== 'vm.start') await poll(state, (vm) => vm.pvDriversDetected === true)
      expect(await go.call(method, { id: halted.id }), method).toBe(true)
      const { value, polls } = await poll(state, (vm) => vm.power_state === target)
      // the mock changes power states at once: the first poll sees it
      expect(polls, method).toBe(1)
      expectGoVm(value)
    }
    go.close()
  })

  it('VIF, disk and CD CRUD on a running VM, as the SDK does it', async () => {
    const { mock } = t
    const go = await WireClient.open(mock.url, countingIds())
    await go.call('session.signIn', { token: mock.token })
    const vm = pick(mock, 'VM', (candidate) => candidate.power_state === 'Running' && candidate.pvDriversDetected === true)
    const network = pick(mock, 'network', (net) => net.$pool === vm.$pool && net.PIFs.length > 0)
    const sr = pick(mock, 'SR', (candidate) => candidate.$pool === vm.$pool && candidate.shared && candidate.content_type === 'user')
    const iso = pick(mock, 'VDI', (vdi) => vdi.$pool === vm.$pool && current(mock, vdi.$SR).content_type === 'iso')
    const find = async (type: string, id: string) => (await goObjects(go, type)).find((object) => object.id === id)

    // CreateVIF: a string id, re-read through getAllObjects VIF; Disconnect/ConnectVIF; DeleteVIF
    const vifId = await go.call('vm.createInterface', { network: network.id, vm: vm.id, mac: '02:42:00:00:00:02' })
    expect(typeof vifId).toBe('string')
    let vif = await find('VIF', vifId)
    expectGoDecodable(vif, GO_TYPES.VIF!, ['device', 'MAC', 'attached', '$network', '$VM'])
    expect(vif).toMatchObject({ $VM: vm.id, $network: network.id, MAC: '02:42:00:00:00:02', attached: true })
    expect(await go.call('vif.disconnect', { id: vifId })).toBe(true)
    expect((await find('VIF', vifId)).attached).toBe(false)
    expect(await go.call('vif.connect', { id: vifId })).toBe(true)
    vif = await find('VIF', vifId)
    expect(vif.attached).toBe(true)
    expect(await go.call('vif.disconnect', { id: vifId })).toBe(true)
    expect(await go.call('vif.delete', { id: vifId })).toBe(true)
    expect(await find('VIF', vifId)).toBeUndefined()

    // CreateDisk: disk.create {name, size, sr, vm} → VDI id; the disk is read as VBD + VDI
    const vdiId = await go.call('disk.create', { name: 'tf-disk', size: 2 * GiB, sr: sr.id, vm: vm.id })
    expect(typeof vdiId).toBe('string')
    const vbd = (await goObjects(go, 'VBD')).find((candidate) => candidate.VDI === vdiId)
    expectGoDecodable(vbd, GO_TYPES.VBD!, ['VM', 'VDI', 'position', 'attached', 'bootable', 'is_cd_drive'])
    expect(vbd).toMatchObject({ VM: vm.id, attached: true, is_cd_drive: false })
    expectGoDecodable(await find('VDI', vdiId), GO_TYPES.VDI!, ['$SR', 'size', 'name_label'])
    expect(await go.call('vbd.disconnect', { id: vbd.id })).toBe(true)
    expect(await go.call('vbd.connect', { id: vbd.id })).toBe(true)
    expect(await go.call('vdi.set', { id: vdiId, name_description: 'tf', name_label: 'tf-disk-renamed' })).toBe(true)
    expect(await find('VDI', vdiId)).toMatchObject({ name_label: 'tf-disk-renamed', name_description: 'tf' })
    // DeleteDisk: vbd.disconnect (attached), vdi.delete, then poll until the VDI is gone
    expect(await go.call('vbd.disconnect', { id: vbd.id })).toBe(true)
    expect(await go.call('vdi.delete', { id: vdiId })).toBe(true)
    await poll(
      () => find('VDI', vdiId),
      (vdi) => vdi === undefined,
    )
    expect(await find('VBD', vbd.id)).toBeUndefined()

    // InsertCd / EjectCd; CD-ROMs are VBDs with is_cd_drive
    expect(await go.call('vm.insertCd', { id: vm.id, cd_id: iso.id })).toBe(true)
    const cd = (await goObjects(go, 'VBD')).find((candidate) => candidate.VM === vm.id && candidate.is_cd_drive)
    expect(cd).toMatchObject({ VDI: iso.id })
    expectGoDecodable(cd, GO_TYPES.VBD!, ['position'])
    expect(await go.call('vm.ejectCd', { id: vm.id })).toBe(true)
    expect((await find('VBD', cd.id)).VDI).toBeUndefined()
    go.close()
  })

  it('cloud configs, resource sets, users, ACLs, tags and networks with the SDK params and dummy params', async () => {
    const { mock } = t
    const go = await WireClient.open(mock.url, countingIds())
    await go.call('session.signIn', { token: mock.token })

    // cloudConfig.create: any result, then re-list and match on name and template
    await go.call('cloudConfig.create', { name: 'tf', template: '#cloud-config\n' })
    const configs = await go.call('cloudConfig.getAll', {})
    const config = configs.find((candidate: any) => candidate.name === 'tf' && candidate.template === '#cloud-config\n')
    expectGoDecodable(config, { id: 'string', name: 'string', template: 'string' }, ['id', 'name', 'template'])
    expect(await go.call('cloudConfig.delete', { id: config.id })).toBe(true)

    // resource sets: create returns the object; getAll with {id:'dummy'}
    const set = await go.call('resourceSet.create', { name: 'tf', subjects: [], objects: [], limits: { cpus: { total: 4 } } })
    expectGoDecodable(set, { id: 'string', name: 'string', subjects: 'string[]', objects: 'string[]', 'limits.cpus.total': 'int', 'limits.cpus.available': 'int' }, ['id', 'limits.cpus.total'])
    expect((await go.call('resourceSet.getAll', { id: 'dummy' })).map((candidate: any) => candidate.id)).toContain(set.id)
    expect(await go.call('resourceSet.addLimit', { id: set.id, limitId: 'memory', quantity: GiB })).toBe(true)
    expect(await go.call('resourceSet.delete', { id: set.id })).toBe(true)

    // users: create returns the id, getAll / session.getUser accept {dummy}, delete must return true
    const userId = await go.call('user.create', { email: 'tf@lab.local', password: 'tf' })
    const users = await go.call('user.getAll', { dummy: 'dummy' })
    const created = users.find((candidate: any) => candidate.id === userId)
    expectGoDecodable(created, { id: 'string', email: 'string', groups: 'string[]', permission: 'string' }, ['id', 'email', 'groups', 'permission'])
    expect(await go.call('session.getUser', { dummy: 'dummy' })).toMatchObject({ email: mock.email })

    // ACLs: acl.get {dummy}; acl.remove must return true
    const vm = pick(mock, 'VM')
    expect(await go.call('acl.add', { subject: userId, object: vm.id, action: 'viewer' })).toBe(true)
    const acls = await go.call('acl.get', { dummy: 'dummy' })
    expect(acls).toContainEqual({ id: expect.any(String), subject: userId, object: vm.id, action: 'viewer' })
    expect(await go.call('acl.remove', { subject: userId, object: vm.id, action: 'viewer' })).toBe(true)
    expect(await go.call('user.delete', { id: userId })).toBe(true)

    // tags, and GetObjectsWithTags (reads only id and type)
    expect(await go.call('tag.add', { id: vm.id, tag: 'tf-sweeper' })).toBe(true)
    const tagged = await go.call('xo.getAllObjects', { filter: { tags: ['tf-sweeper'] } })
    expect(Object.values<any>(tagged).map((object) => [object.id, object.type])).toEqual([[vm.id, 'VM']])
    expect(await go.call('tag.remove', { id: vm.id, tag: 'tf-sweeper' })).toBe(true)

    // networks: create returns an id string, then network.set and polling until automatic/nbd match
    const pool = pick(mock, 'pool')
    const networkId = await go.call('network.create', { pool: pool.id, name: 'tf-net', description: 'tf', mtu: 1500, nbd: false })
    expect(typeof networkId).toBe('string')
    expect(await go.call('network.set', { id: networkId, automatic: true, nbd: true, defaultIsLocked: false })).toBe(true)
    const { value: network } = await poll(
      async () => (await goObjects(go, 'network')).find((candidate) => candidate.id === networkId),
      (candidate) => candidate.automatic === true && candidate.nbd === true,
    )
    expectGoDecodable(network, GO_TYPES.network!, ['MTU', 'PIFs'])
    expect(await go.call('network.delete', { id: networkId })).toBe(true)
    go.close()
  })
})

// ---------------------------------------------------------------------------------------------
// `xo-mock serve`, what the acceptance runs the real clients against

const cli = new URL('../../bin/xo-mock.js', import.meta.url)
const built = existsSync(new URL('../../dist/cli.js', import.meta.url))

describe('xo-mock serve', () => {
  it.skipIf(!built)('prints its URL and credentials; xo-lib and the Ansible sequence work against it', async () => {
    const child = spawn(process.execPath, [cli.pathname, 'serve', '--port', '0', '--token', 'serve-test-token'], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let buffer = ''
        child.stdout.on('data', (chunk: Buffer) => {
          buffer += String(chunk)
          const match = /^xo-mock ready on .*$/m.exec(buffer)
          if (match !== null) resolve(match[0])
        })
        child.once('exit', (code) => reject(new Error(`xo-mock serve exited with ${code}`)))
        setTimeout(() => reject(new Error('xo-mock serve did not start')), 15_000)
      })
      const url = /ready on (http:\/\/\S+)/.exec(line)![1]!
      const [, email, password] = / user (\S+) password (\S+)/.exec(line)!
      const xo = await XoClient.open(url)
      expect(await xo.signIn({ email, password })).toMatchObject({ email, permission: 'admin' })
      expect(Object.keys(await xo.objects({ type: 'VM' })).length).toBeGreaterThan(0)
      await xo.close()
      const byToken = await XoClient.open(url)
      expect(await byToken.signIn({ token: 'serve-test-token' })).toMatchObject({ email })
      await byToken.close()

      const plugin = await WireClient.open(url, countingIds())
      expect((await plugin.request('session.signIn', { username: email, password })).response.result).toMatchObject({ email })
      const hosts = await plugin.call('xo.getAllObjects', { filter: { type: 'host' } })
      const pools = await plugin.call('xo.getAllObjects', { filter: { type: 'pool' } })
      for (const host of Object.values<any>(hosts)) expect(pools).toHaveProperty([host.$poolId])
      plugin.ws.terminate()
    } finally {
      child.kill('SIGTERM')
    }
  }, 30_000)
})
