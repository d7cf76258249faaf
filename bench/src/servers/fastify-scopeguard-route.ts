// Fastify 5 + @scopeguard/fastify in its one-guard-per-route form: the plugin registered with
// `{ global: false }` authenticates nothing; the route's `onRequest` guard authenticates and
// checks the scope (README, "To guard some routes and leave others public").
import { auth } from '@scopeguard/fastify'
import Fastify from 'fastify'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
const authenticate = auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, algorithms: [settings.algorithm] })
const app = Fastify()
await app.register(authenticate, { global: false })
app.get(ROUTE, { onRequest: authenticate.requireScopes(settings.scope) }, async () => ({ ok: true }))
await app.ready()
serve(app.routing)
