// Express 5 + express-oauth2-jwt-bearer (Auth0), with its own scope check.
import { createRequire } from 'node:module'
import express, { type ErrorRequestHandler, type RequestHandler } from 'express'
import { ROUTE, serve, serverSettings } from './serve.js'

// express-oauth2-jwt-bearer declares a global `req.auth` of its own type, as
// @scopeguard/express does, and the two declarations cannot share one TypeScript program
// (the root typecheck covers every bench file). So it is required untyped, with just the
// two functions used here typed by hand.
const { auth, requiredScopes } = createRequire(import.meta.url)('express-oauth2-jwt-bearer') as {
  auth(options: { issuer: string; audience: string; jwksUri: string; tokenSigningAlg: string }): RequestHandler
  requiredScopes(scopes: string): RequestHandler
}

const settings = serverSettings()
const app = express()
app.use(auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, tokenSigningAlg: settings.algorithm }))
app.get(ROUTE, requiredScopes(settings.scope), (_req, res) => {
  res.json({ ok: true })
})
// Failures reach next(err) with status and WWW-Authenticate set; answer them without the
// stack trace Express's default handler prints (only the bench's sanity checks fail).
const onError: ErrorRequestHandler = (err: { status?: number; headers?: Record<string, string> }, _req, res, _next) => {
  res.status(err.status ?? 500).set(err.headers ?? {}).json({ error: 'invalid_token' })
}
app.use(onError)
serve(app)
