// JSON-RPC transfer methods: vm.export, vm.import, disk.exportContent, disk.import, disk.importContent.
import type { MethodTable } from '../types.js'

export const transferMethods: MethodTable = {}
