// Baseline: a bare Fastify process answering one route with fixed bytes (given as a file path).
import Fastify from 'fastify'
import { readFileSync } from 'node:fs'

const body = process.argv[2] ? readFileSync(process.argv[2]) : Buffer.from('{"result":"pong"}')
const app = Fastify()
app.get('/*', (_request, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8').send(body)
})
await app.listen({ host: '127.0.0.1', port: 0 })
console.log(`bare ready on http://127.0.0.1:${app.server.address().port}`)
