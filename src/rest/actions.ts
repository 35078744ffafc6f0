// REST plugin: actions and tasks (issue: REST write path).
import type { RestPlugin } from './index.js'

export const actionRoutes: RestPlugin = () => {}
