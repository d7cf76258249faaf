import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, type FakeIssuer, type TokenOptions } from '@scopeguard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { headerText, signJsonText } from './support/jws.js'
import { failOnProcessErrors } from './support/process-guard.js'
import { expectRejected, rejects, tokenStrings, type Rejection } from './support/rejection.js'
import { bearer, serverPool } from './support/wire.js'

// Family 5: claims of tokens the issuer really signed. The signature is good; the claims
// are wrong for this resource server: RFC 9068 §4 (iss, aud, exp, typ), RFC 7519 §4.1
// (NumericDate claims, clock skew), RFC 6749 §3.3 (scope syntax, exact comparison), and
// prototype pollution through `__proto__` / `constructor` members (JSON.parse makes them own
// properties; nothing may read them as inherited ones, and nothing may write them to
// Object.prototype).
//
// Authentication failures are sent to /me (no scope needed); scope failures to
// /appointments, which needs read:appointments, so a granted scope would answer 200.

failOnProcessErrors()

const API = 'https://api.example.com'
let issuer: FakeIssuer
let prototypeBefore: string[]
beforeAll(async () => {
  issuer = await createFakeIssuer()
  prototypeBefore = Object.getOwnPropertyNames(Object.prototype)
})
afterAll(() => issuer.close())

interface ClaimCase {
  readonly name: string
  readonly token: () => Promise<string>
  readonly expected: Rejection
  /** Default /me; scope rows use a route of ROUTES. */
  readonly route?: string
  /** The `scope` a 403 must name: the route's requirement. */
  readonly scope?: string
  readonly options?: Partial<AuthOptions> | (() => Partial<AuthOptions>)
  /** Attacker strings besides the token. */
  readonly needles?: readonly string[]
}

const now = () => Math.floor(Date.now() / 1000)
/** A valid token changed as given; options are built when minted, so times stay exact. */
const mint = (options: TokenOptions | (() => TokenOptions)) => () => issuer.token(typeof options === 'function' ? options() : options)
/** A valid token with the given claims replaced (`undefined` removes one). */
const claim = (claims: Record<string, unknown> | (() => Record<string, unknown>)) => mint(() => ({ claims: typeof claims === 'function' ? claims() : claims }))
/** A valid token without scopes whose claim set ends in the raw JSON members given (e.g. `"__proto__": {...}`). */
const raw = (members: string, remove: readonly string[] = []) => () => {
  const claims = issuer.claims({ claims: Object.fromEntries(remove.map((name) => [name, undefined])) })
  return signJsonText(issuer.signingKey, headerText(issuer), `${JSON.stringify(claims).slice(0, -1)},${members}}`)
}

const ISS = rejects(401, 'invalid_token', 'issuer_invalid')
const AUD = rejects(401, 'invalid_token', 'audience_invalid')
const EXPIRED = rejects(401, 'invalid_token', 'token_expired')
const NOT_YET = rejects(401, 'invalid_token', 'token_not_yet_valid')
const INVALID = rejects(401, 'invalid_token', 'claim_invalid')
const MISSING = rejects(401, 'invalid_token', 'claim_missing')
const TYP = rejects(401, 'invalid_token', 'token_type_invalid')
const SCOPE = rejects(403, 'insufficient_scope', 'scope_insufficient')
const STRICT = { strictRfc9068: true } as const

/**
 * A scope row: sent to /appointments, answered 403 naming read:appointments. The scope value
 * is an attacker string unless the challenge's own `scope="read:appointments"` contains it.
 */
const noScope = (name: string, token: ClaimCase['token'], needles: string[] = []): ClaimCase =>
  ({ name, token, expected: SCOPE, route: '/appointments', scope: 'read:appointments', needles: needles.filter((text) => !'scope="read:appointments"'.includes(text)) })

