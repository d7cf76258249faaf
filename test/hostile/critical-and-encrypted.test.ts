import { randomBytes } from 'node:crypto'
import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, generateSigningKey, type FakeIssuer, type SigningKey } from '@scopeguard/testing'
import { CompactEncrypt, EncryptJWT, importSPKI } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { b64, b64json, segments, signSegments } from './support/jws.js'
import { failOnProcessErrors } from './support/process-guard.js'
import { expectRejected, rejects, tokenStrings, type Rejection } from './support/rejection.js'
import { bearer, serverPool } from './support/wire.js'

// Family 4: header extensions and token formats that are not a plain JWS access token.
// RFC 7515 §4.1.11 `crit` (a recipient MUST reject what it does not understand), RFC 7797
// `b64: false` (unencoded payloads; RFC 8725 §3.12 and RFC 7519 forbid them for JWTs), JWE
// compact tokens (RFC 7516 §7.1, five segments) presented as access tokens, and nested JWTs
// (RFC 7519 §5.2 `cty: JWT`), which an access-token verifier never unwraps.
//
// Rows are signed with the issuer's own key unless they say otherwise, so the header or
// payload format is the only thing wrong with them.

failOnProcessErrors()

let issuer: FakeIssuer
let stranger: SigningKey
beforeAll(async () => {
  ;[issuer, stranger] = await Promise.all([createFakeIssuer(), generateSigningKey('RS256')])
})
afterAll(() => issuer.close())

interface FormatCase {
  readonly name: string
  readonly token: () => Promise<string> | string
  readonly expected: Rejection
  readonly options?: Partial<AuthOptions>
}

const MALFORMED_TOKEN = rejects(401, 'invalid_token', 'token_malformed')

const header = (members: Record<string, unknown>): string => b64json({ alg: 'RS256', typ: 'at+jwt', kid: issuer.signingKey.kid, ...members })
const claims = (): string => b64json(issuer.claims({ scope: 'read:appointments' }))
/** Signed with the issuer's key: header members added to the usual ones, the usual claims. */
const signedWith = (members: Record<string, unknown>) => (): Promise<string> => signSegments(issuer.signingKey, header(members), claims())
/** The issuer's RSA public key, imported for RSA-OAEP-256 (a client encrypting "to the API" with what it found). */
const oaepKey = () => importSPKI(issuer.signingKey.publicPem, 'RSA-OAEP-256')

