// REST plugin: every other OpenAPI operation, docs, legacy profile (issue: REST write path).
import type { RestPlugin } from './index.js'

export const routeMapRoutes: RestPlugin = () => {}
