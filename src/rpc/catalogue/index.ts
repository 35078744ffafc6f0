/**
 * XO's JSON-RPC method catalogue: the 345 declarations of `packages/xo-server/src/api/*.mjs` (xo-server
 * 5.207.2), copied verbatim from the reference `methods.json`.
 *
 * The data is a JSON module imported with an import attribute: TypeScript copies an imported JSON file
 * next to the emitted module (`dist/rpc/catalogue/methods.json`), and Node ≥ 20.10 / vitest load it
 * natively, so the catalogue is found the same way from `src/` (tests) and from `dist/` (package) and is
 * never read from outside the package at run time.
 *
 * Everything exported here is deeply frozen: it is an immutable module constant, shared by every server
 * instance of the process.
 */
import rawCatalogue from './methods.json' with { type: 'json' }
import { deepFreeze } from '../../inventory/freeze.js'

/** An XO-flavoured JSON schema (`optional`, `'*'`, non-empty strings by default; see `schema.ts`). */
export type XoSchema = { readonly [key: string]: unknown }

/** `[paramName, xoType | xoType[] | null, aclPermission?]` as declared in the method's `resolve`. */
export type ResolveEntry = readonly [param: string, types: string | readonly string[] | null, permission?: string | false | null]

/**
 * - `"admin"`: admin users only;
 * - `null`: declared null, no sign-in needed;
 * - `"signed-in"`: undeclared, any signed-in user (introspection omits the key).
 */
export type CataloguePermission = 'admin' | 'signed-in' | null

export interface MethodDeclaration {
  readonly name: string
  /** Target of an alias (`host.restart_agent` → `host.restartAgent`). */
  readonly aliasOf?: string
  readonly description: string | null
  readonly permission: CataloguePermission
  /** The params declaration as XO declares it, or null when undeclared (no validation). */
  readonly params: { readonly [param: string]: XoSchema } | null
  readonly resolve?: { readonly [name: string]: ResolveEntry }
  /** Short description of the result (`"true"` when the method returns nothing). */
  readonly returns?: string
  /** XO source file of the declaration. */
  readonly source?: string
}

function load(): readonly MethodDeclaration[] {
  const list = rawCatalogue as unknown as MethodDeclaration[]
  const sorted = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return deepFreeze(sorted)
}

/** Every declaration, sorted by name (code-unit order: XO's namespace-then-name registration order). */
export const METHOD_DECLARATIONS: readonly MethodDeclaration[] = load()

/** Declarations by method name. */
export const CATALOGUE: ReadonlyMap<string, MethodDeclaration> = new Map(METHOD_DECLARATIONS.map((entry) => [entry.name, entry]))

/** Method names in XO's `system.listMethods` order. */
export const METHOD_NAMES: readonly string[] = Object.freeze(METHOD_DECLARATIONS.map((entry) => entry.name))

export function getDeclaration(name: string): MethodDeclaration | undefined {
  return CATALOGUE.get(name)
}

/** The namespace of a method name (`vm` for `vm.start`, `hub` for `hub.recipe.createKubernetesCluster`). */
export function namespaceOf(name: string): string {
  const dot = name.indexOf('.')
  return dot === -1 ? name : name.slice(0, dot)
}
