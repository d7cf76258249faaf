import { errors, type FlattenedJWSInput, type JWTHeaderParameters } from 'jose'
import type { AccessTokenClaims } from './auth-result.js'
import { Rejection } from '../errors/rejection.js'
import { runClaimCheck, type ClaimCheck } from './claim-check.js'
import { checkRegisteredClaims, oneOf, type ClaimRules } from './jwt-claims.js'
import { verifySignature, type VerificationKey } from '../keys/jws-signature.js'
import { KeysUnavailableError, type KeyResolver } from '../keys/key-source.js'
import { decodeJsonObject, isCanonicalCompactJws, MAX_JSON_DEPTH, nestsDeeperThan } from './token-shape.js'

/** Verifies a compact JWS access token; throws a {@link Rejection} naming why it is not acceptable. */
export type AccessTokenVerifier = (token: string) => Promise<{ header: JWTHeaderParameters; claims: AccessTokenClaims }>

// RFC 9068 §2.1 / §4: the media type "at+jwt"; "application/" may be omitted (RFC 7515 §4.1.9).
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt'])
// Lenient mode also takes "JWT" and no typ (most issuers before RFC 9068), nothing else:
// RFC 8725 §3.11, so an ID token typed differently cannot pass as an access token.
const LENIENT_TYPES = new Set([...ACCESS_TOKEN_TYPES, 'jwt', 'application/jwt'])
// RFC 9068 §2.2 required claims.
const RFC9068_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']

/** What the verifier needs of the validated options (the resolved `auth()` options fit it). */
export interface VerifierSettings {
  readonly issuers: readonly string[]
  readonly audiences: readonly string[]
  readonly algorithms: readonly string[]
  readonly clockTolerance: number
  readonly maxTokenAge: number | undefined
  readonly requiredClaims: readonly string[]
  readonly strictRfc9068: boolean
  readonly claimChecks: readonly (readonly [string, ClaimCheck])[]
  /** The current time in epoch milliseconds (the `clock` option). */
  readonly clock: () => number
}

/**
 * Builds the verifier once from validated options. Per token it runs, in the order jose's
 * `jwtVerify` does (so failure codes match the hostile-input tables): JWS shape, protected
 * header (its nesting too, before any key lookup), `crit`, `alg` against the allowlist, `typ`,
 * key lookup, the signature (node:crypto, see jws-signature.ts), the claims. jose still
 * selects and imports the keys; its `jwtVerify` is not used because its WebCrypto path made
 * every cache miss 1.2–1.6× slower on Node 20 (`pnpm bench`, verification only).
 */
export function createAccessTokenVerifier(options: VerifierSettings, resolveKey: KeyResolver): AccessTokenVerifier {
  const acceptedTypes = options.strictRfc9068 ? ACCESS_TOKEN_TYPES : LENIENT_TYPES
  const algorithms = new Set(options.algorithms)
  const rules: ClaimRules = {
    issuers: new Set(options.issuers),
    audiences: [...options.audiences],
    requiredClaims: options.strictRfc9068
      ? [...new Set([...options.requiredClaims, ...RFC9068_CLAIMS])]
      : [...options.requiredClaims],
    clockTolerance: options.clockTolerance,
    maxTokenAge: options.maxTokenAge,
  }

  return async (token) => {
    if (!isCanonicalCompactJws(token)) throw new Rejection('token_malformed', undefined, { note: 'not a compact JWS: three canonical base64url segments' })
    const first = token.indexOf('.')
    const second = token.indexOf('.', first + 1)
    const jws: FlattenedJWSInput = { protected: token.slice(0, first), payload: token.slice(first + 1, second), signature: token.slice(second + 1) }

    const header = decodeJsonObject(jws.protected as string) as JWTHeaderParameters | undefined
    if (header === undefined || nestsDeeperThan(header, MAX_JSON_DEPTH)) throw new Rejection('token_malformed', undefined, { note: 'the header is not a JSON object of at most 32 levels' })
    checkCritical(header)
    const { alg, typ } = header
    if (typeof alg !== 'string' || alg === '') throw new Rejection('token_malformed', undefined, { claim: 'alg', expected: 'a string', found: alg })
    // RFC 8725 §3.1: only the configured algorithms, never "none", never a mix of families.
    if (!algorithms.has(alg)) throw new Rejection('algorithm_not_allowed', undefined, { claim: 'alg', expected: oneOf([...algorithms]), found: alg })
    if (typ === undefined ? options.strictRfc9068 : typeof typ !== 'string' || !acceptedTypes.has(typ.toLowerCase())) {
      throw new Rejection('token_type_invalid', undefined, { claim: 'typ', expected: oneOf([...acceptedTypes]), found: typ })
    }

    const signingInput = Buffer.from(token.slice(0, second), 'latin1')
    const signature = Buffer.from(jws.signature, 'base64url')
    const key = await lookUpKey(resolveKey, header, jws)
    if (Array.isArray(key)) verifyWithAny(alg, key, signingInput, signature)
    else verifySignature(alg, key, signingInput, signature)

    const claims = decodeJsonObject(jws.payload as string) as AccessTokenClaims | undefined
    if (claims === undefined) throw new Rejection('token_malformed', undefined, { note: 'the payload is not a JSON object' })
    checkRegisteredClaims(claims, rules, Math.floor(options.clock() / 1000))
    // Bounded nesting: an application's JSON.stringify(req.auth) must not overflow the stack.
    if (nestsDeeperThan(claims, MAX_JSON_DEPTH)) throw new Rejection('token_malformed', undefined, { note: 'the claims nest deeper than 32 levels' })
    if (options.strictRfc9068) checkRfc9068Types(claims)
    for (const [name, check] of options.claimChecks) runClaimCheck(name, check, claims)
    return { header, claims }
  }
}


