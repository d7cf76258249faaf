import createDebug from 'debug'
import type { KeySourceEvent, KeySourceEventHandler } from '../keys/key-source-event.js'
import { describeErrorChain } from '../lib/error-chain.js'
import { recordKeyEvent } from './telemetry.js'

// Logs where Express and Koa developers look for them: the `debug` package, as Express, Koa
// and jwks-rsa do. `DEBUG=scopeguard:*` shows every decision and every key-source event.
/** One line per decision: the request, the outcome and, for a refusal, why. */
export const authLog = createDebug('scopeguard:auth')
/** One line per key-source event: metadata and JWKS fetched, refresh failures, stale keys. */
export const keysLog = createDebug('scopeguard:keys')

// At most this many distinct warnings per process: a misconfiguration repeats the same one
// on every request, and a flood of distinct ones must not grow memory without bound.
const MAX_WARNINGS = 100
const warned = new Set<string>()

/**
 * Emits a process warning once per distinct text (Node prints it on stderr unless the
 * application runs with `--no-warnings` or listens for `'warning'` itself). Used only for
 * what makes every request fail, or every scope check fall short, whatever the client sends.
 */
export function warnOnce(enabled: boolean, code: string, text: string): void {
  if (!enabled || warned.has(text) || warned.size >= MAX_WARNINGS) return
  warned.add(text)
  process.emitWarning(text, { code, detail: 'Silence scopeguard\'s warnings with auth({ warnings: false }).' })
}

/**
 * The key source's event handler: the application's `onEvent`, the `scopeguard:keys` log,
 * and a warning when keys cannot be had at all (a wrong issuer, an unreachable host, a JWKS
 * without a usable key): then every request needing them gets 503, and nothing else says why.
 */
export function keySourceEvents(onEvent: KeySourceEventHandler | undefined, warnings: boolean): KeySourceEventHandler {
  return (event) => {
    recordKeyEvent(event)
    if (keysLog.enabled) keysLog('%s', describeEvent(event))
    if (event.type === 'keys_unavailable') {
      warnOnce(warnings, 'SCOPEGUARD_KEYS_UNAVAILABLE',
        `scopeguard: no signing keys for issuer ${event.issuer}, so requests needing them get 503: ${describeErrorChain(event.error)}`)
    }
    onEvent?.(event)
  }
}

function describeEvent(event: KeySourceEvent): string {
  switch (event.type) {
    case 'metadata_fetched': return `${event.issuer}: metadata names jwks_uri ${event.jwksUri}`
    case 'keys_fetched': return `${event.issuer}: JWKS ${event.url}: ${event.keys} keys usable, ${event.skipped} skipped`
    case 'refresh_failed': return `${event.issuer}: fetching the ${event.resource} failed, retry in ${event.retryIn} ms: ${describeErrorChain(event.error)}`
    case 'serving_stale': return `${event.issuer}: serving keys ${event.age} ms old while refreshes fail`
    case 'keys_unavailable': return `${event.issuer}: no usable keys: ${describeErrorChain(event.error)}`
  }
}
