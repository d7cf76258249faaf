import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What every server is configured with, passed as JSON in {@link SETTINGS_ENV}. */
export interface ServerSettings {
  readonly issuer: string
  /** Every authenticating server fetches its keys from here over HTTP. */
  readonly jwksUri: string
  readonly audience: string
  /** The scope the route requires. */
  readonly scope: string
  readonly algorithm: 'RS256' | 'ES256'
}

export const SETTINGS_ENV = 'BENCH_SERVER_SETTINGS'
export const ROUTE = '/protected'

export function serverSettings(): ServerSettings {
  const raw = process.env[SETTINGS_ENV]
  if (raw === undefined) throw new Error(`${SETTINGS_ENV} is not set: servers are started by the bench`)
  return JSON.parse(raw) as ServerSettings
}

/**
 * Listens on a free loopback port and sends it to the parent, then answers its messages:
 * `memory` (process.memoryUsage()), `gc-memory` (the same after a full GC, with --expose-gc)
 * and `exit`. It exits with the parent too. Source maps (which tsx turns on) are turned
 * off, as in production: with them every `error.stack` costs a lookup.
 */
export function serve(listener: RequestListener): void {
  process.setSourceMapsEnabled(false)
  const server = createServer(listener)
  server.listen(0, '127.0.0.1', () => {
    process.on('disconnect', () => process.exit(0))
    process.on('message', (message) => {
      if (message === 'exit') process.exit(0)
      if (message === 'gc-memory') (globalThis as { gc?: () => void }).gc?.()
      process.send?.({ memory: process.memoryUsage() })
    })
    process.send?.({ port: (server.address() as AddressInfo).port })
  })
}
