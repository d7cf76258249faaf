import { createHash, createHmac, generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import type { AuthErrorCode } from '../errors/error-codes.js'
import { rejectionReason } from '../errors/rejection-reason.js'
import { Rejection } from '../errors/rejection.js'
import { verifyDpopProof, type DpopProofInput, type DpopProofPolicy } from './dpop-proof.js'

// RFC 9449 §4.3 with real keys and real signatures: proofs are signed with jose's SignJWT, or
// for shapes jose will not produce (alg "none", HMAC, raw JSON text) with node:crypto.

const URI = 'https://api.example.com/appointments'
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg'
const ATH = createHash('sha256').update(TOKEN).digest('base64url')
const NOW = 1_750_000_000 // seconds
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']
const POLICY: DpopProofPolicy = { algorithms: ALGORITHMS, maxLength: 4096, maxAge: 300, clockTolerance: 30, clock: () => NOW * 1000 }

interface ClientKey {
  readonly alg: string
  readonly privateKey: CryptoKey
  /** The same private key for node:crypto, to sign hand-made proofs. */
  readonly privateKeyObject: KeyObject
  readonly jwk: JWK
  /** RFC 7638 thumbprint, computed here from the members (§3.2), not with jose. */
  readonly thumbprint: string
}

async function clientKey(alg: string): Promise<ClientKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(publicKey)
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
  const thumbprint = createHash('sha256').update(JSON.stringify(members)).digest('base64url')
  return { alg, privateKey, privateKeyObject: KeyObject.from(privateKey), jwk, thumbprint }
}

const keys = new Map<string, ClientKey>()
let es256: ClientKey
let other: ClientKey
beforeAll(async () => {
  for (const alg of ['ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA', 'Ed25519']) keys.set(alg, await clientKey(alg))
  es256 = keys.get('ES256') as ClientKey
  other = await clientKey('ES256')
})

interface ProofShape {
  readonly header?: Record<string, unknown>
  readonly claims?: Record<string, unknown>
}

/** A proof for GET URI with TOKEN at NOW, changed as `shape` says (undefined removes a member). */
function proofBy(key: ClientKey, shape: ProofShape = {}): Promise<string> {
  const claims = { jti: randomUUID(), htm: 'GET', htu: URI, iat: NOW, ath: ATH, ...shape.claims }
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...shape.header }).sign(key.privateKey)
}

const b64 = (text: string): string => Buffer.from(text).toString('base64url')

/** A proof over header and payload JSON text exactly as given, signed with node:crypto. */
function rawProof(key: Pick<ClientKey, 'alg' | 'privateKeyObject'>, header: string, payload: string, alg = key.alg): string {
  const input = `${b64(header)}.${b64(payload)}`
  const data = Buffer.from(input)
  let signature: Buffer
  if (alg.startsWith('HS')) signature = createHmac('sha256', Buffer.alloc(32, 1)).update(data).digest()
  else if (alg === 'none') signature = Buffer.alloc(0)
  else if (alg.startsWith('ES')) signature = sign(`sha${alg.slice(2)}`, data, { key: key.privateKeyObject, dsaEncoding: 'ieee-p1363' })
  else signature = sign(alg === 'EdDSA' || alg === 'Ed25519' ? null : `sha${alg.slice(2)}`, data, key.privateKeyObject)
  return `${input}.${signature.toString('base64url')}`
}

const validHeader = (key: Pick<ClientKey, 'alg' | 'jwk'>, extra = ''): string => `{"typ":"dpop+jwt","alg":"${key.alg}","jwk":${JSON.stringify(key.jwk)}${extra}}`
const validPayload = (extra = ''): string => `{"jti":"${randomUUID()}","htm":"GET","htu":"${URI}","iat":${NOW},"ath":"${ATH}"${extra}}`

function inputFor(proof: DpopProofInput['proof'], key: ClientKey = es256): DpopProofInput {
  return { proof, method: 'GET', uri: URI, accessToken: TOKEN, jkt: key.thumbprint }
}

/** The code of the Rejection a check ends with, undefined when it passes; anything else fails the test. */
async function outcome(input: DpopProofInput, policy: DpopProofPolicy = POLICY): Promise<AuthErrorCode | undefined> {
  try {
    await verifyDpopProof(input, policy)
    return undefined
  } catch (thrown) {
    if (thrown instanceof Rejection) return thrown.code
    throw thrown
  }
}

