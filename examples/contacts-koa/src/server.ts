import type { AddressInfo } from 'node:net'
import { createApp } from './app.js'

// The application reads its configuration from the environment; the library never does.
const { ISSUER: issuer, AUDIENCE: audience, PORT = '3000' } = process.env
if (!issuer || !audience) {
  console.error('Set ISSUER and AUDIENCE, e.g. ISSUER=https://tenant.auth0.com/ AUDIENCE=https://api.example.com/contacts')
  process.exit(1)
}

const server = createApp({ issuer, audience }).listen(Number(PORT), () => {
  console.log(`Contacts API listening on port ${(server.address() as AddressInfo).port}`)
})
