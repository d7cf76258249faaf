// Hono 4 on @hono/node-server with two middlewares that only return `next()`, mounted where
// scopeguard's app-wide form mounts `auth()` (`app.use()`) and `requireScopes()` (on the
// route): what Hono itself charges for them. Bare Hono answers a one-handler route without
// its middleware composition (and synchronously); any middleware turns that on.
import { getRequestListener } from '@hono/node-server'
import { Hono, type Context, type Next } from 'hono'
import { ROUTE, serve } from './serve.js'

function passOn(_c: Context, next: Next): Promise<void> {
  return next()
}

const app = new Hono()
app.use(passOn)
app.get(ROUTE, passOn, (c) => c.json({ ok: true }))
serve(getRequestListener(app.fetch))