const CASES: readonly ClaimCase[] = [
  // RFC 9068 §4: "The issuer identifier ... MUST exactly match the value of the iss claim."
  { name: 'RFC 9068 §4: iss absent', token: claim({ iss: undefined }), expected: ISS },
  { name: 'RFC 9068 §4: iss of another issuer', token: claim({ iss: 'https://evil.example.com/' }), expected: ISS },
  { name: 'RFC 9068 §4: iss without its trailing slash', token: claim(() => ({ iss: issuer.url.slice(0, -1) })), expected: ISS },
  { name: 'RFC 9068 §4: iss with the scheme upper-cased', token: claim(() => ({ iss: issuer.url.replace('http', 'HTTP') })), expected: ISS },
  { name: 'RFC 9068 §4: iss with a trailing space', token: claim(() => ({ iss: `${issuer.url} ` })), expected: ISS },
  { name: 'RFC 9068 §4: iss with a NUL appended', token: claim(() => ({ iss: `${issuer.url}\u0000` })), expected: ISS },
  { name: 'RFC 9068 §4: iss with "../" appended', token: claim(() => ({ iss: `${issuer.url}../` })), expected: ISS },
  { name: 'RFC 9068 §4: iss as an array holding the issuer', token: claim(() => ({ iss: [issuer.url] })), expected: ISS },
  { name: 'RFC 9068 §4: iss as an object (an operator-injection shape)', token: claim(() => ({ iss: { $eq: issuer.url } })), expected: ISS },
  { name: 'RFC 9068 §4: iss as a number', token: claim({ iss: 127001 }), expected: ISS },
  { name: 'RFC 9068 §4: iss null', token: claim({ iss: null }), expected: ISS },

  // RFC 9068 §4: the aud claim must contain this resource's identifier.
  { name: 'RFC 9068 §4: aud absent', token: claim({ aud: undefined }), expected: AUD },
  { name: 'RFC 9068 §4: aud of another API', token: claim({ aud: 'https://another-api.example.com' }), expected: AUD },
  { name: 'RFC 9068 §4: aud with this API as a prefix of another host', token: claim({ aud: `${API}.evil.com` }), expected: AUD },
  { name: 'RFC 9068 §4: aud with a path appended', token: claim({ aud: `${API}/other` }), expected: AUD },
  { name: 'RFC 9068 §4: aud with a trailing slash', token: claim({ aud: `${API}/` }), expected: AUD },
  { name: 'RFC 9068 §4: aud upper-cased', token: claim({ aud: API.toUpperCase() }), expected: AUD },
  { name: 'RFC 7519 §4.1.3: aud as a number', token: claim({ aud: 42 }), expected: AUD },
  { name: 'RFC 7519 §4.1.3: aud as an object keyed like an array', token: claim({ aud: { 0: API, length: 1 } }), expected: AUD },
  { name: 'RFC 7519 §4.1.3: aud as an array of numbers', token: claim({ aud: [1, 2, 3] }), expected: AUD },
  { name: 'RFC 7519 §4.1.3: aud as a nested array holding this API', token: claim({ aud: [[API]] }), expected: AUD },
  { name: 'RFC 7519 §4.1.3: aud as an array of an object holding this API', token: claim({ aud: [{ aud: API }] }), expected: AUD },
  { name: 'RFC 7519 §4.1.3: aud as the empty array', token: claim({ aud: [] }), expected: AUD },
  { name: 'RFC 7519 §4.1.3: aud as the empty string', token: claim({ aud: '' }), expected: AUD },
  { name: 'RFC 7519 §4.1.3: aud null', token: claim({ aud: null }), expected: AUD },
  { name: 'RFC 7519 §4.1.3: aud true', token: claim({ aud: true }), expected: AUD },

  // RFC 7519 §4.1.4 exp and clock skew (default tolerance 5 s).
  { name: 'RFC 7519 §4.1.4: exp absent (required by default)', token: claim({ exp: undefined }), expected: MISSING },
  { name: 'RFC 7519 §4.1.4: exp 30 s ago, beyond the default 5 s tolerance', token: claim(() => ({ exp: now() - 30 })), expected: EXPIRED },
  { name: 'RFC 7519 §4.1.4: exp now, with clockTolerance 0', options: { clockTolerance: 0 }, token: claim(() => ({ exp: now() })), expected: EXPIRED },
  { name: 'RFC 7519 §4.1.4: exp 90 s ago, beyond clockTolerance 60', options: { clockTolerance: 60 }, token: claim(() => ({ exp: now() - 90 })), expected: EXPIRED },
  { name: 'RFC 7519 §4.1.4: exp 400 s ago, beyond the largest clockTolerance (300)', options: { clockTolerance: 300 }, token: claim(() => ({ exp: now() - 400 })), expected: EXPIRED },
  { name: 'RFC 7519 §4.1.4: exp 0 (the epoch)', token: claim({ exp: 0 }), expected: EXPIRED },
  { name: 'RFC 7519 §4.1.4: exp negative', token: claim({ exp: -1 }), expected: EXPIRED },
  { name: 'RFC 7519 §2: exp as a numeric string', token: claim(() => ({ exp: String(now() + 300) })), expected: INVALID },
  { name: 'RFC 7519 §2: exp null', token: claim({ exp: null }), expected: INVALID },
  { name: 'RFC 7519 §2: exp true', token: claim({ exp: true }), expected: INVALID },
  { name: 'RFC 7519 §2: exp as an array', token: claim(() => ({ exp: [now() + 300] })), expected: INVALID },
  { name: 'RFC 7519 §2: exp as an object', token: claim(() => ({ exp: { valueOf: now() + 300 } })), expected: INVALID },

  // RFC 7519 §4.1.5 nbf: a wrong type is an invalid claim, not "not yet valid".
  { name: 'RFC 7519 §2: nbf as a numeric string', token: claim(() => ({ nbf: String(now() - 10) })), expected: INVALID },
  { name: 'RFC 7519 §2: nbf null', token: claim({ nbf: null }), expected: INVALID },
  { name: 'RFC 7519 §4.1.5: nbf 60 s ahead, beyond the default tolerance', token: claim(() => ({ nbf: now() + 60 })), expected: NOT_YET },
  { name: 'RFC 7519 §4.1.5: nbf 60 s ahead, beyond clockTolerance 30', options: { clockTolerance: 30 }, token: claim(() => ({ nbf: now() + 60 })), expected: NOT_YET },
  { name: 'RFC 7519 §4.1.5: nbf 400 s ahead, beyond clockTolerance 300', options: { clockTolerance: 300 }, token: claim(() => ({ nbf: now() + 400, exp: now() + 3600 })), expected: NOT_YET },
  { name: 'RFC 7519 §4.1.5: nbf 2 s ahead, with clockTolerance 0', options: { clockTolerance: 0 }, token: claim(() => ({ nbf: now() + 2 })), expected: NOT_YET },

  // RFC 7519 §4.1.6 iat, with maxTokenAge (RFC 9068 §4: a resource server MAY reject old tokens).
  { name: 'RFC 9068 §4: iat 600 s ago, beyond maxTokenAge 60', options: { maxTokenAge: 60 }, token: mint(() => ({ now: now() - 600, expiresIn: 3600 })), expected: rejects(401, 'invalid_token', 'token_too_old') },
  { name: 'RFC 9068 §4: iat 61 s ago, beyond maxTokenAge 60 with clockTolerance 0', options: { maxTokenAge: 60, clockTolerance: 0 }, token: mint(() => ({ now: now() - 61, expiresIn: 3600 })), expected: rejects(401, 'invalid_token', 'token_too_old') },
  { name: 'RFC 7519 §4.1.6: iat 600 s ahead, with maxTokenAge', options: { maxTokenAge: 60 }, token: claim(() => ({ iat: now() + 600 })), expected: rejects(401, 'invalid_token', 'token_issued_in_future') },
  { name: 'RFC 7519 §4.1.6: iat absent, with maxTokenAge (which needs it)', options: { maxTokenAge: 60 }, token: claim({ iat: undefined }), expected: MISSING },
  { name: 'RFC 7519 §2: iat as a string', token: claim(() => ({ iat: String(now()) })), expected: INVALID },

  // RFC 9068 §2.1 / RFC 8725 §3.11: typ tells an access token from other JWTs.
  ...['id_token+jwt', 'application/id_token+jwt', 'dpop+jwt', 'logout+jwt', 'secevent+jwt', 'token-introspection+jwt', 'at+jwt ', ' at+jwt', 'at+jwt\u0000', 'application/at+jwt; charset=utf-8', 'x-at+jwt', 'JOSE', 'JOSE+JSON', ''].map((typ): ClaimCase => ({
    name: `RFC 8725 §3.11: typ ${JSON.stringify(typ)}`,
    token: mint({ header: { typ } }),
    expected: TYP,
  })),
  ...[['a number', 1], ['null', null], ['an array', ['at+jwt']], ['an object', { media: 'at+jwt' }], ['true', true]].map(([what, typ]): ClaimCase => ({
    name: `RFC 7515 §4.1.9: typ is ${what as string}`,
    token: mint({ header: { typ } }),
    expected: TYP,
  })),
  { name: 'RFC 9068 §2.1 strict: typ JWT', options: STRICT, token: mint({ header: { typ: 'JWT' } }), expected: TYP },
  { name: 'RFC 9068 §2.1 strict: typ absent', options: STRICT, token: mint({ header: { typ: undefined } }), expected: TYP },
  { name: 'RFC 9068 §2.2 strict: client_id absent', options: STRICT, token: claim({ client_id: undefined }), expected: MISSING },
  { name: 'RFC 9068 §2.2 strict: sub as a number', options: STRICT, token: claim({ sub: 42 }), expected: INVALID },
  { name: 'RFC 9068 §2.2 strict: client_id as an array', options: STRICT, token: claim({ client_id: ['test-client'] }), expected: INVALID },
  { name: 'RFC 9068 §2.2 strict: jti as an object', options: STRICT, token: claim({ jti: { id: 1 } }), expected: INVALID },

  // RFC 6749 §3.3: scope is a space-delimited list of scope-tokens, compared exactly.
  ...[
    ['scope as an object keyed by the scope', { scope: { 'read:appointments': true } }],
    ['scope as a number', { scope: 1 }],
    ['scope true', { scope: true }],
    ['scope null', { scope: null }],
    ['scope as a nested array', { scope: [['read:appointments']] }],
    ['scope as an array of objects', { scope: [{ scope: 'read:appointments' }] }],
    ['scp with non-strings only', { scp: [1, null, {}, ['read:appointments'], true] }],
    ['scp as an array-like object', { scp: { 0: 'read:appointments', length: 1 } }],
    ['the scope in a claim not configured as a scope claim (permissions)', { permissions: ['read:appointments'] }],
  ].map(([what, claims]) => noScope(`RFC 6749 §3.3: ${what as string}`, claim(claims as Record<string, unknown>))),
  ...[
    'notread:appointments',
    'read:appointments:extra',
    'read:appointment',
    'READ:APPOINTMENTS',
    'read:appointments\u0000',
    'read:appointments\t',
    'read:appointments\r',
    'read:appointments\nadmin',
    'read:appointments,write:appointments',
    '"read:appointments"',
    'read:appointments\\',
    'read:appointments\u00A0',
    'read:appointments\u200B',
    're\u0430d:appointments',
    'read\uFF1Aappointments',
    'read%3Aappointments',
    'read:*',
    '*',
  ].flatMap((value) => [
    noScope(`RFC 6749 §3.3: scope ${JSON.stringify(value)}`, claim({ scope: value }), [value]),
    noScope(`RFC 6749 §3.3: scp [${JSON.stringify(value)}]`, claim({ scp: [value] }), [value]),
  ]),
  { name: 'RFC 6749 §3.3: "readwrite" is not read and write', route: '/admin-or-read-write', scope: 'admin', token: claim({ scope: 'readwrite' }), expected: SCOPE },
  { name: 'RFC 6749 §3.3: "read,write" is one scope-token, not two', route: '/admin-or-read-write', scope: 'admin', token: claim({ scope: 'read,write' }), expected: SCOPE },
  { name: 'RFC 6749 §3.3: "adminx" is not admin', route: '/admin-or-read-write', scope: 'admin', token: claim({ scope: 'adminx read' }), expected: SCOPE },

  // Prototype pollution: members named __proto__ / constructor in signed JSON.
  noScope('pollution: the scope only under "__proto__"', raw('"__proto__":{"scope":"read:appointments","polluted":"yes"}')),
  noScope('pollution: the scp only under "__proto__"', raw('"__proto__":{"scp":["read:appointments"]}')),
  noScope('pollution: the scope only under "constructor"."prototype"', raw('"constructor":{"prototype":{"scope":"read:appointments","polluted":"yes"}}')),
  noScope('pollution: scope names of Object.prototype members', claim({ scope: '__proto__ constructor prototype toString hasOwnProperty valueOf' })),
  noScope('pollution: scp names of Object.prototype members', claim({ scp: ['__proto__', 'constructor', 'hasOwnProperty'] })),
  { name: 'pollution: exp only under "__proto__"', token: raw(`"__proto__":{"exp":${Math.floor(Date.now() / 1000) + 3600},"polluted":"yes"}`, ['exp']), expected: MISSING },
  { name: 'pollution: aud only under "__proto__"', token: raw('"__proto__":{"aud":"https://api.example.com","polluted":"yes"}', ['aud']), expected: AUD },
  { name: 'pollution: iss only under "__proto__"', token: () => raw(`"__proto__":{"iss":"${issuer.url}","polluted":"yes"}`, ['iss'])(), expected: ISS },
  {
    // With several issuers the unverified payload picks the issuer's keys: an inherited iss must not.
    name: 'pollution: several issuers, iss only under "__proto__"',
    options: () => ({ issuer: [issuer.url, 'https://other-idp.example.com/'] }),
    token: () => raw(`"__proto__":{"iss":"${issuer.url}"}`, ['iss'])(),
    expected: ISS,
  },
  { name: 'pollution: a required claim (sub) only under "__proto__"', options: { requiredClaims: ['exp', 'sub'] }, token: raw('"__proto__":{"sub":"admin"}', ['sub']), expected: MISSING },
  { name: 'pollution: a claims.equals check met only under "__proto__"', options: { claims: { tid: { equals: 'tenant-a' } } }, token: raw('"__proto__":{"tid":"tenant-a"}'), expected: MISSING },
  { name: 'pollution: a claims.includes check met only under "constructor"."prototype"', options: { claims: { groups: { includes: 'staff' } } }, token: raw('"constructor":{"prototype":{"groups":["staff"]}}'), expected: MISSING },
  { name: 'pollution: a claims.includes check on a "groups" that is an array-like object', options: { claims: { groups: { includes: 'staff' } } }, token: claim({ groups: { 0: 'staff', length: 1, includes: 'staff' } }), expected: INVALID },
]

