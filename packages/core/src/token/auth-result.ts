import type { JWTHeaderParameters, JWTPayload } from 'jose'
import type { TokenLocation } from '../request/extract-bearer-token.js'

/** Claims of a verified access token, with the common ones typed (RFC 7519 §4.1, RFC 9068 §2.2). */
export interface AccessTokenClaims extends JWTPayload {
  /** Issuer; always one of the configured issuers. */
  iss: string
  /** Audience; always contains one of the configured audiences. */
  aud: string | string[]
  /** Subject: the user, or the client for client-credentials tokens. */
  sub?: string
  /** Expiry, seconds since the epoch. */
  exp?: number
  /** Issued at, seconds since the epoch. */
  iat?: number
  /** Not before, seconds since the epoch. */
  nbf?: number
  /** Unique token identifier. */
  jti?: string
  /** RFC 9068 §2.2: the OAuth client the token was issued to. */
  client_id?: string
  /** RFC 9068 §2.2.3: space-delimited granted scopes. */
  scope?: string
  /** Azure AD: granted scopes, as a space-delimited string or an array. */
  scp?: string | string[]
  /** Auth0 RBAC: granted permissions. */
  permissions?: string[]
  /** RFC 7800 confirmation: the key (RFC 9449 §6.1 `jkt`) or certificate (RFC 8705 §3.1 `x5t#S256`) the token is bound to. */
  cnf?: { jkt?: string; 'x5t#S256'?: string; [member: string]: unknown }
}

/**
 * What a sender-constrained token is bound to, checked on every request: a DPoP key
 * (RFC 9449 §6) or a client certificate (RFC 8705 §3).
 */
export interface TokenBinding {
  /** The scheme the token is sent with: `DPoP` for a key-bound token, else `Bearer`. */
  readonly scheme: 'Bearer' | 'DPoP'
  /** RFC 7638 SHA-256 thumbprint of the DPoP key the request's proof was signed with (`cnf.jkt`). */
  readonly jkt: string | undefined
  /** SHA-256 thumbprint of the client certificate the request came with (`cnf["x5t#S256"]`). */
  readonly x5tS256: string | undefined
}

/** What a successful authentication leaves on `req.auth` / `ctx.state.auth`. */
export interface AuthResult {
  /** The raw access token. */
  readonly token: string
  /** Where the token was found (RFC 6750 §2). */
  readonly location: TokenLocation
  /** The verified JWS protected header; `undefined` for a token the authorization server introspected. */
  readonly header: JWTHeaderParameters | undefined
  /** How the token was checked: `jwt`, verified here with the issuer's keys; `introspection`, by asking the authorization server (RFC 7662). */
  readonly source: 'jwt' | 'introspection'
  /** The verified claims. */
  readonly claims: AccessTokenClaims
  /** The granted scopes, compared exactly (RFC 6749 §3.3); values outside the scope grammar are left out. */
  readonly scopes: ReadonlySet<string>
  /** How the token is bound to its sender, as checked for this request; `undefined` for a bearer token. */
  readonly binding?: TokenBinding
}
