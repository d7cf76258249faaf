// Hono 4 on @hono/node-server with no authentication: the ceiling every Hono variant is
// compared with. `getRequestListener` is what @hono/node-server's `serve()` hands its server.
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { ROUTE, serve } from './serve.js'

const app = new Hono()
app.get(ROUTE, (c) => c.json({ ok: true }))
serve(getRequestListener(app.fetch))
