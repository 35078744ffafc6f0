import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import {
  ADMIN,
  ALARM_BOND,
  ALARM_SR,
  ALARM_UNKNOWN,
  CONTROLLER,
  DEVS,
  GROUP,
  HOST,
  MESSAGE,
  POOL,
  SERVER,
  SR,
  TASK_API,
  TASK_BOB,
  TEMPLATE,
  VDI,
  VDI_SNAPSHOT,
  VM_HALTED,
  VM_SNAPSHOT,
  VM_WEB1,
  VM_WEB1_REF,
  get,
  startMock,
} from './helpers.js'

let mock: XoMock

beforeAll(async () => {
  mock = await startMock()
})
afterAll(async () => {
  await mock.close()
})

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>

describe('single object', () => {
  it('returns the full stored object, pretty-printed, without href', async () => {
    const reply = await get(mock, `/rest/v0/vms/${VM_WEB1}`)
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(reply.text).toBe(JSON.stringify(mock.inventory.get(VM_WEB1), null, 2))
    expect(reply.json()).not.toHaveProperty('href')
  })

  it('resolves XAPI opaque refs', async () => {
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1_REF}`)).json()).toEqual(mock.inventory.get(VM_WEB1))
  })

  it('ignores the query string', async () => {
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}?fields=name_label&ndjson=yes&limit=x`)).json()).toEqual(mock.inventory.get(VM_WEB1))
  })

  it('serves default templates under their <pool>-<template> id', async () => {
    const template = (await get(mock, `/rest/v0/vm-templates/${TEMPLATE}`)).json() as { id: string; uuid: string }
    expect(template.id).toBe(TEMPLATE)
    expect(template.uuid).toBe('f873abe0-b138-4995-8f6f-498b423d234d')
  })

  it('serves every XAPI type', async () => {
    const cases: [string, string][] = [
      ['vm-snapshots', VM_SNAPSHOT],
      ['vm-controllers', CONTROLLER],
      ['hosts', HOST],
      ['srs', SR],
      ['vdis', VDI],
      ['vdi-snapshots', VDI_SNAPSHOT],
      ['messages', MESSAGE],
    ]
    for (const [collection, id] of cases) {
      const reply = await get(mock, `/rest/v0/${collection}/${id}`)
      expect(reply.status, collection).toBe(200)
      expect(reply.json()).toEqual(mock.inventory.get(id))
    }
  })

  it('serves XO-side records without the store type', async () => {
    expect((await get(mock, `/rest/v0/tasks/${TASK_API}`)).json()).toEqual(fixture('task'))
    // no password; the pool name comes from the inventory when connected
    expect((await get(mock, `/rest/v0/servers/${SERVER}`)).json()).toEqual({
      ...fixture('server'),
      poolNameLabel: 'XO Lab',
      poolNameDescription: mock.inventory.get(POOL)!.name_description,
      master: mock.inventory.get(POOL)!.master,
    })
    expect((await get(mock, `/rest/v0/groups/${GROUP}`)).json()).toEqual(fixture('group'))
    expect((await get(mock, '/rest/v0/schedules/cf7249f8-d20b-494f-97f4-b1f32f94e780')).json()).toEqual(fixture('schedule'))
    expect((await get(mock, '/rest/v0/proxies/e625ea0c-a876-405a-b838-109d762efe88')).json()).toEqual(fixture('proxy'))
    expect((await get(mock, '/rest/v0/backup-jobs/d33f3dc1-92b4-469c-ad58-4c2a106a4721')).json()).toEqual(fixture('backup-job'))
    expect((await get(mock, '/rest/v0/backup-logs/1753776067468')).json()).toEqual(fixture('backup-log'))
    expect((await get(mock, '/rest/v0/restore-logs/1758180544428')).json()).toEqual(fixture('restore-log'))
    // the URL's password is obfuscated
    const remote = (await get(mock, '/rest/v0/backup-repositories/677e50c5-8d8a-4c89-b1ac-e2f4593d0ebb')).json() as Record<string, unknown>
    expect(Object.keys(remote)).toEqual(Object.keys(fixture('backup-repository')))
    expect(remote.url).toMatch(/^s3:\/\/FOIS5DY532RGXD62TJ52:obfuscated-[\w-]+@s3\.us-east-2\.amazonaws\.com\/with-lock\/backup\?useVhdDirectory=true$/)
    expect(JSON.stringify(remote)).not.toContain('plain-secret')
  })

  it('serves users with an obfuscated password', async () => {
    const user = (await get(mock, `/rest/v0/users/${ADMIN}`)).json() as Record<string, unknown>
    expect(user).toEqual(fixture('user'))
    expect(user).not.toHaveProperty('password')
    expect(user).not.toHaveProperty('type')
  })
})

