// Method tables of the VM / storage families (vm, vbd, vif, vdi, disk, sr). The transfer methods
// (`vm.export`, `vm.import`, `disk.import`, `disk.exportContent`, `disk.importContent`) are registered
// by the transfer work.
import type { MethodTable } from '../types.js'
import { diskMethods } from './disk.js'
import { srMethods } from './sr.js'
import { vbdMethods } from './vbd.js'
import { vdiMethods } from './vdi.js'
import { vifMethods } from './vif.js'
import { vmMethods } from './vm.js'

export const vmFamilyMethods: MethodTable = {
  ...vmMethods,
  ...vbdMethods,
  ...vifMethods,
  ...vdiMethods,
  ...diskMethods,
  ...srMethods,
}
