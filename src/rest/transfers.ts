// REST plugin: VDI/VM exports and imports (issue: transfers).
import type { RestPlugin } from './index.js'

export const transferRoutes: RestPlugin = () => {}
