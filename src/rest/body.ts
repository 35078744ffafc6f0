/**
 * Request validation as XO's tsoa routes do it (`@tsoa/runtime` ValidationService, XO's `tsoa.json`:
 * `noImplicitAdditionalProperties: "throw-on-extras"`, `bodyCoercion: true`), driven by the OpenAPI
 * component schemas XO ships (`openapi/openapi.json`, rest-api 0.39.0).
 *
 * An OpenAPI schema is compiled once into tsoa's model (string, number, boolean, enum, array, object
 * literal, union, intersection, any) and validated with tsoa's rules and messages:
 * - strings must be strings (`invalid string value`); numbers may be numeric strings (body coercion,
 *   `invalid float number` / `invalid integer number`, `min N` / `max N`); booleans accept
 *   `true`/`false` strings (`invalid boolean value`); a non-array where an array is expected is
 *   wrapped (`[value]`), its element errors are keyed `<array>.$<index>` (tsoa drops the parent path);
 * - a missing required property: `'<name>' is required` under `<parent>.<name>`;
 * - unknown properties of an object: one error on the object itself,
 *   `"a,b" is an excess property and therefore is not allowed`, whose value holds the excess properties
 *   (objects with no declared property and no `additionalProperties` are records: open);
 * - unions (`anyOf`, multi-valued `enum`, `nullable`): `Value does not match any allowed schema` (the
 *   message XO's error handler gives them); single-valued enums: `should be one of the following; [...]`;
 * - intersections (`allOf`): tsoa's `Could not match the intersection against every type. Issues: …` /
 *   `Could not match intersection against any of the possible combinations: [[…]]`.
 * Failures are collected and thrown together as one ValidationError → 422
 * `{"error": {<field>: {message, value}}, "data": {}}`.
 */
import openapi from './openapi/openapi.json' with { type: 'json' }
import { ValidationError, type FieldError } from './errors.js'

/** An OpenAPI 3.0 schema object (the subset XO's spec uses). */
export interface OpenApiSchema {
  readonly $ref?: string
  readonly type?: string
  readonly format?: string
  readonly enum?: readonly unknown[]
  readonly nullable?: boolean
  readonly properties?: Readonly<Record<string, OpenApiSchema>>
  readonly required?: readonly string[]
  readonly additionalProperties?: boolean | OpenApiSchema
  readonly items?: OpenApiSchema
  readonly anyOf?: readonly OpenApiSchema[]
  readonly allOf?: readonly OpenApiSchema[]
  readonly default?: unknown
  readonly minimum?: number
  readonly maximum?: number
  readonly minLength?: number
  readonly maxLength?: number
  readonly pattern?: string
}

interface OpenApiOperation {
  readonly requestBody?: {
    readonly required?: boolean
    readonly content?: Readonly<Record<string, { readonly schema?: OpenApiSchema }>>
  }
}

interface OpenApiDocument {
  readonly paths: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>
  readonly components: { readonly schemas: Readonly<Record<string, OpenApiSchema>> }
}

const spec = openapi as unknown as OpenApiDocument

// ---------------------------------------------------------------------------------------------
// tsoa's model

interface Prop {
  readonly node: Node
  readonly required: boolean
  readonly default?: unknown
}

type Node =
  | { readonly kind: 'any' }
  | { readonly kind: 'string'; readonly minLength?: number; readonly maxLength?: number; readonly pattern?: string }
  | { readonly kind: 'number'; readonly integer: boolean; readonly minimum?: number; readonly maximum?: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly values: readonly unknown[] }
  | { readonly kind: 'array'; readonly items: Node }
  | { readonly kind: 'object'; readonly properties: Readonly<Record<string, Prop>>; readonly additional: boolean | Node }
  | { readonly kind: 'union'; readonly members: readonly Node[] }
  | { readonly kind: 'intersection'; readonly members: readonly Node[] }
  /** A `$ref`, resolved lazily (and once). */
  | { readonly kind: 'ref'; readonly name: string }

