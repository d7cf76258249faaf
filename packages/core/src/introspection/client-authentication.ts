import { KeyObject, randomUUID } from 'node:crypto'
import { SignJWT, type CryptoKey, type JWK } from 'jose'

/**
 * A client secret, sent in the `Authorization` header (`client_secret_basic`, RFC 6749
 * §2.3.1, the default) or in the form body (`client_secret_post`, which RFC 6749 §2.3.1 says
 * is NOT RECOMMENDED and some servers refuse).
 */
export interface ClientSecretOptions {
  /** How the secret is sent. Default `client_secret_basic`. */
  readonly method?: 'client_secret_basic' | 'client_secret_post'
  /** The resource server's client identifier at the authorization server. */
  readonly clientId: string
  /** The client secret. */
  readonly clientSecret: string
}

/** A JWT signed with the client's private key, RFC 7523 §2.2 (`private_key_jwt`, OIDC Core §9). */
export interface PrivateKeyJwtOptions {
  readonly method: 'private_key_jwt'
  /** The resource server's client identifier: `iss` and `sub` of every assertion (RFC 7523 §3). */
  readonly clientId: string
  /** The private key: a `CryptoKey` or `KeyObject`, or a private JWK (with `d`). */
  readonly privateKey: CryptoKey | KeyObject | JWK
  /** JWS algorithm of the assertion (RS256, PS256, ES256, EdDSA, …); never HS* or `none`. */
  readonly algorithm: string
  /** `kid` of the assertion's header, so the server finds the key among the client's. Default: the JWK's `kid`, else none. */
  readonly keyId?: string
  /**
   * `aud` of the assertion (RFC 7523 §3 item 3). Default: the URL of the endpoint called.
   * Set the issuer identifier for servers that want it (draft-ietf-oauth-rfc7523bis makes
   * the issuer the only value).
   */
  readonly audience?: string
  /** How long an assertion is valid, in seconds (`exp` − `iat`). Default 60, at most 600. */
  readonly assertionLifetime?: number
}

/** How the resource server authenticates to the introspection endpoint (RFC 7662 §2.1). */
export type ClientAuthenticationOptions = ClientSecretOptions | PrivateKeyJwtOptions

/** What to add to one request to the endpoint. */
export interface ClientCredentials {
  /** Request headers (`Authorization` for `client_secret_basic`). */
  readonly headers: Readonly<Record<string, string>>
  /** Form parameters for the request body. */
  readonly params: Readonly<Record<string, string>>
}

/** Produces the credentials for one request to `endpoint` (a fresh assertion each time for `private_key_jwt`). */
export type ClientAuthentication = (endpoint: string) => Promise<ClientCredentials>

// RFC 7523 §2.2.
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
// Asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037, RFC 9864). HS* with the client
// secret is client_secret_jwt, another method; `none` authenticates nobody.
const SIGNING_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'])

// Node 20's global WebCrypto key class; the ES2023 lib without DOM does not declare it.
const WebCryptoKey = (globalThis as unknown as { CryptoKey: abstract new () => object }).CryptoKey

/**
 * Checks the options once and returns the function that authenticates each request.
 * `clock` is the current time in epoch milliseconds, for the assertion's `iat` and `exp`.
 */
export function createClientAuthentication(options: ClientAuthenticationOptions, clock: () => number = Date.now): ClientAuthentication {
  const { clientId } = options
  if (typeof clientId !== 'string' || clientId === '') throw new TypeError('scopeguard: introspection `clientId` must be a non-empty string.')

  if (options.method === 'private_key_jwt') return privateKeyJwt(options, clock)
  if (options.method !== undefined && options.method !== 'client_secret_basic' && options.method !== 'client_secret_post') {
    throw new TypeError(`scopeguard: unknown client authentication method ${JSON.stringify(options.method)}; use client_secret_basic, client_secret_post or private_key_jwt.`)
  }
  const { clientSecret } = options
  if (typeof clientSecret !== 'string' || clientSecret === '') throw new TypeError('scopeguard: introspection `clientSecret` must be a non-empty string.')

  const credentials: ClientCredentials = options.method === 'client_secret_post'
    ? { headers: {}, params: { client_id: clientId, client_secret: clientSecret } }
    : { headers: { authorization: basicAuthorization(clientId, clientSecret) }, params: {} }
  return async () => credentials
}

/**
 * RFC 6749 §2.3.1: the client id and secret are each encoded with the
 * application/x-www-form-urlencoded algorithm (Appendix B) before they become the user and
 * password of HTTP Basic (RFC 7617). Skipping it breaks ids containing `:` and secrets
 * containing `%`, `+` or non-ASCII characters, which then fail against conforming servers.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`
}

// URLSearchParams serialises with exactly the WHATWG form-urlencoded rules (space as `+`,
// `~` `!` `'` `(` `)` escaped), which encodeURIComponent does not follow.
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

function privateKeyJwt(options: PrivateKeyJwtOptions, clock: () => number): ClientAuthentication {
  const { clientId, privateKey, algorithm, audience } = options
  if (!SIGNING_ALGORITHMS.has(algorithm)) {
    throw new TypeError(`scopeguard: private_key_jwt \`algorithm\` must be one of ${[...SIGNING_ALGORITHMS].join(', ')}; got ${JSON.stringify(algorithm)}.`)
  }
  checkPrivateKey(privateKey)
  const lifetime = options.assertionLifetime ?? 60
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 600) {
    throw new TypeError(`scopeguard: private_key_jwt \`assertionLifetime\` must be a whole number of seconds from 1 to 600; got ${String(lifetime)}.`)
  }
  const kid = options.keyId ?? (isJwk(privateKey) ? privateKey.kid : undefined)

  return async (endpoint) => {
    const now = Math.floor(clock() / 1000)
    const assertion = await new SignJWT({})
      .setProtectedHeader(kid === undefined ? { alg: algorithm } : { alg: algorithm, kid })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(audience ?? endpoint)
      // RFC 7523 §3 item 7: a unique jti lets the server refuse a replayed assertion.
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + lifetime)
      .sign(privateKey)
    // client_id is OPTIONAL with an assertion (RFC 7521 §4.2); sending it helps servers that
    // look the client up before reading the assertion.
    return { headers: {}, params: { client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: assertion } }
  }
}

function isJwk(key: PrivateKeyJwtOptions['privateKey']): key is JWK {
  return typeof key === 'object' && key !== null && !(key instanceof KeyObject) && !(key instanceof WebCryptoKey)
}

/** A public key or a secret here would fail on the first request; say so at construction. */
function checkPrivateKey(key: PrivateKeyJwtOptions['privateKey']): void {
  if (key instanceof KeyObject) {
    if (key.type !== 'private') throw new TypeError(`scopeguard: private_key_jwt \`privateKey\` must be a private key, not a ${key.type} KeyObject.`)
    return
  }
  if (key instanceof WebCryptoKey) {
    const { type, usages } = key as CryptoKey
    if (type !== 'private' || !usages.includes('sign')) throw new TypeError('scopeguard: private_key_jwt `privateKey` must be a private CryptoKey usable for signing.')
    return
  }
  if (!isJwk(key) || typeof key.kty !== 'string' || key.kty === 'oct' || typeof key.d !== 'string') {
    throw new TypeError('scopeguard: private_key_jwt `privateKey` must be a CryptoKey, a KeyObject or a private JWK (an RSA, EC or OKP key with `d`).')
  }
}
