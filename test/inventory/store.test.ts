import { describe, expect, it } from 'vitest'
import { RELATIONS, relationsOfChild, relationsOfParent } from '../../src/inventory/relations.js'
import { DuplicateObjectError, NoSuchObjectError, ObjectStore, deriveBackReferences, type Change } from '../../src/inventory/store.js'
import type { XoObject } from '../../src/inventory/types.js'

type Obj = { id: string; type: string; [key: string]: unknown }

function watch(store: ObjectStore): Change[] {
  const changes: Change[] = []
  store.subscribe((change) => changes.push(change))
  return changes
}

/** A parent of `type` with every back-reference array of its relations, empty. */
function parent(id: string, type: string, extra: Record<string, unknown> = {}): Obj {
  const object: Obj = { id, type, _xapiRef: `OpaqueRef:${id}`, ...extra }
  for (const relation of relationsOfParent(type)) for (const field of relation.parentFields) object[field] = []
  return object
}

const summary = (changes: Change[]) => changes.map((c) => `${c.kind} ${c.id}`)

describe('ObjectStore basics', () => {
  it('adds, gets, resolves by id or XAPI ref, and indexes by type', () => {
    const store = new ObjectStore()
    store.add({ id: 'h1', type: 'host', _xapiRef: 'OpaqueRef:h1' })
    store.add({ id: 'vm1', type: 'VM', _xapiRef: 'OpaqueRef:vm1' })
    store.add({ id: 'u1', type: 'user' })
    expect(store.get('h1')?.type).toBe('host')
    expect(store.resolve('OpaqueRef:vm1')?.id).toBe('vm1')
    expect(store.resolve('vm1')?.id).toBe('vm1')
    expect(store.resolve('OpaqueRef:nope')).toBeUndefined()
    expect(store.has('u1')).toBe(true)
    expect(store.size).toBe(3)
    expect(store.count('VM')).toBe(1)
    expect(store.count('SR')).toBe(0)
    expect([...store.ofType('host')].map((o) => o.id)).toEqual(['h1'])
    expect([...store.ofType('nothing')]).toEqual([])
    expect(store.types()).toEqual(['host', 'VM', 'user'])
    expect([...store.all()].map((o) => o.id)).toEqual(['h1', 'vm1', 'u1'])
    expect(store.getOfType('OpaqueRef:h1', 'host').id).toBe('h1')
    expect(store.getOfType('vm1', ['VM', 'VM-template']).id).toBe('vm1')
  })

  it('rejects objects without id or type, duplicates, and unknown ids', () => {
    const store = new ObjectStore()
    store.add({ id: 'a', type: 'VM' })
    expect(() => store.add({ id: '', type: 'VM' })).toThrow(TypeError)
    expect(() => store.add({ id: 'b', type: '' })).toThrow(TypeError)
    expect(() => store.add({ id: 'a', type: 'VM' })).toThrow(DuplicateObjectError)
    expect(() => store.update('nope', {})).toThrow(NoSuchObjectError)
    expect(() => store.remove('nope')).toThrow(NoSuchObjectError)
    expect(() => store.getOfType('a', 'host')).toThrow(new NoSuchObjectError('a', 'host'))
    expect(() => store.getOfType('nope', 'VM')).toThrow('no such VM nope')
  })

  it('deep-freezes stored objects and replaces them wholesale on update', () => {
    const store = new ObjectStore()
    const input = { id: 'vm', type: 'VM', memory: { dynamic: [1, 2] }, tags: ['a'] }
    const added = store.add(input)
    expect(Object.isFrozen(added)).toBe(true)
    expect(Object.isFrozen(added.memory)).toBe(true)
    expect(Object.isFrozen((added.memory as { dynamic: number[] }).dynamic)).toBe(true)
    expect(added).not.toBe(input) // the store keeps its own top-level copy
    expect(() => {
      ;(added as Record<string, unknown>).name_label = 'x'
    }).toThrow(TypeError)
    const updated = store.update('vm', { tags: ['a', 'b'] })
    expect(updated).not.toBe(added)
    expect(store.get('vm')).toBe(updated)
    expect(Object.isFrozen(updated.tags)).toBe(true)
    expect(added.tags).toEqual(['a']) // the previous snapshot is untouched
  })

  it('update: shallow merge, undefined deletes, function patches, no-op updates emit nothing', () => {
    const store = new ObjectStore()
    store.add({ id: 'vm', type: 'VM', name_label: 'a', notes: 'n' })
    const changes = watch(store)
    const same = store.get('vm')
    expect(store.update('vm', { name_label: 'a' })).toBe(same)
    expect(store.update('vm', { missing: undefined })).toBe(same)
    expect(changes).toEqual([])
    const next = store.update('vm', (current) => ({ name_label: `${String(current.name_label)}!`, notes: undefined }))
    expect(next).toEqual({ id: 'vm', type: 'VM', name_label: 'a!' })
    expect('notes' in next).toBe(false)
    expect(changes).toHaveLength(1)
    expect(changes[0]).toMatchObject({ kind: 'update', id: 'vm', type: 'VM', object: next, previous: same })
    expect(() => store.update('vm', { id: 'other' })).toThrow('cannot change id of vm')
    expect(() => store.update('vm', { type: 'host' })).toThrow('cannot change type of vm')
    expect(store.update('vm', { id: 'vm', type: 'VM' })).toBe(next) // unchanged id/type are accepted
  })

  it('change feed: ordered sequence numbers, add/update/remove records, unsubscribe', () => {
    const store = new ObjectStore()
    const changes = watch(store)
    const other: Change[] = []
    const unsubscribe = store.subscribe((change) => other.push(change))
    expect(store.version).toBe(0)
    store.add({ id: 'a', type: 'VM', n: 1 })
    store.update('a', { n: 2 })
    unsubscribe()
    const removed = store.remove('a')
    expect(changes.map((c) => [c.seq, c.kind, c.id])).toEqual([
      [1, 'add', 'a'],
      [2, 'update', 'a'],
      [3, 'remove', 'a'],
    ])
    expect(other).toHaveLength(2)
    expect(changes[0]!.previous).toBeUndefined()
    expect(changes[1]!.previous).toMatchObject({ n: 1 })
    expect(changes[1]!.object).toMatchObject({ n: 2 })
    expect(changes[2]!.object).toBe(removed)
    expect(Object.isFrozen(changes[0]!.object)).toBe(true)
    expect(store.version).toBe(3)
  })
})

