// Express 5 + express-jwt + jwks-rsa, the long-standing combination; express-jwt has no
// scope check, so the route checks `req.auth.scope` itself, as its users do.
import express, { type ErrorRequestHandler } from 'express'
import { expressjwt, type GetVerificationKey, type Request as JwtRequest } from 'express-jwt'
import { expressJwtSecret } from 'jwks-rsa'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
const app = express()
app.use(
  expressjwt({
    secret: expressJwtSecret({ jwksUri: settings.jwksUri, cache: true, rateLimit: true }) as GetVerificationKey,
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: [settings.algorithm],
  }),
)
app.get(ROUTE, (req: JwtRequest, res) => {
  const scope = req.auth?.scope
  if (typeof scope !== 'string' || !scope.split(' ').includes(settings.scope)) {
    res.status(403).json({ error: 'insufficient_scope' })
    return
  }
  res.json({ ok: true })
})
// Failures reach next(err); answer them without the stack trace Express's default handler
// prints (only the bench's sanity checks fail).
const onError: ErrorRequestHandler = (err: { status?: number }, _req, res, _next) => {
  res.status(err.status ?? 500).json({ error: 'invalid_token' })
}
app.use(onError)
serve(app)
