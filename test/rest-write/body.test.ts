import { describe, expect, it } from 'vitest'
import { legacyBodyErrors } from '../../src/rest/actions.js'
import { bodyValidator, compileSchema, queryBoolean, requestBodySchema, validateInto, UNION_MESSAGE } from '../../src/rest/body.js'
import { ValidationError } from '../../src/rest/errors.js'
import openapi from '../../src/rest/openapi/openapi.json' with { type: 'json' }

function fieldsOf(run: () => unknown): Record<string, unknown> {
  try {
    run()
  } catch (error) {
    if (error instanceof ValidationError) return error.fields as Record<string, unknown>
    throw error
  }
  throw new Error('no validation error')
}

describe('tsoa-like body validation against XO OpenAPI schemas', () => {
  const patchVm = bodyValidator('PATCH', '/vms/{id}')

  it('accepts a valid camelCase VM body and coerces numbers', () => {
    expect(patchVm({ nameLabel: 'a', cpus: '2', tags: ['x'], affinityHost: null })).toEqual({ nameLabel: 'a', cpus: 2, tags: ['x'], affinityHost: null })
  })

  it('rejects excess properties on the object itself, the value holding them', () => {
    expect(fieldsOf(() => patchVm({ name_label: 'x', name_description: 'y' }))).toEqual({
      body: { message: '"name_label,name_description" is an excess property and therefore is not allowed', value: { name_description: 'y', name_label: 'x' } },
    })
  })

  it('reports wrong types with tsoa messages and keys', () => {
    expect(fieldsOf(() => patchVm({ nameLabel: 123, cpus: true, secureBoot: 'maybe', tags: [1] }))).toEqual({
      'body.nameLabel': { message: 'invalid string value', value: 123 },
      'body.cpus': { message: 'invalid float number', value: true },
      'body.secureBoot': { message: 'invalid boolean value', value: 'maybe' },
      // tsoa keys array elements without the parent path
      'tags.$0': { message: 'invalid string value', value: 1 },
    })
  })

  it('gives union failures (literal unions, nullable) the allowed-schema message', () => {
    expect(fieldsOf(() => patchVm({ vga: 'vesa', affinityHost: 3 }))).toEqual({
      'body.vga': { message: UNION_MESSAGE, value: 'vesa' },
      'body.affinityHost': { message: UNION_MESSAGE, value: 3 },
    })
  })

  it('reports missing required properties', () => {
    const createVm = bodyValidator('POST', '/pools/{id}/actions/create_vm')
    expect(fieldsOf(() => createVm({}))).toEqual({
      'body.name_label': { message: "'name_label' is required" },
      'body.template': { message: "'template' is required" },
    })
  })

  it('validates intersections like tsoa', () => {
    const createVdi = bodyValidator('POST', '/vdis')
    expect(createVdi({ srId: 'sr', virtual_size: '10' })).toMatchObject({ srId: 'sr', virtual_size: 10 })
    const excess = fieldsOf(() => createVdi({ srId: 'sr', virtual_size: 1, foo: 1 })) as Record<string, { message: string }>
    expect(excess.body!.message).toMatch(/^Could not match intersection against any of the possible combinations: \[\["name_description",/)
    const missing = fieldsOf(() => createVdi({ srId: 'sr' })) as Record<string, { message: string }>
    expect(missing.body!.message).toMatch(/^Could not match the intersection against every type. Issues: /)
    expect(missing.body!.message).toContain("'virtual_size' is required")
  })

  it('applies defaults, minimum and maximum', () => {
    const createNetwork = bodyValidator('POST', '/pools/{id}/actions/create_network')
    expect(createNetwork({ name: 'n', pif: 'p', vlan: 3 })).toEqual({ name: 'n', pif: 'p', vlan: 3, mtu: 1500 })
    expect(fieldsOf(() => createNetwork({ name: 'n', pif: 'p', vlan: 5000 }))).toEqual({ 'body.vlan': { message: 'max 4094', value: 5000 } })
  })

  it('single-valued enums list their member', () => {
    const node = compileSchema({ type: 'boolean', enum: [true] })
    const errors = {}
    validateInto(node, false, 'destroy', errors)
    expect(errors).toEqual({ destroy: { message: 'should be one of the following; [true]', value: false } })
  })

  it('operations without a JSON body accept anything', () => {
    expect(bodyValidator('POST', '/vms/{id}/actions/clean_shutdown')({ whatever: 1 })).toEqual({})
  })

  it('validates boolean query parameters', () => {
    const errors = {}
    expect(queryBoolean({ sync: 'TRUE' }, 'sync', errors)).toBe(true)
    expect(queryBoolean({}, 'sync', errors)).toBeUndefined()
    expect(queryBoolean({ sync: '' }, 'sync', errors)).toBeUndefined()
    expect(errors).toEqual({ sync: { message: 'invalid boolean value', value: '' } })
  })

  it('every JSON request body of XO’s spec compiles, for tsoa rules and for ajv (legacy), without touching the spec', () => {
    const before = JSON.stringify(openapi)
    let count = 0
    for (const [path, operations] of Object.entries((openapi as { paths: Record<string, object> }).paths)) {
      for (const method of Object.keys(operations)) {
        if (requestBodySchema(method, path) === undefined) continue
        count++
        legacyBodyErrors(method.toUpperCase(), path, {})
        try {
          bodyValidator(method, path)({})
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError)
        }
      }
    }
    expect(count).toBeGreaterThan(40)
    expect(legacyBodyErrors('PATCH', '/vms/{id}', { nameLabel: 'x', affinityHost: null })).toBeUndefined()
    expect(legacyBodyErrors('POST', '/vms/{id}/actions/start', { hostId: 1 })).toEqual([expect.objectContaining({ instancePath: '/hostId', message: 'must be string' })])
    expect(JSON.stringify(openapi)).toBe(before)
  })
})
