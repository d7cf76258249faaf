// Koa 3 + the hand-rolled jose floor (jose-floor.ts): the cheapest correct check on Koa,
// what scopeguard's Koa figures are held to.
import Koa from 'koa'
import { createFloorCheck } from './jose-floor.js'
import { serve, serverSettings } from './serve.js'

const settings = serverSettings()
const check = await createFloorCheck(settings)
const app = new Koa()
app.use(async (ctx, next) => {
  const refusal = await check(ctx.headers.authorization)
  if (refusal !== undefined) {
    ctx.status = refusal.status
    ctx.set('WWW-Authenticate', refusal.challenge)
    ctx.body = { error: refusal.error }
    return
  }
  await next()
})
app.use((ctx) => {
  ctx.body = { ok: true }
})
serve(app.callback())