describe('404', () => {
  const expect404 = async (url: string, id: string, type: string) => {
    const reply = await get(mock, url)
    expect(reply.status, url).toBe(404)
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(reply.text).toBe(JSON.stringify({ error: `no such ${type} ${id}`, data: { id, type } }, null, 2))
  }

  it('names the XO type of the collection', async () => {
    await expect404('/rest/v0/vms/123', '123', 'VM')
    await expect404('/rest/v0/vm-templates/123', '123', 'VM-template')
    await expect404('/rest/v0/vdi-snapshots/123', '123', 'VDI-snapshot')
    await expect404('/rest/v0/hosts/123', '123', 'host')
    await expect404('/rest/v0/srs/123', '123', 'SR')
    await expect404('/rest/v0/tasks/123', '123', 'task')
    await expect404('/rest/v0/users/123', '123', 'user')
    await expect404('/rest/v0/groups/123', '123', 'group')
    await expect404('/rest/v0/servers/123', '123', 'xenServer')
    await expect404('/rest/v0/alarms/123', '123', 'alarm')
  })

  it('answers 404 for an id of another type', async () => {
    await expect404(`/rest/v0/vms/${HOST}`, HOST, 'VM')
    await expect404(`/rest/v0/vms/${TEMPLATE}`, TEMPLATE, 'VM')
    await expect404(`/rest/v0/vdis/${VDI_SNAPSHOT}`, VDI_SNAPSHOT, 'VDI')
    await expect404(`/rest/v0/alarms/${MESSAGE}`, MESSAGE, 'alarm')
    await expect404(`/rest/v0/messages/${ALARM_SR}`, ALARM_SR, 'message')
    await expect404('/rest/v0/vms/OpaqueRef:nope', 'OpaqueRef:nope', 'VM')
  })

  it('answers 404 for the parent of a sub-collection first', async () => {
    await expect404('/rest/v0/vms/nope/alarms', 'nope', 'VM')
    await expect404('/rest/v0/vms/nope/vdis?filter=(', 'nope', 'VM')
    await expect404(`/rest/v0/hosts/${VM_WEB1}/messages`, VM_WEB1, 'host')
  })

  it('answers Express HTML 404 for unknown paths', async () => {
    const reply = await get(mock, `/rest/v0/vms/${VM_WEB1}/nope?x=1`)
    expect(reply.status).toBe(404)
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(reply.text).toBe(
      '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n' +
        `<pre>Cannot GET /rest/v0/vms/${VM_WEB1}/nope</pre>\n</body>\n</html>\n`,
    )
    expect((await get(mock, '/rest/v0/pbds/x/alarms')).text).toContain('Cannot GET /rest/v0/pbds/x/alarms')
    expect((await get(mock, '/rest/v0/vms', undefined, 'POST')).text).toContain('Cannot POST /rest/v0/vms')
    expect((await get(mock, '/rest/v0/<b>')).text).toContain('Cannot GET /rest/v0/%3Cb%3E')
  })
})

