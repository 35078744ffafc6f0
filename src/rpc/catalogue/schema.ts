/**
 * XO's parameter validation (`xo-mixins/_xoJsonSchema.mjs`, `api.mjs` `checkParams`): each method's
 * `params` declaration is turned into a standard JSON schema `{type: 'object', properties: params}` with
 * XO's rules, then compiled with ajv 8 (`allErrors`, `allowUnionTypes`, `useDefaults`):
 *
 * - object properties are required unless `optional: true`;
 * - additional properties are rejected when at least one property is declared; a `'*'` property gives the
 *   schema of the extra properties;
 * - strings (also in unions) get `minLength: 1` unless `minLength`, `pattern` or `format` is given;
 * - nested objects, array items and object-valued `additionalProperties` follow the same rules;
 * - `enum` schemas are left untouched.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { cloneJson } from '../../inventory/freeze.js'
import type { MethodDeclaration } from './index.js'

type Schema = Record<string, unknown>

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value)

function typeTester(schema: Schema): (type: string) => boolean {
  const { type } = schema
  if (typeof type === 'string') return (candidate) => candidate === type
  const types = new Set(Array.isArray(type) ? (type as unknown[]) : [])
  return (candidate) => types.has(candidate)
}

/** Converts (in place) an XO schema to a standard JSON schema and returns it. */
function xoToJsonSchema(schema: Schema): Schema {
  if (schema.enum !== undefined) return schema
  const is = typeTester(schema)

  if (is('array')) {
    const { items } = schema
    if (Array.isArray(items)) {
      for (let i = 0; i < items.length; i++) if (isSchema(items[i])) items[i] = xoToJsonSchema(items[i] as Schema)
    } else if (isSchema(items)) {
      schema.items = xoToJsonSchema(items)
    }
  }

  if (is('object')) {
    const properties = isSchema(schema.properties) ? schema.properties : {}
    let keys = Object.keys(properties)
    for (const key of keys) if (isSchema(properties[key])) properties[key] = xoToJsonSchema(properties[key] as Schema)

    const { additionalProperties } = schema
    if (additionalProperties === undefined) {
      const wildcard = properties['*']
      if (wildcard === undefined) {
        schema.additionalProperties = keys.length === 0
      } else {
        delete properties['*']
        keys = Object.keys(properties)
        schema.additionalProperties = wildcard
      }
    } else if (isSchema(additionalProperties)) {
      schema.additionalProperties = xoToJsonSchema(additionalProperties)
    }

    if (schema.required === undefined) {
      const required = keys.filter((key) => {
        const property = properties[key]
        if (!isSchema(property)) return true
        const isRequired = property.optional !== true
        delete property.optional
        return isRequired
      })
      if (required.length !== 0) schema.required = required
    }
  }

  if (is('string') && schema.minLength === undefined && schema.format === undefined && schema.pattern === undefined) {
    schema.minLength = 1
  }
  return schema
}

/** The JSON schema XO validates a method's params with (a fresh object each call). */
export function paramsJsonSchema(params: MethodDeclaration['params']): Schema {
  return xoToJsonSchema({ type: 'object', properties: cloneJson(params ?? {}) as Schema })
}

export type ParamsValidator = ValidateFunction

/** The ajv v8 error objects XO sends in `data.errors`. */
export type ValidationError = ErrorObject

/**
 * Compiles validators lazily, once per method, for one server instance (ajv instances and compiled
 * functions hold state, so they are never shared at module level).
 */
export class ValidatorCache {
  readonly #ajv = new Ajv({ allErrors: true, allowUnionTypes: true, useDefaults: true })
  readonly #validators = new Map<string, ParamsValidator | null>()

  /** The validator of a method, or null when the method declares no params (no validation, like XO). */
  get(declaration: MethodDeclaration): ParamsValidator | null {
    let validator = this.#validators.get(declaration.name)
    if (validator === undefined) {
      validator = declaration.params === null ? null : this.#ajv.compile(paramsJsonSchema(declaration.params))
      this.#validators.set(declaration.name, validator)
    }
    return validator
  }
}
