import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { alarmToMessage, COLLECTION_TYPES, detectCaptureFormat } from '../../src/inventory/capture.js'
import { ObjectStore } from '../../src/inventory/store.js'
import type { XoObject } from '../../src/inventory/types.js'
import { capturePath, errorOf, load } from './helpers.js'

const ALARM_BODY_REGEX = /^value:\s*(Infinity|NaN|-Infinity|\d+(?:\.\d+)?)\s*config:\s*<variable>\s*<name value="(.*?)"/

const readJson = (name: string): Record<string, any> => JSON.parse(readFileSync(capturePath(name), 'utf8')) as Record<string, any>

describe('REST snapshot capture', () => {
  const path = capturePath('rest-snapshot.json')
  const snapshot = readJson('rest-snapshot.json')
  const loaded = load(path)
  const byId = new Map(loaded.objects.map((object) => [object.id, object]))

  it('is detected and taken as it is: href dropped, back-references kept, not derived again', () => {
    expect(detectCaptureFormat(snapshot)).toBe('rest')
    expect(loaded.deriveBackReferences).toBe(false)
    for (const vm of snapshot.vms as Record<string, unknown>[]) {
      const { href: _href, ...expected } = vm
      expect(byId.get(vm.id as string)).toEqual(expected)
    }
    expect(loaded.objects.some((object) => 'href' in object)).toBe(false)
    const store = new ObjectStore()
    store.replaceAll(loaded.objects, { deriveBackReferences: loaded.deriveBackReferences })
    const host = snapshot.hosts[0] as Record<string, unknown>
    expect(store.get(host.id as string)!.residentVms).toEqual(host.residentVms)
  })

  it('gives XO-side records their store type; users lose pw_hash and have no password', () => {
    const user = byId.get(snapshot.users[0].id)!
    expect(user).toMatchObject({ type: 'user', email: 'admin@admin.net', permission: 'admin' })
    expect('pw_hash' in user).toBe(false)
    expect('password' in user).toBe(false)
    expect(byId.get(snapshot.servers[0].id)!.type).toBe('server')
  })

  it('converts alarms back into the ALARM messages XO parsed them from', () => {
    const alarm = snapshot.alarms[0] as Record<string, any>
    const message = byId.get(alarm.id)!
    expect(message).toMatchObject({
      type: 'message',
      name: 'ALARM',
      time: alarm.time / 1000,
      $object: alarm.object.uuid,
      uuid: alarm.uuid,
      $pool: alarm.$pool,
      _xapiRef: alarm._xapiRef,
    })
    expect('object' in message || 'href' in message).toBe(false)
    const [, value, name] = ALARM_BODY_REGEX.exec(message.body as string)!
    // XO shows (value * 100).toFixed(1)
    expect((Number(value) * 100).toFixed(1)).toBe(alarm.body.value)
    expect(name).toBe(alarm.body.name)
  })

  it('reports dangling references and skipped collections as one-line warnings with their path', () => {
    const vm = snapshot.vms[0] as Record<string, any>
    expect(loaded.warnings).toContain(`${path}: vms[0].creation.template: no such VM-template '${String(vm.creation.template)}' (kept as is)`)
    expect(loaded.warnings).toContain(`${path}: backup-jobs: not imported (no store type for these collections)`)
    expect(loaded.warnings).toContain(`${path}: users: 1 captured user(s) have no password (XO never serves it): sign in with a token`)
    for (const warning of loaded.warnings) expect(warning).not.toContain('\n')
    // every other reference resolves
    expect(loaded.warnings).toHaveLength(2 + (snapshot.vms as unknown[]).length)
  })

  it('skips an alarm whose message was captured too', () => {
    const doc = readJson('rest-snapshot.json')
    const alarm = doc.alarms[0]
    doc.messages.push({ ...alarmToMessage(alarm), href: `/rest/v0/messages/${String(alarm.id)}` })
    const { objects } = load(doc, 's')
    expect(objects.filter((object) => object.id === alarm.id)).toHaveLength(1)
  })

  it('maps every REST collection of the brief to a store type', () => {
    for (const name of ['vms', 'hosts', 'pools', 'srs', 'vdis', 'vbds', 'vifs', 'networks', 'pifs', 'pbds', 'pcis', 'pgpus', 'sms', 'messages', 'vm-templates', 'vm-snapshots', 'vm-controllers', 'vdi-snapshots', 'users', 'groups', 'servers', 'alarms']) {
      expect(typeof COLLECTION_TYPES[name]).toBe('string')
    }
  })

  it('converts non-perfmon alarms (bond status) back to their plain body', () => {
    const message = alarmToMessage({
      id: 'a',
      name: 'BOND_STATUS_CHANGED',
      time: 1_700_000_000_000,
      type: 'message',
      body: { value: 'The status of the eth0+eth1 bond is: 1/2 up', name: 'The status of the eth0+eth1 bond is: 1/2 up' },
      object: { type: 'unknown', uuid: 'u' },
    })
    expect(message).toMatchObject({ body: 'The status of the eth0+eth1 bond is: 1/2 up', time: 1_700_000_000, $object: 'u', type: 'message' })
  })
})

