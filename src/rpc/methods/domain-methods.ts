// Aggregates the method tables of the domain families (vm, host, pool, sr, vdi, …).
import type { MethodTable } from '../types.js'

export const domainMethods: MethodTable = {}