describe('ObjectStore keeps every relation of relations.ts consistent', () => {
  const cases = RELATIONS.flatMap((relation) =>
    relation.childTypes.flatMap((childType) => relation.parentTypes.map((parentType) => ({ relation, childType, parentType }))),
  )

  it.each(cases.map((c) => [`${c.childType}.${c.relation.childField} → ${c.parentType}.${c.relation.parentFields.join('/')}`, c] as const))(
    '%s',
    (_, { relation, childType, parentType }) => {
      const store = new ObjectStore()
      store.add(parent('p1', parentType))
      store.add(parent('p2', parentType))
      const changes = watch(store)

      // add: the parent lists the child, after the child's own add record
      store.add({ id: 'c', type: childType, [relation.childField]: 'p1' })
      for (const field of relation.parentFields) expect(store.get('p1')![field]).toEqual(['c'])
      expect(summary(changes)).toEqual(['add c', 'update p1'])

      // re-pointing the forward reference moves the back-reference
      changes.length = 0
      store.update('c', { [relation.childField]: 'p2' })
      for (const field of relation.parentFields) {
        expect(store.get('p1')![field]).toEqual([])
        expect(store.get('p2')![field]).toEqual(['c'])
      }
      expect(summary(changes)).toEqual(['update c', 'update p1', 'update p2'])

      // unrelated updates do not touch the parent
      changes.length = 0
      store.update('c', { name_label: 'renamed' })
      expect(summary(changes)).toEqual(['update c'])

      // remove: unlinked
      changes.length = 0
      store.remove('c')
      for (const field of relation.parentFields) expect(store.get('p2')![field]).toEqual([])
      expect(summary(changes)).toEqual(['remove c', 'update p2'])
    },
  )

  it('keeps children in insertion order and ignores references to missing or wrong-typed parents', () => {
    const store = new ObjectStore()
    store.add(parent('vm', 'VM'))
    store.add(parent('host', 'host'))
    store.add({ id: 'b1', type: 'VBD', VM: 'vm' })
    store.add({ id: 'b2', type: 'VBD', VM: 'vm' })
    store.add({ id: 'b3', type: 'VBD', VM: 'host' }) // a host is not a VBD parent
    store.add({ id: 'b4', type: 'VBD', VM: 'nowhere' })
    expect(store.get('vm')!.$VBDs).toEqual(['b1', 'b2'])
    expect(store.get('host')!.$VBDs).toBeUndefined()
    // a parent without the array gets it on first link
    store.add({ id: 'vm2', type: 'VM' })
    store.add({ id: 'b5', type: 'VBD', VM: 'vm2' })
    expect(store.get('vm2')!.$VBDs).toEqual(['b5'])
    // clearing the forward reference unlinks
    store.update('b1', { VM: undefined })
    expect(store.get('vm')!.$VBDs).toEqual(['b2'])
  })

  it('a VBD links both its VM and its VDI; an empty CD drive only its VM', () => {
    const store = new ObjectStore()
    store.add(parent('vm', 'VM'))
    store.add(parent('vdi', 'VDI'))
    const changes = watch(store)
    store.add({ id: 'disk', type: 'VBD', VM: 'vm', VDI: 'vdi', is_cd_drive: false })
    store.add({ id: 'cd', type: 'VBD', VM: 'vm', is_cd_drive: true })
    expect(store.get('vm')!.$VBDs).toEqual(['disk', 'cd'])
    expect(store.get('vdi')!.$VBDs).toEqual(['disk'])
    expect(summary(changes)).toEqual(['add disk', 'update vm', 'update vdi', 'add cd', 'update vm'])
  })

  it('host.residentVms follows VM.$container (a VM halted to its pool leaves the host)', () => {
    const store = new ObjectStore()
    store.add(parent('pool', 'pool'))
    store.add(parent('host', 'host'))
    store.add({ id: 'dom0', type: 'VM-controller', $container: 'host' })
    store.add({ id: 'vm', type: 'VM', $container: 'host', power_state: 'Running' })
    expect(store.get('host')!.residentVms).toEqual(['dom0', 'vm'])
    store.update('vm', { $container: 'pool', power_state: 'Halted' })
    expect(store.get('host')!.residentVms).toEqual(['dom0'])
    expect(store.get('pool')!.residentVms).toBeUndefined()
  })

  it('PIF, PCI and PGPU links feed both host arrays ($PIFs and PIFs, …)', () => {
    const store = new ObjectStore()
    store.add(parent('host', 'host'))
    store.add(parent('net', 'network'))
    store.add({ id: 'pif', type: 'PIF', $host: 'host', $network: 'net' })
    store.add({ id: 'pci', type: 'PCI', $host: 'host' })
    store.add({ id: 'pgpu', type: 'PGPU', $host: 'host' })
    const host = store.get('host')!
    expect([host.PIFs, host.$PIFs, host.PCIs, host.$PCIs, host.PGPUs, host.$PGPUs]).toEqual([['pif'], ['pif'], ['pci'], ['pci'], ['pgpu'], ['pgpu']])
    expect(store.get('net')!.PIFs).toEqual(['pif'])
  })

  it('exposes the relations by child and by parent type', () => {
    expect(relationsOfChild('VBD').map((r) => r.childField)).toEqual(['VM', 'VDI'])
    expect(relationsOfChild('pool')).toEqual([])
    expect(relationsOfParent('host').flatMap((r) => r.parentFields)).toEqual(['$PIFs', 'PIFs', '$PBDs', '$PCIs', 'PCIs', '$PGPUs', 'PGPUs', 'residentVms'])
  })
})

