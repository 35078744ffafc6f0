import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN,
  ALARM_SR,
  ARCHIVE,
  BACKUP_JOB,
  BACKUP_LOG,
  BOB,
  GROUP,
  HOST,
  METADATA_JOB,
  MIRROR_JOB,
  POOL,
  PRIVILEGE,
  REMOTE,
  RESTORE_LOG,
  ROLE,
  VM_HALTED,
  VM_JOB,
  VM_WEB1,
  VM_WEB2,
  adminCookie,
  bobCookie,
  startMapMock,
  type MapMock,
} from './helpers.js'

let mock: MapMock
beforeAll(async () => {
  mock = await startMapMock()
})
afterAll(async () => {
  await mock.close()
})

type Obj = Record<string, any>

async function get(url: string, headers: Record<string, string> = { cookie: adminCookie }) {
  const response = await mock.app.inject({ url, headers })
  return { status: response.statusCode, headers: response.headers, text: response.payload, raw: response.rawPayload, json: () => JSON.parse(response.payload) as Obj }
}

describe('dashboards', () => {
  it('GET /dashboard is admin-only and counts the inventory', async () => {
    const response = await get('/rest/v0/dashboard')
    expect(response.status).toBe(200)
    const body = response.json()
    expect(body.nPools).toBe(1)
    expect(body.nHosts).toBe(1)
    expect(body.vmsStatus).toEqual({ active: 2, inactive: 1, running: 2, halted: 1, paused: 0, suspended: 0, unknown: 0, total: 3 })
    expect(body.hostsStatus).toMatchObject({ running: 1, total: 1 })
    // 4 jobs: only the VM job has an enabled schedule (and a successful run)
    expect(body.backups.jobs).toEqual({ disabled: 3, failed: 0, noRecentRun: 0, skipped: 0, successful: 1, total: 4 })
    // web-1 and the halted VM are in the VM job; web-2 only in the smart-mode job without schedule
    expect(body.backups.vmsProtection).toEqual({ protected: 2, unprotected: 1, notInJob: 0 })
    expect(body.missingPatches).toMatchObject({ hasAuthorization: true, nHosts: 1 })
    expect((await get('/rest/v0/dashboard', { cookie: bobCookie })).status).toBe(403)
  })

  it('?ndjson streams one line per part', async () => {
    const response = await get('/rest/v0/dashboard?ndjson=true')
    expect(response.headers['content-type']).toBe('application/x-ndjson')
    const lines = response.text.trimEnd().split('\n').map((line) => JSON.parse(line) as Obj)
    expect(lines.every((line) => Object.keys(line).length === 1)).toBe(true)
    expect(Object.assign({}, ...lines)).toEqual(JSON.parse((await get('/rest/v0/dashboard')).text))
    expect((await get('/rest/v0/dashboard?ndjson=maybe')).status).toBe(422)
  })

  it('GET /pools/{id}/dashboard nests parts by path', async () => {
    const body = (await get(`/rest/v0/pools/${POOL}/dashboard`)).json()
    expect(Object.keys(body)).toEqual(['hosts', 'vms', 'srs', 'alarms', 'cpuProvisioning'])
    expect(body.hosts.status).toEqual({ running: 1, disabled: 0, halted: 0, total: 1 })
    expect(body.vms.topFiveUsage.ram.map((vm: Obj) => vm.id).sort()).toEqual([VM_WEB1, VM_WEB2].sort())
    expect(body.alarms.map((alarm: Obj) => alarm.id)).toContain(ALARM_SR)
    expect(body.cpuProvisioning).toMatchObject({ total: 16, assigned: 6 })
    const ndjson = (await get(`/rest/v0/pools/${POOL}/dashboard?ndjson=true`)).text.trimEnd().split('\n')
    expect(JSON.parse(ndjson[0]!)).toEqual({ hosts: { status: body.hosts.status } })
  })

  it('GET /vms/{id}/dashboard: quick info, alarms, backups', async () => {
    const body = (await get(`/rest/v0/vms/${VM_HALTED}/dashboard`)).json()
    expect(body.quickInfo).toMatchObject({ id: VM_HALTED, power_state: 'Halted', $pool: POOL })
    expect(body.quickInfo.host).toBeUndefined()
    expect(body.backupsInfo.vmProtection).toBe('protected')
    expect(body.backupsInfo.lastRuns).toEqual([{ backupJobId: VM_JOB, timestamp: 1767225660000, status: 'success' }])
    expect(body.backupsInfo.backupArchives).toEqual([{ id: ARCHIVE, timestamp: 1758202182963, backupRepository: REMOTE, size: 0 }])
    expect(body.backupsInfo.replication).toEqual({})
    const web2 = (await get(`/rest/v0/vms/${VM_WEB2}/dashboard`)).json()
    expect(web2.quickInfo.host).toBe(HOST)
    expect(web2.backupsInfo.vmProtection).toBe('not-in-active-job')
    // ACL: bob may read web-1 only
    expect((await get(`/rest/v0/vms/${VM_WEB1}/dashboard`, { cookie: bobCookie })).status).toBe(200)
    expect((await get(`/rest/v0/vms/${VM_WEB2}/dashboard`, { cookie: bobCookie })).status).toBe(403)
    expect((await get('/rest/v0/vms/nope/dashboard')).status).toBe(404)
  })
})

