/**
 * Every problem found in disk data (a corrupt or truncated upload, an unsupported variant, a size that
 * does not match) is reported as a DiskFormatError whose message names the problem, worded like
 * vhd-lib / XAPI where they have a wording (e.g. `invalid footer checksum 1, expected 2`).
 */
export type DiskFormatErrorCode =
  | 'TRUNCATED'
  | 'TOO_LONG'
  | 'BAD_CHECKSUM'
  | 'BAD_COOKIE'
  | 'BAD_FIELD'
  | 'UNSUPPORTED'
  | 'BAD_LAYOUT'
  | 'SIZE_MISMATCH'
  | 'BAD_TAR'
  | 'BAD_XML'
  | 'BAD_XVA'
  | 'BAD_COMPRESSION'

export class DiskFormatError extends Error {
  readonly code: DiskFormatErrorCode

  constructor(code: DiskFormatErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DiskFormatError'
    this.code = code
  }
}
