// Express 5 + @scopeguard/express in its one-middleware form: the route's guard authenticates
// and checks the scope, with nothing mounted app-wide (README, "One middleware per route").
import { auth } from '@scopeguard/express'
import express from 'express'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
const authenticate = auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, algorithms: [settings.algorithm] })
const app = express()
app.get(ROUTE, authenticate.requireScopes(settings.scope), (_req, res) => {
  res.json({ ok: true })
})
serve(app)
