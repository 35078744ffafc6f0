// Method tables of the infrastructure and XO-side families (host, pool, network, pif, tag, message, user, group, acl, server, …).
import type { MethodTable } from '../types.js'

export const infraMethods: MethodTable = {}
