import { IssuerFetchError, IssuerMetadataError, type AuthOptions } from '@scopeguard/core'
import { describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { runsSlowCases } from './adapters.js'
import { serveApp } from './app-client.js'
import { closeAfterEach } from './cleanup.js'
import { eventLog } from './event-log.js'
import { expectOk, expectUnavailable, READ } from './expect-reply.js'
import { fakeClock } from './fake-clock.js'
import { behave, createMisbehavingIssuer, JWKS, OAUTH, OPENID, type Behaviour, type MisbehavingIssuer } from './misbehaving-server.js'

// Issuer metadata (OpenID Connect Discovery, then RFC 8414) is fetched under the same bounds
// as the JWKS, trusted only when it names the configured issuer and an acceptable jwks_uri,
// and cached for metadataCacheMaxAge with the same stale-while-revalidate as the keys.

const track = closeAfterEach()

/** Why discovery gave up: a fetch failure that stops at once, a document that decides, or every location tried. */
type Verdict = IssuerFetchError['reason'] | 'untrusted metadata' | 'no metadata anywhere'

interface DiscoveryFault {
  name: string
  /** The answer at the OIDC location; the RFC 8414 location answers 404. */
  openid: (issuer: MisbehavingIssuer) => Behaviour
  verdict: Verdict
  /** Requests to [OIDC location, RFC 8414 location]. The JWKS is never requested. */
  requests: [number, number]
  options?: Partial<AuthOptions>
  /** Waits out fetchTimeout: run against SLOW_CASE_ADAPTERS only. */
  slow?: boolean
}

const SHORT_TIMEOUT = { fetchTimeout: 200 }
const withMetadata = (change: (issuer: MisbehavingIssuer) => Record<string, unknown>) => (issuer: MisbehavingIssuer): Behaviour =>
  behave.json({ ...issuer.metadata, ...change(issuer) })

const DISCOVERY_FAULTS: readonly DiscoveryFault[] = [
  // The issuer is down: trying the next location would only add load.
  { name: 'no answer (fetchTimeout: 200)', openid: () => behave.hang(), verdict: 'timeout', requests: [1, 0], options: SHORT_TIMEOUT, slow: true },
  { name: 'a body that never ends (fetchTimeout: 200)', openid: () => behave.drip(20), verdict: 'timeout', requests: [1, 0], options: SHORT_TIMEOUT, slow: true },
  { name: 'a dropped connection', openid: () => behave.reset(), verdict: 'network', requests: [1, 0] },
  // An answer that is not metadata: the next location may hold it.
  { name: 'status 503', openid: () => behave.status(503), verdict: 'no metadata anywhere', requests: [1, 1] },
  { name: 'an HTML page', openid: () => behave.text('<html></html>', 'text/html'), verdict: 'no metadata anywhere', requests: [1, 1] },
  { name: 'a 302 redirect to the real metadata', openid: (issuer) => behave.redirect(`${issuer.origin}/moved`), verdict: 'no metadata anywhere', requests: [1, 1] },
  { name: '300 MB of metadata', openid: (issuer) => behave.endless(issuer.metadata), verdict: 'no metadata anywhere', requests: [1, 1] },
  { name: '[]', openid: () => behave.json([]), verdict: 'no metadata anywhere', requests: [1, 1] },
  { name: 'metadata without jwks_uri', openid: withMetadata(() => ({ jwks_uri: undefined })), verdict: 'no metadata anywhere', requests: [1, 1] },
  // Real metadata that cannot be trusted decides (RFC 8414 §3.3).
  { name: 'metadata naming another issuer', openid: withMetadata(() => ({ issuer: 'https://idp.example.com/' })), verdict: 'untrusted metadata', requests: [1, 0] },
  { name: 'metadata naming the issuer without its trailing slash', openid: withMetadata((issuer) => ({ issuer: issuer.origin })), verdict: 'untrusted metadata', requests: [1, 0] },
  { name: 'a plain-http jwks_uri off localhost', openid: withMetadata((issuer) => ({ jwks_uri: issuer.jwksUri.replace('127.0.0.1', '127.0.0.2') })), verdict: 'untrusted metadata', requests: [1, 0] },
  { name: 'a jwks_uri with credentials', openid: withMetadata((issuer) => ({ jwks_uri: issuer.jwksUri.replace('//', '//user:secret@') })), verdict: 'untrusted metadata', requests: [1, 0] },
  { name: 'a file: jwks_uri', openid: withMetadata(() => ({ jwks_uri: 'file:///etc/passwd' })), verdict: 'untrusted metadata', requests: [1, 0] },
  { name: 'a jwks_uri that is not a string', openid: withMetadata(() => ({ jwks_uri: 42 })), verdict: 'untrusted metadata', requests: [1, 0] },
]

describe.each(ADAPTERS)('$name: discovery', (adapter) => {
  it.each(DISCOVERY_FAULTS.filter((fault) => !fault.slow || runsSlowCases(adapter)))('metadata location answering $name → 503, requests as expected, no JWKS fetch', async ({ openid, verdict, requests, options }) => {
    const issuer = track(await createMisbehavingIssuer())
    issuer.on(OPENID, openid(issuer))
    issuer.on('/moved', issuer.serveMetadata)
    const log = eventLog()
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, fetchTimeout: 3000, onEvent: log.onEvent, ...options })))

    const reply = await app.get(await issuer.token(READ))
    expectUnavailable(reply)
    expect(reply.ms).toBeLessThan(2000)
    expect([issuer.requests(OPENID), issuer.requests(OAUTH)]).toEqual(requests)
    expect(issuer.requests(JWKS) + issuer.requests('/moved')).toBe(0)
    expect(log.types()).toEqual(['refresh_failed', 'refresh_failed', 'keys_unavailable'])
    const [failed] = log.events
    expect(failed).toMatchObject({ type: 'refresh_failed', resource: 'metadata', retryIn: 1000 })
    const error = failed?.type === 'refresh_failed' ? failed.error : undefined
    const actual = error instanceof IssuerFetchError
      ? error.reason
      : error instanceof IssuerMetadataError ? 'untrusted metadata' : error instanceof AggregateError ? 'no metadata anywhere' : String(error)
    expect(actual, String(error)).toBe(verdict)
  })

  it('followRedirects: true → the 302 from the metadata location is followed and the token verifies', async () => {
    const issuer = track(await createMisbehavingIssuer())
    issuer.on(OPENID, behave.redirect(`${issuer.origin}/moved`))
    issuer.on('/moved', issuer.serveMetadata)
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, followRedirects: true })))
    expectOk(await app.get(await issuer.token(READ)))
    expect([issuer.requests(OPENID), issuer.requests('/moved'), issuer.requests(OAUTH), issuer.requests(JWKS)]).toEqual([1, 1, 0, 1])
  })

  it('metadata is cached for metadataCacheMaxAge (default 1 h) across JWKS refreshes (default every 10 min), then refreshed in the background like the keys', async () => {
    const issuer = track(await createMisbehavingIssuer())
    issuer.on('/jwks-v2', issuer.serveJwks)
    const clock = fakeClock()
    const log = eventLog()
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, clock: clock.now, onEvent: log.onEvent })))
    const counts = (): number[] => [issuer.requests(OPENID), issuer.requests(JWKS), issuer.requests('/jwks-v2')]
    /** One request once the keys are due: served from the cache, then waits for the background refresh. */
    const refresh = async (after = 600_000): Promise<void> => {
      const fetched = log.count('keys_fetched')
      clock.advance(after)
      expectOk(await app.get(await issuer.token(READ)))
      await log.until('keys_fetched', fetched + 1)
    }

    expectOk(await app.get(await issuer.token(READ)))
    expect(counts()).toEqual([1, 1, 0])
    // Five JWKS refreshes within the hour: no discovery.
    for (let i = 0; i < 5; i++) await refresh()
    expect(counts()).toEqual([1, 6, 0])

    // The issuer moves its JWKS. At one hour the metadata is due: the JWKS refresh uses the
    // cached jwks_uri once more while the metadata is refetched beside it...
    issuer.metadata = { ...issuer.metadata, jwks_uri: `${issuer.origin}/jwks-v2` }
    await refresh()
    await log.until('metadata_fetched', 2)
    expect(counts()).toEqual([2, 7, 0])
    // ...and the next refresh goes to the new location.
    await refresh()
    expect(counts()).toEqual([2, 7, 1])

    // Discovery failing when the metadata is next due: the cached metadata goes on serving.
    issuer.on(OPENID, behave.status(503))
    const failures = log.count('refresh_failed')
    await refresh(3_000_000)
    await log.until('refresh_failed', failures + 1)
    expectOk(await app.get(await issuer.token(READ)))
    expect(counts()).toEqual([3, 7, 2])
    expect(issuer.requests(OAUTH)).toBe(1)
    expect(log.events.filter((event) => event.type === 'refresh_failed')).toMatchObject([{ resource: 'metadata' }])
    expect(log.count('keys_unavailable') + log.count('serving_stale')).toBe(0)
  })
})