const CASES: readonly FormatCase[] = [
  // RFC 7515 §4.1.11: "If any of the listed extension Header Parameters are not understood
  // and supported by the recipient, then the JWS is invalid."
  { name: 'RFC 7515 §4.1.11: crit names an unknown extension that is present', token: signedWith({ crit: ['x-require-mtls'], 'x-require-mtls': true }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit names an unknown extension that is absent', token: signedWith({ crit: ['x-absent'] }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit names a claim ("exp"), not a header parameter', token: signedWith({ crit: ['exp'] }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit names "alg", which the spec forbids listing', token: signedWith({ crit: ['alg'] }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit is the empty list ("MUST NOT use the empty list")', token: signedWith({ crit: [] }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit is a string, not an array', token: signedWith({ crit: 'b64' }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit is an object', token: signedWith({ crit: { b64: true } }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit is true', token: signedWith({ crit: true }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit holds a number', token: signedWith({ crit: [1] }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit holds the empty string', token: signedWith({ crit: [''] }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit holds null', token: signedWith({ crit: [null] }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit names "__proto__"', token: () => signSegments(issuer.signingKey, b64(`{"alg":"RS256","typ":"at+jwt","kid":"${issuer.signingKey.kid}","crit":["__proto__"],"__proto__":{"b64":true}}`), claims()), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit names "constructor"', token: signedWith({ crit: ['constructor'] }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §4.1.11: crit names "b64" but b64 is absent', token: signedWith({ crit: ['b64'] }), expected: MALFORMED_TOKEN },
  { name: 'RFC 7797 §3: crit ["b64"] with b64 the string "false"', token: signedWith({ crit: ['b64'], b64: 'false' }), expected: MALFORMED_TOKEN },

  // RFC 7797 unencoded payloads. The compact form of `b64: false` puts the payload bytes in the
  // middle segment as they are; RFC 7519 §7.2 / RFC 8725 §3.12: a JWT payload is base64url.
  {
    // The payload bytes are the usual base64url text, so the signing input is byte for byte
    // that of a normal token: only `b64: false` tells them apart.
    name: 'RFC 7797 §5: b64 false with crit ["b64"], signed over the same bytes as a normal token',
    token: signedWith({ crit: ['b64'], b64: false }),
    expected: MALFORMED_TOKEN,
  },
  {
    name: 'RFC 7797 §5: b64 false with the raw JSON payload in the compact form (outside b64token)',
    token: async () => {
      const input = `${header({ crit: ['b64'], b64: false })}.${JSON.stringify(issuer.claims())}`
      return `${input}.${b64(randomBytes(256))}`
    },
    expected: rejects(400, 'invalid_request', 'authorization_malformed'),
  },

  // RFC 7516 §7.1: a JWE compact serialization has five segments. An API is handed an
  // encrypted token (an ID token meant for a client, a token for another API): never a JWS.
  {
    name: 'RFC 7516: a JWE (RSA-OAEP-256 / A256GCM) whose plaintext is a valid access token',
    token: async () => new CompactEncrypt(new TextEncoder().encode(await issuer.token({ scope: 'read:appointments' })))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: issuer.signingKey.kid })
      .encrypt(await oaepKey()),
    expected: MALFORMED_TOKEN,
  },
  {
    name: 'RFC 7516: an encrypted JWT (RSA-OAEP-256 / A256GCM) of valid claims',
    token: async () => new EncryptJWT(issuer.claims({ scope: 'read:appointments' })).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', typ: 'at+jwt' }).encrypt(await oaepKey()),
    expected: MALFORMED_TOKEN,
  },
  {
    name: 'RFC 7516: a JWE with direct encryption ("dir" / A256GCM: empty encrypted-key segment)',
    token: async () => new EncryptJWT(issuer.claims()).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(randomBytes(32)),
    expected: MALFORMED_TOKEN,
  },
  {
    // Squeezed into three segments, the JWE's header names a key-management algorithm.
    name: 'RFC 7516: a JWE protected header, ciphertext and tag as three segments',
    token: async () => {
      const parts = (await new EncryptJWT(issuer.claims()).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: issuer.signingKey.kid }).encrypt(await oaepKey())).split('.')
      return [parts[0], parts[3], parts[4]].join('.')
    },
    expected: rejects(401, 'invalid_token', 'algorithm_not_allowed'),
  },

  // RFC 7519 §5.2 / §7.2 step 8: `cty: JWT` means the payload is itself a JWT. An access-token
  // verifier does not unwrap it: the outer payload must be the claims.
  { name: 'RFC 7519 §5.2: a signed JWT whose payload is another valid access token (cty JWT)', token: async () => signSegments(issuer.signingKey, header({ cty: 'JWT' }), b64(await issuer.token({ scope: 'read:appointments' }))), expected: MALFORMED_TOKEN },
  { name: 'RFC 7519 §5.2: the same without cty', token: async () => signSegments(issuer.signingKey, header({}), b64(await issuer.token({ scope: 'read:appointments' }))), expected: MALFORMED_TOKEN },
  { name: 'RFC 7519 §5.2: the inner valid token as a JSON string payload', token: async () => signSegments(issuer.signingKey, header({ cty: 'JWT' }), b64json(await issuer.token({ scope: 'read:appointments' }))), expected: MALFORMED_TOKEN },
  { name: 'RFC 7519 §5.2: an alg-none outer token around a valid inner one', token: async () => `${b64json({ alg: 'none', cty: 'JWT' })}.${b64(await issuer.token({ scope: 'read:appointments' }))}.`, expected: rejects(401, 'invalid_token', 'algorithm_not_allowed') },
  { name: 'RFC 7519 §5.2: a stranger-signed outer token around a valid inner one', token: async () => signSegments(stranger, header({ cty: 'JWT' }), b64(await issuer.token({ scope: 'read:appointments' }))), expected: rejects(401, 'invalid_token', 'signature_invalid') },
  { name: 'RFC 7519 §5.2: a valid inner token in a claim of a stranger-signed outer token', token: async () => signSegments(stranger, header({}), b64json({ ...issuer.claims(), access_token: await issuer.token({ scope: 'read:appointments' }) })), expected: rejects(401, 'invalid_token', 'signature_invalid') },
]

describe.each(ADAPTERS)('$name: crit, b64, JWE and nested tokens', (adapter) => {
  const app = (options: Partial<AuthOptions>) => adapter.app({ issuer: issuer.url, audience: 'https://api.example.com', ...options })
  const pool = serverPool()
  afterAll(() => pool.close())

  it('control: the issuer\'s tokens in the same shape, without the extension, are accepted', async () => {
    const res = await pool.send(app, {}, bearer(await signSegments(issuer.signingKey, header({}), claims())))
    expect(res.status, res.text).toBe(200)
  })

  it.each(CASES)('$name', async ({ token, expected, options }) => {
    const sent = await token()
    // A nested token's inner part is attacker-supplied text too.
    const inner = segments(sent).map((part) => Buffer.from(part, 'base64url').toString('latin1')).filter((text) => /^[\w-]+\.[\w-]+\./.test(text))
    expectRejected(await pool.send(app, options ?? {}, bearer(sent)), expected, [...tokenStrings(sent), ...inner.flatMap(tokenStrings)])
  })
})
