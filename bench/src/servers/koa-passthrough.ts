// Koa 3 with two middlewares that only call `next()`, mounted as scopeguard's app-wide form
// mounts `auth()` and `requireScopes()`: what Koa itself charges for them, the most such
// middlewares can reach.
import Koa, { type Context, type Next } from 'koa'
import { serve } from './serve.js'

function passOn(_ctx: Context, next: Next): Promise<void> {
  return next()
}

const app = new Koa()
app.use(passOn)
app.use(passOn)
app.use((ctx) => {
  ctx.body = { ok: true }
})
serve(app.callback())
