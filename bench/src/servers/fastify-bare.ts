// Fastify 5 with no authentication: the ceiling every Fastify variant is compared with.
// `app.routing` is the request listener Fastify hands its own server.
import Fastify from 'fastify'
import { ROUTE, serve } from './serve.js'

const app = Fastify()
app.get(ROUTE, async () => ({ ok: true }))
await app.ready()
serve(app.routing)
