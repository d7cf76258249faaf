// Hono 4 + @scopeguard/hono in its one-middleware form: the route's guard authenticates and
// checks the scope, with nothing mounted app-wide.
import { getRequestListener } from '@hono/node-server'
import { auth } from '@scopeguard/hono'
import { Hono } from 'hono'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
const authenticate = auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, algorithms: [settings.algorithm] })
const app = new Hono()
app.get(ROUTE, authenticate.requireScopes(settings.scope), (c) => c.json({ ok: true }))
serve(getRequestListener(app.fetch))
