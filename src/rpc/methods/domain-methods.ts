// Aggregates the method tables of the domain families.
import type { MethodTable } from '../types.js'
import { infraMethods } from './domain-infra.js'
import { vmFamilyMethods } from './domain-vm.js'
import { transferMethods } from './transfer.js'

export const domainMethods: MethodTable = { ...vmFamilyMethods, ...infraMethods, ...transferMethods }
