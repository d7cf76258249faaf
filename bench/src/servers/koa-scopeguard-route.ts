// Koa 3 + @scopeguard/koa in its one-middleware form: one guard authenticates and checks the
// scope (README, "One middleware per route").
import { auth } from '@scopeguard/koa'
import Koa from 'koa'
import { serve, serverSettings } from './serve.js'

const settings = serverSettings()
const authenticate = auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, algorithms: [settings.algorithm] })
const app = new Koa()
app.use(authenticate.requireScopes(settings.scope))
app.use((ctx) => {
  ctx.body = { ok: true }
})
serve(app.callback())