describe('alarms', () => {
  it('re-shapes alarm messages (§12)', async () => {
    const alarm = (await get(mock, `/rest/v0/alarms/${ALARM_SR}`)).json()
    expect(alarm).toEqual({
      id: ALARM_SR,
      type: 'message',
      uuid: ALARM_SR,
      name: 'ALARM',
      $pool: 'b7569d99-30f8-178a-7d94-801de3e29b5b',
      $poolId: 'b7569d99-30f8-178a-7d94-801de3e29b5b',
      _xapiRef: 'OpaqueRef:alarm-sr',
      body: { value: '0.2', name: 'physical_utilisation' },
      object: { type: 'SR', uuid: SR, href: `/rest/v0/srs/${SR}` },
      time: 1724862780000,
    })
  })

  it('matches the reference alarm for an unknown object', async () => {
    const reference = fixture('alarm')
    const alarm = (await get(mock, `/rest/v0/alarms/${ALARM_UNKNOWN}`)).json() as Record<string, unknown>
    expect(alarm.object).toEqual(reference.object)
    expect(alarm.body).toEqual({ value: 'NaN', name: 'cpu_usage' })
    expect(Object.keys(alarm).sort()).toEqual(Object.keys(reference).sort())
  })

  it('keeps the raw body as name for bond / multipath messages', async () => {
    const alarm = (await get(mock, `/rest/v0/alarms/${ALARM_BOND}`)).json() as Record<string, unknown>
    expect(alarm.body).toEqual({ name: 'The status of the eth0+eth1 bond is: 1/2 up' })
    expect(alarm.object).toEqual({ type: 'host', uuid: HOST, href: `/rest/v0/hosts/${HOST}` })
  })

  it('lists alarms apart from messages', async () => {
    expect((await get(mock, '/rest/v0/alarms')).json()).toEqual([ALARM_SR, ALARM_UNKNOWN, ALARM_BOND].map((id) => `/rest/v0/alarms/${id}`))
    expect((await get(mock, '/rest/v0/messages')).json()).toEqual([`/rest/v0/messages/${MESSAGE}`])
  })

  it('filters and projects the re-shaped alarm', async () => {
    expect((await get(mock, '/rest/v0/alarms?fields=body.value,object.type&filter=object:type:SR')).json()).toEqual([
      { body: { value: '0.2' }, object: { type: 'SR' }, href: `/rest/v0/alarms/${ALARM_SR}` },
    ])
    expect((await get(mock, '/rest/v0/alarms?fields=time&filter=time:>1724862780000')).json()).toEqual([
      { time: 1724862781000, href: `/rest/v0/alarms/${ALARM_UNKNOWN}` },
      { time: 1724862782000, href: `/rest/v0/alarms/${ALARM_BOND}` },
    ])
  })
})

