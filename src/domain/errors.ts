/**
 * XO API errors (`packages/xo-common/api-errors.js`). Domain operations throw these; each adapter maps
 * them to its protocol (JSON-RPC `{message, code, data}`, REST status + `{error, data}`).
 */
export class XoApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
    this.name = 'XoApiError'
  }
}

const typeName = (type: string | readonly string[] | undefined) =>
  type === undefined ? undefined : typeof type === 'string' ? type : type.join(',')

const defined = (data: Record<string, unknown>) => {
  for (const key of Object.keys(data)) if (data[key] === undefined) delete data[key]
  return data
}

export const notImplemented = () => new XoApiError(0, 'not implemented')

export const noSuchObject = (id: string, type?: string | readonly string[]) =>
  new XoApiError(1, `no such ${typeName(type) ?? 'object'} ${id}`, defined({ id, type: typeName(type) }))

export const unauthorized = (permission?: string, objectId?: string, objectType?: string) =>
  new XoApiError(2, 'not enough permissions', defined({ permission, object: defined({ id: objectId, type: objectType }) }))

export const invalidCredentials = () => new XoApiError(3, 'invalid credentials')

export const forbiddenOperation = (operation: string, reason?: string) =>
  new XoApiError(5, `forbidden operation: ${operation}`, defined({ operation, reason }))

export const noHostsAvailable = () => new XoApiError(7, 'no hosts available')

/** code 10: with ajv-like `errors`, or a hand-written message (then `data` is `{}`). */
export const invalidParameters = (messageOrErrors?: string | unknown[]) =>
  typeof messageOrErrors === 'string'
    ? new XoApiError(10, messageOrErrors, {})
    : new XoApiError(10, 'invalid parameters', { errors: messageOrErrors ?? [] })

export const vmIsTemplate = (objectId: string) => new XoApiError(12, 'VM is a template', { objectId })

/** code 13; states are XAPI's lowercase ones (`running`, `halted`, …). */
export const vmBadPowerState = (objectId: string, expected: string | readonly string[], actual: string) =>
  new XoApiError(13, `VM state is ${actual} but should be ${Array.isArray(expected) ? expected.join(',') : expected}`, {
    objectId,
    expected,
    actual,
  })

export const vmLacksFeature = (objectId: string, feature?: string) =>
  new XoApiError(14, `VM lacks feature ${feature ?? ''}`, defined({ objectId, feature }))

export const objectAlreadyExists = (objectId: string, objectType?: string) =>
  new XoApiError(16, `${objectType ?? 'object'} already exists`, defined({ objectId, objectType }))

export const vdiInUse = (objectId: string, operation?: string) =>
  new XoApiError(17, 'VDI in use', defined({ objectId, operation }))

export const hostOffline = (objectId: string) => new XoApiError(18, 'host offline', { objectId })

export const operationBlocked = (objectId: string, code: string) =>
  new XoApiError(19, 'operation blocked', { objectId, code })

export const operationFailed = (objectId: string, code: string) =>
  new XoApiError(21, 'operation failed', { objectId, code })

export const incorrectState = (data: { actual?: unknown; expected?: unknown; object?: string; property?: string }) =>
  new XoApiError(25, 'incorrect state', defined({ ...data }))

export const featureUnauthorized = (data: Record<string, unknown>) => new XoApiError(26, 'feature Unauthorized', data)

/** A plain server-side error (XO's `new Error('…')`): JSON-RPC -32000, REST 500. */
export class PlainError extends Error {}

/**
 * A XAPI error as xen-api raises it (`XapiError`): message `CODE(param1, param2)`. It is a plain error
 * for XO's API (-32000; admins see the message) except for the codes XO maps to its own errors
 * (`XAPI_ERROR_TO_XO_ERROR` in `xo-mixins/api.mjs`), which the JSON-RPC adapter translates (`src/rpc/xapi-errors.ts`).
 */
export class XapiError extends PlainError {
  constructor(
    readonly code: string,
    readonly params: readonly string[] = [],
  ) {
    super(`${code}(${params.join(', ')})`)
    this.name = 'XapiError'
  }
}

export const xapiError = (code: string, ...params: string[]) => new XapiError(code, params)
