import type { AddressInfo } from 'node:net'
import { createApp } from './app.js'

// The application reads its configuration from the environment; the library never does.
const { ISSUER: issuer, AUDIENCE: audience, PORT = '3000' } = process.env
if (!issuer || !audience) {
  console.error('Set ISSUER and AUDIENCE, e.g. ISSUER=https://idp.example.com/ AUDIENCE=https://api.example.com/calendar')
  process.exit(1)
}

const server = createApp({ issuer, audience }).listen(Number(PORT), (error?: Error) => {
  if (error) throw error
  console.log(`Calendar API listening on port ${(server.address() as AddressInfo).port}`)
})
