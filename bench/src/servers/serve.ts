import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { answerParent, sendToParent } from '../protocol.js'

/** What every server variant is configured with: one issuer, audience and required scope for all. */
export interface ServerSettings {
  /** The issuer identifier, as tokens' `iss` carries it. */
  readonly issuer: string
  /** The issuer's JWKS; every authenticating variant fetches its keys from here over HTTP. */
  readonly jwksUri: string
  readonly audience: string
  /** The scope the protected route requires. */
  readonly scope: string
  readonly algorithm: 'RS256' | 'ES256'
}

/** Environment variable that carries {@link ServerSettings} to a server process, as JSON. */
export const SERVER_SETTINGS_ENV = 'BENCH_SERVER_SETTINGS'

/** The route every variant serves; the protected ones guard it with {@link ServerSettings.scope}. */
export const ROUTE = '/protected'

/** Reads the settings the bench passed to this server process. */
export function serverSettings(): ServerSettings {
  const raw = process.env[SERVER_SETTINGS_ENV]
  if (raw === undefined) throw new Error(`${SERVER_SETTINGS_ENV} is not set; servers are started by src/main.ts`)
  return JSON.parse(raw) as ServerSettings
}

/**
 * Listens on a free loopback port and tells the parent which. tsx turns source maps on for
 * the TypeScript it loads; a production server runs without them, and with them every
 * `error.stack` (peers build errors on some paths) would cost a source-map lookup, so they
 * are turned off before the first request.
 */
export function serve(listener: RequestListener): void {
  process.setSourceMapsEnabled(false)
  const server = createServer(listener)
  server.listen(0, '127.0.0.1', () => {
    answerParent()
    sendToParent({ type: 'ready', port: (server.address() as AddressInfo).port })
  })
}
