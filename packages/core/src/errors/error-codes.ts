/** RFC 6750 §3.1 error codes. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

interface ErrorKind {
  readonly status: 400 | 401 | 403 | 503
  /** RFC 6750 §3.1 code; absent when the request carried no usable credentials (§3.1 last paragraph). */
  readonly error?: BearerErrorCode
  /** Fixed, ASCII-only text. Never built from the token, the request or an upstream message. */
  readonly description: string
}

// One table is the single source of the status, RFC 6750 code and description of every failure.
const KINDS = {
  // RFC 6750 §3.1: "If the request lacks any authentication information ... the resource
  // server SHOULD NOT include an error code or other error information."
  credentials_missing: { status: 401, description: 'A bearer access token is required' },
  scheme_unsupported: { status: 401, description: 'A bearer access token is required' },
  // RFC 6750 §3.1 invalid_request: malformed request, or more than one method used.
  authorization_malformed: { status: 400, error: 'invalid_request', description: 'The bearer credentials are malformed' },
  credentials_multiple: { status: 400, error: 'invalid_request', description: 'More than one access token was sent' },
  // RFC 6750 §3.1 invalid_token: "expired, revoked, malformed, or invalid for other reasons".
  token_too_long: { status: 401, error: 'invalid_token', description: 'The access token is too long' },
  token_malformed: { status: 401, error: 'invalid_token', description: 'The access token is malformed' },
  token_type_invalid: { status: 401, error: 'invalid_token', description: 'The token is not an access token' },
  algorithm_not_allowed: { status: 401, error: 'invalid_token', description: 'The access token signing algorithm is not allowed' },
  key_not_found: { status: 401, error: 'invalid_token', description: 'The access token signing key is unknown' },
  key_unusable: { status: 401, error: 'invalid_token', description: 'The access token signing key is not usable' },
  signature_invalid: { status: 401, error: 'invalid_token', description: 'The access token signature is invalid' },
  token_expired: { status: 401, error: 'invalid_token', description: 'The access token expired' },
  token_not_yet_valid: { status: 401, error: 'invalid_token', description: 'The access token is not yet valid' },
  token_too_old: { status: 401, error: 'invalid_token', description: 'The access token is too old' },
  token_issued_in_future: { status: 401, error: 'invalid_token', description: 'The access token was issued in the future' },
  issuer_invalid: { status: 401, error: 'invalid_token', description: 'The access token issuer is not trusted' },
  audience_invalid: { status: 401, error: 'invalid_token', description: 'The access token is not meant for this resource' },
  claim_missing: { status: 401, error: 'invalid_token', description: 'The access token lacks a required claim' },
  claim_invalid: { status: 401, error: 'invalid_token', description: 'The access token has an invalid claim' },
  // RFC 6750 §3.1 insufficient_scope: "The resource server SHOULD respond with the HTTP 403".
  scope_insufficient: { status: 403, error: 'insufficient_scope', description: 'The access token lacks the required scope' },
  // Not the client's fault: the issuer's discovery or JWKS endpoint failed. Never invalid_token.
  keys_unavailable: { status: 503, description: 'The token signing keys are temporarily unavailable' },
} as const satisfies Record<string, ErrorKind>

/** Stable, machine-readable identifier of every failure scopeguard reports. */
export type AuthErrorCode = keyof typeof KINDS

/** Every failure code with its HTTP status, RFC 6750 error code and description. */
export const AUTH_ERRORS: { readonly [C in AuthErrorCode]: ErrorKind } = KINDS