const ANY: Node = { kind: 'any' }
const NULL: Node = { kind: 'enum', values: [null] }

const compiledRefs = new Map<string, Node>()

function resolveRef(name: string): Node {
  let node = compiledRefs.get(name)
  if (node === undefined) {
    const schema = spec.components.schemas[name]
    if (schema === undefined) throw new Error(`unknown OpenAPI schema ${name}`)
    compiledRefs.set(name, ANY) // recursion guard (XO's request schemas are not recursive)
    node = compileSchema(schema)
    compiledRefs.set(name, node)
  }
  return node
}

const deref = (node: Node): Exclude<Node, { kind: 'ref' }> => (node.kind === 'ref' ? deref(resolveRef(node.name)) : node)

function nullable(schema: OpenApiSchema, node: Node): Node {
  return schema.nullable === true ? { kind: 'union', members: [node, NULL] } : node
}

/** Compiles an OpenAPI schema into tsoa's model. */
export function compileSchema(schema: OpenApiSchema): Node {
  if (schema.$ref !== undefined) return { kind: 'ref', name: schema.$ref.slice(schema.$ref.lastIndexOf('/') + 1) }
  if (schema.allOf !== undefined) {
    const members = schema.allOf.map(compileSchema)
    return nullable(schema, members.length === 1 ? members[0]! : { kind: 'intersection', members })
  }
  if (schema.anyOf !== undefined) {
    const members = schema.anyOf.map(compileSchema)
    if (schema.nullable === true) members.push(NULL)
    return { kind: 'union', members }
  }
  if (schema.enum !== undefined) {
    // a TypeScript literal union: one enum per member
    const values = schema.enum
    const node: Node = values.length === 1 ? { kind: 'enum', values } : { kind: 'union', members: values.map((value) => ({ kind: 'enum', values: [value] })) }
    return nullable(schema, node)
  }
  switch (schema.type) {
    case 'string':
      return nullable(schema, { kind: 'string', minLength: schema.minLength, maxLength: schema.maxLength, pattern: schema.pattern })
    case 'number':
    case 'integer':
      return nullable(schema, { kind: 'number', integer: schema.type === 'integer', minimum: schema.minimum, maximum: schema.maximum })
    case 'boolean':
      return nullable(schema, { kind: 'boolean' })
    case 'array':
      return nullable(schema, { kind: 'array', items: schema.items === undefined ? ANY : compileSchema(schema.items) })
    case 'object':
    case undefined: {
      if (schema.type === undefined && schema.properties === undefined) return ANY
      const properties: Record<string, Prop> = {}
      const required = new Set(schema.required ?? [])
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        properties[key] = { node: compileSchema(sub), required: required.has(key), default: sub.default }
      }
      const extra = schema.additionalProperties
      let additional: boolean | Node
      if (extra === undefined) {
        // tsoa's spec generator drops `additionalProperties` of `Record<string, T>` aliases: an object
        // without any declared property is such a record, open to any key
        additional = Object.keys(properties).length === 0
      } else if (typeof extra === 'boolean') additional = extra
      else additional = Object.keys(extra).length === 0 ? true : compileSchema(extra)
      return nullable(schema, { kind: 'object', properties, additional })
    }
    default:
      return ANY
  }
}

// ---------------------------------------------------------------------------------------------
// Validation (tsoa's ValidationService)

type Extras = 'throw' | 'remove' | 'ignore'
type Errors = Record<string, FieldError>

// validator.js `isFloat` / `isInt`
const FLOAT_RE = /^(?:[-+])?(?:[0-9]+)?(?:\.[0-9]*)?(?:[eE][+-]?(?:[0-9]+))?$/
const INT_RE = /^[-+]?(?:0|[1-9][0-9]*)$/

const isFloat = (text: string) => text !== '' && text !== '.' && text !== '-' && text !== '+' && FLOAT_RE.test(text)

