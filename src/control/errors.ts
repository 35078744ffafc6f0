/** An error of the control plane: an HTTP status and a one-line message, sent as `{"error": message}`. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'ControlError'
  }
}

export const badRequest = (message: string) => new ControlError(400, message)
export const notFound = (message: string) => new ControlError(404, message)

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** JSON-ish description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return JSON.stringify(value)
}

/** `path.key` / `path[index]`, as the inventory loader writes paths. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  return path === '' ? key : `${path}.${key}`
}

export function requireNonNegativeNumber(value: unknown, path: string, { integer = false } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw badRequest(`${path}: expected a non-negative ${integer ? 'integer' : 'number'}, got ${describe(value)}`)
  }
  return value
}

export function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') throw badRequest(`${path}: expected a non-empty string, got ${describe(value)}`)
  return value
}

export function checkKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw badRequest(`${joinPath(path, key)}: unknown key (expected one of ${allowed.join(', ')})`)
  }
}
