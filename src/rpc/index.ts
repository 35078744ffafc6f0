/**
 * The JSON-RPC adapter: XO's WebSocket API on `/api/` (also `/api`) and the one-shot transfer URLs
 * `/api/<token>` on the same Fastify server.
 *
 * A WebSocket upgrade on another path is refused with a plain HTTP 404 (xo-server leaves the client
 * hanging); upgrades on `/api/<token>` are refused the same way.
 */
import websocket from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import type { MockContext } from '../context.js'
import { registerTransferRoutes } from './http.js'
import { allMethods } from './methods/index.js'
import { RpcServer, type RpcServerOptions } from './socket.js'

export { rpcCoverage, rpcCoverageMarkdown, type RpcCoverageEntry } from './coverage.js'
export { RpcServer, type RpcServerOptions } from './socket.js'
export {
  registerDownload,
  registerUpload,
  TransferRegistry,
  type DownloadBody,
  type DownloadHandler,
  type DownloadOptions,
  type UploadHandler,
  type UploadOptions,
  type UploadRequest,
} from './transfers.js'
export type { MethodTable, RpcCall, RpcConnection, RpcHandler, RpcServerServices } from './types.js'

/** XO's default `apiWebSocketOptions`: messages of 512 KiB or more are deflated when negotiated. */
const WEBSOCKET_OPTIONS = { perMessageDeflate: { threshold: 524288 }, maxPayload: 100 * 1024 * 1024 }

/** Mounts the JSON-RPC API on `app`; returns the per-server instance (sessions, transfers, notifier). */
export async function registerRpc(app: FastifyInstance, ctx: MockContext, options: RpcServerOptions = {}): Promise<RpcServer> {
  const rpc = new RpcServer(ctx, options.handlers ?? allMethods, options)

  if (!app.hasDecorator('websocketServer')) {
    await app.register(websocket, {
      options: WEBSOCKET_OPTIONS,
      // an error on an established socket (client vanished, bad frame): drop that socket only
      errorHandler: (_error, socket) => socket.terminate(),
    })
  }

  app.get('/api/', { websocket: true }, (socket, request) => {
    rpc.attach(socket, request.socket.remoteAddress ?? '')
  })

  await registerTransferRoutes(app, rpc.transfers)

  // Upgrade requests answered with plain HTTP (404 here, 401 by REST routes, …) leave their socket to the
  // client; the HTTP server no longer tracks it, so drop the ones still open when the server closes.
  const pendingUpgrades = new Set<Duplex>()
  const onUpgrade = (_request: IncomingMessage, socket: Duplex) => {
    pendingUpgrades.add(socket)
    socket.once('close', () => pendingUpgrades.delete(socket))
  }
  app.server.on('upgrade', onUpgrade)
  app.websocketServer.on('connection', (_socket: WebSocket, request: IncomingMessage) => pendingUpgrades.delete(request.socket))

  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade)
    rpc.close()
    for (const socket of pendingUpgrades) socket.destroy()
    pendingUpgrades.clear()
  })
  return rpc
}