describe('verifyDpopProof: RFC 9449 examples', () => {
  // §7.1 Figure 13: a proof for a protected resource request, with the access token of §7.1
  // and the key whose thumbprint §6.1 gives as cnf.jkt.
  const FIGURE_13 =
    'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19' +
    '.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9' +
    '.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA'
  const RFC_INPUT: DpopProofInput = {
    proof: FIGURE_13,
    method: 'GET',
    uri: 'https://resource.example.org/protectedresource',
    accessToken: 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU',
    jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I',
  }
  const AT_FIGURE_13 = { ...POLICY, algorithms: ['ES256'], clock: () => 1_562_262_618_000 }

  it('§7.1 Figure 13 verifies, with the §6.1 thumbprint', async () => {
    await expect(verifyDpopProof(RFC_INPUT, AT_FIGURE_13)).resolves.toEqual({
      jti: 'e1j3V_bKic8-LAEB',
      iat: 1_562_262_618,
      nonce: undefined,
      htu: 'https://resource.example.org/protectedresource',
      jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I',
    })
  })

  it('§4.1 Figure 4, a token-endpoint proof, passes every check up to ath, which it lacks', async () => {
    const FIGURE_4 = `${FIGURE_13.split('.')[0]}.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg`
    const input = { ...RFC_INPUT, proof: FIGURE_4, method: 'POST', uri: 'https://server.example.com/token' }
    expect(await outcome(input, { ...AT_FIGURE_13, clock: () => 1_562_262_616_000 })).toBe('dpop_proof_token_hash_mismatch')
  })

  it('Figure 13 one second past maxAge + clockTolerance is too old', async () => {
    expect(await outcome(RFC_INPUT, { ...AT_FIGURE_13, clock: () => (1_562_262_618 + 331) * 1000 })).toBe('dpop_proof_time_invalid')
  })
})

describe('verifyDpopProof: valid proofs', () => {
  it.each(['ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA', 'Ed25519'])('%s: accepted, with what the caller needs next', async (alg) => {
    const key = keys.get(alg) as ClientKey
    const jti = randomUUID()
    const result = await verifyDpopProof(inputFor(await proofBy(key, { claims: { jti } }), key), POLICY)
    expect(result).toEqual({ jti, iat: NOW, nonce: undefined, htu: URI, jkt: key.thumbprint })
  })

  it('RFC 9449 §4.2: the nonce claim is handed back unchecked', async () => {
    const result = await verifyDpopProof(inputFor(await proofBy(es256, { claims: { nonce: 'n-1' } })), POLICY)
    expect(result.nonce).toBe('n-1')
  })

  it('one proof in an array of one line is accepted', async () => {
    expect(await outcome(inputFor([await proofBy(es256)]))).toBeUndefined()
  })

  it('§4.3 check 11: iat at both ends of the window is accepted (clockTolerance as slack)', async () => {
    expect(await outcome(inputFor(await proofBy(es256, { claims: { iat: NOW - 330 } })))).toBeUndefined()
    expect(await outcome(inputFor(await proofBy(es256, { claims: { iat: NOW + 30 } })))).toBeUndefined()
    expect(await outcome(inputFor(await proofBy(es256, { claims: { iat: NOW + 0.5 } })))).toBeUndefined()
  })

  it('§4.3 check 9: an htu equal after normalisation, or with a query, is accepted', async () => {
    for (const htu of ['HTTPS://API.example.com:443/appointments', `${URI}?page=2#x`, 'https://api.example.com/%61ppointments']) {
      expect(await outcome(inputFor(await proofBy(es256, { claims: { htu } }))), htu).toBeUndefined()
    }
  })

  it('a jwk naming its own use "sig" and alg is accepted', async () => {
    expect(await outcome(inputFor(await proofBy(es256, { header: { jwk: { ...es256.jwk, use: 'sig', alg: 'ES256' } } })))).toBeUndefined()
  })
})

type Case = [rule: string, build: () => Promise<DpopProofInput['proof']> | DpopProofInput['proof'], code: AuthErrorCode, change?: Partial<DpopProofInput>, policy?: Partial<DpopProofPolicy>]