describe('stats', () => {
  it('VM stats: one series per metric, aligned on the granularity, deterministic', async () => {
    const response = await get(`/rest/v0/vms/${VM_WEB1}/stats?granularity=minutes`)
    expect(response.status).toBe(200)
    const body = response.json()
    expect(body.interval).toBe(60)
    expect(body.endTimestamp % 60).toBe(0)
    expect(body.endTimestamp).toBeLessThanOrEqual(mock.clock.now() / 1000)
    expect(Object.keys(body.stats.cpus)).toEqual(['0', '1'])
    expect(body.stats.cpus['0']).toHaveLength(120)
    expect(body.stats.memory.every((value: number) => value === body.stats.memory[0])).toBe(true)
    expect(body.stats.memoryFree.every((value: number, i: number) => value >= 0 && value <= body.stats.memory[i])).toBe(true)
    expect(Object.keys(body.stats.vifs.rx)).toEqual(['0'])
    expect((await get(`/rest/v0/vms/${VM_WEB1}/stats?granularity=minutes`)).text).toBe(response.text)
    expect((await get(`/rest/v0/vms/${VM_WEB1}/stats`)).json().interval).toBe(5)
    expect((await get(`/rest/v0/vms/${VM_WEB1}/stats?granularity=days`)).json().stats.memory).toHaveLength(366)
  })

  it('422 on a bad granularity or a halted VM', async () => {
    const bad = await get(`/rest/v0/vms/${VM_WEB1}/stats?granularity=weeks`)
    expect(bad.status).toBe(422)
    expect(bad.json().error.granularity.message).toBe("should be one of the following; ['seconds','minutes','hours','days']")
    const halted = await get(`/rest/v0/vms/${VM_HALTED}/stats`)
    expect(halted.status).toBe(422)
    expect(halted.json().error).toBe(`VM ${VM_HALTED} is halted or host could not be found.`)
  })

  it('host and pool stats', async () => {
    const host = (await get(`/rest/v0/hosts/${HOST}/stats?granularity=hours`)).json()
    expect(host.interval).toBe(3600)
    expect(Object.keys(host.stats.cpus)).toHaveLength(16)
    expect(host.stats.load).toHaveLength(168)
    const pool = (await get(`/rest/v0/pools/${POOL}/stats?granularity=hours`)).json()
    expect(pool[HOST]).toEqual(host)
    mock.inventory.update(HOST, { power_state: 'Halted' })
    try {
      const offline = await get(`/rest/v0/hosts/${HOST}/stats`)
      expect(offline.status).toBe(500)
      expect(offline.json().error).toMatch(/^HOST_OFFLINE\(/)
      expect((await get(`/rest/v0/pools/${POOL}/stats`)).json()[HOST].error.code).toBe('HOST_OFFLINE')
    } finally {
      mock.inventory.update(HOST, { power_state: 'Running' })
    }
  })
})

describe('hosts', () => {
  it('missing_patches, smt', async () => {
    expect((await get(`/rest/v0/hosts/${HOST}/missing_patches`)).json()).toEqual([])
    expect((await get(`/rest/v0/pools/${POOL}/missing_patches`)).json()).toEqual([])
    expect((await get(`/rest/v0/hosts/${HOST}/smt`)).text).toBe('{\n  "enabled": true\n}')
  })

  it('audit.txt: a download named after the oa-example host (XO bug), gzip-encoded on demand', async () => {
    const plain = await get(`/rest/v0/hosts/${HOST}/audit.txt`)
    expect(plain.headers['content-type']).toBe('application/octet-stream')
    expect(plain.headers['content-disposition']).toBe(`attachment; filename="XCP XO 8.3.0 master-${new Date(mock.clock.now()).toISOString()}-audit.txt"`)
    expect(plain.text).toMatch(/xapi: .*\|audit\]/)
    const gzipped = await get(`/rest/v0/hosts/${HOST}/audit.txt`, { cookie: adminCookie, 'accept-encoding': 'gzip, deflate' })
    expect(gzipped.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(gzipped.raw).toString()).toBe(plain.text)
  })

  it('logs.tgz: a gzipped tar of log files', async () => {
    const response = await get(`/rest/v0/hosts/${HOST}/logs.tgz`)
    expect(response.headers['content-type']).toBe('application/gzip')
    const tar = gunzipSync(response.raw)
    expect(tar.length % 512).toBe(0)
    expect(tar.subarray(0, 21).toString()).toBe('var/log/xensource.log')
    expect(tar.subarray(257, 262).toString()).toBe('ustar')
  })
})

