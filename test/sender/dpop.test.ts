import type { AuthOptions } from '@scopeguard/core'
import { createDpopProof, createFakeIssuer, generateDpopKey, parseChallenge, type FakeIssuer } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'

// RFC 9449 end to end on every adapter: real proofs signed by a client key, real tokens bound
// to it by the fake issuer, checked against the configured origin.
const ORIGIN = 'https://api.example.com'
const AUDIENCE = 'https://api.example.com'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

function challengeOf(header: string | undefined): { bearer: string | undefined; dpop: string | undefined } {
  const value = header ?? ''
  const at = value.search(/(^|, )DPoP( |$)/)
  if (at < 0) return { bearer: value === '' ? undefined : value, dpop: undefined }
  return { bearer: at === 0 ? undefined : value.slice(0, at), dpop: value.slice(at === 0 ? 0 : at + 2) }
}

describe.each(ADAPTERS)('$name: DPoP (RFC 9449)', (adapter) => {
  const app = (options: Partial<AuthOptions> = {}) =>
    adapter.app({ issuer: issuer.url, audience: AUDIENCE, dpop: { origin: ORIGIN }, ...options } as AuthOptions)

  it('a DPoP-bound token with a valid proof is accepted, and req.auth says how it is bound', async () => {
    const key = await generateDpopKey()
    const token = await issuer.token({ scope: 'read:appointments', dpop: key })
    const listener = app()
    // Reused three times (the third is a token-cache hit): each request needs its own proof.
    for (let i = 0; i < 3; i++) {
      const proof = await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token })
      const res = await request(listener).get('/me').set('Authorization', `DPoP ${token}`).set('DPoP', proof)
      expect(res.status, res.text).toBe(200)
      expect(res.body.auth.binding).toEqual({ scheme: 'DPoP', jkt: key.thumbprint })
    }
    const proof = await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/appointments`, accessToken: token })
    expect((await request(listener).get('/appointments').set('Authorization', `DPoP ${token}`).set('DPoP', proof)).status).toBe(200)
  })

  it('a proof is accepted once (RFC 9449 §11.1)', async () => {
    const key = await generateDpopKey()
    const token = await issuer.token({ dpop: key })
    const listener = app()
    const proof = await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token })
    expect((await request(listener).get('/me').set('Authorization', `DPoP ${token}`).set('DPoP', proof)).status).toBe(200)
    const replay = await request(listener).get('/me').set('Authorization', `DPoP ${token}`).set('DPoP', proof)
    expect(replay.status).toBe(401)
    const { dpop } = challengeOf(replay.headers['www-authenticate'])
    expect(parseChallenge(dpop).params.error).toBe('invalid_dpop_proof')
  })

  it('a DPoP-bound token sent as a bearer token is refused (RFC 9449 §7.2)', async () => {
    const key = await generateDpopKey()
    const token = await issuer.token({ dpop: key })
    const proof = await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token })
    const res = await request(app()).get('/me').set('Authorization', `Bearer ${token}`).set('DPoP', proof)
    expect(res.status).toBe(401)
    const { bearer, dpop } = challengeOf(res.headers['www-authenticate'])
    expect(parseChallenge(bearer).params.error).toBe('invalid_token')
    expect(parseChallenge(dpop).params.algs).toContain('ES256')
  })

  it('each broken proof is refused with 401, never more', async () => {
    const key = await generateDpopKey()
    const other = await generateDpopKey()
    const token = await issuer.token({ dpop: key })
    const listener = app()
    const send = (proof: string | undefined, target = '/me', scheme = 'DPoP') => {
      const req = request(listener).get(target).set('Authorization', `${scheme} ${token}`)
      return proof === undefined ? req : req.set('DPoP', proof)
    }
    const cases: [string, Promise<string | undefined>, string][] = [
      ['no proof', Promise.resolve(undefined), 'invalid_dpop_proof'],
      ['a proof for another URI', createDpopProof({ key, method: 'GET', url: `${ORIGIN}/appointments`, accessToken: token }), 'invalid_dpop_proof'],
      ['a proof for another host', createDpopProof({ key, method: 'GET', url: 'https://evil.example/me', accessToken: token }), 'invalid_dpop_proof'],
      ['a proof for another method', createDpopProof({ key, method: 'POST', url: `${ORIGIN}/me`, accessToken: token }), 'invalid_dpop_proof'],
      ['a proof for another token', createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: `${token}x` }), 'invalid_dpop_proof'],
      ['a proof by another key', createDpopProof({ key: other, method: 'GET', url: `${ORIGIN}/me`, accessToken: token }), 'invalid_token'],
      ['an old proof', createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token, iat: Math.floor(Date.now() / 1000) - 3600 }), 'invalid_dpop_proof'],
      ['garbage', Promise.resolve('not.a.proof'), 'invalid_dpop_proof'],
      ['two proofs', createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token }).then((p) => `${p}, ${p}`), 'invalid_dpop_proof'],
    ]
    for (const [name, proof, error] of cases) {
      const res = await send(await proof)
      expect(res.status, name).toBe(401)
      const { dpop } = challengeOf(res.headers['www-authenticate'])
      expect(parseChallenge(dpop).params.error, name).toBe(error)
      expect(JSON.stringify(res.body), name).not.toContain(token)
    }
  })

  it('the proof is checked against the configured origin, never the Host header', async () => {
    const key = await generateDpopKey()
    const token = await issuer.token({ dpop: key })
    const proof = await createDpopProof({ key, method: 'GET', url: 'https://evil.example/me', accessToken: token })
    const res = await request(app()).get('/me').set('Host', 'evil.example').set('X-Forwarded-Host', 'evil.example')
      .set('Authorization', `DPoP ${token}`).set('DPoP', proof)
    expect(res.status).toBe(401)
  })

  it('an unbound token sent with the DPoP scheme is refused', async () => {
    const key = await generateDpopKey()
    const token = await issuer.token()
    const proof = await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token })
    const res = await request(app()).get('/me').set('Authorization', `DPoP ${token}`).set('DPoP', proof)
    expect(res.status).toBe(401)
    expect(parseChallenge(challengeOf(res.headers['www-authenticate']).dpop).params.error).toBe('invalid_token')
    // The same token as a bearer token is fine.
    expect((await request(app()).get('/me').set('Authorization', `Bearer ${token}`)).status).toBe(200)
  })

  it('without credentials both schemes are offered, with no error (RFC 9449 §7.1, RFC 6750 §3.1)', async () => {
    const res = await request(app()).get('/me')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api", DPoP realm="api", algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"')
  })

  it("mode 'required' refuses bearer tokens and offers only DPoP", async () => {
    const listener = app({ dpop: { origin: ORIGIN, mode: 'required', algorithms: ['ES256'] } })
    const bearer = await issuer.token()
    const res = await request(listener).get('/me').set('Authorization', `Bearer ${bearer}`)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('DPoP realm="api", algs="ES256"')
    const key = await generateDpopKey()
    const token = await issuer.token({ dpop: key })
    const proof = await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token })
    expect((await request(listener).get('/me').set('Authorization', `DPoP ${token}`).set('DPoP', proof)).status).toBe(200)
  })

  it('server nonces (RFC 9449 §9): a proof without one gets use_dpop_nonce and a nonce to use; responses carry the current one', async () => {
    const listener = app({ dpop: { origin: ORIGIN, nonce: true } })
    const key = await generateDpopKey()
    const token = await issuer.token({ dpop: key })
    const first = await request(listener).get('/me').set('Authorization', `DPoP ${token}`)
      .set('DPoP', await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token }))
    expect(first.status).toBe(401)
    expect(parseChallenge(challengeOf(first.headers['www-authenticate']).dpop).params.error).toBe('use_dpop_nonce')
    const nonce = first.headers['dpop-nonce']
    expect(nonce).toMatch(/^[A-Za-z0-9_-]+$/)
    const second = await request(listener).get('/me').set('Authorization', `DPoP ${token}`)
      .set('DPoP', await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token, nonce }))
    expect(second.status, second.text).toBe(200)
    expect(second.headers['dpop-nonce']).toBe(nonce)
    const forged = await request(listener).get('/me').set('Authorization', `DPoP ${token}`)
      .set('DPoP', await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token, nonce: `${nonce}x` }))
    expect(forged.status).toBe(401)
  })

  it('without a known origin, DPoP is not offered and DPoP-bound tokens are refused, not accepted as bearer tokens', async () => {
    const listener = adapter.app({ issuer: issuer.url, audience: AUDIENCE, warnings: false })
    const key = await generateDpopKey()
    const token = await issuer.token({ dpop: key })
    const bearer = await request(listener).get('/me').set('Authorization', `Bearer ${token}`)
    expect(bearer.status).toBe(401)
    expect(parseChallenge(bearer.headers['www-authenticate']).params.error).toBe('invalid_token')
    const proof = await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token })
    const dpop = await request(listener).get('/me').set('Authorization', `DPoP ${token}`).set('DPoP', proof)
    expect(dpop.status).toBe(401)
    expect(dpop.headers['www-authenticate']).toBe('Bearer realm="api"')
  })

  it('a route guard refusing a DPoP request puts the error in the DPoP challenge', async () => {
    const key = await generateDpopKey()
    const token = await issuer.token({ scope: 'openid', dpop: key })
    const proof = await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/appointments`, accessToken: token })
    const res = await request(app()).get('/appointments').set('Authorization', `DPoP ${token}`).set('DPoP', proof)
    expect(res.status).toBe(403)
    const { bearer, dpop } = challengeOf(res.headers['www-authenticate'])
    expect(parseChallenge(dpop).params).toMatchObject({ error: 'insufficient_scope', scope: 'read:appointments' })
    expect(parseChallenge(bearer).params.error).toBeUndefined()
  })
})