describe('sub-collections', () => {
  it('lists a VM disks through its VBDs with /vdis hrefs', async () => {
    expect((await get(mock, `/rest/v0/vms/${VM_HALTED}/vdis`)).json()).toEqual([`/rest/v0/vdis/${VDI}`])
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/vdis`)).json()).toEqual([])
  })

  it('lists a snapshot disks as VDI-snapshots', async () => {
    expect((await get(mock, `/rest/v0/vm-snapshots/${VM_SNAPSHOT}/vdis?fields=type,$snapshot_of`)).json()).toEqual([
      { type: 'VDI-snapshot', $snapshot_of: VDI, href: `/rest/v0/vdi-snapshots/${VDI_SNAPSHOT}` },
    ])
  })

  it('lists alarms, messages and tasks of an object', async () => {
    expect((await get(mock, `/rest/v0/srs/${SR}/alarms`)).json()).toEqual([`/rest/v0/alarms/${ALARM_SR}`])
    expect((await get(mock, `/rest/v0/hosts/${HOST}/alarms?fields=name`)).json()).toEqual([
      { name: 'BOND_STATUS_CHANGED', href: `/rest/v0/alarms/${ALARM_BOND}` },
    ])
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/messages`)).json()).toEqual([`/rest/v0/messages/${MESSAGE}`])
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/alarms`)).json()).toEqual([])
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/tasks?fields=status`)).json()).toEqual([{ status: 'success', href: `/rest/v0/tasks/${TASK_BOB}` }])
  })

  it('accepts every collection parameter', async () => {
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/messages?limit=0`)).text).toBe('[]')
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/messages?filter=name:VM_STARTED&ndjson=true`)).text).toBe(`"/rest/v0/messages/${MESSAGE}"\n`)
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/messages?markdown=true&fields=name`)).text).toBe('| name |\n| --- |\n| VM_STARTED |')
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/messages?ndjson=yes`)).status).toBe(422)
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/messages?filter=name:`)).status).toBe(400)
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1}/messages?ndjson=true&markdown=true`)).status).toBe(422)
  })

  it('lists group members and user groups', async () => {
    expect((await get(mock, `/rest/v0/users/${ADMIN}/groups`)).json()).toEqual([`/rest/v0/groups/${GROUP}`, `/rest/v0/groups/${DEVS}`])
    expect((await get(mock, `/rest/v0/groups/${GROUP}/users?fields=email`)).json()).toEqual([{ email: 'admin@admin.net', href: `/rest/v0/users/${ADMIN}` }])
  })

  it('resolves the parent by opaque ref', async () => {
    expect((await get(mock, `/rest/v0/vms/${VM_WEB1_REF}/messages`)).json()).toEqual([`/rest/v0/messages/${MESSAGE}`])
  })
})

describe('XO-side collections', () => {
  it('lists tasks, users, groups, servers and backup records', async () => {
    // XAPI task records are not part of the task log
    expect((await get(mock, '/rest/v0/tasks')).json()).toEqual([`/rest/v0/tasks/${TASK_API}`, `/rest/v0/tasks/${TASK_BOB}`])
    expect((await get(mock, '/rest/v0/tasks/xapi-task')).status).toBe(404)
    expect(JSON.stringify((await get(mock, '/rest/v0/servers?fields=*')).json())).not.toContain('server-secret')
    expect((await get(mock, '/rest/v0/users?fields=email,pw_hash')).json()).toEqual([
      { email: 'admin@admin.net', pw_hash: '***obfuscated***', href: `/rest/v0/users/${ADMIN}` },
      { email: 'bob@example.org', pw_hash: '***obfuscated***', href: '/rest/v0/users/088124f3-41b6-4258-9653-6eedc7b46111' },
    ])
    expect((await get(mock, '/rest/v0/users?fields=password,type')).json()).toEqual([
      { href: `/rest/v0/users/${ADMIN}` },
      { href: '/rest/v0/users/088124f3-41b6-4258-9653-6eedc7b46111' },
    ])
    expect((await get(mock, '/rest/v0/servers?fields=status')).json()).toEqual([{ status: 'connected', href: `/rest/v0/servers/${SERVER}` }])
    expect((await get(mock, '/rest/v0/backup-jobs?fields=type,mode')).json()).toEqual([
      { type: 'backup', mode: 'full', href: '/rest/v0/backup-jobs/d33f3dc1-92b4-469c-ad58-4c2a106a4721' },
    ])
    for (const name of ['groups', 'schedules', 'proxies', 'backup-logs', 'restore-logs', 'backup-repositories']) {
      expect(((await get(mock, `/rest/v0/${name}`)).json() as unknown[]).length, name).toBeGreaterThan(0)
    }
  })

  it('filters tasks on nested properties', async () => {
    expect((await get(mock, '/rest/v0/tasks?filter=properties:type:xo\\:rest-api\\:action')).status).toBe(400)
    expect((await get(mock, '/rest/v0/tasks?filter=' + encodeURIComponent('properties:type:"xo:rest-api:action"'))).json()).toEqual([`/rest/v0/tasks/${TASK_BOB}`])
  })
})
