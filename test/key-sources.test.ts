import { createPublicKey, KeyObject } from 'node:crypto'
import type { RequestListener } from 'node:http'
import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, type EndpointFault, type FakeIssuer, type FakeIssuerOptions } from '@scopeguard/testing'
import { SignJWT } from 'jose'
import request, { type Response } from 'supertest'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ADAPTERS } from './support/adapters.js'
import { expectChallenge } from './support/expect-challenge.js'

// How the middleware finds verification keys: discovery, a configured JWKS URL, local keys, a
// shared secret, several issuers; and how it behaves when the issuer cannot give them.
// Every test starts its own issuer, so request counts belong to that test alone.

const API = 'https://api.example.com'
const READ = { scope: 'read:appointments' }

const started: FakeIssuer[] = []
/**
 * ES256 unless a test says otherwise: key generation is then instant, where RSA takes up to
 * half a second per key (token-shapes.test.ts covers every algorithm).
 */
async function startIssuer(options?: FakeIssuerOptions): Promise<FakeIssuer> {
  const issuer = await createFakeIssuer({ algorithm: 'ES256', ...options })
  started.push(issuer)
  return issuer
}
// close() also drops connections an endpoint left hanging.
afterEach(async () => {
  await Promise.all(started.splice(0).map((issuer) => issuer.close()))
})

function get(app: RequestListener, token: string, route = '/appointments'): Promise<Response> {
  return request(app).get(route).set('Authorization', `Bearer ${token}`)
}

function expectOk(res: Response): void {
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  expect(res.body).toEqual({ sub: 'user-1', scopes: ['read:appointments'] })
}

function expectInvalidToken(res: Response, description: string): void {
  expect(expectChallenge(res, 401, 'invalid_token').params.error_description).toBe(description)
}

/**
 * The issuer's failure is ours to report, not the client's: the configured status with
 * `Retry-After`, no `WWW-Authenticate` (a client must not drop a good token), and nothing of
 * the upstream (address, URLs, status, error text) in the headers or the body.
 */
function expectUnavailable(res: Response, issuer: FakeIssuer, status = 503, retryAfter = '10'): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  expect(res.headers['retry-after']).toBe(retryAfter)
  expect(res.headers['www-authenticate']).toBeUndefined()
  expect(res.headers['cache-control']).toBe('no-store')
  expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: 'The token signing keys are temporarily unavailable' })
  const exposed = `${JSON.stringify(res.headers)}\n${res.text}`.toLowerCase()
  for (const upstream of [new URL(issuer.url).host, '127.0.0.1', 'http:', 'well-known', 'jwks', 'upstream', 'expected', 'metadata', 'other/', ' ms']) {
    expect(exposed).not.toContain(upstream)
  }
}

/**
 * Holds requests until `count` have arrived, then passes them all on at once, so that every
 * one reaches auth() before the first discovery round trip can finish.
 */
function gate(listener: RequestListener, count: number): RequestListener {
  const held: (() => void)[] = []
  return (req, res) => {
    held.push(() => listener(req, res))
    if (held.length === count) for (const release of held.splice(0)) release()
  }
}

/** A clock the test moves by hand (the `clock` option), so timing needs no sleeps. */
function fakeClock(start = Date.now()): { now: () => number; advance: (ms: number) => void } {
  let time = start
  return { now: () => time, advance: (ms) => (time += ms) }
}


// RFC 7518 §3.2: at least 256 bits for HS256.
const SECRET = 'scopeguard-test-secret-0123456789abcdef'
const HS_ISSUER = 'https://hs.example.com/'

