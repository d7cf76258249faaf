import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, type BadTokens, type FakeIssuer, type TokenOptions } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { expectChallenge } from '../support/expect-challenge.js'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

// Every named bad token of the testing kit, with the rule it breaks. Each must be 401 invalid_token.
const BAD_TOKENS: readonly (readonly [keyof BadTokens, string])[] = [
  ['expired', 'RFC 7519 §4.1.4: exp in the past'],
  ['notYetValid', 'RFC 7519 §4.1.5: nbf in the future'],
  ['wrongAudience', 'RFC 9068 §4: aud must name this resource'],
  ['wrongIssuer', 'RFC 9068 §4: iss must be the configured issuer'],
  ['unknownKey', 'RFC 7515 §5.2: signature by a key the issuer never published'],
  ['unknownKid', 'kid not in the JWKS (and not after a refetch)'],
  ['tampered', 'RFC 7515 §5.2: payload changed after signing'],
  ['signatureStripped', 'RFC 8725 §3.1: signature removed'],
  ['algNone', 'RFC 8725 §2.1 / §3.1: alg none is never accepted'],
  ['hmacWithPublicKey', 'RFC 8725 §2.1: HS256 keyed with the public key (key confusion)'],
  ['embeddedJwk', 'RFC 8725 §3.10: a key embedded in the header is not trusted'],
  ['jku', 'RFC 8725 §3.10: a jku header is not followed'],
]

type Case = [name: string, token: (issuer: FakeIssuer) => Promise<string>, options: Partial<AuthOptions>, status: 200 | 401]

const now = () => Math.floor(Date.now() / 1000)
// Options are built when the token is minted, so times relative to now stay exact however long the run.
const mint = (options: TokenOptions | (() => TokenOptions)) => (i: FakeIssuer) =>
  i.token({ scope: 'read:appointments', ...(typeof options === 'function' ? options() : options) })

const CLAIM_CASES: Case[] = [
  // typ (RFC 9068 §2.1, RFC 8725 §3.11)
  ['typ at+jwt is accepted', mint({}), {}, 200],
  ['typ application/at+jwt is accepted', mint({ header: { typ: 'application/at+jwt' } }), {}, 200],
  ['lenient: typ JWT is accepted', mint({ header: { typ: 'JWT' } }), {}, 200],
  ['lenient: no typ is accepted', mint({ header: { typ: undefined } }), {}, 200],
  ['an ID-token-like typ is refused', mint({ header: { typ: 'id_token+jwt' } }), {}, 401],
  ['a DPoP proof typ is refused', mint({ header: { typ: 'dpop+jwt' } }), {}, 401],
  ['strict RFC 9068: typ at+jwt with every required claim is accepted', mint({}), { strictRfc9068: true }, 200],
  ['strict RFC 9068: typ JWT is refused', mint({ header: { typ: 'JWT' } }), { strictRfc9068: true }, 401],
  ['strict RFC 9068: no typ is refused', mint({ header: { typ: undefined } }), { strictRfc9068: true }, 401],
  ['strict RFC 9068: a missing client_id is refused', mint({ claims: { client_id: undefined } }), { strictRfc9068: true }, 401],
  ['strict RFC 9068: a missing jti is refused', mint({ claims: { jti: undefined } }), { strictRfc9068: true }, 401],
  ['strict RFC 9068: a non-string sub is refused', mint({ claims: { sub: 42 } }), { strictRfc9068: true }, 401],
  // exp, nbf, iat and clock tolerance
  ['exp is required by default', mint({ claims: { exp: undefined } }), {}, 401],
  ['requiredClaims: [] accepts a token without exp', mint({ claims: { exp: undefined } }), { requiredClaims: [] }, 200],
  ['exp 3 s ago is within the default 5 s tolerance', mint(() => ({ claims: { exp: now() - 3 } })), {}, 200],
  ['exp 30 s ago is beyond the default tolerance', mint(() => ({ claims: { exp: now() - 30 } })), {}, 401],
  ['exp 30 s ago is within clockTolerance: 60', mint(() => ({ claims: { exp: now() - 30 } })), { clockTolerance: 60 }, 200],
  ['exp 3 s ago is expired with clockTolerance: 0', mint(() => ({ claims: { exp: now() - 3 } })), { clockTolerance: 0 }, 401],
  ['nbf 3 s ahead is within tolerance', mint(() => ({ claims: { nbf: now() + 3 } })), {}, 200],
  ['exp as a string is refused', mint(() => ({ claims: { exp: String(now() + 300) } })), {}, 401],
  ['maxTokenAge: an old iat is refused', mint(() => ({ now: now() - 600, expiresIn: 3600 })), { maxTokenAge: 300 }, 401],
  ['maxTokenAge: a recent iat is accepted', mint({}), { maxTokenAge: 300 }, 200],
  ['maxTokenAge: a missing iat is refused', mint({ claims: { iat: undefined } }), { maxTokenAge: 300 }, 401],
  ['RFC 7519 §4.1.6: iat an hour in the future is refused, with or without maxTokenAge', mint(() => ({ claims: { iat: now() + 3600 } })), {}, 401],
  ['iat 3 s in the future is within the default tolerance', mint(() => ({ claims: { iat: now() + 3 } })), {}, 200],
  // The clock option is the clock of every time check, not only of the caches.
  ['clock: exp in the clock\'s past is expired', mint({}), { clock: () => Date.now() + 2 * 3600_000 }, 401],
  ['clock: nbf reached on the clock is valid', mint(() => ({ expiresIn: 3600, claims: { nbf: now() + 600 } })), { clock: () => Date.now() + 700_000 }, 200],
  // iss and aud lists
  ['aud as an array containing this API is accepted', mint({ audience: ['https://other.example.com', 'https://api.example.com'] }), {}, 200],
  ['one of several configured audiences is enough', mint({ audience: 'https://api2.example.com' }), { audience: ['https://api.example.com', 'https://api2.example.com'] }, 200],
  ['aud as a number is refused', mint({ claims: { aud: 42 } }), {}, 401],
  ['a missing aud is refused', mint({ claims: { aud: undefined } }), {}, 401],
  ['the issuer compares exactly (no trailing-slash leniency)', mint({ claims: { iss: 'ISSUER-WITHOUT-SLASH' } }), {}, 401],
  // Claim predicates
  ['claims equals: matching', mint({ claims: { tid: 'tenant-a' } }), { claims: { tid: { equals: 'tenant-a' } } }, 200],
  ['claims equals: different', mint({ claims: { tid: 'tenant-b' } }), { claims: { tid: { equals: 'tenant-a' } } }, 401],
  ['claims equals: missing', mint({}), { claims: { tid: { equals: 'tenant-a' } } }, 401],
  ['claims equals: null matches a null claim', mint({ claims: { tid: null } }), { claims: { tid: { equals: null } } }, 200],
  ['claims equals: null does not match a missing claim', mint({}), { claims: { tid: { equals: null } } }, 401],
  ['claims includes: present in the array', mint({ claims: { groups: ['staff', 'x'] } }), { claims: { groups: { includes: 'staff' } } }, 200],
  ['claims includes: a string is not an array', mint({ claims: { groups: 'staff' } }), { claims: { groups: { includes: 'staff' } } }, 401],
  ['claims function: true', mint({ claims: { email_verified: true } }), { claims: { email_verified: (v) => v === true } }, 200],
  ['claims function: false', mint({ claims: { email_verified: false } }), { claims: { email_verified: (v) => v === true } }, 401],
  ['claims function: throwing counts as failing, not a 500', mint({}), { claims: { x: () => { throw new Error('boom') } } }, 401],
]

