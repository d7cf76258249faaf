// Hono 4 + its built-in `jwk` middleware given the issuer's JWKS URL (`typ` must be set for
// RFC 9068 tokens); it has no scope check, so the route checks the payload's `scope`, as its
// users do. With `jwks_uri` it fetches the JWKS on every request: it caches nothing.
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { jwk } from 'hono/jwk'
import type { JwtVariables } from 'hono/jwt'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
const app = new Hono<{ Variables: JwtVariables<{ scope?: unknown }> }>()
app.use(jwk({ jwks_uri: settings.jwksUri, alg: [settings.algorithm], verification: { iss: settings.issuer, aud: settings.audience, typ: 'at+jwt' } }))
app.get(ROUTE, (c) => {
  const scope = c.get('jwtPayload').scope
  if (typeof scope !== 'string' || !scope.split(' ').includes(settings.scope)) return c.json({ error: 'insufficient_scope' }, 403)
  return c.json({ ok: true })
})
serve(getRequestListener(app.fetch))
