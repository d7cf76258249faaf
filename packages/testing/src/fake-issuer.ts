import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWTPayload } from 'jose'
import { createBadTokens, type BadTokens } from './bad-tokens.js'
import { ASSERTION_ALGORITHMS, checkClients, CLIENT_AUTH_METHODS, createClientAuthenticator, type RegisteredClient } from './client-authentication.js'
import { handleIntrospection, type TokenEndpointContext } from './introspection-endpoint.js'
import { isIntrospectionFault, type IntrospectionFault } from './introspection-faults.js'
import { signToken, tokenClaims, type TokenOptions } from './mint-token.js'
import { handleRevocation } from './revocation-endpoint.js'
import { generateSigningKey, type SigningAlgorithm, type SigningKey } from './signing-key.js'
import { createTokenRegistry } from './token-registry.js'

/**
 * The fake issuer's HTTP endpoints: metadata (`discovery`, every metadata URL), `jwks`, and
 * the token `introspection` (RFC 7662) and `revocation` (RFC 7009) endpoints.
 */
export type IssuerEndpoint = 'discovery' | 'jwks' | 'introspection' | 'revocation'

const ENDPOINTS: readonly IssuerEndpoint[] = ['discovery', 'jwks', 'introspection', 'revocation']

/**
 * A way for an endpoint to misbehave: answer with a status, never answer (`'hang'`), answer
 * 200 with a body that is not JSON (`'garbage'`), an HTML page (`'html'`), or drop the
 * connection (`'reset'`).
 */
export type EndpointFault = { readonly status: number } | 'hang' | 'garbage' | 'html' | 'reset'

/** Options of {@link createFakeIssuer}. */
export interface FakeIssuerOptions {
  /** Signing algorithm of generated keys. Default `'RS256'`. */
  algorithm?: SigningAlgorithm
  /**
   * Path of the issuer identifier, e.g. `'/application/o/calendar/'` to look like authentik.
   * Default `'/'`, giving an issuer `http://127.0.0.1:<port>/`.
   */
  path?: string
  /** The default `aud` of minted tokens. Default `'https://api.example.com'`. */
  audience?: string | string[]
  /**
   * Which metadata documents are served: OpenID Connect Discovery (appended
   * `/.well-known/openid-configuration`), RFC 8414 (`/.well-known/oauth-authorization-server`
   * inserted before the path), or both. Default `'both'`.
   */
  discovery?: 'openid' | 'oauth' | 'both'
  /** Extra members of the metadata document. */
  metadata?: Readonly<Record<string, unknown>>
  /**
   * The clients allowed to call the introspection and revocation endpoints, each with a
   * secret and/or a public JWK for `private_key_jwt`. Default: one client,
   * `{ clientId: 'scopeguard-api', clientSecret: 'scopeguard-secret' }`. The first one is
   * {@link FakeIssuer.client}.
   */
  clients?: readonly RegisteredClient[]
}

