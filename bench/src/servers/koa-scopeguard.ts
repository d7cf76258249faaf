// Koa 3 + @scopeguard/koa.
import { auth, requireScopes } from '@scopeguard/koa'
import Koa from 'koa'
import { serve, serverSettings } from './serve.js'

const settings = serverSettings()
const app = new Koa()
app.use(auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, algorithms: [settings.algorithm] }))
app.use(requireScopes(settings.scope))
app.use((ctx) => {
  ctx.body = { ok: true }
})
serve(app.callback())
