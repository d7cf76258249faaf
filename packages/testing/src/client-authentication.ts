import { createHash, timingSafeEqual } from 'node:crypto'
import { decodeJwt, importJWK, jwtVerify, type JWK } from 'jose'

/**
 * A client registered at the fake issuer, allowed to call its introspection and revocation
 * endpoints. It authenticates with its secret (`client_secret_basic` or `client_secret_post`,
 * RFC 6749 §2.3.1), or with a JWT signed by the private key of `jwk` (`private_key_jwt`,
 * RFC 7523 §2.2), or either when it has both.
 */
export interface RegisteredClient {
  /** The client identifier. */
  readonly clientId: string
  /** The client secret. Default: none (the client cannot use a secret). */
  readonly clientSecret?: string
  /** The client's public key, for `private_key_jwt`. Public members only. Default: none. */
  readonly jwk?: JWK
}

/** The client the fake issuer registers when `clients` is not given. */
export const DEFAULT_CLIENT: RegisteredClient = Object.freeze({ clientId: 'scopeguard-api', clientSecret: 'scopeguard-secret' })

/** The authentication methods the endpoints accept, as RFC 8414 metadata names them. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const

/** Algorithms of accepted client assertions: asymmetric only (HS* would be client_secret_jwt). */
export const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']

/** What the request offers to authenticate the client. */
export interface ClientCredentialsInput {
  /** The `Authorization` header. */
  readonly authorization: string | undefined
  /** The form parameters of the request body. */
  readonly params: URLSearchParams
  /** Accepted `aud` values of a client assertion: the endpoint URL and the issuer identifier (RFC 7523 §3 item 3). */
  readonly audiences: readonly string[]
}

/** The authenticated client, or the OAuth error to answer (RFC 6749 §5.2). */
export type ClientAuthenticationResult =
  | { readonly clientId: string }
  | { readonly status: 400 | 401; readonly error: 'invalid_request' | 'invalid_client'; readonly description: string }

/** Authenticates the client of one request. */
export type ClientAuthenticator = (input: ClientCredentialsInput) => Promise<ClientAuthenticationResult>

// RFC 7523 §2.2.
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']

/** Checks the registered clients once, at construction. */
export function checkClients(clients: readonly RegisteredClient[] | undefined): readonly RegisteredClient[] {
  if (clients === undefined) return [DEFAULT_CLIENT]
  if (!Array.isArray(clients) || clients.length === 0) throw new TypeError('createFakeIssuer: `clients` must be a non-empty array, e.g. [{ clientId: \'api\', clientSecret: \'secret\' }]')
  const seen = new Set<string>()
  for (const client of clients) {
    const { clientId, clientSecret, jwk } = client ?? {}
    if (typeof clientId !== 'string' || clientId === '') throw new TypeError('createFakeIssuer: every client needs a non-empty `clientId`')
    if (seen.has(clientId)) throw new TypeError(`createFakeIssuer: client ${JSON.stringify(clientId)} is registered twice`)
    seen.add(clientId)
    if (clientSecret === undefined && jwk === undefined) throw new TypeError(`createFakeIssuer: client ${JSON.stringify(clientId)} needs a \`clientSecret\` or a \`jwk\``)
    if (clientSecret !== undefined && (typeof clientSecret !== 'string' || clientSecret === '')) throw new TypeError(`createFakeIssuer: the \`clientSecret\` of ${JSON.stringify(clientId)} must be a non-empty string`)
    if (jwk !== undefined) {
      if (typeof jwk !== 'object' || jwk === null || jwk.kty === 'oct' || typeof jwk.kty !== 'string') throw new TypeError(`createFakeIssuer: the \`jwk\` of ${JSON.stringify(clientId)} must be an asymmetric public JWK`)
      // An authorization server holds the client's public key only; a private one here is a mix-up.
      if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw new TypeError(`createFakeIssuer: the \`jwk\` of ${JSON.stringify(clientId)} contains a private key; register the public JWK`)
    }
  }
  return clients.map((client) => Object.freeze({ ...client }))
}

