import type { BearerErrorCode } from './error-codes.js'

/** The parameters of one RFC 6750 §3 `Bearer` challenge. */
export interface ChallengeParams {
  /** RFC 6750 §3: the protection space; included first when set. */
  readonly realm?: string | undefined
  /** RFC 6750 §3.1 error code; omitted when the request carried no credentials. */
  readonly error?: BearerErrorCode | undefined
  /** Human-readable text; only ever one of our fixed, ASCII-safe descriptions. */
  readonly errorDescription?: string | undefined
  /** RFC 6750 §3: space-delimited scope tokens the resource needs. */
  readonly scope?: string | undefined
  /** RFC 9728 §5.1: URL of the protected resource metadata. */
  readonly resourceMetadata?: string | undefined
  /** RFC 9449 §7.1 `algs` of a `DPoP` challenge: the accepted proof algorithms, space-separated. */
  readonly algs?: string | undefined
}

// RFC 6750 §3: error, error_description and scope values "MUST NOT include characters
// outside the set %x20-21 / %x23-5B / %x5D-7E" (scope: scope-tokens joined by SP).
const OUTSIDE_RFC6750_SET = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g

/**
 * Quotes a value as an RFC 9110 §5.6.4 quoted-string. Only the realm and the metadata URL
 * come here; both are configured by the application, never taken from the request, but we
 * still escape `"` and `\` and drop anything outside visible ASCII so a mistaken value can
 * never split or inject a header.
 */
function quote(value: string): string {
  return `"${value.replace(/[^\x20-\x7E]/g, '').replace(/["\\]/g, '\\$&')}"`
}

/**
 * Builds one `WWW-Authenticate` challenge: `Bearer` (RFC 6750 §3) or `DPoP` (RFC 9449 §7.1,
 * the same parameters plus `algs`). Every value is reduced to the character set the RFC
 * allows for its attribute.
 */
export function buildChallenge(params: ChallengeParams, scheme: 'Bearer' | 'DPoP' = 'Bearer'): string {
  const parts: string[] = []
  if (params.realm !== undefined) parts.push(`realm=${quote(params.realm)}`)
  if (params.error !== undefined) parts.push(`error="${params.error}"`)
  if (params.errorDescription !== undefined) {
    parts.push(`error_description="${params.errorDescription.replace(OUTSIDE_RFC6750_SET, '')}"`)
  }
  if (params.scope !== undefined) parts.push(`scope="${params.scope.replace(OUTSIDE_RFC6750_SET, '')}"`)
  if (params.resourceMetadata !== undefined) {
    parts.push(`resource_metadata=${quote(params.resourceMetadata)}`)
  }
  if (params.algs !== undefined) parts.push(`algs="${params.algs.replace(OUTSIDE_RFC6750_SET, '')}"`)
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`
}
