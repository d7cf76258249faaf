import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { Rejection } from '../errors/rejection.js'
import { verifySignature } from '../keys/jws-signature.js'
import { oneOf } from '../token/jwt-claims.js'
import { decodeJsonObject, isCanonicalCompactJws } from '../token/token-shape.js'
import { sameTargetUri } from './dpop-target-uri.js'

/** What {@link verifyDpopProof} checks a proof against: the request and its access token. */
export interface DpopProofInput {
  /**
   * The `DPoP` request header as the framework gives it: one string, an array of lines, or
   * undefined. A string with a comma is several lines joined by the framework (RFC 9110
   * §5.3); a compact JWS never contains one.
   */
  readonly proof: string | readonly string[] | undefined
  /** The request method, as sent (methods are case-sensitive, RFC 9110 §9.1). */
  readonly method: string
  /** The `htu` expected for this request, as `dpopTargetUri` builds it from the configured origin. */
  readonly uri: string
  /** The access token the request presents. */
  readonly accessToken: string
  /** The access token's `cnf.jkt` (RFC 9449 §6.1): the thumbprint of the key it is bound to. */
  readonly jkt: string
}

/** How strict {@link verifyDpopProof} is; the validated `dpop` options supply it. */
export interface DpopProofPolicy {
  /** Accepted JWS algorithms. Only asymmetric ones are ever accepted, whatever the list holds. */
  readonly algorithms: readonly string[]
  /** Longest accepted `DPoP` header, in characters, checked before any parsing. */
  readonly maxLength: number
  /** How old a proof's `iat` may be, in seconds. */
  readonly maxAge: number
  /** Clock skew allowed, in seconds: how far ahead `iat` may be, and slack on `maxAge`. */
  readonly clockTolerance: number
  /** The current time in epoch milliseconds. */
  readonly clock: () => number
}

/** A proof that passed every check: what the caller needs for the nonce and replay checks. */
export interface VerifiedDpopProof {
  /** The proof's identifier, to record in the replay store (RFC 9449 §11.1). */
  readonly jti: string
  /** When the client made the proof, in seconds since the epoch. */
  readonly iat: number
  /** The server nonce the proof carries (RFC 9449 §9), if any; not checked here. */
  readonly nonce: string | undefined
  /** The URI the proof names, as the client wrote it. */
  readonly htu: string
  /** The RFC 7638 SHA-256 thumbprint of the proof's key; equal to the token's `cnf.jkt`. */
  readonly jkt: string
}

interface KeyType {
  readonly kty: 'RSA' | 'EC' | 'OKP'
  readonly crv?: string
}

// What each accepted algorithm needs of the proof's key (RFC 7518 §3.1, RFC 8037 §3.1, RFC
// 9864). Only asymmetric algorithms are here: RFC 9449 §4.2 says alg "MUST NOT be none or an
// identifier for a symmetric algorithm", so none and HS* are refused even if listed.
const KEY_TYPES: ReadonlyMap<string, KeyType> = new Map<string, KeyType>([
  ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'].map((alg): [string, KeyType] => [alg, { kty: 'RSA' }]),
  ['ES256', { kty: 'EC', crv: 'P-256' }],
  ['ES384', { kty: 'EC', crv: 'P-384' }],
  ['ES512', { kty: 'EC', crv: 'P-521' }],
  ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ['Ed25519', { kty: 'OKP', crv: 'Ed25519' }],
])
// RFC 7638 §3.2: the members a thumbprint covers, which are also all a public key needs.
const PUBLIC_MEMBERS = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] } as const
// RFC 7518 §6.2.2, §6.3.2, §6.4 and RFC 8037 §2: members only a private or symmetric key has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
// jti goes into the replay store, so it is bounded; §4.2's 96 random bits or UUID need 16 to 36 characters.
const MAX_JTI_LENGTH = 256
const PROOF_TYPE = 'dpop+jwt'

/** A public JWK reduced to its RFC 7638 members, all strings. */
type PublicJwk = JWK & { readonly kty: 'RSA' | 'EC' | 'OKP' }