const clone = (value: unknown): unknown => (value ? JSON.parse(JSON.stringify(value)) : value)

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

export const UNION_MESSAGE = 'Value does not match any allowed schema'

class Validator {
  constructor(readonly extras: Extras) {}

  /** tsoa's `ValidateParam`: the required / default handling, then the type's rule. */
  param(prop: Prop, input: unknown, name: string, errors: Errors, parent: string): unknown {
    let value = input
    if (value === undefined) {
      if (prop.default !== undefined) value = prop.default
      else if (prop.required) {
        errors[parent + name] = { message: `'${name}' is required`, value }
        return undefined
      } else return undefined
    }
    return this.node(prop.node, value, name, errors, parent)
  }

  node(input: Node, value: unknown, name: string, errors: Errors, parent: string): unknown {
    const node = deref(input)
    switch (node.kind) {
      case 'any':
        return value
      case 'string':
        return this.string(node, value, name, errors, parent)
      case 'number':
        return this.number(node, value, name, errors, parent)
      case 'boolean':
        return this.boolean(value, name, errors, parent)
      case 'enum':
        return this.enum(node.values, value, name, errors, parent)
      case 'array':
        return this.array(node.items, value, name, errors)
      case 'object':
        return this.object(node, value, name, errors, parent)
      case 'union':
        return this.union(node.members, value, name, errors, parent)
      case 'intersection':
        return this.intersection(node.members, value, name, errors, parent)
    }
  }

  string(node: Extract<Node, { kind: 'string' }>, value: unknown, name: string, errors: Errors, parent: string): unknown {
    if (typeof value !== 'string') {
      errors[parent + name] = { message: 'invalid string value', value }
      return undefined
    }
    if (node.minLength !== undefined && node.minLength > value.length) {
      errors[parent + name] = { message: `minLength ${node.minLength}`, value }
      return undefined
    }
    if (node.maxLength !== undefined && node.maxLength < value.length) {
      errors[parent + name] = { message: `maxLength ${node.maxLength}`, value }
      return undefined
    }
    if (node.pattern !== undefined && !new RegExp(node.pattern).test(value)) {
      errors[parent + name] = { message: `Not match in '${node.pattern}'`, value }
      return undefined
    }
    return value
  }

  number(node: Extract<Node, { kind: 'number' }>, value: unknown, name: string, errors: Errors, parent: string): unknown {
    const text = String(value)
    const valid = node.integer ? INT_RE.test(text) : isFloat(text)
    if (!valid) {
      errors[parent + name] = { message: node.integer ? 'invalid integer number' : 'invalid float number', value }
      return undefined
    }
    const number = node.integer ? parseInt(text, 10) : parseFloat(text)
    if (node.minimum !== undefined && node.minimum > number) {
      errors[parent + name] = { message: `min ${node.minimum}`, value }
      return undefined
    }
    if (node.maximum !== undefined && node.maximum < number) {
      errors[parent + name] = { message: `max ${node.maximum}`, value }
      return undefined
    }
    return number
  }

  boolean(value: unknown, name: string, errors: Errors, parent: string): unknown {
    if (value === true || value === false) return value
    // body coercion
    if (value === undefined || value === null) return false
    const lower = String(value).toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
    errors[parent + name] = { message: 'invalid boolean value', value }
    return undefined
  }

  enum(values: readonly unknown[], value: unknown, name: string, errors: Errors, parent: string): unknown {
    const index = values.findIndex((member) => String(member) === String(value))
    if (index === -1) {
      const quoted = values.map((member) => (typeof member === 'string' ? `'${member}'` : String(member)))
      errors[parent + name] = { message: `should be one of the following; [${quoted.join(',')}]`, value }
      return undefined
    }
    return values[index]
  }