const CASES: readonly Case[] = [
  // §4.3 check 1
  ['no DPoP header', () => undefined, 'dpop_proof_missing'],
  ['no header lines', () => [], 'dpop_proof_missing'],
  ['an empty DPoP header', () => '', 'dpop_proof_missing'],
  ['two DPoP header lines', async () => [await proofBy(es256), await proofBy(es256)], 'dpop_proof_multiple'],
  ['two proofs joined by the framework', async () => `${await proofBy(es256)}, ${await proofBy(es256)}`, 'dpop_proof_multiple'],
  ['one line holding two proofs', async () => [`${await proofBy(es256)},${await proofBy(es256)}`], 'dpop_proof_multiple'],
  // maxLength, before parsing
  ['longer than maxLength', () => proofBy(es256), 'dpop_proof_too_long', {}, { maxLength: 100 }],
  ['a megabyte of garbage', () => 'x'.repeat(1_000_000), 'dpop_proof_too_long'],
  // §4.3 check 2
  ['not a JWS', () => 'not.a.proof', 'dpop_proof_malformed'],
  ['two segments', () => 'eyJhIjoxfQ.eyJhIjoxfQ', 'dpop_proof_malformed'],
  ['a JWE-like five segments', () => 'a.b.c.d.e', 'dpop_proof_malformed'],
  ['base64url with padding (RFC 7515 §2)', async () => (await proofBy(es256)).replace('.', '=.'), 'dpop_proof_malformed'],
  ['whitespace around it', async () => ` ${await proofBy(es256)}`, 'dpop_proof_malformed'],
  ['a header that is JSON but no object', () => rawProof(es256, '["dpop+jwt"]', validPayload()), 'dpop_proof_malformed'],
  ['a header that is not JSON', () => rawProof(es256, '{typ:dpop+jwt}', validPayload()), 'dpop_proof_malformed'],
  ['a header that is not UTF-8', () => `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${b64(validPayload())}.AA`, 'dpop_proof_malformed'],
  ['a payload that is JSON but no object', () => rawProof(es256, validHeader(es256), '"claims"'), 'dpop_proof_malformed'],
  ['a payload that is null', () => rawProof(es256, validHeader(es256), 'null'), 'dpop_proof_malformed'],
  ['an empty payload', () => rawProof(es256, validHeader(es256), ''), 'dpop_proof_malformed'],
  ['RFC 7515 §4.1.11: a crit header', () => rawProof(es256, validHeader(es256, ',"crit":["exp"],"exp":1'), validPayload()), 'dpop_proof_malformed'],
  // §4.3 check 4
  ['no typ', () => proofBy(es256, { header: { typ: undefined } }), 'dpop_proof_type_invalid'],
  ['typ JWT', () => proofBy(es256, { header: { typ: 'JWT' } }), 'dpop_proof_type_invalid'],
  ['typ at+jwt (an access token)', () => proofBy(es256, { header: { typ: 'at+jwt' } }), 'dpop_proof_type_invalid'],
  ['typ application/dpop+jwt', () => proofBy(es256, { header: { typ: 'application/dpop+jwt' } }), 'dpop_proof_type_invalid'],
  ['typ DPOP+JWT', () => proofBy(es256, { header: { typ: 'DPOP+JWT' } }), 'dpop_proof_type_invalid'],
  ['typ a number', () => rawProof(es256, `{"typ":1,"alg":"ES256","jwk":${JSON.stringify({})}}`, validPayload()), 'dpop_proof_type_invalid'],
  // §4.3 check 5
  ['alg none, unsigned', () => rawProof(es256, validHeader({ ...es256, alg: 'none' }), validPayload(), 'none'), 'dpop_proof_algorithm_not_allowed', {}, { algorithms: [...ALGORITHMS, 'none'] }],
  ['alg HS256 even when listed (a MAC, §4.2)', () => rawProof(es256, validHeader({ ...es256, alg: 'HS256' }), validPayload(), 'HS256'), 'dpop_proof_algorithm_not_allowed', {}, { algorithms: [...ALGORITHMS, 'HS256'] }],
  ['an algorithm not in the allowlist', () => proofBy(es256), 'dpop_proof_algorithm_not_allowed', {}, { algorithms: ['RS256'] }],
  ['an unknown algorithm', () => rawProof(es256, validHeader({ ...es256, alg: 'ES256K' }), validPayload(), 'ES256'), 'dpop_proof_algorithm_not_allowed', {}, { algorithms: [...ALGORITHMS, 'ES256K'] }],
  ['no alg', () => rawProof(es256, `{"typ":"dpop+jwt","jwk":${JSON.stringify(es256.jwk)}}`, validPayload(), 'ES256'), 'dpop_proof_algorithm_not_allowed'],
  // §4.3 checks 5 and 7
  ['no jwk', () => proofBy(es256, { header: { jwk: undefined } }), 'dpop_proof_key_invalid'],
  ['a jwk that is an array', () => rawProof(es256, validHeader(es256).replace(/"jwk":\{[^}]*\}/, '"jwk":[1]'), validPayload()), 'dpop_proof_key_invalid'],
  ['a jwk that is a string', () => proofBy(es256, { header: { jwk: 'EC' } }), 'dpop_proof_key_invalid'],
  ['a jwk with the private key (d)', async () => proofBy(es256, { header: { jwk: { ...(await exportJWK(es256.privateKey)) } } }), 'dpop_proof_key_invalid'],
  ['a symmetric jwk (k)', () => proofBy(es256, { header: { jwk: { ...es256.jwk, k: 'AAAA' } } }), 'dpop_proof_key_invalid'],
  ['an RSA jwk for ES256', () => proofBy(es256, { header: { jwk: (keys.get('RS256') as ClientKey).jwk } }), 'dpop_proof_key_invalid'],
  ['an EC jwk for RS256', () => rawProof(keys.get('RS256') as ClientKey, validHeader({ ...(keys.get('RS256') as ClientKey), jwk: es256.jwk }), validPayload()), 'dpop_proof_key_invalid'],
  ['a P-384 jwk for ES256', () => proofBy(es256, { header: { jwk: (keys.get('ES384') as ClientKey).jwk } }), 'dpop_proof_key_invalid'],
  ['an X25519 jwk for EdDSA', () => proofBy(keys.get('EdDSA') as ClientKey, { header: { jwk: { ...(keys.get('EdDSA') as ClientKey).jwk, crv: 'X25519' } } }), 'dpop_proof_key_invalid'],
  ['an EC point off the curve', () => proofBy(es256, { header: { jwk: { ...es256.jwk, y: es256.jwk.x } } }), 'dpop_proof_key_invalid'],
  ['an EC jwk without y', () => proofBy(es256, { header: { jwk: { ...es256.jwk, y: undefined } } }), 'dpop_proof_key_invalid'],
  ['an EC jwk with a numeric x', () => proofBy(es256, { header: { jwk: { ...es256.jwk, x: 1 } } }), 'dpop_proof_key_invalid'],
  ['an RSA key of 1024 bits (RFC 8725 §3.5)', () => {
    // jose will not make or sign with one; node:crypto will.
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const key = { alg: 'RS256', privateKeyObject: weak.privateKey, jwk: weak.publicKey.export({ format: 'jwk' }) as JWK }
    return rawProof(key, validHeader(key), validPayload())
  }, 'dpop_proof_key_invalid'],
  ['a jwk for encryption (use enc)', () => proofBy(es256, { header: { jwk: { ...es256.jwk, use: 'enc' } } }), 'dpop_proof_key_invalid'],
  ['a jwk for another alg', () => proofBy(es256, { header: { jwk: { ...es256.jwk, alg: 'ES384' } } }), 'dpop_proof_key_invalid'],
  // §4.3 check 6
  ['signed by another key than its jwk', () => proofBy(other, { header: { jwk: es256.jwk } }), 'dpop_proof_signature_invalid'],
  ['a changed payload', async () => {
    const [header, , signature] = (await proofBy(es256)).split('.')
    return `${header}.${b64(validPayload())}.${signature}`
  }, 'dpop_proof_signature_invalid'],
  ['no signature', async () => (await proofBy(es256)).replace(/[^.]+$/, ''), 'dpop_proof_signature_invalid'],
  ['an ES256 signature in DER form', () => {
    const input = `${b64(validHeader(es256))}.${b64(validPayload())}`
    return `${input}.${sign('sha256', Buffer.from(input), es256.privateKeyObject).toString('base64url')}`
  }, 'dpop_proof_signature_invalid'],
  // §4.3 check 3, §4.2: required claims, after the signature
  ['no jti', () => proofBy(es256, { claims: { jti: undefined } }), 'dpop_proof_malformed'],
  ['an empty jti', () => proofBy(es256, { claims: { jti: '' } }), 'dpop_proof_malformed'],
  ['a numeric jti', () => proofBy(es256, { claims: { jti: 7 } }), 'dpop_proof_malformed'],
  ['a jti of 257 characters', () => proofBy(es256, { claims: { jti: 'j'.repeat(257) } }), 'dpop_proof_malformed'],
  ['no htm', () => proofBy(es256, { claims: { htm: undefined } }), 'dpop_proof_malformed'],
  ['no htu', () => proofBy(es256, { claims: { htu: undefined } }), 'dpop_proof_malformed'],
  ['an htu that is an object', () => proofBy(es256, { claims: { htu: { href: URI } } }), 'dpop_proof_malformed'],
  ['no iat', () => proofBy(es256, { claims: { iat: undefined } }), 'dpop_proof_malformed'],
  ['an iat that is a string', () => proofBy(es256, { claims: { iat: String(NOW) } }), 'dpop_proof_malformed'],
  ['an iat of 1e400 (Infinity)', () => rawProof(es256, validHeader(es256), `{"jti":"j","htm":"GET","htu":"${URI}","iat":1e400,"ath":"${ATH}"}`), 'dpop_proof_malformed'],
  ['a numeric nonce', () => proofBy(es256, { claims: { nonce: 1 } }), 'dpop_proof_malformed'],
  // §4.3 check 8
  ['htm POST for a GET', () => proofBy(es256, { claims: { htm: 'POST' } }), 'dpop_proof_method_mismatch'],
  ['htm get for a GET (RFC 9110 §9.1: case-sensitive)', () => proofBy(es256, { claims: { htm: 'get' } }), 'dpop_proof_method_mismatch'],
  // §4.3 check 9
  ['htu of another host', () => proofBy(es256, { claims: { htu: 'https://evil.example/appointments' } }), 'dpop_proof_uri_mismatch'],
  ['htu of another path', () => proofBy(es256, { claims: { htu: 'https://api.example.com/me' } }), 'dpop_proof_uri_mismatch'],
  ['htu over http', () => proofBy(es256, { claims: { htu: 'http://api.example.com/appointments' } }), 'dpop_proof_uri_mismatch'],
  ['htu that is no URI', () => proofBy(es256, { claims: { htu: 'appointments' } }), 'dpop_proof_uri_mismatch'],
  // §4.3 check 11
  ['iat older than maxAge + clockTolerance', () => proofBy(es256, { claims: { iat: NOW - 331 } }), 'dpop_proof_time_invalid'],
  ['iat further ahead than clockTolerance', () => proofBy(es256, { claims: { iat: NOW + 31 } }), 'dpop_proof_time_invalid'],
  ['iat of 1e308', () => proofBy(es256, { claims: { iat: 1e308 } }), 'dpop_proof_time_invalid'],
  ['iat of 0', () => proofBy(es256, { claims: { iat: 0 } }), 'dpop_proof_time_invalid'],
  // §4.3 check 12
  ['no ath', () => proofBy(es256, { claims: { ath: undefined } }), 'dpop_proof_token_hash_mismatch'],
  ['ath of another token', () => proofBy(es256, { claims: { ath: createHash('sha256').update(`${TOKEN}x`).digest('base64url') } }), 'dpop_proof_token_hash_mismatch'],
  ['ath as hex rather than base64url', () => proofBy(es256, { claims: { ath: createHash('sha256').update(TOKEN).digest('hex') } }), 'dpop_proof_token_hash_mismatch'],
  ['ath that is a number', () => proofBy(es256, { claims: { ath: 1 } }), 'dpop_proof_token_hash_mismatch'],
  // §4.3 check 12, §6.1
  ['a valid proof by another key than the token is bound to', () => proofBy(other), 'dpop_key_mismatch'],
  ['a valid proof, the token bound to another thumbprint', () => proofBy(es256), 'dpop_key_mismatch', { jkt: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
]

describe('verifyDpopProof: each check fails with its own code', () => {
  it.each(CASES)('%s → %s', async (_rule, build, code, change = {}, policy = {}) => {
    expect(await outcome({ ...inputFor(await build()), ...change }, { ...POLICY, ...policy })).toBe(code)
  })

  it('no rejection\'s log line holds the proof, the access token or a signature', async () => {
    for (const [rule, build, , change = {}, policy = {}] of CASES) {
      const proof = await build()
      let rejection: Rejection | undefined
      try {
        await verifyDpopProof({ ...inputFor(proof), ...change }, { ...POLICY, ...policy })
      } catch (thrown) {
        rejection = thrown as Rejection
      }
      const reason = rejectionReason((rejection as Rejection).code, rejection?.detail, rejection?.cause)
      const logged = `${reason.message} ${reason.found ?? ''} ${JSON.stringify(rejection?.detail) ?? ''}`
      expect(logged, rule).not.toContain(TOKEN)
      for (const line of Array.isArray(proof) ? proof : [proof ?? '']) {
        const signature = line.split('.')[2] ?? ''
        if (line.length > 20) expect(logged, rule).not.toContain(line.slice(0, 40))
        if (signature.length > 20) expect(logged, rule).not.toContain(signature.slice(0, 20))
      }
    }
  })
})

type OrderCase = [name: string, build: () => Promise<string> | string, code: AuthErrorCode, policy?: Partial<DpopProofPolicy>]

describe('verifyDpopProof: the documented order', () => {
  it.each<OrderCase>([
    ['too long beats malformed', () => 'x'.repeat(5000), 'dpop_proof_too_long'],
    ['multiple beats too long', () => `${'x'.repeat(5000)},x`, 'dpop_proof_multiple'],
    ['type beats algorithm', () => proofBy(es256, { header: { typ: 'JWT' } }), 'dpop_proof_type_invalid', { algorithms: ['RS256'] }],
    ['algorithm beats key', () => proofBy(es256, { header: { jwk: undefined } }), 'dpop_proof_algorithm_not_allowed', { algorithms: ['RS256'] }],
    ['key beats signature', () => proofBy(other, { header: { jwk: { ...es256.jwk, d: 'x' } } }), 'dpop_proof_key_invalid', {}],
    ['signature beats claims', () => proofBy(other, { header: { jwk: es256.jwk }, claims: { jti: undefined } }), 'dpop_proof_signature_invalid', {}],
    ['claims beat method', () => proofBy(es256, { claims: { htm: 'POST', iat: 'now' } }), 'dpop_proof_malformed', {}],
    ['method beats URI', () => proofBy(es256, { claims: { htm: 'POST', htu: 'https://evil.example/' } }), 'dpop_proof_method_mismatch', {}],
    ['URI beats time', () => proofBy(es256, { claims: { htu: 'https://evil.example/', iat: 0 } }), 'dpop_proof_uri_mismatch', {}],
    ['time beats ath', () => proofBy(es256, { claims: { iat: 0, ath: undefined } }), 'dpop_proof_time_invalid', {}],
    ['ath beats the key binding', () => proofBy(other, { claims: { ath: undefined } }), 'dpop_proof_token_hash_mismatch', {}],
  ])('%s', async (_name, build, code, policy = {}) => {
    expect(await outcome(inputFor(await build()), { ...POLICY, ...policy })).toBe(code)
  })
})

describe('verifyDpopProof: hostile input', () => {
  it('__proto__ members are ordinary members: no claim is read from them, nothing is polluted', async () => {
    const jwk = JSON.stringify(es256.jwk)
    const cases: [string, string, AuthErrorCode][] = [
      [`{"__proto__":{"typ":"dpop+jwt"},"alg":"ES256","jwk":${jwk}}`, validPayload(), 'dpop_proof_type_invalid'],
      [`{"typ":"dpop+jwt","alg":"ES256","jwk":{"__proto__":${jwk}}}`, validPayload(), 'dpop_proof_key_invalid'],
      [`{"typ":"dpop+jwt","alg":"ES256","jwk":${jwk},"__proto__":{"crit":["x"]}}`, `{"__proto__":{"jti":"j","htm":"GET","htu":"${URI}","iat":${NOW}}}`, 'dpop_proof_malformed'],
      [validHeader(es256), `{"constructor":{"prototype":{"polluted":1}},"jti":"j","htm":"GET","htu":"${URI}","iat":${NOW},"__proto__":{"ath":"${ATH}"}}`, 'dpop_proof_token_hash_mismatch'],
    ]
    for (const [header, payload, code] of cases) expect(await outcome(inputFor(rawProof(es256, header, payload))), header).toBe(code)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(({} as Record<string, unknown>).jti).toBeUndefined()
  })

  it('deeply nested JSON in the header and the payload is a Rejection, not a stack overflow', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`
    const policy = { ...POLICY, maxLength: 65_536 }
    expect(await outcome(inputFor(rawProof(es256, `{"typ":"dpop+jwt","alg":"ES256","jwk":${deep}}`, validPayload())), policy)).toBe('dpop_proof_key_invalid')
    expect(await outcome(inputFor(rawProof(es256, validHeader(es256), `{"jti":${deep}}`)), policy)).toBe('dpop_proof_malformed')
    expect(await outcome(inputFor(rawProof(es256, validHeader(es256), validPayload(`,"x":${deep}`))), policy)).toBeUndefined()
  })

  it('values that are not header values at all are Rejections', async () => {
    for (const value of [null, 42, {}, [42], [undefined], [null], true, Symbol('x'), () => 'x']) {
      expect(await outcome(inputFor(value as unknown as string)), String(typeof value)).toMatch(/^dpop_proof_(missing|malformed)$/)
    }
  })

  // Property tests with a seeded generator: fast-check is not a dependency of this package
  // (it is of test/), so a small deterministic PRNG stands in. Fixed seeds, same runs each time.
  const RUNS = 300

  it('arbitrary strings and lines in the DPoP header never throw anything but a Rejection', async () => {
    const random = seeded(9449)
    const alphabet = 'AZaz09-_.,=+/ "{}:\\\u0000\u00e9\ud83d'
    for (let run = 0; run < RUNS; run++) {
      const line = (): string => Array.from({ length: random.int(120) }, () => alphabet[random.int(alphabet.length)]).join('')
      const value = random.int(4) === 0 ? Array.from({ length: random.int(3) }, line) : line()
      expect(await outcome(inputFor(value))).toMatch(/^dpop_/)
    }
  })

  it('every mutation of a valid proof is a Rejection', async () => {
    const random = seeded(7638)
    const valid = await proofBy(es256)
    const characters = 'AZaz09-_.=+/ ,'
    for (let run = 0; run < RUNS; run++) {
      const at = random.int(valid.length)
      const replacement = random.int(3) === 0 ? '' : characters[random.int(characters.length)]
      const mutated = random.int(2) === 0 ? `${valid.slice(0, at)}${replacement}${valid.slice(at + 1)}` : `${valid.slice(0, at)}${replacement}${valid.slice(at)}`
      if (mutated === valid) continue
      expect(await outcome(inputFor(mutated)), mutated).toMatch(/^dpop_/)
    }
  })

  it('signed proofs with arbitrary JSON members are accepted or refused with a Rejection, never more', async () => {
    const random = seeded(7515)
    const prototypeMembers = Object.getOwnPropertyNames(Object.prototype).sort()
    for (let run = 0; run < RUNS; run++) {
      const header = random.int(3) === 0 ? randomJson(random, 0) : validHeader(es256, `,${randomMembers(random)}`)
      const payload = random.int(3) === 0 ? randomJson(random, 0) : validPayload(`,${randomMembers(random)}`)
      const result = await outcome(inputFor(rawProof(es256, header, payload)))
      if (result !== undefined) expect(result).toMatch(/^dpop_/)
    }
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeMembers)
    expect(({} as Record<string, unknown>).typ).toBeUndefined()
  })
})

/** mulberry32: a tiny deterministic generator for the property tests above. */
function seeded(seed: number): { int(below: number): number } {
  let state = seed >>> 0
  return {
    int(below) {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below)
    },
  }
}

const MEMBER_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'typ', 'alg', 'jwk', 'kty', 'crv', 'x', 'y', 'n', 'e', 'd', 'k', 'jti', 'htm', 'htu', 'iat', 'ath', 'nonce', 'crit', 'use']
const SCALARS = ['0', '-1', '1e400', '-1e400', '1.5', '9007199254740993', 'true', 'false', 'null', '""', '"dpop+jwt"', '"ES256"', '"HS256"', '"none"', '"GET"', `"${URI}"`, '"\\u0000"', `"${'s'.repeat(300)}"`, `${NOW}`]

function randomMembers(random: { int(below: number): number }, depth = 0): string {
  return Array.from({ length: 1 + random.int(4) }, () => `"${MEMBER_NAMES[random.int(MEMBER_NAMES.length)]}":${randomJson(random, depth + 1)}`).join(',')
}

function randomJson(random: { int(below: number): number }, depth: number): string {
  const kind = random.int(depth > 3 ? 1 : 4)
  if (kind === 0 || kind === 1) return SCALARS[random.int(SCALARS.length)] as string
  if (kind === 2) return `[${Array.from({ length: random.int(3) }, () => randomJson(random, depth + 1)).join(',')}]`
  return `{${random.int(4) === 0 ? '' : randomMembers(random, depth)}}`
}
