// Method tables of the VM / storage families (vm, vbd, vif, vdi, disk, sr).
import type { MethodTable } from '../types.js'

export const vmFamilyMethods: MethodTable = {}
