import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, type EndpointFault } from '@scopeguard/testing'
import { describe, expect, it, vi } from 'vitest'
import { ADAPTERS, type AdapterUnderTest } from '../support/adapters.js'
import { SLOW_CASE_ADAPTERS } from './adapters.js'
import { serveApp, type AppClient, type Reply } from './app-client.js'
import { closeAfterEach } from './cleanup.js'
import { eventLog } from './event-log.js'
import { expectOk, expectUnavailable, READ } from './expect-reply.js'
import { fakeClock } from './fake-clock.js'
import { behave, createMisbehavingIssuer, JWKS, OAUTH, OPENID } from './misbehaving-server.js'

// Issue 4: cold start, stale-while-revalidate, stale-if-error and backoff, observed as fetch
// counts on a real issuer while a fake clock moves. Each test starts its own issuer, so the
// counts belong to it alone. Every request carries a token of its own, as requests from many
// clients do: a reused token is answered by the verified-token cache without any key lookup.

const track = closeAfterEach()
/** Generous: the machine may be busy, and nothing here waits unless something is wrong. */
const WAIT = { timeout: 3000, interval: 5 }

describe.each(ADAPTERS)('$name: cold start and refresh', (adapter) => {
  it('cold start against a slow issuer: 25 requests arriving during discovery and during the JWKS fetch → 1 discovery, 1 JWKS fetch, 25 × 200', async () => {
    const issuer = track(await createMisbehavingIssuer())
    const discovery = behave.held(issuer.serveMetadata)
    const jwks = behave.held(issuer.serveJwks)
    issuer.on(OPENID, discovery)
    issuer.on(JWKS, jwks)
    const log = eventLog()
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, onEvent: log.onEvent })))
    const tokens = await Promise.all(Array.from({ length: 25 }, () => issuer.token(READ)))

    // Three waves: before any fetch, while discovery is held, while the JWKS fetch is.
    const first = app.getAll(tokens.slice(0, 9))
    await vi.waitFor(() => expect(issuer.requests(OPENID)).toBe(1), WAIT)
    const second = app.getAll(tokens.slice(9, 17))
    await vi.waitFor(() => expect(app.arrived).toBe(17), WAIT)
    discovery.release()
    await vi.waitFor(() => expect(issuer.requests(JWKS)).toBe(1), WAIT)
    const third = app.getAll(tokens.slice(17))
    await vi.waitFor(() => expect(app.arrived).toBe(25), WAIT)
    expect(log.types()).toEqual(['metadata_fetched'])
    jwks.release()

    for (const reply of (await Promise.all([first, second, third])).flat()) expectOk(reply)
    expect([issuer.requests(OPENID), issuer.requests(OAUTH), issuer.requests(JWKS)]).toEqual([1, 0, 1])
    expect(log.types()).toEqual(['metadata_fetched', 'keys_fetched'])
  })

  it('refresh due (past jwksCacheMaxAge): 25 concurrent requests are answered from the cache while exactly one refresh runs', async () => {
    const issuer = track(await createMisbehavingIssuer())
    const clock = fakeClock()
    const log = eventLog()
    const app = track(await serveApp(adapter.app({
      issuer: issuer.url, audience: issuer.audience, jwksCacheMaxAge: 60_000, clock: clock.now, onEvent: log.onEvent,
    })))
    expectOk(await app.get(await issuer.token(READ)))

    // The refresh is held until every request has been answered: none of them waits for it.
    const refresh = behave.held(issuer.serveJwks)
    issuer.on(JWKS, refresh)
    clock.advance(60_000)
    const tokens = await Promise.all(Array.from({ length: 25 }, () => issuer.token(READ)))
    for (const reply of await app.getAll(tokens)) expectOk(reply)
    expect(issuer.requests(JWKS)).toBe(2)
    expect(log.count('keys_fetched')).toBe(1)

    refresh.release()
    await log.until('keys_fetched', 2)
    for (const reply of await app.getAll(await Promise.all([issuer.token(READ), issuer.token(READ)]))) expectOk(reply)
    expect([issuer.requests(OPENID), issuer.requests(JWKS)]).toEqual([1, 2])
  })
})

/** The timing options under test, as given to auth() and as expected to take effect. */
interface Timing {
  name: string
  /** What auth() is given besides clock and onEvent. */
  options: Partial<AuthOptions>
  maxAge: number
  staleIfError: number
  retryMin: number
  retryMax: number
  retryAfter: number
}

const CONFIGURED: Timing = {
  name: 'configured',
  options: { jwksCacheMaxAge: 60_000, jwksStaleIfError: 300_000, fetchRetryMin: 1000, fetchRetryMax: 8000, retryAfter: 7 },
  maxAge: 60_000,
  staleIfError: 300_000,
  retryMin: 1000,
  retryMax: 8000,
  retryAfter: 7,
}
/** Nothing configured: the documented defaults must be what happens. */
const DEFAULTS: Timing = { name: 'defaults', options: {}, maxAge: 600_000, staleIfError: 86_400_000, retryMin: 1000, retryMax: 60_000, retryAfter: 10 }

