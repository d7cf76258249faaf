import { errors, jwtVerify, type JWTHeaderParameters, type JWTVerifyGetKey, type JWTVerifyOptions, type JWTVerifyResult } from 'jose'
import type { AccessTokenClaims } from './auth-result.js'
import { Failure } from './failure.js'
import { isCanonicalCompactJws, MAX_JSON_DEPTH, nestsDeeperThan } from './token-shape.js'
import { KeysUnavailableError, type KeyResolver } from './key-source.js'
import type { ClaimCheck, ResolvedOptions } from './options.js'

/** Verifies a compact JWS access token; throws a {@link Failure} naming why it is not acceptable. */
export type AccessTokenVerifier = (token: string) => Promise<{ header: JWTHeaderParameters; claims: AccessTokenClaims }>

// RFC 9068 §2.1 / §4: the media type "at+jwt"; "application/" may be omitted (RFC 7515 §4.1.9).
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt'])
// Lenient mode also takes "JWT" and no typ (most issuers before RFC 9068), nothing else:
// RFC 8725 §3.11, so an ID token typed differently cannot pass as an access token.
const LENIENT_TYPES = new Set([...ACCESS_TOKEN_TYPES, 'jwt', 'application/jwt'])
// RFC 9068 §2.2 required claims.
const RFC9068_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']

/**
 * Builds the verifier once from validated options: the verification options object, the
 * header check and the key lookup are fixed here, so a request only runs jose and the checks.
 */
export function createAccessTokenVerifier(options: ResolvedOptions, resolveKey: KeyResolver): AccessTokenVerifier {
  const accepted = options.strictRfc9068 ? ACCESS_TOKEN_TYPES : LENIENT_TYPES
  const requiredClaims = options.strictRfc9068
    ? [...new Set([...options.requiredClaims, ...RFC9068_CLAIMS])]
    : [...options.requiredClaims]

  const getKey: JWTVerifyGetKey = (header, token) => {
    const typ = header.typ
    if (typ === undefined ? options.strictRfc9068 : typeof typ !== 'string' || !accepted.has(typ.toLowerCase())) {
      throw new Failure('token_type_invalid')
    }
    return resolveKey(header, token)
  }

  const verifyOptions: JWTVerifyOptions = {
    issuer: [...options.issuers],
    audience: [...options.audiences],
    algorithms: [...options.algorithms],
    clockTolerance: options.clockTolerance,
    maxTokenAge: options.maxTokenAge,
    requiredClaims,
  }

  return async (token) => {
    if (!isCanonicalCompactJws(token)) throw new Failure('token_malformed')
    let result
    try {
      result = await jwtVerify(token, getKey, verifyOptions).catch((error: unknown) =>
        error instanceof errors.JWKSMultipleMatchingKeys ? verifyWithEach(token, error, verifyOptions) : Promise.reject(error),
      )
    } catch (error) {
      throw toFailure(error)
    }
    const claims = result.payload as AccessTokenClaims
    if (nestsDeeperThan(claims, MAX_JSON_DEPTH) || nestsDeeperThan(result.protectedHeader, MAX_JSON_DEPTH)) {
      throw new Failure('token_malformed')
    }
    // jose only checks these are numbers: 1e400 parses to Infinity, a token that never expires.
    for (const name of ['exp', 'nbf', 'iat'] as const) {
      if (claims[name] !== undefined && !Number.isFinite(claims[name])) throw new Failure('claim_invalid')
    }
    if (options.strictRfc9068) checkRfc9068Types(claims)
    for (const [name, check] of options.claimChecks) runClaimCheck(name, check, claims)
    return { header: result.protectedHeader, claims }
  }
}

/**
 * Several keys of a JWKS match a token without a `kid` (e.g. two RSA keys during a rotation):
 * jose hands them over as an async iterable, and the token is valid if one of them verifies
 * it. The header checks in `getKey` already passed before jose looked for keys.
 */
async function verifyWithEach(token: string, candidates: errors.JWKSMultipleMatchingKeys, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
  let last: unknown = candidates
  for await (const key of candidates) {
    try {
      return await jwtVerify(token, key, options)
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw error
      last = error
    }
  }
  throw last
}

function checkRfc9068Types(claims: AccessTokenClaims): void {
  for (const name of ['sub', 'client_id', 'jti'] as const) {
    if (typeof claims[name] !== 'string') throw new Failure('claim_invalid')
  }
}

function runClaimCheck(name: string, check: ClaimCheck, claims: AccessTokenClaims): void {
  const present = Object.hasOwn(claims, name)
  const value = present ? claims[name] : undefined
  if (typeof check === 'function') {
    let passed: unknown
    try {
      passed = check(value, claims)
    } catch (cause) {
      throw new Failure('claim_invalid', cause)
    }
    if (passed !== true) throw new Failure(present ? 'claim_invalid' : 'claim_missing')
    return
  }
  if (!present) throw new Failure('claim_missing')
  const ok = 'equals' in check ? value === check.equals : Array.isArray(value) && value.includes(check.includes)
  if (!ok) throw new Failure('claim_invalid')
}

/** Maps what jose (or the key lookup) threw to our failure codes. */
function toFailure(error: unknown): Failure | KeysUnavailableError {
  if (error instanceof Failure || error instanceof KeysUnavailableError) return error
  if (error instanceof errors.JWTExpired) return new Failure(error.claim === 'iat' ? 'token_too_old' : 'token_expired', error)
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return new Failure('issuer_invalid', error)
      case 'aud':
        return new Failure('audience_invalid', error)
      case 'nbf':
        return new Failure(error.reason === 'check_failed' ? 'token_not_yet_valid' : 'claim_invalid', error)
      case 'iat':
        return new Failure(error.reason === 'check_failed' ? 'token_issued_in_future' : 'claim_invalid', error)
      default:
        return new Failure(error.reason === 'missing' ? 'claim_missing' : 'claim_invalid', error)
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new Failure('algorithm_not_allowed', error)
  if (error instanceof errors.JWSSignatureVerificationFailed) return new Failure('signature_invalid', error)
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new Failure('key_not_found', error)
  }
  if (error instanceof errors.JWKInvalid) return new Failure('key_unusable', error)
  // jose throws TypeError for a key that cannot verify this alg (e.g. RSA under 2048 bits,
  // or a key type that does not match the alg): the token is unusable, not our fault.
  if (error instanceof TypeError) return new Failure('key_unusable', error)
  // JWSInvalid, JWTInvalid, JOSENotSupported (unknown crit, b64: false) and anything else
  // the token's bytes can provoke: a malformed token, never a 500.
  return new Failure('token_malformed', error)
}