describe('ObjectStore.replaceAll and deriveBackReferences', () => {
  const objects = (): XoObject[] => [
    { id: 'vm', type: 'VM', $VBDs: ['stale'], VIFs: [] },
    { id: 'vdi', type: 'VDI' },
    { id: 'vbd', type: 'VBD', VM: 'vm', VDI: 'vdi' },
    { id: 'snap', type: 'VM-snapshot', $snapshot_of: 'vm' },
  ]

  it('derives back-references on request, from forward references, without mutating the inputs', () => {
    const inputs = objects()
    const store = new ObjectStore()
    store.replaceAll(inputs, { deriveBackReferences: true })
    expect(store.get('vm')).toMatchObject({ $VBDs: ['vbd'], VIFs: [], snapshots: ['snap'] })
    expect(store.get('vdi')).toMatchObject({ $VBDs: ['vbd'], snapshots: [] })
    expect(inputs[0]!.$VBDs).toEqual(['stale'])
    expect(Object.isFrozen(store.get('vm'))).toBe(true)
  })

  it('keeps captured back-references as they are without the option', () => {
    const store = new ObjectStore()
    store.replaceAll(objects())
    expect(store.get('vm')!.$VBDs).toEqual(['stale'])
    expect(store.get('vdi')!.$VBDs).toBeUndefined()
  })

  it('emits remove for every old object then add for every new one; bumps the version silently without listeners', () => {
    const store = new ObjectStore()
    store.replaceAll(objects())
    expect(store.version).toBe(4)
    const changes = watch(store)
    store.replaceAll([{ id: 'h', type: 'host', _xapiRef: 'OpaqueRef:h' }])
    expect(summary(changes)).toEqual(['remove vm', 'remove vdi', 'remove vbd', 'remove snap', 'add h'])
    expect(changes.map((c) => c.seq)).toEqual([5, 6, 7, 8, 9])
    expect(store.size).toBe(1)
    expect(store.resolve('OpaqueRef:h')?.id).toBe('h')
    expect(store.count('VM')).toBe(0)
  })

  it('rejects duplicate ids and leaves the content unchanged', () => {
    const store = new ObjectStore()
    store.replaceAll(objects())
    expect(() =>
      store.replaceAll([
        { id: 'x', type: 'VM' },
        { id: 'x', type: 'VM' },
      ]),
    ).toThrow(DuplicateObjectError)
    expect(store.size).toBe(4)
  })

  it('deriveBackReferences resets every parent array and fills children in list order', () => {
    const list: XoObject[] = [
      { id: 'sr', type: 'SR', VDIs: ['old'], $PBDs: [] },
      { id: 'd2', type: 'VDI', $SR: 'sr' },
      { id: 'd1', type: 'VDI-snapshot', $SR: 'sr', $snapshot_of: 'd2' },
      { id: 'h', type: 'host' },
      { id: 'pbd', type: 'PBD', host: 'h', SR: 'sr' },
    ]
    deriveBackReferences(list)
    expect(list[0]).toMatchObject({ VDIs: ['d2', 'd1'], $PBDs: ['pbd'] })
    expect(list[1]).toMatchObject({ snapshots: ['d1'], $VBDs: [] })
    expect(list[3]).toMatchObject({ $PBDs: ['pbd'], residentVms: [], PIFs: [], $PIFs: [] })
  })
})
