// Fastify 5 + @scopeguard/fastify, configured as its README shows.
import { auth, requireScopes } from '@scopeguard/fastify'
import Fastify from 'fastify'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
const app = Fastify()
await app.register(auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, algorithms: [settings.algorithm] }))
app.get(ROUTE, { preHandler: requireScopes(settings.scope) }, async () => ({ ok: true }))
await app.ready()
serve(app.routing)
