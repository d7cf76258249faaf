import type { AccessTokenClaims } from '../token/auth-result.js'
import { Rejection } from '../errors/rejection.js'
import { checkRegisteredClaims, oneOf, type ClaimRules } from '../token/jwt-claims.js'
import type { IntrospectionResponse } from './introspect.js'

/** What an introspection response is checked against: the rules of JWT access tokens, and two more. */
export interface IntrospectionRules extends ClaimRules {
  /**
   * Refuse an active response without `aud` (`claim_missing`). RFC 7662 §2.2 makes `aud`
   * optional, but most servers send it, and without it nothing shows the token was meant for
   * this resource rather than another one of the same server. Default true; with false a
   * missing `aud` is taken to be the configured audience, on the server's word that the token
   * is usable here (RFC 7662 §4).
   */
  readonly audienceRequired?: boolean
  /** Current time in epoch milliseconds, for `exp`, `nbf` and `iat`. */
  readonly clock: () => number
}

/** The claims of an active token, as the authorization server described them. */
export interface IntrospectedClaims extends AccessTokenClaims {
  /**
   * RFC 7662 §2.2 `token_type`: `Bearer`, or `DPoP` for a DPoP-bound token (RFC 9449 §6.2).
   * Kept for the sender-constraint checks.
   */
  token_type?: string
  /**
   * RFC 7800 confirmation, untouched: `jkt` for a DPoP key (RFC 9449 §6.2), `x5t#S256` for a
   * client certificate (RFC 8705 §3.2). Checked by the sender-constraint step, not here.
   */
  cnf?: Readonly<Record<string, unknown>>
  /** RFC 7662 §2.2: a human-readable identifier of the resource owner. */
  username?: string
}

// RFC 7662 §2.2 members that are strings when present. A member of another type is refused
// rather than ignored: a `scope` array would otherwise read as no scope at all.
const STRING_MEMBERS = ['scope', 'client_id', 'username', 'token_type', 'sub', 'jti'] as const

/**
 * Turns an introspection response into the claims of the token, or throws a {@link Rejection}:
 * - `active` not true → `token_inactive` (RFC 7662 §2.2);
 * - `iss`, when present, must be a configured issuer (`issuer_invalid`); when absent it is the
 *   configured issuer if there is exactly one, else `claim_missing`;
 * - `aud` (a string or an array, RFC 7662 §2.2) must contain a configured audience
 *   (`audience_invalid`); when absent see {@link IntrospectionRules.audienceRequired};
 * - the required claims, then `nbf`, `exp` and `iat` against the clock with the tolerance,
 *   exactly as for JWT access tokens (`token_not_yet_valid`, `token_expired`, …): a server
 *   may still call a token active a moment after its `exp`, or cache its own answers;
 * - the string members and `cnf` must have their types (`claim_invalid`).
 *
 * `scope`, `token_type`, `cnf` and every other member are kept as the server sent them;
 * `active` is not a claim of the token and is left out.
 */
export function checkIntrospectionResponse(response: IntrospectionResponse, rules: IntrospectionRules): IntrospectedClaims {
  if (response.active !== true) throw new Rejection('token_inactive', undefined, { claim: 'active', expected: 'true', found: response.active })
  const { active: _active, ...claims } = response as IntrospectionResponse & Partial<IntrospectedClaims>

  if (claims.iss === undefined) {
    // The server asked is the one that knows the token (RFC 7662 §1); with several
    // configured, nothing says which of them it speaks for.
    if (rules.issuers.size !== 1) throw new Rejection('claim_missing', undefined, { claim: 'iss', expected: `present, one of ${oneOf([...rules.issuers])}`, note: 'several issuers are configured' })
    claims.iss = rules.issuers.values().next().value as string
  }
  if (claims.aud === undefined) {
    if (rules.audienceRequired !== false) {
      throw new Rejection('claim_missing', undefined, { claim: 'aud', expected: oneOf(rules.audiences), note: 'the introspection response has no aud; set audienceRequired: false for servers that never send it' })
    }
    claims.aud = rules.audiences.length === 1 ? (rules.audiences[0] as string) : [...rules.audiences]
  }
  checkRegisteredClaims(claims as IntrospectedClaims, rules, Math.floor(rules.clock() / 1000))

  for (const name of STRING_MEMBERS) {
    const value: unknown = claims[name]
    if (value !== undefined && typeof value !== 'string') throw new Rejection('claim_invalid', undefined, { claim: name, expected: 'a string (RFC 7662 §2.2)', found: value })
  }
  // A cnf that is not an object cannot be checked; ignoring it would accept a bound token
  // without its key, so it is refused instead.
  const { cnf } = claims
  if (cnf !== undefined && (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf))) {
    throw new Rejection('claim_invalid', undefined, { claim: 'cnf', expected: 'a JSON object (RFC 7800 §3.1)', found: cnf })
  }
  return claims as IntrospectedClaims
}
