/**
 * The `error` of a challenge: RFC 6750 §3.1's codes, and RFC 9449 §7.1 and §8's for DPoP
 * proofs and server nonces.
 */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce'

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
  token_inactive: { status: 401, error: 'invalid_token', description: 'The access token is not active' },
  token_revoked: { status: 401, error: 'invalid_token', description: 'The access token was revoked' },
  // Sender-constrained tokens. RFC 9449 §7.1: a key-bound token presented as a bearer token,
  // or bound to another key, is invalid_token; RFC 8705 §3: so is a certificate mismatch.
  token_bound_to_key: { status: 401, error: 'invalid_token', description: 'The access token is bound to a key and must be sent with the DPoP scheme' },
  token_not_bound: { status: 401, error: 'invalid_token', description: 'The access token is not bound to a DPoP key' },
  token_binding_unsupported: { status: 401, error: 'invalid_token', description: 'The access token is bound in a way this resource cannot check' },
  dpop_key_mismatch: { status: 401, error: 'invalid_token', description: 'The access token is bound to another key' },
  certificate_missing: { status: 401, error: 'invalid_token', description: 'The access token is bound to a client certificate the request lacks' },
  certificate_mismatch: { status: 401, error: 'invalid_token', description: 'The access token is bound to another client certificate' },
  // RFC 9449 §4.3 checks of the DPoP proof; each failure is invalid_dpop_proof (§7.1).
  dpop_proof_missing: { status: 401, error: 'invalid_dpop_proof', description: 'A DPoP proof is required' },
  dpop_proof_multiple: { status: 401, error: 'invalid_dpop_proof', description: 'More than one DPoP proof was sent' },
  dpop_proof_too_long: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof is too long' },
  dpop_proof_malformed: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof is malformed' },
  dpop_proof_type_invalid: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof type is not dpop+jwt' },
  dpop_proof_algorithm_not_allowed: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof signing algorithm is not allowed' },
  dpop_proof_key_invalid: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof key is not a usable public key' },
  dpop_proof_signature_invalid: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof signature is invalid' },
  dpop_proof_method_mismatch: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof is for another HTTP method' },
  dpop_proof_uri_mismatch: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof is for another URI' },
  dpop_proof_time_invalid: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof was not issued within the accepted window' },
  dpop_proof_token_hash_mismatch: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof is for another access token' },
  dpop_proof_replayed: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof was already used' },
  dpop_proof_nonce_invalid: { status: 401, error: 'use_dpop_nonce', description: 'Resource server requires nonce in DPoP proof' },
  // RFC 6750 §3.1 insufficient_scope: "The resource server SHOULD respond with the HTTP 403".
  scope_insufficient: { status: 403, error: 'insufficient_scope', description: 'The access token lacks the required scope' },
  // Not the client's fault: the issuer's discovery or JWKS endpoint failed. Never invalid_token.
  keys_unavailable: { status: 503, description: 'The token signing keys are temporarily unavailable' },
  introspection_unavailable: { status: 503, description: 'The authorization server cannot check tokens at the moment' },
  replay_store_unavailable: { status: 503, description: 'DPoP proofs cannot be checked at the moment' },
  revocation_unavailable: { status: 503, description: 'Token revocation cannot be checked at the moment' },
} as const satisfies Record<string, ErrorKind>

/** Stable, machine-readable identifier of every failure scopeguard reports. */
export type AuthErrorCode = keyof typeof KINDS

/** Every failure code with its HTTP status, RFC 6750 error code and description. */
export const AUTH_ERRORS: { readonly [C in AuthErrorCode]: ErrorKind } = KINDS
