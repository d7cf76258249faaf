import { createPublicKey } from 'node:crypto'
import { createFakeIssuer } from '@scopeguard/testing'
import { describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { serveApp } from './app-client.js'
import { closeAfterEach } from './cleanup.js'
import { eventLog } from './event-log.js'
import { expectInvalidToken, expectOk, expectUnavailable, READ } from './expect-reply.js'
import { fakeClock } from './fake-clock.js'

// Cases where "the issuer cannot be reached" must not be reported as "the token is bad".

const track = closeAfterEach()

describe.each(ADAPTERS)('$name: an issuer outage is never the client’s fault', (adapter) => {
  it('a token signed by a newly rotated key during a JWKS outage → 503 (the refetch failed), not 401', async () => {
    const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
    const clock = fakeClock()
    const log = eventLog()
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, clock: clock.now, onEvent: log.onEvent })))
    expectOk(await app.get(await issuer.token(READ)))
    issuer.fail('jwks', { status: 503 })
    await issuer.rotateKeys()
    const rotated = await issuer.token(READ)
    // Within the cooldown the unknown kid is not looked up: 401, no fetch.
    expectInvalidToken(await app.get(rotated))
    expect(issuer.requests.jwks).toBe(1)
    // Past it, the lookup fails: 503, and the backoff keeps the next request from fetching again.
    clock.advance(30_000)
    expectUnavailable(await app.get(rotated))
    expectUnavailable(await app.get(rotated))
    expect(issuer.requests.jwks).toBe(2)
    // Keys younger than jwksCacheMaxAge are not "stale": no serving_stale event for them.
    expect(log.types()).toEqual(['metadata_fetched', 'keys_fetched', 'refresh_failed'])
    issuer.recover()
    clock.advance(1000)
    expectOk(await app.get(rotated))
  })

  it('the verified-token cache follows the clock option: past the stale limit a cached token is verified again (503)', async () => {
    const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
    const clock = fakeClock()
    const options = { issuer: issuer.url, audience: issuer.audience, clock: clock.now, jwksStaleIfError: 60_000 }
    const app = track(await serveApp(adapter.app(options)))
    const token = await issuer.token({ ...READ, expiresIn: 86_400 * 3 })
    expectOk(await app.get(token))
    issuer.fail('jwks', { status: 503 })
    // Past jwksCacheMaxAge (10 min) + jwksStaleIfError (1 min) and the cache TTL (5 min).
    clock.advance(700_000)
    expectUnavailable(await app.get(token))
  })

  it.each([
    ['a string that is not a PEM key', () => 'not a key'],
    ['a number', () => 42],
  ])('a custom getKey returning %s → 503, not 401', async (_name, getKey) => {
    const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, getKey: getKey as never })))
    expectUnavailable(await app.get(await issuer.token(READ)))
  })

  it('a custom getKey returning a KeyObject or a PEM still verifies', async () => {
    const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
    for (const key of [createPublicKey(issuer.signingKey.publicPem), issuer.signingKey.publicPem]) {
      const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, getKey: () => key })))
      expectOk(await app.get(await issuer.token(READ)))
    }
  })
})
