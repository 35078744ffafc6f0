import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InventoryError } from '../../src/inventory/load.js'
import { parseSize, parseTime } from '../../src/inventory/validate.js'
import { errorOf, load, NOW } from './helpers.js'

/** A valid two-pool lab; each case below breaks one thing. */
function lab(): Record<string, any> {
  return {
    xoMock: 1,
    pools: [
      { id: 'lab', name_label: 'Lab' },
      { id: 'branch', name_label: 'Branch' },
    ],
    hosts: [
      { id: 'h1', pool: 'lab', name_label: 'h1' },
      { id: 'h2', pool: 'lab', name_label: 'h2', power_state: 'Halted' },
      { id: 'b1', pool: 'branch', name_label: 'b1' },
    ],
    networks: [
      { id: 'net', pool: 'lab', name_label: 'net', device: 'eth0', management: true },
      { id: 'bnet', pool: 'branch', name_label: 'bnet', device: 'eth0' },
    ],
    srs: [
      { id: 'nfs', shared: true, pool: 'lab', name_label: 'NFS' },
      { id: 'local-h1', host: 'h1', name_label: 'Local storage' },
      { id: 'local-b1', host: 'b1', name_label: 'Local storage' },
      { id: 'iso', shared: true, pool: 'lab', SR_type: 'iso', name_label: 'ISO', vdis: [{ id: 'iso-1', name_label: 'a.iso', size: '600 MiB' }] },
    ],
    templates: [{ id: 'debian', default: true, os: 'debian12' }],
    vms: [
      { id: 'web', name_label: 'web', power_state: 'Running', $container: 'h1', template: 'debian', disks: [{ sr: 'nfs', size: '10 GiB' }], vifs: [{ network: 'net' }] },
      { id: 'db', name_label: 'db', $container: 'lab', disks: [{ sr: 'nfs', size: '10 GiB' }] },
      { id: 'branch-vm', name_label: 'branch vm', $container: 'branch' },
      { id: 'cd', name_label: 'cd', $container: 'lab', cdrom: { vdi: 'iso-1' } },
    ],
    messages: [{ $object: 'web', name: 'VM_STARTED', body: 'started' }],
    users: [{ id: 'alice', email: 'alice@lab.local', password: 'x' }],
    groups: [{ name: 'ops', users: ['alice'] }],
  }
}

function loadLab(mutate: (doc: Record<string, any>) => void): string {
  const doc = lab()
  mutate(doc)
  return errorOf(() => load(doc, 'seed', NOW, 'lab.json'))
}

