/**
 * The inventory loader. A source is:
 * - a bundled NAME: `default`, `minimal`, or `generated[:key=value,…]` (see `generator.ts`);
 * - a path to a JSON file (YAML is not supported: it would need a new dependency);
 * - an already-parsed document.
 * A document is an authoring document (`"xoMock": 1`, see `fixtures/FORMAT.md`), a REST snapshot, or an
 * `xo.getAllObjects` dump (the format is detected). Every error is an InventoryError whose message is
 * one line: `<file>: <path>: <reason>` (`<path>: <reason>` for file read errors).
 */
import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DOCUMENT_SCHEMA, type AuthoringDocument } from './authoring.js'
import { buildInventory } from './builder.js'
import { importCapture } from './capture.js'
import { cloneJson } from './freeze.js'
import { generateInventory, parseGeneratorSpec } from './generator.js'
import type { IdGenerator } from './ids.js'
import type { XoObject } from './types.js'
import { InventoryError, validate } from './validate.js'

export { InventoryError } from './validate.js'
export { generateInventory, parseGeneratorSpec, type GeneratorOptions } from './generator.js'
export type { AuthoringDocument } from './authoring.js'

export interface LoadedInventory {
  readonly objects: XoObject[]
  readonly warnings: string[]
  /**
   * Whether the store must derive back-references. `false` when the objects already carry them: built
   * inventories (derived and checked by the loader) and captures (kept as captured).
   */
  readonly deriveBackReferences: boolean
}

export interface LoadContext {
  readonly ids: IdGenerator
  /** Milliseconds since the epoch: generated timestamps are relative to it. */
  readonly now: number
  /** Name of an in-memory document in error messages (default `<inventory>`). */
  readonly name?: string
}

/** A NAME or path, an authoring document, a capture, or `{objects}` (ready-made objects). */
export type InventorySource = string | { readonly objects: XoObject[] } | AuthoringDocument | Record<string, unknown>

/** Inventories shipped in `fixtures/`. */
export const BUNDLED_INVENTORIES: readonly string[] = ['default', 'minimal']

/** Absolute path of the bundled `fixtures/` directory (same relative place from `src/` and `dist/`). */
export function fixturesDirectory(): string {
  return fileURLToPath(new URL('../../fixtures/', import.meta.url))
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim()
}

/** Reads and parses a JSON inventory file; `label` names it in errors. */
export function readInventoryFile(path: string, label = path): unknown {
  const extension = extname(path).toLowerCase()
  if (extension === '.yaml' || extension === '.yml') {
    throw new InventoryError(label, '', 'YAML is not supported, convert the file to JSON')
  }
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : firstLine((error as Error).message)
    throw new InventoryError(label, '', reason)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    // V8's messages may quote the text (several lines): keep the first clause, locate the error ourselves
    const reason = firstLine((error as Error).message)
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/, (\.\.\.|").*$/, '')
    const position = jsonErrorPosition(text)
    const where = position === undefined ? '' : ` at ${lineColumn(text, position)}`
    throw new InventoryError(label, '', `invalid JSON${where}: ${reason}`)
  }
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position)
  const line = before.split('\n').length
  return `line ${line} column ${position - before.lastIndexOf('\n')}`
}

/** Offset of the first JSON syntax error of `text` (a small recursive-descent scanner), if any. */
export function jsonErrorPosition(text: string): number | undefined {
  let i = 0
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
  }
  const literal = (word: string): boolean => {
    if (text.startsWith(word, i)) {
      i += word.length
      return true
    }
    return false
  }
  const string = (): boolean => {
    if (text[i] !== '"') return false
    i++
    while (i < text.length) {
      const c = text[i]!
      if (c === '"') {
        i++
        return true
      }
      if (c < ' ') return false
      if (c === '\\') {
        const e = text[i + 1]
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false
          i += 6
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2
        else {
          i++
          return false
        }
      } else i++
    }
    return false
  }
  const value = (depth: number): boolean => {
    space()
    if (depth > 512) return false
    const c = text[i]
    if (c === '{') {
      i++
      space()
      if (text[i] === '}') {
        i++
        return true
      }
      for (;;) {
        space()
        if (!string()) return false
        space()
        if (text[i] !== ':') return false
        i++
        if (!value(depth + 1)) return false
        space()
        if (text[i] === ',') i++
        else if (text[i] === '}') {
          i++
          return true
        } else return false
      }
    }
    if (c === '[') {
      i++
      space()
      if (text[i] === ']') {
        i++
        return true
      }
      for (;;) {
        if (!value(depth + 1)) return false
        space()
        if (text[i] === ',') i++
        else if (text[i] === ']') {
          i++
          return true
        } else return false
      }
    }
    if (c === '"') return string()
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (number !== null && number[0] !== '') {
      i += number[0].length
      return true
    }
    return literal('true') || literal('false') || literal('null')
  }
  if (!value(0)) return Math.min(i, text.length)
  space()
  return i < text.length ? i : undefined
}

/**
 * Loads an inventory: a bundled NAME, a file path or a parsed document. Same `ids` seed and `now` →
 * deep-equal objects.
 */
export function loadInventory(source: InventorySource, context: LoadContext): LoadedInventory {
  if (typeof source === 'string') {
    if (BUNDLED_INVENTORIES.includes(source)) {
      const file = `${source}.json`
      return loadDocument(readInventoryFile(fixturesDirectory() + file, `fixtures/${file}`), `fixtures/${file}`, context, true)
    }
    if (source === 'generated' || source.startsWith('generated:')) {
      return loadDocument(generateInventory(parseGeneratorSpec(source)), source, context, true)
    }
    return loadDocument(readInventoryFile(source), source, context, true)
  }
  return loadDocument(source, context.name ?? '<inventory>', context, false)
}

/**
 * Loads a parsed document. `owned`: the document may be consumed (its values end up frozen in the
 * store); otherwise it is copied first.
 */
export function loadDocument(doc: unknown, file: string, context: LoadContext, owned = false): LoadedInventory {
  if (!isPlainObject(doc)) {
    throw new InventoryError(file, '', 'expected a JSON object: an authoring document ("xoMock": 1), a REST snapshot or an xo.getAllObjects dump')
  }
  if ('xoMock' in doc) {
    validate(doc, DOCUMENT_SCHEMA, file, '')
    const authoring = (owned ? doc : cloneJson(doc)) as unknown as AuthoringDocument
    const objects = buildInventory(authoring, { ids: context.ids, now: context.now, file })
    // the builder already derived the back-references (with the store's `deriveBackReferences`) to check them
    return { objects, warnings: [], deriveBackReferences: false }
  }
  const keys = Object.keys(doc)
  if (keys.length === 1 && keys[0] === 'objects' && Array.isArray(doc.objects)) {
    // a plain list of ready-made objects (programmatic use): taken as they are, back-references derived
    return { objects: doc.objects as XoObject[], warnings: [], deriveBackReferences: true }
  }
  const capture = importCapture(doc, file, owned)
  return { objects: capture.objects, warnings: capture.warnings, deriveBackReferences: false }
}
