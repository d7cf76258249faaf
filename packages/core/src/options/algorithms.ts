/** Asymmetric JWS algorithms accepted by default (RFC 8725 §3.1: an explicit allowlist). */
export const DEFAULT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const
/** Symmetric algorithms, accepted only with the `secret` option. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const
