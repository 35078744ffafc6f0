// REST plugin: PATCH/DELETE/creates/tags (issue: REST write path).
import type { RestPlugin } from './index.js'

export const writeRoutes: RestPlugin = () => {}