describe('backups', () => {
  it('backup archives, filtered by repository', async () => {
    expect((await get('/rest/v0/backup-archives')).json()).toEqual([`/rest/v0/backup-archives/${ARCHIVE}`])
    expect((await get(`/rest/v0/backup-archives?backup-repository=${REMOTE}&fields=type,vm`)).json()).toEqual([
      { type: 'xo-vm-backup', vm: expect.objectContaining({ uuid: VM_HALTED }), href: `/rest/v0/backup-archives/${ARCHIVE}` },
    ])
    expect((await get('/rest/v0/backup-archives?backup-repository=*')).json()).toHaveLength(1)
    const unknown = await get('/rest/v0/backup-archives?backup-repository=nope')
    expect(unknown.status).toBe(404)
    const archive = (await get(`/rest/v0/backup-archives/${encodeURIComponent(ARCHIVE)}`)).json()
    expect(archive).toMatchObject({ id: ARCHIVE, type: 'xo-vm-backup', backupRepository: REMOTE })
  })

  it('health of a backup repository', async () => {
    expect((await get(`/rest/v0/backup-repositories/${REMOTE}/health`)).json()).toEqual({ success: true })
    expect((await get(`/rest/v0/backup-repositories/${REMOTE}/health`, { cookie: bobCookie })).status).toBe(403)
  })

  it('backup jobs of a VM', async () => {
    // the smart-mode job (`vms: {type: 'VM', power_state: 'Running'}`) matches the running VMs
    expect((await get(`/rest/v0/vms/${VM_WEB1}/backup-jobs`)).json()).toEqual([`/rest/v0/backup-jobs/${BACKUP_JOB}`, `/rest/v0/backup-jobs/${VM_JOB}`])
    expect((await get(`/rest/v0/vms/${VM_WEB2}/backup-jobs`)).json()).toEqual([`/rest/v0/backup-jobs/${BACKUP_JOB}`])
    expect((await get(`/rest/v0/vms/${VM_HALTED}/backup-jobs?fields=name`)).json()).toEqual([{ name: 'nightly', href: `/rest/v0/backup-jobs/${VM_JOB}` }])
    expect((await get(`/rest/v0/vms/${VM_WEB1}/backup-jobs`, { cookie: bobCookie })).json()).toEqual([])
  })

  it('deprecated backup/… and restore/… paths serve the same data with hrefs of the new collections', async () => {
    const vm = (await get('/rest/v0/backup/jobs/vm')).json()
    expect(vm).toContain(`/rest/v0/backup-jobs/${VM_JOB}`)
    expect(vm).not.toContain(`/rest/v0/backup-jobs/${METADATA_JOB}`)
    expect((await get('/rest/v0/backup/jobs/metadata')).json()).toEqual([`/rest/v0/backup-jobs/${METADATA_JOB}`])
    expect((await get('/rest/v0/backup/jobs/mirror?fields=name')).json()).toEqual([{ name: 'tata', href: `/rest/v0/backup-jobs/${MIRROR_JOB}` }])
    expect((await get(`/rest/v0/backup/jobs/mirror/${MIRROR_JOB}`)).json()).toEqual((await get(`/rest/v0/backup-jobs/${MIRROR_JOB}`)).json())
    expect((await get(`/rest/v0/backup/jobs/vm/${MIRROR_JOB}`)).status).toBe(404)
    expect((await get('/rest/v0/backup/logs')).json()).toContain(`/rest/v0/backup-logs/${BACKUP_LOG}`)
    expect((await get(`/rest/v0/backup/logs/${BACKUP_LOG}`)).json().id).toBe(BACKUP_LOG)
    expect((await get('/rest/v0/restore/logs')).json()).toEqual([`/rest/v0/restore-logs/${RESTORE_LOG}`])
    expect((await get(`/rest/v0/restore/logs/${RESTORE_LOG}`)).json().id).toBe(RESTORE_LOG)
  })

  it('GET /backup/jobs/{id} → 308 /backup/jobs/vm/{id} (hidden route)', async () => {
    const response = await get(`/rest/v0/backup/jobs/${VM_JOB}?fields=x`)
    expect(response.status).toBe(308)
    expect(response.headers.location).toBe(`/rest/v0/backup/jobs/vm/${VM_JOB}`)
  })
})