  array(items: Node, value: unknown, name: string, errors: Errors): unknown {
    const before = Object.keys(errors).length
    // tsoa keys element errors `<name>.$<index>`, without the parent path
    const list = Array.isArray(value)
      ? value.map((element, index) => this.node(items, element, `$${index}`, errors, name + '.'))
      : [this.node(items, value, '$0', errors, name + '.')]
    return Object.keys(errors).length > before ? undefined : list
  }

  object(node: Extract<Node, { kind: 'object' }>, value: unknown, name: string, errors: Errors, parent: string): unknown {
    if (!isPlainObject(value)) {
      errors[parent + name] = { message: 'invalid object', value }
      return undefined
    }
    const before = Object.keys(errors).length
    if (this.extras !== 'ignore' && node.additional === false) {
      const excess = Object.keys(value).filter((key) => !(key in node.properties))
      if (excess.length > 0) {
        if (this.extras === 'remove') for (const key of excess) delete value[key]
        else {
          errors[parent + name] = {
            message: `"${excess.join(',')}" is an excess property and therefore is not allowed`,
            value: excess.reduce<Record<string, unknown>>((acc, key) => ({ [key]: value[key], ...acc }), {}),
          }
        }
      }
    }
    for (const [key, prop] of Object.entries(node.properties)) {
      const validated = this.param(prop, value[key], key, errors, parent + name + '.')
      if (validated !== undefined) value[key] = validated
    }
    const additional = node.additional
    if (typeof additional === 'object') {
      for (const key of Object.keys(value)) {
        if (key in node.properties) continue
        const validated = this.node(additional, value[key], key, errors, parent + name + '.')
        if (validated !== undefined) value[key] = validated
      }
    }
    return Object.keys(errors).length > before ? undefined : value
  }

  union(members: readonly Node[], value: unknown, name: string, errors: Errors, parent: string): unknown {
    for (const member of members) {
      const memberErrors: Errors = {}
      const cleaned = this.node(member, clone(value), name, memberErrors, parent)
      if (Object.keys(memberErrors).length === 0) return cleaned
    }
    errors[parent + name] = { message: UNION_MESSAGE, value }
    return undefined
  }

  intersection(members: readonly Node[], value: unknown, name: string, errors: Errors, parent: string): unknown {
    const remover = new Validator('remove')
    const issues: Errors[] = []
    let cleaned: Record<string, unknown> = {}
    for (const member of members) {
      const memberErrors: Errors = {}
      const result = remover.node(member, clone(value), name, memberErrors, parent)
      if (isPlainObject(result)) cleaned = { ...cleaned, ...result }
      if (Object.keys(memberErrors).length > 0) issues.push(memberErrors)
    }
    if (issues.length > 0) {
      errors[parent + name] = { message: `Could not match the intersection against every type. Issues: ${JSON.stringify(issues)}`, value }
      return undefined
    }
    const models = combinations(members.map(modelsOf))
    if (this.extras === 'ignore') return { ...(value as object), ...cleaned }
    const keys = isPlainObject(value) ? Object.keys(value) : []
    const satisfied = models.filter((model) => {
      const modelErrors: Errors = {}
      new Validator('ignore').object({ kind: 'object', ...model }, clone(value), name, modelErrors, parent)
      return Object.keys(modelErrors).length === 0
    })
    const fits =
      this.extras === 'remove'
        ? satisfied.length > 0
        : satisfied.some((model) => model.additional !== false || keys.every((key) => key in model.properties))
    if (fits) return cleaned
    errors[parent + name] = {
      message: `Could not match intersection against any of the possible combinations: ${JSON.stringify(models.map((model) => Object.keys(model.properties)))}`,
      value,
    }
    return undefined
  }
}

interface Model {
  readonly properties: Readonly<Record<string, Prop>>
  readonly additional: boolean | Node
}

/** tsoa's `toModelLike`: the object shapes a schema may take. */
function modelsOf(input: Node): Model[] {
  const node = deref(input)
  switch (node.kind) {
    case 'object':
      return [{ properties: node.properties, additional: node.additional }]
    case 'intersection':
      return combinations(node.members.map(modelsOf))
    case 'union':
      return node.members.flatMap(modelsOf)
    default:
      return [{ properties: {}, additional: false }]
  }
}