/** A running fake authorization server on 127.0.0.1. */
export interface FakeIssuer {
  /** The issuer identifier, as tokens' `iss` carries it, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string
  /** Absolute URL of the JWKS. */
  readonly jwksUri: string
  /** Absolute URL of the introspection endpoint (RFC 7662), as the metadata's `introspection_endpoint`. */
  readonly introspectionEndpoint: string
  /** Absolute URL of the revocation endpoint (RFC 7009), as the metadata's `revocation_endpoint`. */
  readonly revocationEndpoint: string
  /** The first registered client: by default `{ clientId: 'scopeguard-api', clientSecret: 'scopeguard-secret' }`. */
  readonly client: RegisteredClient
  /** The default audience of minted tokens. */
  readonly audience: string | string[]
  /** The key new tokens are signed with. */
  readonly signingKey: SigningKey
  /** Every key currently published in the JWKS. */
  readonly publishedKeys: readonly SigningKey[]
  /**
   * How many requests each endpoint has received (all discovery URLs count as `discovery`).
   * `introspection` and `revocation` are not enumerable, so that an assertion on the whole
   * object (`toEqual({ discovery: 1, jwks: 1 })`) means what it meant before they existed:
   * read them by name (`issuer.requests.introspection`) or with `toMatchObject`.
   */
  readonly requests: Readonly<Record<IssuerEndpoint, number>>
  /** Mints a valid RFC 9068 access token (`typ: at+jwt`, iss, aud, sub, client_id, iat, exp, jti). */
  token(options?: TokenOptions): Promise<string>
  /** The claims {@link token} would sign, for assertions. */
  claims(options?: TokenOptions): JWTPayload
  /**
   * Mints an opaque access token: a random string (`opaque_` and 43 base64url characters,
   * never JWT-shaped) whose claims, built as {@link claims} builds them (`header` aside), only
   * the introspection endpoint reveals.
   */
  opaqueToken(options?: TokenOptions): string
  /**
   * Revokes a token, opaque or JWT, as the revocation endpoint does: it introspects as
   * `{ active: false }` from now on. A revoked JWT still verifies against the JWKS; an API
   * learns of the revocation by introspecting it, or through {@link isRevoked}, e.g.
   * `auth({ …, isRevoked: (auth) => issuer.isRevoked(auth.token) })`.
   */
  revoke(token: string): void
  /** Whether the token was revoked, by {@link revoke} or the revocation endpoint. */
  isRevoked(token: string): boolean
  /** Named ways to make tokens our middleware must reject. */
  readonly bad: BadTokens
  /** Publishes a new key and signs with it from now on; the old keys stay published. Returns the new key. */
  rotateKeys(): Promise<SigningKey>
  /** Removes a key from the JWKS (it may still sign, for negative tests). */
  retireKey(kid: string): void
  /** Makes an endpoint (or every one) misbehave until {@link recover} is called. */
  fail(endpoint: IssuerEndpoint | 'all', fault: EndpointFault): void
  /** Makes the introspection endpoint answer wrongly (see {@link IntrospectionFault}) until {@link recover} is called. */
  fail(endpoint: 'introspection', fault: IntrospectionFault): void
  /** Ends every fault. */
  recover(): void
  /** Resets the request counters to zero. */
  resetCounts(): void
  /** Stops the server and drops open connections (including hanging ones). */
  close(): Promise<void>
}

/**
 * Starts a fake issuer on 127.0.0.1 on a free port: a real HTTP server with discovery
 * metadata and a JWKS of freshly generated keys, so the production middleware verifies its
 * tokens through its normal path. Nothing global is patched.
 *
 * @example
 * const issuer = await createFakeIssuer()
 * app.use(auth({ issuer: issuer.url, audience: issuer.audience }))
 * const token = await issuer.token({ scope: 'read:appointments' })
 * await issuer.close()
 */
