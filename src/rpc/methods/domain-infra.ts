/**
 * Method tables of the infrastructure and XO-side families (host, pool, network, pif, tag, message,
 * task, user, group, acl, server, cloudConfig, resourceSet, schedule, job, remote).
 */
import type { MethodTable } from '../types.js'
import { aclMethods } from './acl.js'
import { cloudConfigMethods } from './cloud-config.js'
import { groupMethods } from './group.js'
import { hostMethods } from './host.js'
import { jobMethods } from './job.js'
import { messageMethods } from './message.js'
import { networkMethods } from './network.js'
import { pifMethods } from './pif.js'
import { poolMethods } from './pool.js'
import { remoteMethods } from './remote.js'
import { resourceSetMethods } from './resource-set.js'
import { scheduleMethods } from './schedule.js'
import { serverMethods } from './server.js'
import { tagMethods } from './tag.js'
import { taskMethods } from './task.js'
import { userMethods } from './user.js'

const tables: readonly MethodTable[] = [
  hostMethods,
  poolMethods,
  networkMethods,
  pifMethods,
  tagMethods,
  messageMethods,
  taskMethods,
  userMethods,
  groupMethods,
  aclMethods,
  serverMethods,
  cloudConfigMethods,
  resourceSetMethods,
  scheduleMethods,
  jobMethods,
  remoteMethods,
]

export const infraMethods: MethodTable = Object.freeze(Object.fromEntries(tables.flatMap((table) => Object.entries(table))))
