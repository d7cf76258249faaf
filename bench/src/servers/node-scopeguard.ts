// Plain node:http + @scopeguard/node: the listener wrapped by `authenticate.protect(scopes, …)`,
// as its README shows.
import type { RequestListener } from 'node:http'
import { auth } from '@scopeguard/node'
import { serve, serverSettings } from './serve.js'

const settings = serverSettings()
const authenticate = auth({ issuer: settings.issuer, audience: settings.audience, jwksUri: settings.jwksUri, algorithms: [settings.algorithm] })
const hello: RequestListener = (_req, res) => {
  res.setHeader('Content-Type', 'application/json')
  res.end(JSON.stringify({ ok: true }))
}
serve(authenticate.protect([settings.scope], hello))
