// Hono 4 + @scopeguard/hono, configured as its README shows.
import { getRequestListener } from '@hono/node-server'
import { auth, requireScopes } from '@scopeguard/hono'
import { Hono } from 'hono'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
const app = new Hono()
app.use(auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, algorithms: [settings.algorithm] }))
app.get(ROUTE, requireScopes(settings.scope), (c) => c.json({ ok: true }))
serve(getRequestListener(app.fetch))
