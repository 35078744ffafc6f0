/**
 * Reading XVA's ova.xml once parsed as XML-RPC: the object list, the version, VDI sizes.
 */
import { SECTOR_SIZE, roundUp } from './constants.js'
import { DiskFormatError } from './errors.js'
import type { XmlRpcStruct, XmlRpcValue } from './xmlrpc.js'
import type { XvaObject } from './xva-types.js'

export interface Ova {
  version: XmlRpcStruct
  objects: XvaObject[]
  /** > 0: every chunk has a checksum entry. */
  exportVsn: number
}

/** A VDI's virtual_size (a string in XAPI's records), rounded up to a sector. */
export function vdiSize(vdi: XvaObject): number {
  const size = Number(vdi.snapshot.virtual_size)
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new DiskFormatError('BAD_XVA', `invalid XVA: VDI ${vdi.id} has an invalid virtual_size ${JSON.stringify(vdi.snapshot.virtual_size)}`)
  }
  return roundUp(size, SECTOR_SIZE)
}

function isStruct(value: XmlRpcValue | undefined): value is XmlRpcStruct {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

/** Checks the shape of ova.xml: a struct with `version` and `objects` (class, id, snapshot), one VM at least. */
export function parseOva(value: XmlRpcValue): Ova {
  const fail = (message: string): never => {
    throw new DiskFormatError('BAD_XVA', `invalid XVA: ova.xml ${message}`)
  }
  if (!isStruct(value)) return fail('is not a struct')
  const version = isStruct(value.version) ? value.version : fail('has no version struct')
  if (!Array.isArray(value.objects)) return fail('has no objects array')
  const objects = value.objects.map((object, i): XvaObject => {
    if (!isStruct(object)) return fail(`objects[${i}] is not a struct`)
    const { class: cls, id, snapshot } = object
    if (typeof cls !== 'string') return fail(`objects[${i}] has no class`)
    if (typeof id !== 'string') return fail(`objects[${i}] has no id`)
    if (!isStruct(snapshot)) return fail(`objects[${i}] (${id}) has no snapshot struct`)
    return { class: cls, id, snapshot }
  })
  if (!objects.some(object => object.class.toLowerCase() === 'vm')) fail('has no VM object')
  const exportVsn = Number(version.export_vsn ?? 0)
  return { version, objects, exportVsn: Number.isFinite(exportVsn) ? exportVsn : 0 }
}
