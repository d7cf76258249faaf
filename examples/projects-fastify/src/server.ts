import { createApp } from './app.js'

// The application reads its configuration from the environment; the library never does.
const { ISSUER: issuer, AUDIENCE: audience, PORT = '3000', HOST = '127.0.0.1' } = process.env
if (!issuer || !audience) {
  console.error('Set ISSUER and AUDIENCE, e.g. ISSUER=https://tenant.auth0.com/ AUDIENCE=https://api.example.com/projects')
  process.exit(1)
}

const app = createApp({ issuer, audience })
const address = await app.listen({ port: Number(PORT), host: HOST })
console.log(`Projects API listening on ${address}`)