// Legal but odd tokens the issuer signed: answered 200, without crashing or polluting anything.
const CONTROLS: readonly (readonly [name: string, token: () => Promise<string>, route: string])[] = [
  ['RFC 6749 §3.3: "read:appointments " (trailing space) is read leniently: empty parts are skipped', claim({ scope: 'read:appointments ' }), '/appointments'],
  ['RFC 6749 §3.3: scopes separated by several spaces', claim({ scope: 'openid   read:appointments' }), '/appointments'],
  ['pollution: "__proto__" and "constructor" claims reach the handler as plain own data', raw('"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"scope":"read:appointments"'), '/me'],
]

describe.each(ADAPTERS)('$name: hostile claims (RFC 9068 §4, RFC 7519 §4.1, RFC 6749 §3.3)', (adapter) => {
  const app = (options: Partial<AuthOptions>) => adapter.app({ issuer: issuer.url, audience: API, ...options })
  const pool = serverPool()
  afterAll(() => pool.close())

  it.each(CONTROLS)('control, signed by the issuer: %s → 200', async (_name, token, route) => {
    const res = await pool.send(app, {}, bearer(await token(), route))
    expect(res.status, res.text).toBe(200)
  })

  it.each(CASES)('$name', async ({ token, expected, options, route, scope, needles }) => {
    const sent = await token()
    const res = await pool.send(app, typeof options === 'function' ? options() : (options ?? {}), bearer(sent, route))
    expectRejected(res, expected, [...tokenStrings(sent), ...(needles ?? [])], scope === undefined ? {} : { scope })
  })

  it('after every row: nothing was written to Object.prototype', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeBefore)
    expect(Object.getPrototypeOf({})).toBe(Object.prototype)
  })
})
