import { createHash, randomUUID } from 'node:crypto'
import { SignJWT, type JWTHeaderParameters } from 'jose'
import type { DpopKey } from './dpop-key.js'
import { dropUndefined } from './lib/drop-undefined.js'

/** What {@link createDpopProof} puts in a proof. */
export interface DpopProofOptions {
  /** The client's DPoP key: signs the proof, and its public JWK goes in the `jwk` header. */
  key: DpopKey
  /** `htm`: the HTTP method of the request, as sent (methods are case-sensitive), e.g. `'GET'`. */
  method: string
  /**
   * The URL of the request. `htu` is this without its query and fragment (RFC 9449 §4.2),
   * e.g. `'https://api.example.com/appointments'` — the origin your API is configured with,
   * not the ephemeral address supertest listens on.
   */
  url: string | URL
  /** The access token sent with the proof; sets `ath`, base64url(SHA-256(token)) (RFC 9449 §4.2). Default: no `ath`. */
  accessToken?: string
  /** A server nonce from a `DPoP-Nonce` response header (RFC 9449 §9). Default: no `nonce`. */
  nonce?: string
  /** `iat`, seconds since the epoch. Default: now. */
  iat?: number
  /** `jti`. Default: a random UUID, new for every proof (a reused one is a replay). */
  jti?: string
  /** Extra or overriding claims; a value of `undefined` removes the claim (e.g. `{ jti: undefined }`). */
  claims?: Readonly<Record<string, unknown>>
  /** Extra or overriding protected header parameters; `undefined` removes one. */
  header?: Readonly<Record<string, unknown>>
}

/**
 * Creates a DPoP proof (RFC 9449 §4.2), the value of the `DPoP` request header: a compact JWS
 * with `typ: dpop+jwt`, the key's public `jwk` in the header, and the claims `jti`, `htm`,
 * `htu`, `iat`, plus `ath` and `nonce` when given. A fresh proof is needed for every request.
 *
 * @example
 * const key = await generateDpopKey()
 * const token = await issuer.token({ dpop: key, scope: 'read:appointments' })
 * const proof = await createDpopProof({ key, method: 'GET', url: 'https://api.example.com/appointments', accessToken: token })
 * await request(app).get('/appointments').set('Authorization', `DPoP ${token}`).set('DPoP', proof).expect(200)
 */
export async function createDpopProof(options: DpopProofOptions): Promise<string> {
  const { key } = options
  return new SignJWT(proofClaims(options))
    .setProtectedHeader(proofHeader(key, options.header))
    .sign(key.privateKey)
}

/** The protected header of a proof by `key`, with overrides. */
export function proofHeader(key: DpopKey, header: Readonly<Record<string, unknown>> = {}): JWTHeaderParameters {
  return dropUndefined({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...header }) as unknown as JWTHeaderParameters
}

/** The claims of a proof as {@link DpopProofOptions} describes them. */
export function proofClaims(options: Omit<DpopProofOptions, 'key' | 'header'>): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.method,
    htu: targetUri(options.url),
    iat: options.iat ?? Math.floor(Date.now() / 1000),
  }
  if (options.accessToken !== undefined) claims.ath = accessTokenHash(options.accessToken)
  if (options.nonce !== undefined) claims.nonce = options.nonce
  return dropUndefined({ ...claims, ...options.claims })
}

/** RFC 9449 §4.2 `ath`: base64url of the SHA-256 of the ASCII access token. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}

// RFC 9449 §4.2: htu is the target URI "without query and fragment parts".
function targetUri(url: string | URL): string {
  const target = new URL(url)
  target.search = ''
  target.hash = ''
  return target.href
}
