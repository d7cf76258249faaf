import type { AuthOptions } from '@scopeguard/core'
import { createDpopProof, createFakeIssuer, generateDpopKey, parseChallenge, type FakeIssuer, type IntrospectionFault } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'

// RFC 7662 end to end on every adapter: opaque tokens from the fake issuer, introspected at
// its real endpoint (found from its metadata), with client authentication.
const AUDIENCE = 'https://api.example.com'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer({ audience: AUDIENCE })
})
afterEach(() => {
  issuer.recover()
})
afterAll(() => issuer.close())

const opaque = (scope = 'read:appointments') => issuer.opaqueToken({ scope })

describe.each(ADAPTERS)('$name: introspection (RFC 7662)', (adapter) => {
  const introspection = () => ({ clientId: issuer.client.clientId, clientSecret: issuer.client.clientSecret ?? '' })
  const app = (options: Partial<AuthOptions> = {}) =>
    adapter.app({ issuer: issuer.url, audience: AUDIENCE, warnings: false, introspection: introspection(), ...options } as AuthOptions)

  it('an opaque token is introspected, authorised by its scope, and req.auth has the same shape as for a JWT', async () => {
    const listener = app()
    const token = opaque()
    const me = await request(listener).get('/me').set('Authorization', `Bearer ${token}`)
    expect(me.status, me.text).toBe(200)
    expect(me.body.auth).toMatchObject({ token, location: 'header', source: 'introspection', claims: { iss: issuer.url, aud: AUDIENCE }, scopes: ['read:appointments'] })
    expect(me.body.auth.header).toBeUndefined()
    expect((await request(listener).get('/appointments').set('Authorization', `Bearer ${token}`)).status).toBe(200)
    const denied = await request(listener).get('/appointments/write').set('Authorization', `Bearer ${token}`)
    expect(denied.status).toBe(403)
    // JWTs are still verified locally.
    expect((await request(listener).get('/me').set('Authorization', `Bearer ${await issuer.token()}`)).body.auth.source).toBe('jwt')
  })

  it('answers are cached; 50 concurrent first requests with one token make one introspection call', async () => {
    const listener = app()
    const token = opaque()
    issuer.resetCounts()
    const replies = await Promise.all(Array.from({ length: 50 }, () => request(listener).get('/appointments').set('Authorization', `Bearer ${token}`)))
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 50 }, () => 200))
    for (let i = 0; i < 5; i++) await request(listener).get('/appointments').set('Authorization', `Bearer ${token}`).expect(200)
    expect(issuer.requests.introspection).toBe(1)
  })

  it('a revoked token is refused once the cache lets it go; with cache: false at once', async () => {
    const listener = app({ introspection: { ...introspection(), cache: false } })
    const token = opaque()
    expect((await request(listener).get('/me').set('Authorization', `Bearer ${token}`)).status).toBe(200)
    issuer.revoke(token)
    const res = await request(listener).get('/me').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(401)
    expect(parseChallenge(res.headers['www-authenticate']).params.error).toBe('invalid_token')
  })

  it("tokens: 'all' introspects JWTs too, so their revocation counts", async () => {
    const listener = app({ introspection: { ...introspection(), tokens: 'all', cache: false } })
    const token = await issuer.token()
    expect((await request(listener).get('/me').set('Authorization', `Bearer ${token}`)).body.auth.source).toBe('introspection')
    issuer.revoke(token)
    expect((await request(listener).get('/me').set('Authorization', `Bearer ${token}`)).status).toBe(401)
  })

  it('unknown tokens and wrong answers about the token are 401, never accepted', async () => {
    const listener = app({ introspection: { ...introspection(), cache: false } })
    expect((await request(listener).get('/me').set('Authorization', 'Bearer opaque_unknown-token')).status).toBe(401)
    const faults: IntrospectionFault[] = ['inactive', 'wrong-audience', 'wrong-issuer', 'expired']
    for (const fault of faults) {
      issuer.fail('introspection', fault)
      const res = await request(listener).get('/me').set('Authorization', `Bearer ${opaque()}`)
      expect(res.status, fault).toBe(401)
      expect(parseChallenge(res.headers['www-authenticate']).params.error, fault).toBe('invalid_token')
    }
  })

  it('authorization server trouble is 503 with Retry-After, never 401, and nothing upstream is echoed', async () => {
    const listener = app({ fetchTimeout: 300, introspection: { ...introspection(), cache: false } })
    const faults = [{ status: 500 }, 'garbage', 'html', 'reset', 'hang', 'active-missing', 'active-string', 'not-an-object'] as const
    for (const fault of faults) {
      issuer.fail('introspection', fault as never)
      const res = await request(listener).get('/me').set('Authorization', `Bearer ${opaque()}`)
      expect(res.status, JSON.stringify(fault)).toBe(503)
      expect(res.headers['retry-after'], JSON.stringify(fault)).toBe('10')
      expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: 'The authorization server cannot check tokens at the moment' })
    }
    issuer.recover()
    expect((await request(listener).get('/me').set('Authorization', `Bearer ${opaque()}`)).status).toBe(200)
  })

  it('a wrong client secret is the API\'s problem (503), not the client\'s', async () => {
    const listener = app({ introspection: { clientId: issuer.client.clientId, clientSecret: 'wrong' } })
    expect((await request(listener).get('/me').set('Authorization', `Bearer ${opaque()}`)).status).toBe(503)
  })

  it('client_secret_post and RFC 9701 signed answers work too', async () => {
    const post = app({ introspection: { ...introspection(), clientAuthentication: 'client_secret_post' } })
    expect((await request(post).get('/me').set('Authorization', `Bearer ${opaque()}`)).status).toBe(200)
    const signed = app({ introspection: { ...introspection(), signedResponse: true, cache: false } })
    expect((await request(signed).get('/me').set('Authorization', `Bearer ${opaque()}`)).status).toBe(200)
    for (const fault of ['jwt-wrong-typ', 'jwt-unknown-key', 'jwt-wrong-audience', 'jwt-stale', 'jwt-alg-none'] as const) {
      issuer.fail('introspection', fault)
      expect((await request(signed).get('/me').set('Authorization', `Bearer ${opaque()}`)).status, fault).toBe(503)
    }
  })

  it('an introspected cnf.jkt binds the token: DPoP rules apply (RFC 9449 §6.2)', async () => {
    const listener = app({ dpop: { origin: AUDIENCE } })
    const key = await generateDpopKey()
    const token = issuer.opaqueToken({ dpop: key })
    expect((await request(listener).get('/me').set('Authorization', `Bearer ${token}`)).status).toBe(401)
    const proof = await createDpopProof({ key, method: 'GET', url: `${AUDIENCE}/me`, accessToken: token })
    const res = await request(listener).get('/me').set('Authorization', `DPoP ${token}`).set('DPoP', proof)
    expect(res.status, res.text).toBe(200)
    expect(res.body.auth.binding).toEqual({ scheme: 'DPoP', jkt: key.thumbprint })
  })
})