interface Outage {
  name: string
  fault: EndpointFault
  timing: Timing
  adapters: readonly AdapterUnderTest[]
  fetchTimeout?: number
}

const OUTAGES: readonly Outage[] = [
  { name: '503', fault: { status: 503 }, timing: CONFIGURED, adapters: ADAPTERS },
  { name: 'a body that is not JSON', fault: 'garbage', timing: CONFIGURED, adapters: ADAPTERS },
  // Waits out fetchTimeout at each of its 9 fetches. Not shorter: on a busy machine a request
  // that times out before reaching the issuer would not be counted.
  { name: 'nothing (hang)', fault: 'hang', timing: CONFIGURED, adapters: SLOW_CASE_ADAPTERS, fetchTimeout: 200 },
  { name: '500', fault: { status: 500 }, timing: DEFAULTS, adapters: ADAPTERS },
]
const CASES = OUTAGES.flatMap((outage) => outage.adapters.map((adapter) => ({ ...outage, adapter })))

describe('stale-if-error: cached keys outlive a JWKS outage, retries back off', () => {
  it.each(CASES)('$adapter.name, JWKS answering $name, $timing.name timing', async ({ adapter, fault, timing, fetchTimeout }) => {
    const { maxAge, staleIfError, retryMin, retryMax, retryAfter } = timing
    const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
    const clock = fakeClock()
    const log = eventLog()
    const app: AppClient = track(await serveApp(adapter.app({
      issuer: issuer.url, audience: issuer.audience, ...timing.options, fetchTimeout, clock: clock.now, onEvent: log.onEvent,
    })))
    const request = async (): Promise<Reply> => app.get(await issuer.token(READ))
    const lastRetryIn = (): number | undefined => {
      const last = log.events.filter((event) => event.type === 'refresh_failed').at(-1)
      return last?.type === 'refresh_failed' ? last.retryIn : undefined
    }
    /** A request served from the stale cache that (re)starts a refresh, which fails in the background. */
    const refreshFails = async (retryIn: number): Promise<void> => {
      const failures = log.count('refresh_failed')
      expectOk(await request())
      await log.until('refresh_failed', failures + 1)
      expect(lastRetryIn()).toBe(retryIn)
    }

    const fetchedAt = clock.now()
    expectOk(await request())
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 })
    issuer.fail('jwks', fault)

    // Fresh until jwksCacheMaxAge: no fetch at all.
    clock.advance(maxAge - 1)
    expectOk(await request())
    expect(issuer.requests.jwks).toBe(1)
    clock.advance(1)
    await refreshFails(retryMin)
    expect(issuer.requests.jwks).toBe(2)
    expect(log.events.at(-1)).toMatchObject({ type: 'serving_stale', age: maxAge })

    // Backoff: no fetch 1 ms before the retry is due, one fetch when it is; the delay doubles
    // after each failure up to fetchRetryMax.
    let jwks = 2
    for (let wait = retryMin; ; wait = Math.min(retryMax, wait * 2)) {
      clock.advance(wait - 1)
      expectOk(await request())
      expect(issuer.requests.jwks).toBe(jwks)
      clock.advance(1)
      await refreshFails(Math.min(retryMax, wait * 2))
      expect(issuer.requests.jwks).toBe(++jwks)
      if (wait === retryMax) break
    }

    // Served stale until jwksCacheMaxAge + jwksStaleIfError after the last good fetch...
    clock.advance(fetchedAt + maxAge + staleIfError - 1 - clock.now())
    await refreshFails(retryMax)
    expect(issuer.requests.jwks).toBe(++jwks)
    // ...and not a millisecond longer: 503 with Retry-After, and no fetch during the backoff.
    clock.advance(1)
    expectUnavailable(await request(), { retryAfter })
    expect(issuer.requests.jwks).toBe(jwks)
    // When the backoff ends the request itself waits for the fetch, which fails again.
    clock.advance(retryMax - 1)
    expectUnavailable(await request(), { retryAfter })
    expect(issuer.requests.jwks).toBe(++jwks)
    expect(log.types().slice(-2)).toEqual(['refresh_failed', 'keys_unavailable'])

    // Recovery: still 503 until the backoff has passed, then the first request fetches and succeeds.
    issuer.recover()
    expectUnavailable(await request(), { retryAfter })
    expect(issuer.requests.jwks).toBe(jwks)
    clock.advance(retryMax)
    expectOk(await request())
    expect(issuer.requests.jwks).toBe(++jwks)
    expectOk(await request())
    expect(issuer.requests.jwks).toBe(jwks)
    expect(log.types().at(-1)).toBe('keys_fetched')
  })
})
