// Fastify 5 with two hooks that only call `done()`, mounted where scopeguard's app-wide form
// mounts its two: an app-wide `onRequest` hook (the `auth()` plugin's) and the route's
// `preHandler` (`requireScopes()`): what Fastify itself charges for them. Bare Fastify runs
// no hook runner at all; any hook turns one on.
import Fastify, { type FastifyReply, type FastifyRequest, type HookHandlerDoneFunction } from 'fastify'
import { ROUTE, serve } from './serve.js'

function passOn(_request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  done()
}

const app = Fastify()
app.addHook('onRequest', passOn)
app.get(ROUTE, { preHandler: passOn }, async () => ({ ok: true }))
await app.ready()
serve(app.routing)
