import { readFileSync } from 'node:fs'
import { IdGenerator } from '../../src/inventory/ids.js'
import { loadInventory, type InventorySource, type LoadedInventory } from '../../src/inventory/load.js'
import type { XoObject } from '../../src/inventory/types.js'

/** A fixed `now` (2026-01-01T00:00:00Z) so that loads are reproducible. */
export const NOW = Date.UTC(2026, 0, 1)

export function load(source: InventorySource, seed: string | number = 'test', now = NOW, name?: string): LoadedInventory {
  return loadInventory(source, { ids: new IdGenerator(seed), now, name })
}

/** The message of the error `fn` throws (fails the test when it does not throw). */
export function errorOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected an error')
}

export function referenceObject(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./reference-objects/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>
}

export function byType(objects: readonly XoObject[]): Map<string, XoObject[]> {
  const map = new Map<string, XoObject[]>()
  for (const object of objects) {
    let list = map.get(object.type)
    if (list === undefined) map.set(object.type, (list = []))
    list.push(object)
  }
  return map
}

export function capturePath(name: string): string {
  return new URL(`./captures/${name}`, import.meta.url).pathname
}
