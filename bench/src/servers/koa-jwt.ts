// Koa 3 + koa-jwt + jwks-rsa; koa-jwt has no scope check, so a middleware checks
// `ctx.state.user.scope`, as its users do.
import { koaJwtSecret } from 'jwks-rsa'
import Koa from 'koa'
import jwt from 'koa-jwt'
import { serve, serverSettings } from './serve.js'

const settings = serverSettings()
const app = new Koa()
app.use(
  jwt({
    secret: koaJwtSecret({ jwksUri: settings.jwksUri, cache: true, rateLimit: true }),
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: [settings.algorithm],
  }),
)
app.use(async (ctx, next) => {
  const scope = (ctx.state.user as { scope?: unknown } | undefined)?.scope
  if (typeof scope !== 'string' || !scope.split(' ').includes(settings.scope)) {
    ctx.status = 403
    ctx.body = { error: 'insufficient_scope' }
    return
  }
  await next()
})
app.use((ctx) => {
  ctx.body = { ok: true }
})
serve(app.callback())