/**
 * RFC 7515 §4.1.11: a token listing extensions in `crit` that we do not understand is invalid.
 * The only one we know is RFC 7797's `b64`, and a JWT must keep its payload encoded (RFC 7797
 * §7), so `crit` may only be `["b64"]` with `b64: true`.
 */
function checkCritical(header: JWTHeaderParameters): void {
  const { crit } = header
  if (crit === undefined) return
  if (!Array.isArray(crit) || crit.length !== 1 || crit[0] !== 'b64' || header.b64 !== true) throw new Rejection('token_malformed', undefined, { claim: 'crit', expected: 'absent, or exactly ["b64"] with b64: true', found: crit })
}

/**
 * The key source's answer: one key, or several when a JWKS holds more than one candidate
 * for a token without a `kid` (e.g. two RSA keys during a rotation): jose hands those over
 * as an async iterable, and the token is valid if one of them verifies it.
 */
async function lookUpKey(resolveKey: KeyResolver, header: JWTHeaderParameters, jws: FlattenedJWSInput): Promise<VerificationKey | VerificationKey[]> {
  try {
    return await resolveKey(header, jws)
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw keyFailure(error)
    const candidates: VerificationKey[] = []
    for await (const key of error) candidates.push(key)
    return candidates
  }
}

function verifyWithAny(alg: string, keys: readonly VerificationKey[], signingInput: Buffer, signature: Buffer): void {
  let last: unknown = new Rejection('key_not_found')
  for (const key of keys) {
    try {
      verifySignature(alg, key, signingInput, signature)
      return
    } catch (failure) {
      last = failure
    }
  }
  throw last
}

/** Maps what a key lookup threw to our failure codes. */
function keyFailure(error: unknown): Rejection | KeysUnavailableError {
  if (error instanceof Rejection || error instanceof KeysUnavailableError) return error
  if (error instanceof errors.JWKSNoMatchingKey) return new Rejection('key_not_found', error, { note: 'no configured key matches the token\'s kid and alg' })
  // jose rejects a JWK it cannot import for the token's alg (JWKInvalid, or a TypeError for
  // a key type that does not match it): the token is unusable here, not our fault.
  if (error instanceof errors.JWKInvalid || error instanceof TypeError) return new Rejection('key_unusable', error)
  // JOSENotSupported and anything else the token's header can provoke: malformed, never a 500.
  return new Rejection('token_malformed', error)
}

function checkRfc9068Types(claims: AccessTokenClaims): void {
  for (const name of ['sub', 'client_id', 'jti'] as const) {
    if (typeof claims[name] !== 'string') throw new Rejection('claim_invalid', undefined, { claim: name, expected: 'a string (RFC 9068 §2.2)', found: claims[name] })
  }
}
