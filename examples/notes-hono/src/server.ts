import { serve } from '@hono/node-server'
import { createApp } from './app.js'

// The application reads its configuration from the environment; the library never does.
const { ISSUER: issuer, AUDIENCE: audience, RESOURCE: resource, PORT = '3000' } = process.env
if (!issuer || !audience) {
  console.error('Set ISSUER and AUDIENCE (and RESOURCE for RFC 9728 metadata), e.g. ISSUER=https://idp.example.com/ AUDIENCE=https://api.example.com/notes')
  process.exit(1)
}

// @hono/node-server hands the Node request to the app as `c.env.incoming`, where scopeguard
// reads every Authorization line (RFC 6750 §3.1: a repeated one is refused).
serve({ fetch: createApp({ issuer, audience, ...(resource ? { resource } : {}) }).fetch, port: Number(PORT) }, (info) => {
  console.log(`Notes API listening on port ${info.port}`)
})