/**
 * Checks a DPoP proof for a request to a protected resource, RFC 9449 §4.3 with §7.1. Checks
 * run in this order and each failure throws a {@link Rejection} with its own code:
 *
 * 1. exactly one `DPoP` header, not empty: `dpop_proof_missing`, `dpop_proof_multiple`;
 * 2. at most `maxLength` characters, before any parsing: `dpop_proof_too_long`;
 * 3. a compact JWS, canonical base64url, header and payload JSON objects, no `crit`:
 *    `dpop_proof_malformed`;
 * 4. `typ` is exactly `dpop+jwt`: `dpop_proof_type_invalid`;
 * 5. `alg` is allowed and asymmetric (never `none` or HMAC): `dpop_proof_algorithm_not_allowed`;
 * 6. `jwk` is a public key of the type `alg` needs, without private members, one Node can
 *    import (RSA at least 2048 bits): `dpop_proof_key_invalid`;
 * 7. the signature verifies with `jwk`: `dpop_proof_signature_invalid`;
 * 8. `jti` (a string of 1 to 256 characters), `htm`, `htu` (strings) and `iat` (a finite
 *    number) are present, and `nonce` is a string if present: `dpop_proof_malformed`;
 * 9. `htm` is the request method: `dpop_proof_method_mismatch`;
 * 10. `htu` is the expected URI, see {@link sameTargetUri}: `dpop_proof_uri_mismatch`;
 * 11. `iat` lies within [now − maxAge − clockTolerance, now + clockTolerance]:
 *     `dpop_proof_time_invalid`;
 * 12. `ath` is the hash of the access token: `dpop_proof_token_hash_mismatch`;
 * 13. the key's thumbprint is the token's `cnf.jkt`: `dpop_key_mismatch`.
 *
 * The nonce (§4.3 check 10) and replay (§11.1) checks are the caller's, after this one.
 * Nothing but a {@link Rejection} is thrown, whatever the input, and no rejection's detail
 * holds the proof, the access token or a signature.
 */
