import { createHash } from 'node:crypto'
import { calculateJwkThumbprint, compactVerify, decodeJwt, decodeProtectedHeader, EmbeddedJWK, importJWK, jwtVerify, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { badDpopProofs, type BadDpopProofs } from './bad-dpop-proofs.js'
import { generateDpopKey, type DpopAlgorithm, type DpopKey } from './dpop-key.js'
import { createDpopProof } from './dpop-proof.js'
import { createFakeIssuer, type FakeIssuer } from './fake-issuer.js'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

const URL_ = 'https://api.example.com/appointments'
const ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']

interface Expected {
  method: string
  url: string
  accessToken: string
  jkt: string
  nonce?: string
}

/**
 * A reference check of RFC 9449 §4.3 (the resource server's side): every rule a proof breaks,
 * so a test can assert that a bad proof breaks one rule and no other.
 */
async function brokenRules(proof: string, expected: Expected): Promise<string[]> {
  const broken: string[] = []
  const header = decodeProtectedHeader(proof)
  const claims = decodeJwt(proof)
  const jwk = (header.jwk ?? {}) as JWK
  const { d: _private, ...publicJwk } = jwk
  if (header.typ !== 'dpop+jwt') broken.push('typ')
  const algOk = typeof header.alg === 'string' && ASYMMETRIC.includes(header.alg)
  if (!algOk) broken.push('alg')
  if ('d' in jwk) broken.push('jwk')
  if (algOk) {
    try {
      await compactVerify(proof, await importJWK(publicJwk, header.alg))
    } catch {
      broken.push('signature')
    }
  }
  const now = Date.now() / 1000
  if (typeof claims.jti !== 'string') broken.push('jti')
  if (claims.htm !== expected.method) broken.push('htm')
  if (claims.htu !== expected.url) broken.push('htu')
  if (typeof claims.iat !== 'number' || claims.iat < now - 300 || claims.iat > now + 30) broken.push('iat')
  if (claims.ath !== createHash('sha256').update(expected.accessToken).digest('base64url')) broken.push('ath')
  if (expected.nonce !== undefined && claims.nonce !== expected.nonce) broken.push('nonce')
  if ((await calculateJwkThumbprint(publicJwk)) !== expected.jkt) broken.push('key')
  return broken
}

describe('generateDpopKey', () => {
  it.each<DpopAlgorithm>(['ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA', 'Ed25519'])('%s: a public JWK without private members, and its RFC 7638 thumbprint', async (alg) => {
    const key = await generateDpopKey(alg)
    expect(key.alg).toBe(alg)
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key.publicJwk).not.toHaveProperty(member)
    expect(key.thumbprint).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'))
    const proof = await createDpopProof({ key, method: 'GET', url: URL_ })
    expect(decodeProtectedHeader(proof).alg).toBe(alg)
    await expect(jwtVerify(proof, EmbeddedJWK)).resolves.toBeDefined()
  })

  it('defaults to ES256', async () => {
    expect((await generateDpopKey()).alg).toBe('ES256')
  })
})

describe('DPoP-bound tokens (RFC 9449 §6.1)', () => {
  it('token({ dpop }) sets cnf.jkt to the key thumbprint; typ stays at+jwt', async () => {
    const key = await generateDpopKey()
    const token = await issuer.token({ dpop: key, scope: 'read' })
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt')
    expect(decodeJwt(token)).toMatchObject({ cnf: { jkt: key.thumbprint }, scope: 'read' })
    expect(issuer.claims({ dpop: key }).cnf).toEqual({ jkt: key.thumbprint })
    expect(issuer.claims()).not.toHaveProperty('cnf')
  })
})

describe('createDpopProof (RFC 9449 §4.2)', () => {
  let key: DpopKey
  beforeAll(async () => {
    key = await generateDpopKey()
  })

  it('signs typ dpop+jwt with the public jwk in the header, htm, htu, iat, a random jti and ath', async () => {
    const token = await issuer.token({ dpop: key })
    const proof = await createDpopProof({ key, method: 'POST', url: `${URL_}?page=2#top`, accessToken: token })
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' })
    expect(protectedHeader).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })
    expect(payload).toEqual({ jti: expect.any(String), htm: 'POST', htu: URL_, iat: expect.any(Number), ath: createHash('sha256').update(token).digest('base64url') })
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5)
    expect(decodeJwt(await createDpopProof({ key, method: 'POST', url: URL_ })).jti).not.toBe(payload.jti)
    expect(await brokenRules(proof, { method: 'POST', url: URL_, accessToken: token, jkt: key.thumbprint })).toEqual([])
  })

  it('takes nonce, iat and jti, leaves ath out without a token, and lets claims be overridden or removed', async () => {
    const proof = await createDpopProof({ key, method: 'GET', url: new URL(URL_), nonce: 'n-1', iat: 1_700_000_000, jti: 'j-1', claims: { extra: true, htm: undefined } })
    expect(decodeJwt(proof)).toEqual({ jti: 'j-1', htu: URL_, iat: 1_700_000_000, nonce: 'n-1', extra: true })
  })
})

describe('badDpopProofs', () => {
  const reasons: Record<keyof BadDpopProofs, string> = {
    wrongTyp: 'typ',
    algNone: 'alg',
    hmac: 'alg',
    privateKeyInJwk: 'jwk',
    badSignature: 'signature',
    wrongMethod: 'htm',
    wrongUrl: 'htu',
    wrongOrigin: 'htu',
    oldIat: 'iat',
    futureIat: 'iat',
    wrongAth: 'ath',
    missingAth: 'ath',
    missingJti: 'jti',
    otherKey: 'key',
    wrongNonce: 'nonce',
  }
  let key: DpopKey
  let token: string
  let bad: BadDpopProofs
  beforeAll(async () => {
    key = await generateDpopKey()
    token = await issuer.token({ dpop: key })
    bad = await badDpopProofs({ key, method: 'GET', url: URL_, accessToken: token, nonce: 'server-nonce' })
  })

  it('names exactly the proofs it makes', () => {
    expect(Object.keys(bad).sort()).toEqual(Object.keys(reasons).sort())
  })

  it('the good proof of the same request breaks no rule', async () => {
    const good = await createDpopProof({ key, method: 'GET', url: URL_, accessToken: token, nonce: 'server-nonce' })
    expect(await brokenRules(good, { method: 'GET', url: URL_, accessToken: token, jkt: key.thumbprint, nonce: 'server-nonce' })).toEqual([])
  })

  it.each(Object.entries(reasons))('%s breaks only the rule its name says (%s)', async (name, reason) => {
    const expected = { method: 'GET', url: URL_, accessToken: token, jkt: key.thumbprint, nonce: 'server-nonce' }
    expect(await brokenRules(bad[name as keyof BadDpopProofs], expected)).toEqual([reason])
  })

  it('each has its own jti, so none is refused merely as a replay', () => {
    const jtis = Object.entries(bad).filter(([name]) => name !== 'missingJti').map(([, proof]) => decodeJwt(proof).jti)
    expect(new Set(jtis).size).toBe(jtis.length)
  })
})