function hs256Token(secret: string): Promise<string> {
  return new SignJWT({ ...READ, client_id: 'test-client' })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setIssuer(HS_ISSUER)
    .setAudience(API)
    .setSubject('user-1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret))
}

describe.each(ADAPTERS)('$name: key sources', (adapter) => {
  const appFor = (issuer: FakeIssuer, options: Partial<AuthOptions> = {}): RequestListener =>
    adapter.app({ issuer: issuer.url, audience: API, ...options })

  describe('discovery', () => {
    it('OIDC Discovery §4: metadata at the issuer + /.well-known/openid-configuration', async () => {
      const issuer = await startIssuer({ path: '/tenant-a/', discovery: 'openid' })
      const app = appFor(issuer)
      expectOk(await get(app, await issuer.token(READ)))
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 })
    })

    it('RFC 8414 §3.1: an issuer with a path that serves only /.well-known/oauth-authorization-server/<path>', async () => {
      const issuer = await startIssuer({ path: '/tenant-a', discovery: 'oauth' })
      const app = appFor(issuer)
      expectOk(await get(app, await issuer.token(READ)))
      // The fake issuer counts only the locations it serves; the OIDC one answered 404.
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 })
    })

    it('jwksUri given: no discovery request at all', async () => {
      const issuer = await startIssuer()
      const app = appFor(issuer, { jwksUri: issuer.jwksUri })
      expectOk(await get(app, await issuer.token(READ)))
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 1 })
    })

    it('keys are cached: later requests fetch nothing', async () => {
      const issuer = await startIssuer()
      const app = appFor(issuer)
      for (let i = 0; i < 3; i++) expectOk(await get(app, await issuer.token(READ)))
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 })
    })

    it('single flight: 20 concurrent cold requests make 1 discovery and 1 JWKS request', async () => {
      const issuer = await startIssuer()
      const app = gate(appFor(issuer), 20)
      const token = await issuer.token(READ)
      const responses = await Promise.all(Array.from({ length: 20 }, () => get(app, token)))
      for (const res of responses) expectOk(res)
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 })
    })
  })

  describe('local keys: verified without any request to the issuer', () => {
    // Each issuer has signed with two keys; `previous` says whether the old one is configured too.
    const LOCAL: readonly { name: string; keys: (issuer: FakeIssuer) => AuthOptions['keys']; previous: boolean }[] = [
      { name: 'a JWK', keys: (issuer) => issuer.signingKey.publicJwk, previous: false },
      { name: 'a JWKS, chosen by kid', keys: (issuer) => ({ keys: issuer.publishedKeys.map((key) => key.publicJwk) }), previous: true },
      { name: 'a list of JWKs, chosen by kid', keys: (issuer) => issuer.publishedKeys.map((key) => key.publicJwk), previous: true },
    ]

    it.each(LOCAL)('$name', async ({ keys, previous }) => {
      const issuer = await startIssuer()
      const old = await issuer.token(READ)
      await issuer.rotateKeys()
      const app = appFor(issuer, { keys: keys(issuer) })
      expectOk(await get(app, await issuer.token(READ)))
      if (previous) expectOk(await get(app, old))
      else expectInvalidToken(await get(app, old), 'The access token signing key is unknown')
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 })
    })

    // A PEM key has no kid; the application chose it, so it verifies tokens whatever kid they name.
    it.each([
      ['with a kid', {}],
      ['without a kid', { header: { kid: undefined } }],
    ])('a PEM public key verifies a token %s', async (_name, extra) => {
      const issuer = await startIssuer()
      const app = appFor(issuer, { keys: issuer.signingKey.publicPem })
      expectOk(await get(app, await issuer.token({ ...READ, ...extra })))
      expectInvalidToken(await get(app, await issuer.bad.unknownKey(READ)), 'The access token signature is invalid')
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 })
    })

    // The README promises KeyObjects: a public one (as createPublicKey returns) and a private
    // one (its public half is used) both verify.
    it.each([
      ['public', (pem: string) => createPublicKey(pem)],
      ['private', (_pem: string, issuer: FakeIssuer) => KeyObject.from(issuer.signingKey.privateKey)],
    ] as const)('a %s KeyObject verifies', async (_name, keyOf) => {
      const issuer = await startIssuer()
      const app = appFor(issuer, { keys: keyOf(issuer.signingKey.publicPem, issuer) })
      expectOk(await get(app, await issuer.token(READ)))
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 })
    })

    it('a token without a kid verifies when several published keys could match (key rotation)', async () => {
      const issuer = await startIssuer()
      const old = await issuer.token({ ...READ, header: { kid: undefined } })
      await issuer.rotateKeys()
      const app = appFor(issuer)
      expectOk(await get(app, old))
      expectOk(await get(app, await issuer.token({ ...READ, header: { kid: undefined } })))
      expectInvalidToken(await get(app, await issuer.bad.unknownKey({ ...READ, header: { kid: undefined } })), 'The access token signature is invalid')
    })

    it('a token signed by another key → 401 invalid_token', async () => {
      const issuer = await startIssuer()
      const app = appFor(issuer, { keys: issuer.signingKey.publicJwk })
      expectInvalidToken(await get(app, await issuer.bad.unknownKey(READ)), 'The access token signature is invalid')
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 })
    })
  })

  describe('HS256 shared secret', () => {
    const app = (): RequestListener => adapter.app({ issuer: HS_ISSUER, audience: API, secret: SECRET })

    it('a token signed with the secret → 200', async () => {
      expectOk(await get(app(), await hs256Token(SECRET)))
    })

    it('an HS256 token signed with another secret → 401 invalid_token', async () => {
      expectInvalidToken(await get(app(), await hs256Token(`${SECRET}-other`)), 'The access token signature is invalid')
    })

    it('an RS256 token → 401 invalid_token: asymmetric algorithms are refused with a secret', async () => {
      const issuer = await startIssuer({ algorithm: 'RS256' })
      const token = await issuer.token({ ...READ, claims: { iss: HS_ISSUER } })
      expectInvalidToken(await get(app(), token), 'The access token signing algorithm is not allowed')
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 })
    })
  })

  describe('several issuers and audiences', () => {
    it('tokens of both issuers verify, each against its own JWKS', async () => {
      const [a, b] = await Promise.all([startIssuer(), startIssuer({ path: '/b/' })])
      const app = adapter.app({ issuer: [a.url, b.url], audience: API })
      expectOk(await get(app, await a.token(READ)))
      expectOk(await get(app, await b.token(READ)))
      expect(a.requests).toEqual({ discovery: 1, jwks: 1 })
      expect(b.requests).toEqual({ discovery: 1, jwks: 1 })
    })

    it('a token naming issuer A but signed with B\'s key → 401: keys never cross issuers', async () => {
      const [a, b] = await Promise.all([startIssuer(), startIssuer()])
      const app = adapter.app({ issuer: [a.url, b.url], audience: API })
      expectInvalidToken(await get(app, await b.token({ ...READ, claims: { iss: a.url } })), 'The access token signing key is unknown')
      expect(b.requests).toEqual({ discovery: 0, jwks: 0 })
    })

    it('an issuer outside the list → 401 before any key is fetched', async () => {
      const [a, b] = await Promise.all([startIssuer(), startIssuer()])
      const app = adapter.app({ issuer: [a.url, b.url], audience: API })
      expectInvalidToken(await get(app, await a.bad.wrongIssuer(READ)), 'The access token issuer is not trusted')
      expect(a.requests).toEqual({ discovery: 0, jwks: 0 })
      expect(b.requests).toEqual({ discovery: 0, jwks: 0 })
    })

    it('several audiences: a token for any of them verifies, another is refused', async () => {
      const issuer = await startIssuer()
      const app = appFor(issuer, { audience: [API, 'https://calendar.example.com'] })
      expectOk(await get(app, await issuer.token({ ...READ, audience: 'https://calendar.example.com' })))
      expectOk(await get(app, await issuer.token({ ...READ, audience: ['https://other.example.com', API] })))
      expectInvalidToken(await get(app, await issuer.bad.wrongAudience(READ)), 'The access token is not meant for this resource')
    })
  })

  describe('issuer unavailable: 503 with Retry-After, never 401', () => {
    it('RFC 8414 §3.3: metadata naming another issuer', async () => {
      const issuer = await startIssuer({ metadata: { issuer: 'https://other/' } })
      const clock = fakeClock()
      const app = appFor(issuer, { clock: clock.now })
      const token = await issuer.token(READ)
      expectUnavailable(await get(app, token), issuer)
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 0 })
      // Retried with backoff, not on every request.
      expectUnavailable(await get(app, token), issuer)
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 0 })
      // Not cached as a verdict: once the backoff has passed, the next request looks again.
      clock.advance(1001)
      expectUnavailable(await get(app, token), issuer)
      expect(issuer.requests).toEqual({ discovery: 2, jwks: 0 })
    })

    it('JWKS answering 500 on cold start: the configured retryAfter; recovers once the issuer does', async () => {
      const issuer = await startIssuer()
      issuer.fail('jwks', { status: 500 })
      const clock = fakeClock()
      const app = appFor(issuer, { retryAfter: 7, clock: clock.now })
      const token = await issuer.token(READ)
      expectUnavailable(await get(app, token), issuer, 503, '7')
      // During the backoff (1 s after the first failure) requests fail fast, without a fetch.
      expectUnavailable(await get(app, token), issuer, 503, '7')
      expect(issuer.requests.jwks).toBe(1)
      issuer.recover()
      clock.advance(1001)
      // Nothing cached from the failure beyond the backoff: the next request fetches and succeeds.
      expectOk(await get(app, token))
      expect(issuer.requests.jwks).toBe(2)
    })

    it('single flight holds in an outage: 20 concurrent cold requests, 1 JWKS request, 20 × 503', async () => {
      const issuer = await startIssuer()
      issuer.fail('jwks', { status: 500 })
      const app = gate(appFor(issuer), 20)
      const token = await issuer.token(READ)
      const responses = await Promise.all(Array.from({ length: 20 }, () => get(app, token)))
      for (const res of responses) expectUnavailable(res, issuer)
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 })
    })

    it('unavailableStatus: 500 replaces 503', async () => {
      const issuer = await startIssuer()
      issuer.fail('jwks', { status: 500 })
      const app = appFor(issuer, { unavailableStatus: 500, retryAfter: 30 })
      expectUnavailable(await get(app, await issuer.token(READ)), issuer, 500, '30')
    })

    const FAULTS: readonly { name: string; fault: EndpointFault }[] = [
      { name: 'a 404', fault: { status: 404 } },
      { name: 'a body that is not JSON', fault: 'garbage' },
      { name: 'an HTML page', fault: 'html' },
      { name: 'a dropped connection', fault: 'reset' },
    ]
    it.each(FAULTS)('JWKS answering $name', async ({ fault }) => {
      const issuer = await startIssuer()
      issuer.fail('jwks', fault)
      expectUnavailable(await get(appFor(issuer), await issuer.token(READ)), issuer)
    })

    it.each(['discovery', 'jwks'] as const)('%s hanging: answered within a second with fetchTimeout: 300', async (endpoint) => {
      const issuer = await startIssuer()
      issuer.fail(endpoint, 'hang')
      const app = appFor(issuer, { fetchTimeout: 300 })
      const token = await issuer.token(READ)
      const started = performance.now()
      const res = await get(app, token)
      expect(performance.now() - started).toBeLessThan(1000)
      expectUnavailable(res, issuer)
    })
  })

  describe('key rotation', () => {
    it('a new kid triggers a refetch when the cooldown allows (jwksCooldown: 0)', async () => {
      const issuer = await startIssuer()
      const app = appFor(issuer, { jwksCooldown: 0 })
      const before = await issuer.token(READ)
      expectOk(await get(app, before))
      await issuer.rotateKeys()
      expectOk(await get(app, await issuer.token(READ)))
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 2 })
      // The old key is still published, and now cached beside the new one.
      expectOk(await get(app, before))
      expect(issuer.requests.jwks).toBe(2)
    })

    it('within the cooldown (default 30 s) unknown kids do not refetch: tokens cannot drive JWKS traffic', async () => {
      const issuer = await startIssuer()
      const app = appFor(issuer)
      expectOk(await get(app, await issuer.token(READ)))
      for (let i = 0; i < 3; i++) {
        expectInvalidToken(await get(app, await issuer.bad.unknownKid(READ)), 'The access token signing key is unknown')
      }
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 })
    })

    it('a retired key verifies until the refresh that removes it, then no longer', async () => {
      const issuer = await startIssuer()
      const old = await issuer.token(READ)
      const oldKid = issuer.signingKey.kid
      await issuer.rotateKeys()
      const current = await issuer.token(READ)
      const clock = fakeClock()
      const app = appFor(issuer, { jwksCacheMaxAge: 1000, clock: clock.now })
      expectOk(await get(app, old))
      issuer.retireKey(oldKid)
      // Still cached: the retirement is not seen yet.
      expectOk(await get(app, old))
      expect(issuer.requests.jwks).toBe(1)
      clock.advance(1100)
      // Stale-while-revalidate: this request is served from the cache and starts one refresh...
      expectOk(await get(app, current))
      await vi.waitFor(() => expect(issuer.requests.jwks).toBe(2))
      // ...after which the retired key is gone.
      await vi.waitFor(async () => expectInvalidToken(await get(app, old), 'The access token signing key is unknown'))
      expectOk(await get(app, current))
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 2 })
    })
  })
})
