import { randomUUID } from 'node:crypto'
import { SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose'
import { certificateThumbprint } from './certificate-thumbprint.js'
import { dropUndefined } from './lib/drop-undefined.js'
import type { SigningKey } from './signing-key.js'

/** How the granted scopes are written into the token. */
export type ScopeStyle =
  /** `scope: "a b"` (RFC 9068, Okta, Keycloak, authentik). */
  | 'scope'
  /** `scp: "a b"` (Azure AD v2 delegated tokens). */
  | 'scp-string'
  /** `scp: ["a", "b"]`. */
  | 'scp'
  /** `permissions: ["a", "b"]` (Auth0 RBAC). */
  | 'permissions'

/** What to put in a minted token. Every field has a default that yields a valid RFC 9068 token. */
export interface TokenOptions {
  /** Granted scopes, as a list or a space-delimited string. Default: none. */
  scope?: string | readonly string[]
  /** Which claim carries the scopes. Default `'scope'`. */
  scopeStyle?: ScopeStyle
  /** `sub` claim. Default `'user-1'`. */
  subject?: string
  /** `aud` claim. Default: the issuer's default audience. */
  audience?: string | string[]
  /** `client_id` claim. Default `'test-client'`. */
  clientId?: string
  /** Seconds until `exp`. Default 300. */
  expiresIn?: number
  /** Extra or overriding claims; a value of `undefined` removes the claim. */
  claims?: Readonly<Record<string, unknown>>
  /** Extra or overriding protected header parameters; `undefined` removes one (e.g. `{ typ: undefined }`). */
  header?: Readonly<Record<string, unknown>>
  /** The "current time" the token is minted at, seconds since the epoch. Default: now. */
  now?: number
  /**
   * Binds the token to a DPoP key (RFC 9449 §6.1): `cnf: { jkt: key.thumbprint }`. Any
   * object with the key's RFC 7638 `thumbprint` fits, e.g. from `generateDpopKey()`.
   * The token stays `typ: at+jwt`. Default: not bound.
   */
  dpop?: { readonly thumbprint: string }
  /**
   * Binds the token to a client certificate (RFC 8705 §3.1): `cnf: { 'x5t#S256': … }`, the
   * SHA-256 thumbprint of the certificate's DER bytes. DER bytes or a PEM string, e.g.
   * `der` or `certPem` of `generateClientCertificate()`. Default: not bound.
   */
  certificate?: Uint8Array | string
}

/** Builds the claims of a token as {@link TokenOptions} describes. */
export function tokenClaims(issuer: string, defaultAudience: string | string[], options: TokenOptions = {}): JWTPayload {
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const scopes = typeof options.scope === 'string' ? options.scope.split(' ').filter(Boolean) : [...(options.scope ?? [])]
  const claims: Record<string, unknown> = {
    iss: issuer,
    sub: options.subject ?? 'user-1',
    aud: options.audience ?? defaultAudience,
    client_id: options.clientId ?? 'test-client',
    iat: now,
    exp: now + (options.expiresIn ?? 300),
    jti: randomUUID(),
  }
  const cnf = confirmation(options)
  if (cnf !== undefined) claims.cnf = cnf
  if (options.scope !== undefined) {
    const style = options.scopeStyle ?? 'scope'
    if (style === 'scope') claims.scope = scopes.join(' ')
    else if (style === 'scp-string') claims.scp = scopes.join(' ')
    else if (style === 'scp') claims.scp = scopes
    else claims.permissions = scopes
  }
  return dropUndefined({ ...claims, ...options.claims }) as JWTPayload
}

/** Signs `claims` with `key`, as `typ: at+jwt` unless the header says otherwise. */
export async function signToken(key: SigningKey, claims: JWTPayload, header: Readonly<Record<string, unknown>> = {}): Promise<string> {
  const protectedHeader = dropUndefined({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header }) as JWTHeaderParameters
  return new SignJWT(claims).setProtectedHeader(protectedHeader).sign(key.privateKey)
}

// RFC 7800 §3.1: one `cnf` claim holds every confirmation method the token is bound by.
function confirmation(options: TokenOptions): Record<string, string> | undefined {
  if (options.dpop === undefined && options.certificate === undefined) return undefined
  const cnf: Record<string, string> = {}
  if (options.dpop !== undefined) cnf.jkt = options.dpop.thumbprint
  if (options.certificate !== undefined) cnf['x5t#S256'] = certificateThumbprint(options.certificate)
  return cnf
}
