// REST plugin: SSE events (issue: REST write path).
import type { RestPlugin } from './index.js'

export const eventRoutes: RestPlugin = () => {}