describe('authoring errors: one line, <file>: <path>: <reason>', () => {
  it('the valid lab loads', () => {
    expect(load(lab(), 'seed', NOW, 'lab.json').objects.length).toBeGreaterThan(10)
  })

  it.each<[string, (doc: Record<string, any>) => void, string]>([
    // references
    ['unknown host', (d) => (d.vms[0].$container = 'abc'), "lab.json: vms[0].$container: no such host 'abc'"],
    ['a pool where a host is needed', (d) => (d.vms[0].$container = 'lab'), "lab.json: vms[0].$container: no such host 'lab'"],
    ['unknown container', (d) => (d.vms[1].$container = 'nope'), "lab.json: vms[1].$container: no such pool or host 'nope'"],
    ['unknown SR', (d) => (d.vms[0].disks[0].sr = 'x'), "lab.json: vms[0].disks[0].sr: no such SR 'x'"],
    ['unknown network', (d) => (d.vms[0].vifs[0].network = 'lan'), "lab.json: vms[0].vifs[0].network: no such network 'lan'"],
    ['unknown template', (d) => (d.vms[0].template = 'win'), "lab.json: vms[0].template: no such template 'win'"],
    ['unknown pool', (d) => (d.hosts[0].pool = 'dc'), "lab.json: hosts[0].pool: no such pool 'dc'"],
    ['unknown CD VDI', (d) => (d.vms[3].cdrom.vdi = 'iso-2'), "lab.json: vms[3].cdrom.vdi: no such VDI 'iso-2'"],
    ['unknown message object', (d) => (d.messages[0].$object = 'nope'), "lab.json: messages[0].$object: no such object 'nope'"],
    ['message on a user', (d) => (d.messages[0].$object = 'alice'), "lab.json: messages[0].$object: no such XAPI object 'alice' (users have no messages)"],
    ['unknown group member', (d) => d.groups[0].users.push('bob'), "lab.json: groups[0].users[1]: no such user 'bob'"],
    ['unknown master', (d) => (d.pools[0].master = 'b1'), "lab.json: pools[0].master: host 'b1' is in another pool"],
    ['unknown default SR', (d) => (d.pools[0].default_SR = 'san'), "lab.json: pools[0].default_SR: no such SR 'san'"],
    [
      'a reference to a later entry',
      (d) => {
        d.vms[3].cdrom.vdi = 'later-disk'
        d.vms.push({ name_label: 'later', $container: 'lab', disks: [{ id: 'later-disk', sr: 'nfs', size: 1 }] })
      },
      "lab.json: vms[3].cdrom.vdi: VDI 'later-disk' must be declared before this entry (it is vms[4].disks[0])",
    ],
    // placement rules
    ['a running VM on a halted host', (d) => (d.vms[0].$container = 'h2'), "lab.json: vms[0].$container: host 'h2' is not running"],
    ['an SR of another pool', (d) => (d.vms[1].disks[0].sr = 'local-b1'), "lab.json: vms[1].disks[0].sr: SR 'local-b1' is in another pool"],
    ['a network of another pool', (d) => (d.vms[0].vifs[0].network = 'bnet'), "lab.json: vms[0].vifs[0].network: network 'bnet' is in another pool"],
    [
      'a local SR of another host',
      (d) => {
        d.vms[0].disks[0].sr = 'local-h1'
        d.hosts[1].power_state = 'Running'
        d.vms[0].$container = 'h2'
      },
      "lab.json: vms[0].disks[0].sr: SR 'local-h1' is local to another host than the VM's",
    ],
    ['a disk on an ISO SR', (d) => (d.vms[0].disks[0].sr = 'iso'), "lab.json: vms[0].disks[0].sr: SR 'iso' is an ISO SR"],
    [
      'a template of another pool',
      (d) => {
        d.templates.push({ id: 'custom', pool: 'branch', name_label: 'c' })
        d.vms[1].template = 'custom'
      },
      "lab.json: vms[1].template: template 'custom' is not in the pool of this VM",
    ],
    ['no pool given with several pools', (d) => delete d.hosts[0].pool, 'lab.json: hosts[0].pool: required when there are several pools'],
    ['an SR without host nor shared', (d) => delete d.srs[0].shared, 'lab.json: srs[0]: either host (a local SR) or shared: true is required'],
    ['a pool without hosts', (d) => d.pools.push({ name_label: 'empty' }), 'lab.json: pools[2]: a pool needs at least one host'],
    ['CPUs number above max', (d) => (d.vms[0].CPUs = { max: 2, number: 4 }), 'lab.json: vms[0].CPUs.number: must be at most max (2), got 4'],
    ['inconsistent memory', (d) => (d.vms[0].memory = { dynamic: ['4 GiB', '2 GiB'] }), 'lab.json: vms[0].memory: expected static min ≤ dynamic min ≤ dynamic max ≤ static max'],
    ['a memory pair of 3', (d) => (d.vms[0].memory = { static: [1, 2, 3] }), 'lab.json: vms[0].memory.static: expected [min, max], got 3 values'],
    ['an alarm with a body', (d) => (d.messages[0] = { $object: 'web', alarm: { metric: 'cpu_usage', value: 0.9 }, body: 'x' }), 'lab.json: messages[0].alarm: an alarm is a message named ALARM whose body is generated: remove name/body'],
    ['a message without name', (d) => delete d.messages[0].name, 'lab.json: messages[0].name: required key missing (or give alarm)'],
    ['a template without name nor os', (d) => d.templates.push({ pool: 'lab' }), 'lab.json: templates[1].name_label: required key missing (or give os)'],
    ['a bad subnet', (d) => (d.networks[0].subnet = '10.0.0.0/33'), `lab.json: networks[0].subnet: invalid IPv4 subnet '10.0.0.0/33' (expected like "10.1.0.0/16", prefix ≤ 30)`],
    // duplicates
    ['a duplicate id', (d) => (d.vms[1].id = 'web'), "lab.json: vms[1].id: duplicate id 'web' (also vms[0].id)"],
    ['a duplicate id across kinds', (d) => (d.srs[0].id = 'h1'), "lab.json: srs[0].id: duplicate id 'h1' (also hosts[0].id)"],
    ['a duplicate nested id', (d) => (d.vms[0].disks[0].id = 'iso-1'), "lab.json: vms[0].disks[0].id: duplicate id 'iso-1' (also srs[3].vdis[0].id)"],
    ['a duplicate email', (d) => d.users.push({ email: 'ALICE@lab.local', password: 'y' }), "lab.json: users[1].email: duplicate email 'ALICE@lab.local'"],
    ['a duplicate PIF', (d) => (d.hosts[0].pifs = [{ network: 'net' }, { network: 'net' }]), "lab.json: hosts[0].pifs[1].network: a PIF on network 'net' is already declared"],
    // schema
    ['an unknown key', (d) => (d.vms[0].colour = 'red'), 'lab.json: vms[0].colour: unknown key'],
    ['a misspelt key', (d) => (d.vms[2].name_lable = 'x'), "lab.json: vms[2].name_lable: unknown key (did you mean 'name_label'?)"],
    ['an unknown top-level key', (d) => (d.vm = []), "lab.json: vm: unknown key (did you mean 'vms'?)"],
    ['a missing required key', (d) => delete d.vms[1].name_label, 'lab.json: vms[1].name_label: required key missing'],
    ['a wrong type', (d) => (d.hosts[0].cores = '8'), 'lab.json: hosts[0].cores: expected an integer, got a string'],
    ['a non-integer', (d) => (d.hosts[0].cores = 8.5), 'lab.json: hosts[0].cores: expected an integer, got 8.5'],
    ['a number below its minimum', (d) => (d.hosts[0].sockets = 0), 'lab.json: hosts[0].sockets: must be at least 1, got 0'],
    ['a wrong enum value', (d) => (d.vms[0].power_state = 'running'), "lab.json: vms[0].power_state: expected one of 'Running', 'Halted', 'Paused', 'Suspended', got 'running'"],
    ['an array expected', (d) => (d.vms[0].tags = 'prod'), 'lab.json: vms[0].tags: expected an array, got a string'],
    ['an array item', (d) => (d.vms[0].tags = ['prod', 3]), 'lab.json: vms[0].tags[1]: expected a string, got a number'],
    ['an object expected', (d) => (d.vms = { web: {} }), 'lab.json: vms: expected an array, got an object'],
    ['a record value', (d) => (d.vms[0].other = { 'xo:notes': 1 }), 'lab.json: vms[0].other["xo:notes"]: expected a string, got a number'],
    ['a bad size', (d) => (d.vms[0].memory = '4 gigs'), `lab.json: vms[0].memory: invalid size '4 gigs' (expected bytes, or a string like "20 GiB")`],
    ['a bad size type', (d) => (d.vms[0].memory = true), 'lab.json: vms[0].memory: expected a size or a memory object, got a boolean'],
    ['a bad time', (d) => (d.messages[0].time = 'yesterday'), `lab.json: messages[0].time: invalid time 'yesterday' (expected seconds since the epoch, an ISO date, or a negative duration like "-2h")`],
    ['an unknown os', (d) => (d.vms[0].os = 'debian13'), "lab.json: vms[0].os: expected one of 'debian12', 'debian11', 'ubuntu2404', 'ubuntu2204', 'rocky9', 'alma9', 'rhel9', 'centos7', 'alpine', 'freebsd14', 'windows2022', 'windows2019', 'windows11', got 'debian13'"],
    ['a bad cdrom', (d) => (d.vms[0].cdrom = true), "lab.json: vms[0].cdrom: expected false, got true"],
    ['a bad cdrom type', (d) => (d.vms[0].cdrom = 'iso-1'), 'lab.json: vms[0].cdrom: expected null (an empty CD drive), false (no CD drive) or {vdi}, got a string'],
    ['a wrong version', (d) => (d.xoMock = 2), 'lab.json: xoMock: expected 1, got 2'],
  ])('%s', (_, mutate, message) => {
    const error = loadLab(mutate)
    expect(error).toBe(message)
    expect(error).not.toContain('\n')
  })

  it('throws InventoryError with file, path and reason', () => {
    const doc = lab()
    doc.vms[0].$container = 'abc'
    try {
      load(doc, 's', NOW, 'lab.json')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(InventoryError)
      expect(error).toMatchObject({ file: 'lab.json', path: 'vms[0].$container', reason: "no such host 'abc'" })
    }
  })

  it('names in-memory documents <inventory> by default', () => {
    expect(errorOf(() => load({ xoMock: 1, vms: 3 }))).toBe('<inventory>: vms: expected an array, got a number')
    expect(errorOf(() => load([1, 2] as never))).toBe(
      '<inventory>: expected a JSON object: an authoring document ("xoMock": 1), a REST snapshot or an xo.getAllObjects dump',
    )
  })

  it('needs a pool for hosts and VMs', () => {
    expect(errorOf(() => load({ xoMock: 1, hosts: [{ name_label: 'h' }] }))).toBe('<inventory>: pools: at least one pool is required')
    expect(errorOf(() => load({ xoMock: 1, vms: [{ name_label: 'v' }] }))).toBe('<inventory>: pools: at least one pool is required')
  })
})

