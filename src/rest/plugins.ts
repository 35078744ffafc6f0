// The REST plugins registered inside the /rest/v0 scope, in order (route-map last: it answers every
// OpenAPI operation that no earlier plugin implements).
import { aclWriteRoutes } from './acl-writes.js'
import { actionRoutes } from './actions.js'
import { eventRoutes } from './events.js'
import type { RestPlugin } from './index.js'
import { routeMapRoutes } from './route-map.js'
import { transferRoutes } from './transfers.js'
import { writeRoutes } from './writes.js'

export const restPlugins: readonly RestPlugin[] = [transferRoutes, actionRoutes, writeRoutes, eventRoutes, aclWriteRoutes, routeMapRoutes]
