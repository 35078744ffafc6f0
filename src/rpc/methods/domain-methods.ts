// Aggregates the method tables of the domain families.
import type { MethodTable } from '../types.js'
import { withXapiErrors } from '../xapi-errors.js'
import { infraMethods } from './domain-infra.js'
import { vmFamilyMethods } from './domain-vm.js'
import { transferMethods } from './transfer.js'

export const domainMethods: MethodTable = withXapiErrors({ ...vmFamilyMethods, ...infraMethods, ...transferMethods })