export async function verifyDpopProof(input: DpopProofInput, policy: DpopProofPolicy): Promise<VerifiedDpopProof> {
  const proof = singleProof(input.proof)
  if (proof.length > policy.maxLength) {
    throw new Rejection('dpop_proof_too_long', undefined, { claim: 'DPoP', expected: `at most ${policy.maxLength} characters`, found: proof.length })
  }
  const { header, payload, signingInput, signature } = parseProof(proof)

  // RFC 9449 §4.2: "typ: with value dpop+jwt" (§4.3 check 4); explicit typing keeps other
  // JWTs signed by the client's key from passing as proofs (RFC 8725 §3.11).
  const typ = member(header, 'typ')
  if (typ !== PROOF_TYPE) throw new Rejection('dpop_proof_type_invalid', undefined, { claim: 'typ', expected: JSON.stringify(PROOF_TYPE), found: typ })
  const alg = member(header, 'alg')
  if (typeof alg !== 'string' || !KEY_TYPES.has(alg) || !policy.algorithms.includes(alg)) {
    const accepted = policy.algorithms.filter((name) => KEY_TYPES.has(name))
    throw new Rejection('dpop_proof_algorithm_not_allowed', undefined, { claim: 'alg', expected: oneOf(accepted), found: alg })
  }
  const jwk = publicJwk(member(header, 'jwk'), alg)
  checkSignature(alg, importKey(jwk), signingInput, signature)

  const claims = requiredClaims(payload)
  // §4.3 check 8. RFC 9110 §9.1: "The method token is case-sensitive".
  if (claims.htm !== input.method) throw new Rejection('dpop_proof_method_mismatch', undefined, { claim: 'htm', expected: JSON.stringify(input.method), found: claims.htm })
  if (!sameTargetUri(claims.htu, input.uri)) {
    // Without the query: a client that put one in the claim may have put a secret there.
    throw new Rejection('dpop_proof_uri_mismatch', undefined, { claim: 'htu', expected: JSON.stringify(input.uri), found: claims.htu.replace(/[?#].*$/s, '') })
  }
  checkIssuedAt(claims.iat, policy)
  // §4.3 check 12, §4.2: ath is base64url(SHA-256(ASCII access token)), and required whenever
  // the proof comes with an access token, which is always the case here.
  const ath = member(payload, 'ath')
  if (ath !== createHash('sha256').update(input.accessToken, 'ascii').digest('base64url')) {
    throw new Rejection('dpop_proof_token_hash_mismatch', undefined, { claim: 'ath', note: ath === undefined ? 'the proof has no ath' : 'the proof was made for another access token' })
  }
  // §4.3 check 12, §6.1: the token is bound to this very key.
  const jkt = await thumbprint(jwk)
  if (jkt !== input.jkt) throw new Rejection('dpop_key_mismatch', undefined, { claim: 'cnf.jkt', expected: JSON.stringify(input.jkt), found: jkt, note: 'the proof is signed with another key than the token is bound to' })

  return { jti: claims.jti, iat: claims.iat, nonce: claims.nonce, htu: claims.htu, jkt }
}

/** §4.3 check 1: exactly one DPoP header line with exactly one value. */
function singleProof(value: unknown): string {
  let line = value
  if (Array.isArray(value)) {
    if (value.length > 1) throw new Rejection('dpop_proof_multiple', undefined, { claim: 'DPoP', note: `${value.length} DPoP header lines` })
    line = value[0]
  }
  if (line === undefined || line === null || line === '') throw new Rejection('dpop_proof_missing', undefined, { claim: 'DPoP' })
  if (typeof line !== 'string') throw new Rejection('dpop_proof_malformed', undefined, { claim: 'DPoP', expected: 'a string', found: typeof line })
  // Node and Fetch join repeated lines with ", " (RFC 9110 §5.3); base64url has no comma.
  if (line.includes(',')) throw new Rejection('dpop_proof_multiple', undefined, { claim: 'DPoP', note: 'the value holds a comma: several DPoP header lines joined' })
  return line
}

interface ParsedProof {
  readonly header: Record<string, unknown>
  readonly payload: Record<string, unknown>
  readonly signingInput: Buffer
  readonly signature: Buffer
}

/** §4.3 check 2: "a single and well-formed JWT" (RFC 7515 §7.1, RFC 7519 §7.2). */
function parseProof(proof: string): ParsedProof {
  // Canonical segments only (see token-shape.ts): one signature, one spelling, one jti.
  if (!isCanonicalCompactJws(proof)) throw new Rejection('dpop_proof_malformed', undefined, { note: 'not a compact JWS: three canonical base64url segments' })
  const first = proof.indexOf('.')
  const second = proof.indexOf('.', first + 1)
  const header = decodeJsonObject(proof.slice(0, first))
  if (header === undefined) throw new Rejection('dpop_proof_malformed', undefined, { note: 'the header is not a JSON object' })
  // RFC 7515 §4.1.11: no extension is understood here, so a critical one makes the proof invalid.
  if (Object.hasOwn(header, 'crit')) throw new Rejection('dpop_proof_malformed', undefined, { claim: 'crit', expected: 'absent', found: header.crit })
  const payload = decodeJsonObject(proof.slice(first + 1, second))
  if (payload === undefined) throw new Rejection('dpop_proof_malformed', undefined, { note: 'the payload is not a JSON object' })
  return {
    header,
    payload,
    signingInput: Buffer.from(proof.slice(0, second), 'latin1'),
    signature: Buffer.from(proof.slice(second + 1), 'base64url'),
  }
}

/**
 * Reads an own member only. JSON.parse makes "__proto__" an ordinary own member, so nothing
 * here reaches Object.prototype, but a missing member must read as missing whatever the
 * prototype chain holds.
 */
function member(object: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined
}

/**
 * §4.3 checks 5 and 7, §4.2: `jwk` "MUST NOT contain a private key", and must be the kind of
 * key `alg` needs. Returns the key reduced to its RFC 7638 members, for import and thumbprint.
 */
function publicJwk(value: unknown, alg: string): PublicJwk {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Rejection('dpop_proof_key_invalid', undefined, { claim: 'jwk', expected: 'a JSON object (RFC 9449 §4.2)', found: Array.isArray(value) ? 'an array' : typeof value })
  }
  const jwk = value as Record<string, unknown>
  const privateMember = PRIVATE_MEMBERS.find((name) => Object.hasOwn(jwk, name))
  if (privateMember !== undefined) {
    throw new Rejection('dpop_proof_key_invalid', undefined, { claim: `jwk.${privateMember}`, expected: 'absent', note: 'a private or symmetric key member: the proof key must be public (RFC 9449 §4.2)' })
  }
  const needed = KEY_TYPES.get(alg) as KeyType
  const kty = member(jwk, 'kty')
  if (kty !== needed.kty) throw new Rejection('dpop_proof_key_invalid', undefined, { claim: 'jwk.kty', expected: `${JSON.stringify(needed.kty)} for ${alg}`, found: kty })
  if (needed.crv !== undefined && member(jwk, 'crv') !== needed.crv) {
    throw new Rejection('dpop_proof_key_invalid', undefined, { claim: 'jwk.crv', expected: `${JSON.stringify(needed.crv)} for ${alg}`, found: member(jwk, 'crv') })
  }
  // RFC 7517 §4.2, §4.4: a key labelled for another use or algorithm is not for this one.
  const use = member(jwk, 'use')
  if (use !== undefined && use !== 'sig') throw new Rejection('dpop_proof_key_invalid', undefined, { claim: 'jwk.use', expected: '"sig" or absent', found: use })
  const keyAlg = member(jwk, 'alg')
  if (keyAlg !== undefined && keyAlg !== alg) throw new Rejection('dpop_proof_key_invalid', undefined, { claim: 'jwk.alg', expected: `${JSON.stringify(alg)} or absent`, found: keyAlg })
  const members: Record<string, string> = {}
  for (const name of PUBLIC_MEMBERS[needed.kty]) {
    const memberValue = member(jwk, name)
    if (typeof memberValue !== 'string' || memberValue === '') throw new Rejection('dpop_proof_key_invalid', undefined, { claim: `jwk.${name}`, expected: 'a non-empty string' })
    members[name] = memberValue
  }
  return { ...members, kty: needed.kty }
}

/**
 * The jwk as a Node key. node:crypto rather than jose's importJWK: it is synchronous, yields
 * the KeyObject verifySignature wants without a WebCrypto round trip, and refuses an EC point
 * off its curve.
 */
function importKey(jwk: PublicJwk): KeyObject {
  try {
    return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
  } catch (cause) {
    throw new Rejection('dpop_proof_key_invalid', cause, { claim: 'jwk', note: `not a usable ${jwk.kty} public key` })
  }
}

/** §4.3 check 6, through the same node:crypto path and key-pairing rules as access tokens. */
function checkSignature(alg: string, key: KeyObject, signingInput: Buffer, signature: Buffer): void {
  try {
    verifySignature(alg, key, signingInput, signature)
  } catch (failure) {
    // verifySignature speaks of the access token; the same failures here are the proof's.
    if (failure instanceof Rejection && failure.code === 'signature_invalid') {
      throw new Rejection('dpop_proof_signature_invalid', failure.cause, { claim: 'signature', note: `the ${alg} signature does not verify with the proof's jwk` })
    }
    throw new Rejection('dpop_proof_key_invalid', failure, { claim: 'jwk', note: `not a key ${alg} can verify with (e.g. RSA under 2048 bits)` })
  }
}

interface ProofClaims {
  readonly jti: string
  readonly htm: string
  readonly htu: string
  readonly iat: number
  readonly nonce: string | undefined
}

/** §4.3 check 3 and §4.2: the claims every proof carries, of the right types. */
function requiredClaims(payload: Record<string, unknown>): ProofClaims {
  const jti = member(payload, 'jti')
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw new Rejection('dpop_proof_malformed', undefined, { claim: 'jti', expected: `a string of 1 to ${MAX_JTI_LENGTH} characters`, found: typeof jti === 'string' ? `${jti.length} characters` : jti })
  }
  const htm = member(payload, 'htm')
  if (typeof htm !== 'string') throw new Rejection('dpop_proof_malformed', undefined, { claim: 'htm', expected: 'a string', found: htm })
  const htu = member(payload, 'htu')
  if (typeof htu !== 'string') throw new Rejection('dpop_proof_malformed', undefined, { claim: 'htu', expected: 'a string', found: htu })
  const iat = member(payload, 'iat')
  // JSON's 1e400 parses to Infinity: a proof that would never be too old.
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new Rejection('dpop_proof_malformed', undefined, { claim: 'iat', expected: 'a finite NumericDate (seconds since the epoch)', found: iat })
  const nonce = member(payload, 'nonce')
  if (nonce !== undefined && typeof nonce !== 'string') throw new Rejection('dpop_proof_malformed', undefined, { claim: 'nonce', expected: 'a string or absent', found: nonce })
  return { jti, htm, htu, iat, nonce }
}

/** §4.3 check 11 and §11.1: the proof was made recently, by the server's clock. */
function checkIssuedAt(iat: number, policy: DpopProofPolicy): void {
  const now = policy.clock() / 1000
  const earliest = now - policy.maxAge - policy.clockTolerance
  const latest = now + policy.clockTolerance
  if (iat < earliest || iat > latest) {
    throw new Rejection('dpop_proof_time_invalid', undefined, {
      claim: 'iat',
      expected: `between ${policy.maxAge + policy.clockTolerance} s ago and ${policy.clockTolerance} s ahead`,
      found: iat,
      note: `iat is ${isoTime(iat)}, now is ${isoTime(now)}`,
    })
  }
}

function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString()
}

/** RFC 7638 SHA-256 thumbprint of the reduced key (§6.1: how cnf.jkt is computed). */
async function thumbprint(jwk: PublicJwk): Promise<string> {
  try {
    return await calculateJwkThumbprint(jwk, 'sha256')
  } catch (cause) {
    throw new Rejection('dpop_proof_key_invalid', cause, { claim: 'jwk', note: 'no RFC 7638 thumbprint can be computed' })
  }
}