/** tsoa's `selfIntersectionCombinations`: one model from each list, merged. */
function combinations(lists: readonly Model[][]): Model[] {
  let out: Model[] = [{ properties: {}, additional: false }]
  lists.forEach((list, index) => {
    const next: Model[] = []
    for (const base of out) {
      for (const model of list) {
        next.push(
          index === 0
            ? model
            : { properties: { ...base.properties, ...model.properties }, additional: base.additional !== false ? base.additional : model.additional },
        )
      }
    }
    out = next
  })
  return out
}

// ---------------------------------------------------------------------------------------------
// Public API

/** A compiled request-body validator: returns the coerced body or throws ValidationError (422). */
export type BodyValidator = (body: unknown) => Record<string, unknown>

const THROW = new Validator('throw')

/** Validates `value` against a compiled schema; the field errors are added to `errors`. */
export function validateInto(node: Node, value: unknown, name: string, errors: Errors, required = true): unknown {
  return THROW.param({ node, required }, value, name, errors, '')
}

/** The request-body schema of an operation of XO's spec (`undefined` when it takes no JSON body). */
export function requestBodySchema(method: string, path: string): OpenApiSchema | undefined {
  return spec.paths[path]?.[method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema
}

/**
 * A plain JSON Schema (draft 7) of an OpenAPI schema: `$ref`s inlined, `nullable` turned into a
 * union with `null`, `format` dropped — what ajv accepts (the legacy profile validates with ajv).
 */
export function toJsonSchema(schema: OpenApiSchema): Record<string, unknown> {
  if (schema.$ref !== undefined) return toJsonSchema(componentSchema(schema.$ref.slice(schema.$ref.lastIndexOf('/') + 1)))
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'format' || key === 'description' || key === 'example' || key.startsWith('x-')) continue
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, OpenApiSchema>).map(([name, sub]) => [name, toJsonSchema(sub)]))
    } else if (key === 'items') out.items = toJsonSchema(value as OpenApiSchema)
    else if (key === 'anyOf' || key === 'allOf') out[key] = (value as OpenApiSchema[]).map(toJsonSchema)
    else if (key === 'additionalProperties' && typeof value === 'object') out[key] = toJsonSchema(value as OpenApiSchema)
    else out[key] = value
  }
  if (schema.nullable === true) {
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null]
    return { anyOf: [out, { type: 'null' }] }
  }
  return out
}

/** The schema of a named component of XO's spec. */
export function componentSchema(name: string): OpenApiSchema {
  const schema = spec.components.schemas[name]
  if (schema === undefined) throw new Error(`unknown OpenAPI schema ${name}`)
  return schema
}

/**
 * The body validator of an operation: XO's body-parser gives `{}` for a missing body, so the body is
 * always validated as the `body` parameter. Operations without a JSON body accept (and ignore) any.
 */
export function bodyValidator(method: string, path: string): BodyValidator {
  const schema = requestBodySchema(method, path)
  if (schema === undefined) return () => ({})
  const node = compileSchema(schema)
  return (body) => {
    const errors: Errors = {}
    const value = validateInto(node, clone(body ?? {}), 'body', errors)
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    return value as Record<string, unknown>
  }
}

/**
 * tsoa's rule for a boolean query parameter (no coercion needed: query values are strings):
 * absent → undefined, `true`/`false` (any case) → boolean, anything else (a bare `?sync`, `yes`, a
 * repeated parameter) → `invalid boolean value` under `name`.
 */
export function queryBoolean(query: Readonly<Record<string, unknown>>, name: string, errors: Errors): boolean | undefined {
  const value = query[name]
  if (value === undefined) return undefined
  if (typeof value === 'string') {
    const lower = value.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
  }
  errors[name] = { message: 'invalid boolean value', value }
  return undefined
}
