// Koa 3 with no authentication: the ceiling every Koa variant is compared with.
import Koa from 'koa'
import { serve } from './serve.js'

const app = new Koa()
app.use((ctx) => {
  ctx.body = { ok: true }
})
serve(app.callback())
