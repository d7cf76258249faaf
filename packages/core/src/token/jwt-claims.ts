import type { AccessTokenClaims } from './auth-result.js'
import { Rejection, type RejectionDetail } from '../errors/rejection.js'

/** What the registered claims of every token are checked against. */
export interface ClaimRules {
  readonly issuers: ReadonlySet<string>
  readonly audiences: readonly string[]
  /** Claims that must be present (RFC 9068 §2.2 in strict mode, plus the `requiredClaims` option). */
  readonly requiredClaims: readonly string[]
  /** Allowed clock skew, in seconds. */
  readonly clockTolerance: number
  /** Maximum age after `iat`, in seconds. */
  readonly maxTokenAge: number | undefined
}

/**
 * Checks the registered claims of RFC 7519 §4.1 with jose's `jwtVerify` semantics, each
 * failure named by our code: `iss` (exact match, RFC 9068 §4) and `aud` (one of ours), missing
 * or not; the required claims; then the NumericDates with the clock tolerance. These must also
 * be finite: JSON's 1e400 parses to Infinity, which would be a token that never expires.
 */
export function checkRegisteredClaims(claims: AccessTokenClaims, rules: ClaimRules, nowSeconds: number): void {
  if (typeof claims.iss !== 'string' || !rules.issuers.has(claims.iss)) {
    throw new Rejection('issuer_invalid', undefined, { claim: 'iss', expected: oneOf([...rules.issuers]), found: claims.iss })
  }
  if (!hasAudience(claims.aud, rules.audiences)) {
    throw new Rejection('audience_invalid', undefined, { claim: 'aud', expected: oneOf(rules.audiences), found: claims.aud })
  }
  for (const name of rules.requiredClaims) {
    if (!Object.hasOwn(claims, name)) throw new Rejection('claim_missing', undefined, { claim: name, expected: 'present (requiredClaims, or RFC 9068 in strict mode)' })
  }

  const tolerance = rules.clockTolerance
  const iat = numericDate(claims, 'iat')
  const nbf = numericDate(claims, 'nbf')
  if (nbf !== undefined && nbf > nowSeconds + tolerance) throw new Rejection('token_not_yet_valid', undefined, timeDetail('nbf', nbf, `at most now + ${tolerance} s`, nowSeconds))
  const exp = numericDate(claims, 'exp')
  if (exp !== undefined && exp <= nowSeconds - tolerance) throw new Rejection('token_expired', undefined, timeDetail('exp', exp, `after now - ${tolerance} s`, nowSeconds))
  // RFC 7519 §4.1.6: iat is when the token was issued; one issued later than now (beyond the
  // clock tolerance) comes from a clock that is wrong, or from someone minting tokens ahead.
  if (iat !== undefined && Number.isFinite(iat) && iat > nowSeconds + tolerance) {
    throw new Rejection('token_issued_in_future', undefined, timeDetail('iat', iat, `at most now + ${tolerance} s`, nowSeconds))
  }
  if (rules.maxTokenAge !== undefined) {
    // RFC 9068 §4 leaves token age to the resource; as jose does, iat is then required and
    // may lie no further back than the maximum age.
    if (iat === undefined) throw new Rejection('claim_missing', undefined, { claim: 'iat', expected: 'present (maxTokenAge)' })
    const age = nowSeconds - iat
    if (age - tolerance > rules.maxTokenAge) throw new Rejection('token_too_old', undefined, timeDetail('iat', iat, `at most ${rules.maxTokenAge} s ago (maxTokenAge)`, nowSeconds))
    // An infinite iat (1e400) is in the future here, as jose reads it; without maxTokenAge it
    // is no NumericDate at all (claim_invalid, below).
    if (age < -tolerance) throw new Rejection('token_issued_in_future', undefined, timeDetail('iat', iat, `at most now + ${tolerance} s`, nowSeconds))
  }
  // After the comparisons, so -Infinity still reads as expired and Infinity as not yet valid.
  if (!Number.isFinite(iat ?? 0) || !Number.isFinite(nbf ?? 0) || !Number.isFinite(exp ?? 0)) {
    throw new Rejection('claim_invalid', undefined, { claim: 'exp, nbf, iat', expected: 'finite NumericDates', note: 'one of them is infinite (e.g. 1e400)' })
  }
}

function hasAudience(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud)
  return Array.isArray(aud) && accepted.some((audience) => aud.includes(audience))
}

function numericDate(claims: AccessTokenClaims, name: 'iat' | 'nbf' | 'exp'): number | undefined {
  const value: unknown = claims[name]
  if (value === undefined) return undefined
  if (typeof value !== 'number') throw new Rejection('claim_invalid', undefined, { claim: name, expected: 'a NumericDate (seconds since the epoch)', found: value })
  return value
}

/** "one of …" as a log shows a list of accepted values. */
export function oneOf(values: readonly string[]): string {
  return values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.map((value) => JSON.stringify(value)).join(', ')}`
}

function timeDetail(claim: string, value: number, expected: string, nowSeconds: number): RejectionDetail {
  return { claim, expected, found: value, note: `${claim} is ${isoTime(value)}, now is ${isoTime(nowSeconds)}` }
}

function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString()
}