export async function createFakeIssuer(options: FakeIssuerOptions = {}): Promise<FakeIssuer> {
  const algorithm = options.algorithm ?? 'RS256'
  const path = normalisePath(options.path ?? '/')
  const audience = options.audience ?? 'https://api.example.com'
  const discovery = options.discovery ?? 'both'
  const clients = checkClients(options.clients)
  let signing = await generateSigningKey(algorithm)
  let published: SigningKey[] = [signing]
  const faults = new Map<IssuerEndpoint, EndpointFault | IntrospectionFault>()
  const requests = { discovery: 0, jwks: 0 } as Record<IssuerEndpoint, number>
  // Not enumerable: `expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 })`, written
  // before these endpoints existed, keeps passing; read them by name.
  for (const name of ['introspection', 'revocation'] as const) Object.defineProperty(requests, name, { value: 0, writable: true, enumerable: false })

  const server: Server = createServer((req, res) => handle(req, res))
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const url = `${origin}${path}`
  const trimmed = path.replace(/\/+$/, '')
  const jwksUri = `${origin}${trimmed}/jwks`
  const introspectionEndpoint = `${origin}${trimmed}/introspect`
  const revocationEndpoint = `${origin}${trimmed}/revoke`
  const registry = createTokenRegistry(url, () => published)
  const authenticate = createClientAuthenticator(clients)
  const endpointContext = (endpoint: string): TokenEndpointContext => ({ issuer: url, url: endpoint, registry, authenticate, signingKey: () => signing })
  const introspection = endpointContext(introspectionEndpoint)
  const revocation = endpointContext(revocationEndpoint)
  const routes = new Map<string, IssuerEndpoint>([
    [`${trimmed}/jwks`, 'jwks'],
    [`${trimmed}/introspect`, 'introspection'],
    [`${trimmed}/revoke`, 'revocation'],
  ])
  const metadataPaths = new Set<string>()
  if (discovery !== 'oauth') metadataPaths.add(`${trimmed}/.well-known/openid-configuration`)
  if (discovery !== 'openid') metadataPaths.add(`/.well-known/oauth-authorization-server${trimmed}`)

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const target = (req.url ?? '/').split('?')[0] ?? '/'
    const endpoint: IssuerEndpoint | undefined = routes.get(target) ?? (metadataPaths.has(target) ? 'discovery' : undefined)
    const post = endpoint === 'introspection' || endpoint === 'revocation'
    if (post && req.method !== 'POST') {
      // RFC 7662 §2.1 and RFC 7009 §2.1: POST only.
      res.writeHead(405, { 'content-type': 'application/json', allow: 'POST' }).end('{"error":"invalid_request"}')
      return
    }
    if (endpoint === undefined || (!post && req.method !== 'GET')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}')
      return
    }
    requests[endpoint]++
    const fault = faults.get(endpoint)
    if (fault !== undefined && !isIntrospectionFault(fault)) return misbehave(res, fault)
    if (post) {
      const answered = endpoint === 'introspection' ? handleIntrospection(req, res, introspection, fault as IntrospectionFault | undefined) : handleRevocation(req, res, revocation)
      answered.catch(() => {
        // A bug of the fake, not a fault a test asked for: fail loudly rather than hang.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end('fake issuer error')
      })
      return
    }
    const body = endpoint === 'jwks'
      ? { keys: published.map((key) => key.publicJwk) }
      : {
          issuer: url,
          jwks_uri: jwksUri,
          authorization_endpoint: `${origin}${trimmed}/authorize`,
          token_endpoint: `${origin}${trimmed}/token`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [algorithm],
          introspection_endpoint: introspectionEndpoint,
          introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
          introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
          // RFC 9701 §7: the algorithm of signed introspection answers.
          introspection_signing_alg_values_supported: [algorithm],
          revocation_endpoint: revocationEndpoint,
          revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
          revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
          ...options.metadata,
        }
    res.writeHead(200, { 'content-type': endpoint === 'jwks' ? 'application/jwk-set+json' : 'application/json' })
    res.end(JSON.stringify(body))
  }

  const issuer: Omit<FakeIssuer, 'bad'> = {
    url,
    jwksUri,
    introspectionEndpoint,
    revocationEndpoint,
    client: clients[0] as RegisteredClient,
    audience,
    get signingKey() {
      return signing
    },
    get publishedKeys() {
      return [...published]
    },
    requests,
    claims: (tokenOptions) => tokenClaims(url, audience, tokenOptions),
    token: (tokenOptions = {}) => signToken(signing, tokenClaims(url, audience, tokenOptions), tokenOptions.header),
    opaqueToken: (tokenOptions) => registry.opaque(tokenClaims(url, audience, tokenOptions)),
    revoke: (token) => registry.revoke(token),
    isRevoked: (token) => registry.isRevoked(token),
    async rotateKeys() {
      signing = await generateSigningKey(algorithm)
      published = [...published, signing]
      return signing
    },
    retireKey(kid) {
      published = published.filter((key) => key.kid !== kid)
    },
    fail(endpoint: IssuerEndpoint | 'all', fault: EndpointFault | IntrospectionFault) {
      if (endpoint !== 'all' && !ENDPOINTS.includes(endpoint)) throw new TypeError(`fail: unknown endpoint ${JSON.stringify(endpoint)}; known: ${ENDPOINTS.join(', ')}, all`)
      if (isIntrospectionFault(fault) && endpoint !== 'introspection') throw new TypeError(`fail: ${JSON.stringify(fault)} is a fault of the introspection endpoint only`)
      for (const name of endpoint === 'all' ? ENDPOINTS : [endpoint]) faults.set(name, fault)
    },
    recover() {
      faults.clear()
    },
    resetCounts() {
      for (const name of ENDPOINTS) requests[name] = 0
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
  return Object.assign(issuer, { bad: createBadTokens(issuer) })
}

function misbehave(res: ServerResponse, fault: EndpointFault): void {
  if (fault === 'hang') return // never answer; close() drops the connection
  if (fault === 'reset') {
    res.socket?.destroy()
    return
  }
  if (fault === 'garbage') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [ this is not json')
    return
  }
  if (fault === 'html') {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Service maintenance</body></html>')
    return
  }
  res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('upstream failure')
}

function normalisePath(path: string): string {
  const withLeading = path.startsWith('/') ? path : `/${path}`
  return withLeading
}