/**
 * Builds the authenticator of the endpoints for `clients`. Exactly one method per request
 * (RFC 6749 §2.3: the client "MUST NOT use more than one authentication method in each
 * request"); a client assertion's `jti` is accepted once (RFC 7523 §3 item 7).
 */
export function createClientAuthenticator(clients: readonly RegisteredClient[]): ClientAuthenticator {
  const byId = new Map(clients.map((client) => [client.clientId, client]))
  const usedAssertions = new Set<string>()
  const invalidClient = (description: string): ClientAuthenticationResult => ({ status: 401, error: 'invalid_client', description })
  const invalidRequest = (description: string): ClientAuthenticationResult => ({ status: 400, error: 'invalid_request', description })

  async function privateKeyJwt(params: URLSearchParams, audiences: readonly string[]): Promise<ClientAuthenticationResult> {
    if (params.get('client_assertion_type') !== JWT_BEARER) return invalidClient(`client_assertion_type must be ${JWT_BEARER}`)
    const assertion = params.get('client_assertion') ?? ''
    let subject: unknown
    try {
      subject = decodeJwt(assertion).sub
    } catch {
      return invalidClient('the client assertion is not a JWT')
    }
    const clientId = params.get('client_id') ?? subject
    if (typeof clientId !== 'string' || clientId !== subject) return invalidClient('the client assertion sub is not the client_id')
    const jwk = byId.get(clientId)?.jwk
    if (jwk === undefined) return invalidClient('no client with a registered key has this client_id')
    try {
      const { payload } = await jwtVerify(assertion, (header) => importJWK(jwk, header.alg), {
        issuer: clientId,
        subject: clientId,
        audience: [...audiences],
        algorithms: jwk.alg === undefined ? ASSERTION_ALGORITHMS : ASSERTION_ALGORITHMS.filter((alg) => alg === jwk.alg),
        requiredClaims: ['exp'],
      })
      if (typeof payload.jti === 'string') {
        const key = `${clientId}\n${payload.jti}`
        if (usedAssertions.has(key)) return invalidClient('the client assertion was already used')
        usedAssertions.add(key)
      }
    } catch {
      return invalidClient('the client assertion does not verify (signature, iss, sub, aud or exp)')
    }
    return { clientId }
  }

  function secret(clientId: string, presented: string): ClientAuthenticationResult {
    const expected = byId.get(clientId)?.clientSecret
    return expected !== undefined && sameSecret(expected, presented) ? { clientId } : invalidClient('unknown client or wrong secret')
  }

  return async function authenticateClient({ authorization, params, audiences }) {
    const basic = authorization !== undefined && /^basic /i.test(authorization)
    const post = params.has('client_secret')
    const jwt = params.has('client_assertion') || params.has('client_assertion_type')
    if (Number(basic) + Number(post) + Number(jwt) > 1) return invalidRequest('more than one client authentication method (RFC 6749 §2.3)')
    if (jwt) return privateKeyJwt(params, audiences)
    if (post) return secret(params.get('client_id') ?? '', params.get('client_secret') ?? '')
    if (!basic) return invalidClient('client authentication is required')
    const credentials = decodeBasic(authorization.slice(6).trim())
    if (credentials === undefined) return invalidClient('malformed Basic credentials')
    const bodyId = params.get('client_id')
    if (bodyId !== null && bodyId !== credentials.clientId) return invalidRequest('client_id differs from the Basic credentials')
    return secret(credentials.clientId, credentials.clientSecret)
  }
}

// RFC 6749 §2.3.1: id and secret are form-urlencoded (Appendix B) before they become the
// user and password of Basic, so `+` is a space and `%xx` an escape; a client that skips the
// encoding fails here as it would at a conforming server.
function decodeBasic(token: string): { clientId: string; clientSecret: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return undefined
  const decoded = Buffer.from(token, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  try {
    const formDecode = (part: string): string => decodeURIComponent(part.replace(/\+/g, ' '))
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

function sameSecret(expected: string, presented: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(expected), digest(presented))
}