describe('file errors: one line, <path>: <reason>', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xo-mock-inventory-'))
  const file = (name: string, content: string) => {
    const path = join(dir, name)
    writeFileSync(path, content)
    return path
  }

  it('reports a missing file, a directory, invalid JSON, YAML and a non-object document', () => {
    expect(errorOf(() => load(join(dir, 'nope.json')))).toBe(`${join(dir, 'nope.json')}: no such file`)
    expect(errorOf(() => load(dir))).toBe(`${dir}: is a directory`)
    const broken = file('broken.json', '{\n  "xoMock": 1,\n  "pools": [\n}')
    expect(errorOf(() => load(broken))).toBe(`${broken}: invalid JSON at line 4 column 1: Unexpected token '}'`)
    const trailing = file('trailing.json', '{"xoMock": 1,}')
    expect(errorOf(() => load(trailing))).toBe(`${trailing}: invalid JSON at line 1 column 14: Expected double-quoted property name`)
    const truncated = file('truncated.json', '{"xoMock": 1, "pools": [')
    expect(errorOf(() => load(truncated))).toBe(`${truncated}: invalid JSON at line 1 column 25: Unexpected end of JSON input`)
    expect(errorOf(() => load(file('lab.yaml', 'xoMock: 1')))).toBe(`${join(dir, 'lab.yaml')}: YAML is not supported, convert the file to JSON`)
    const list = file('list.json', '[]')
    expect(errorOf(() => load(list))).toBe(`${list}: expected a JSON object: an authoring document ("xoMock": 1), a REST snapshot or an xo.getAllObjects dump`)
  })

  it('prefixes authoring errors with the path as given', () => {
    const doc = lab()
    doc.vms[3].$container = 'abc'
    const path = file('lab.json', JSON.stringify(doc))
    expect(errorOf(() => load(path))).toBe(`${path}: vms[3].$container: no such pool or host 'abc'`)
  })

  it('reports errors of generated NAMEs with the NAME', () => {
    expect(errorOf(() => load('generated:vms=-1'))).toBe("generated:vms=-1: vms: expected a non-negative integer, got '-1'")
  })
})

describe('sizes and times', () => {
  it('parses sizes with binary and decimal units', () => {
    expect(parseSize(1024)).toBe(1024)
    expect(parseSize('20 GiB')).toBe(20 * 2 ** 30)
    expect(parseSize('1.5TiB')).toBe(1.5 * 2 ** 40)
    expect(parseSize('500 MB')).toBe(500e6)
    expect(parseSize('12')).toBe(12)
    expect(parseSize('12 B')).toBe(12)
    expect(parseSize('-1')).toBeUndefined()
    expect(parseSize(1.5)).toBeUndefined()
    expect(parseSize('2 GiBs')).toBeUndefined()
  })

  it('parses seconds, ISO dates and negative durations relative to now', () => {
    expect(parseTime(1700000000, NOW)).toBe(1700000000)
    expect(parseTime('2025-06-01T12:00:00Z', NOW)).toBe(Date.UTC(2025, 5, 1, 12) / 1000)
    expect(parseTime('-2h', NOW)).toBe(NOW / 1000 - 7200)
    expect(parseTime('-3 days', NOW)).toBe(NOW / 1000 - 3 * 86400)
    expect(parseTime('yesterday', NOW)).toBeUndefined()
    expect(parseTime('2h', NOW)).toBeUndefined()
  })
})
