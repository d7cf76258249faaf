import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createApp } from './app.js'

// The application reads its configuration from the environment; the library never does.
// RESOURCE (optional) is the API's https URL, e.g. the audience: set, the server answers the
// RFC 9728 metadata document that its challenges name.
const { ISSUER: issuer, AUDIENCE: audience, RESOURCE: resource, PORT = '3000' } = process.env
if (!issuer || !audience) {
  console.error('Set ISSUER and AUDIENCE, e.g. ISSUER=https://idp.example.com/ AUDIENCE=https://api.example.com/files')
  process.exit(1)
}

const server = createServer(createApp({ issuer, audience, ...(resource ? { resourceMetadata: { resource } } : {}) }))
server.listen(Number(PORT), () => {
  console.log(`Files API listening on port ${(server.address() as AddressInfo).port}`)
})