describe.each(ADAPTERS)('$name: token verification', (adapter) => {
  const base = (): AuthOptions => ({ issuer: issuer.url, audience: issuer.audience as string })

  it.each(BAD_TOKENS)('bad token %s (%s) → 401 invalid_token', async (kind) => {
    const token = await issuer.bad[kind]({ scope: 'read:appointments' })
    const res = await request(adapter.app(base())).get('/appointments').set('Authorization', `Bearer ${token}`)
    expectChallenge(res, 401, 'invalid_token')
  })

  it.each(CLAIM_CASES)('%s', async (_name, token, options, status) => {
    const app = adapter.app({ ...base(), ...options })
    const res = await request(app).get('/appointments').set('Authorization', `Bearer ${await token(issuer)}`)
    if (status === 200) expect(res.status, JSON.stringify(res.body)).toBe(200)
    else expectChallenge(res, 401, 'invalid_token')
  })

  it('the error code says why the token failed (stable machine-readable codes)', async () => {
    const codes: Record<string, string> = {}
    const app = adapter.app({ ...base(), handleErrors: false })
    for (const kind of ['expired', 'wrongAudience', 'wrongIssuer', 'algNone', 'tampered', 'unknownKid'] as const) {
      const res = await request(app).get('/appointments').set('Authorization', `Bearer ${await issuer.bad[kind]()}`)
      codes[kind] = res.body.code
    }
    expect(codes).toEqual({
      expired: 'token_expired',
      wrongAudience: 'audience_invalid',
      wrongIssuer: 'issuer_invalid',
      algNone: 'algorithm_not_allowed',
      tampered: 'signature_invalid',
      unknownKid: 'key_not_found',
    })
  })

  it('only the configured algorithms are accepted (RFC 8725 §3.1)', async () => {
    const app = adapter.app({ ...base(), algorithms: ['ES256'] })
    const res = await request(app).get('/appointments').set('Authorization', `Bearer ${await issuer.token({ scope: 'read:appointments' })}`)
    expectChallenge(res, 401, 'invalid_token')
  })
})