describe('RBAC', () => {
  it('roles, privileges and their relations', async () => {
    expect((await get('/rest/v0/acl-roles')).json()).toEqual([`/rest/v0/acl-roles/${ROLE}`])
    expect((await get(`/rest/v0/acl-roles/${ROLE}`)).json()).toMatchObject({ id: ROLE, name: 'mra-test-read-only', privilegeIds: [PRIVILEGE] })
    expect((await get(`/rest/v0/acl-roles/${ROLE}/privileges`)).json()).toEqual([`/rest/v0/acl-privileges/${PRIVILEGE}`])
    expect((await get(`/rest/v0/acl-roles/${ROLE}/users`)).json()).toEqual([`/rest/v0/users/${BOB}`])
    expect((await get(`/rest/v0/acl-roles/${ROLE}/groups`)).json()).toEqual([`/rest/v0/groups/${GROUP}`])
    expect((await get(`/rest/v0/acl-privileges/${PRIVILEGE}`)).json()).toEqual({ action: 'create', effect: 'allow', resource: 'vif', roleId: ROLE, id: PRIVILEGE })
    expect((await get(`/rest/v0/users/${BOB}/acl-privileges`)).json()).toEqual([`/rest/v0/acl-privileges/${PRIVILEGE}`])
    expect((await get(`/rest/v0/users/${BOB}/acl-privileges`, { cookie: bobCookie })).json()).toEqual([`/rest/v0/acl-privileges/${PRIVILEGE}`])
    // admin is in GROUP, which the role names
    expect((await get(`/rest/v0/users/${ADMIN}/acl-privileges`)).json()).toEqual([`/rest/v0/acl-privileges/${PRIVILEGE}`])
    expect((await get(`/rest/v0/groups/${GROUP}/acl-roles`)).json()).toEqual([`/rest/v0/acl-roles/${ROLE}`])
    expect((await get('/rest/v0/acl-roles', { cookie: bobCookie })).status).toBe(403)
    expect((await get('/rest/v0/acl-roles/nope')).json()).toEqual({ error: 'no such acl-role nope', data: { id: 'nope', type: 'acl-role' } })
  })
})