describe('xo.getAllObjects capture', () => {
  const path = capturePath('all-objects.json')
  const dump = readJson('all-objects.json')
  const loaded = load(path)

  it('is detected and taken as it is', () => {
    expect(detectCaptureFormat(dump)).toBe('getAllObjects')
    expect(loaded.deriveBackReferences).toBe(false)
    const expected = Object.values(dump).filter((object) => object.type !== 'task')
    expect(loaded.objects).toEqual(expected)
    const template = loaded.objects.find((object) => object.type === 'VM-template')!
    expect(template.id).toBe(`${String(template.$pool)}-${String(template.uuid)}`)
  })

  it('warns about messages on objects that were not captured and about skipped XAPI tasks', () => {
    const orphan = Object.values(dump).find((object) => object.name === 'VM_SHUTDOWN')
    // a dump never holds users: every creation.user dangles
    const vms = Object.values(dump).filter((object) => object.type === 'VM')
    expect(loaded.warnings).toEqual([
      `${path}: 1 XAPI task object(s) not imported (transient, and XO tasks use that type)`,
      ...vms.map((vm) => `${path}: ["${String(vm.id)}"].creation.user: no such user '${String(vm.creation.user)}' (kept as is)`),
      `${path}: ["${String(orphan.id)}"].$object: no such object '${String(orphan.$object)}' (kept as is)`,
    ])
  })

  it('does not freeze a capture passed as a document', () => {
    const doc = readJson('all-objects.json')
    const store = new ObjectStore()
    store.replaceAll(load(doc).objects)
    expect(Object.isFrozen(Object.values(doc)[0])).toBe(false)
    expect(store.size).toBe(Object.keys(doc).length - 1)
  })

  it('an empty document is an empty inventory', () => {
    expect(load({})).toEqual({ objects: [], warnings: [], deriveBackReferences: false })
  })
})

describe('capture structural errors fail with the exact path', () => {
  const vm = (extra: Record<string, unknown> = {}): XoObject => ({ id: 'v1', type: 'VM', uuid: 'v1', ...extra })

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown collection', { vms: [], widgets: [] }, "cap.json: widgets: unknown collection name 'widgets'"],
    ['a collection that is not an array', { vms: [], hosts: {} }, 'cap.json: hosts: expected an array of objects'],
    ['an item that is not an object', { vms: ['v1'] }, 'cap.json: vms[0]: expected an object, got a string'],
    ['an item without id', { vms: [{ type: 'VM' }] }, 'cap.json: vms[0].id: required key missing'],
    ['an item with an empty id', { vms: [{ id: '', type: 'VM' }] }, "cap.json: vms[0].id: expected a non-empty string, got ''"],
    ['a XAPI item without type', { vms: [{ id: 'v1' }] }, 'cap.json: vms[0].type: required key missing'],
    ['an item of another type', { vms: [{ id: 'h1', type: 'host' }] }, "cap.json: vms[0].type: expected 'VM' in vms, got 'host'"],
    ['a duplicate id', { vms: [vm()], hosts: [{ id: 'v1', type: 'host' }] }, "cap.json: hosts[0].id: duplicate id 'v1' (also vms[0])"],
    ['a dump entry that is not an object', { v1: 3 }, 'cap.json: ["v1"]: expected an object, got a number'],
    ['a dump entry without type', { v1: { id: 'v1' } }, 'cap.json: ["v1"].type: required key missing'],
    ['a dump entry whose id is not its key', { 'b-2': vm() }, `cap.json: ["b-2"].id: id 'v1' does not match its key`],
    ['a dump entry without id', { '0f3e': { type: 'VM' } }, 'cap.json: ["0f3e"].id: required key missing'],
  ])('%s', (_, doc, message) => {
    expect(errorOf(() => load(doc, 's', undefined, 'cap.json'))).toBe(message)
  })

  it('keeps dangling references of every kind as warnings', () => {
    const { objects, warnings } = load(
      {
        vms: [vm({ $pool: 'p', $poolId: 'p', _xapiRef: 'OpaqueRef:1', $container: 'h', $VBDs: ['b'], creation: { user: 'u' } })],
        vbds: [{ id: 'b', type: 'VBD', uuid: 'b', $pool: 'p', $poolId: 'p', _xapiRef: 'OpaqueRef:2', VM: 'v1', VDI: 'gone' }],
      },
      's',
      undefined,
      'cap.json',
    )
    expect(objects).toHaveLength(2)
    expect(warnings).toEqual([
      "cap.json: vms[0].$pool: no such pool 'p' (kept as is)",
      "cap.json: vms[0].$container: no such host or pool 'h' (kept as is)",
      "cap.json: vms[0].creation.user: no such user 'u' (kept as is)",
      "cap.json: vbds[0].$pool: no such pool 'p' (kept as is)",
      "cap.json: vbds[0].VDI: no such VDI or VDI-snapshot or VDI-unmanaged 'gone' (kept as is)",
    ])
  })
})
