import { createFakeIssuer } from '@scopeguard/testing'
import { describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { gate, serveApp } from './app-client.js'
import { closeAfterEach } from './cleanup.js'
import { eventLog } from './event-log.js'
import { expectInvalidToken, expectOk, READ } from './expect-reply.js'
import { fakeClock } from './fake-clock.js'

// Tokens naming a key the cache lacks: a forged kid must not turn into JWKS traffic (at most
// one refetch per jwksCooldown, whatever the number of tokens), while a key the issuer really
// rotated in is found by the first request after the cooldown, and a key it removed stops
// verifying, even for tokens verified (and cached) before.

const track = closeAfterEach()
/** jwksCooldown's default, relied on rather than configured. */
const COOLDOWN = 30_000

describe.each(ADAPTERS)('$name: unknown kid', (adapter) => {
  it('a flood of 50 random kids → 50 × 401 invalid_token and exactly one refetch per jwksCooldown window', async () => {
    const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
    const clock = fakeClock()
    const log = eventLog()
    const listener = gate(adapter.app({ issuer: issuer.url, audience: issuer.audience, clock: clock.now, onEvent: log.onEvent }))
    const app = track(await serveApp(listener))
    // Failures are never cached, so the same 50 forged tokens can be sent again and again.
    const forged = await Promise.all(Array.from({ length: 50 }, () => issuer.bad.unknownKid(READ)))
    const flood = async (): Promise<void> => {
      listener.hold(forged.length)
      for (const reply of await app.getAll(forged)) expectInvalidToken(reply)
    }

    expectOk(await app.get(await issuer.token(READ)))
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 })
    // Keys fetched less than a cooldown ago are not refetched at all.
    await flood()
    expect(issuer.requests.jwks).toBe(1)
    // Past the cooldown, 50 concurrent forged kids share one refetch...
    clock.advance(COOLDOWN)
    await flood()
    expect(issuer.requests.jwks).toBe(2)
    // ...which starts the next window: nothing until it has passed, one fetch when it has.
    clock.advance(COOLDOWN - 1)
    await flood()
    expect(issuer.requests.jwks).toBe(2)
    clock.advance(1)
    await flood()
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 3 })
    expect(log.types()).toEqual(['metadata_fetched', 'keys_fetched', 'keys_fetched', 'keys_fetched'])
  })

  it('a rotated key is picked up by the first request after the cooldown; a retired key stops verifying after the refresh that removed it', async () => {
    const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
    const clock = fakeClock()
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, clock: clock.now })))
    const first = issuer.signingKey
    const [verifiedEarly, verifiedLater, neverSeen] = await Promise.all([issuer.token(READ), issuer.token(READ), issuer.token(READ)])
    expectOk(await app.get(verifiedEarly))

    // Rotation: within the cooldown the new kid is unknown (no fetch)...
    await issuer.rotateKeys()
    const rotated = await issuer.token(READ)
    expectInvalidToken(await app.get(rotated))
    expect(issuer.requests.jwks).toBe(1)
    // ...once it has passed, the first request looks again and is verified.
    clock.advance(COOLDOWN)
    expectOk(await app.get(rotated))
    expect(issuer.requests.jwks).toBe(2)
    // The first key is still published: its tokens still verify, from the same fetch.
    expectOk(await app.get(verifiedLater))
    expect(issuer.requests.jwks).toBe(2)

    // Retirement: the first key leaves the JWKS while a third one arrives.
    issuer.retireKey(first.kid)
    await issuer.rotateKeys()
    expectOk(await app.get(verifiedEarly))
    clock.advance(COOLDOWN)
    expectOk(await app.get(await issuer.token(READ)))
    expect(issuer.requests.jwks).toBe(3)
    // After that refresh no token of the retired key verifies, not even those verified (and
    // cached) before, and asking for it again does not refetch within the cooldown.
    for (const token of [verifiedEarly, verifiedLater, neverSeen]) expectInvalidToken(await app.get(token))
    expectOk(await app.get(rotated))
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 3 })
  })
})
