// Hono 4 + @scopeguard/hono with the route's handler wrapped by `authenticate.protect()`: the
// route keeps one handler, which Hono answers without composing middleware.
import { getRequestListener } from '@hono/node-server'
import { auth } from '@scopeguard/hono'
import { Hono } from 'hono'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
const authenticate = auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, algorithms: [settings.algorithm] })
const app = new Hono()
app.get(ROUTE, authenticate.protect([settings.scope], (c) => c.json({ ok: true })))
serve(getRequestListener(app.fetch))
