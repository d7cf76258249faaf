// Express 5 + @scopeguard/express, configured as its README shows.
import { auth, requireScopes } from '@scopeguard/express'
import express from 'express'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
const app = express()
app.use(auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, algorithms: [settings.algorithm] }))
app.get(ROUTE, requireScopes(settings.scope), (_req, res) => {
  res.json({ ok: true })
})
serve(app)
