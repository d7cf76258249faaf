import { errors, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose'
import { checkEndpointUrl } from '../lib/endpoint-url.js'
import { fetchJson, fetchText, IssuerFetchError, type FetchPolicy } from '../lib/fetch-json.js'
import { verifySignature, type VerificationKey } from '../keys/jws-signature.js'
import type { KeyResolver } from '../keys/key-source.js'
import { decodeJsonObject, isCanonicalCompactJws, MAX_JSON_DEPTH, nestsDeeperThan } from '../token/token-shape.js'
import { createClientAuthentication, type ClientAuthenticationOptions, type ClientCredentials } from './client-authentication.js'

/**
 * An introspection response (RFC 7662 §2.2) as the server sent it. Only `active` is checked
 * here; `checkIntrospectionResponse` checks the members it uses. An inactive answer carries
 * nothing else (§2.2: the server "SHOULD NOT include any additional information").
 */
export interface IntrospectionResponse {
  /** Whether the token is currently active. */
  readonly active: boolean
  /** `scope`, `client_id`, `exp`, `aud`, `iss`, `cnf`, `token_type` and anything else the server sent. */
  readonly [member: string]: unknown
}

/** Why introspection failed; every one is the authorization server's failure, none the token's. */
export type IntrospectionFailureReason =
  | IssuerFetchError['reason']
  /** The endpoint function failed or gave a URL that may not be used. */
  | 'endpoint'
  /** The client assertion could not be signed. */
  | 'client-authentication'
  /** JSON, but not an introspection response (not an object, `active` missing or not a boolean). */
  | 'response'
  /** An RFC 9701 response that does not verify: typ, alg, key, signature, iss, aud, iat. */
  | 'signature'
  /** Too many introspections in flight (see the introspection cache). */
  | 'busy'
  /** The cache's load function failed with something else than this error. */
  | 'load'

/**
 * The authorization server could not answer whether a token is active: down, slow, or
 * answering garbage. Not the client's fault, so the caller turns it into 503
 * `introspection_unavailable`, never `invalid_token`. The message names the endpoint and the
 * reason for operators; it never contains the token or the server's body.
 */
export class IntrospectionUnavailableError extends Error {
  override readonly name = 'IntrospectionUnavailableError'
  constructor(
    /** The endpoint asked, when one was known. */
    readonly endpoint: string | undefined,
    readonly reason: IntrospectionFailureReason,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(endpoint === undefined ? `introspection: ${detail}` : `introspection at ${endpoint}: ${detail}`, options)
  }
}

/** What every introspector needs. */
interface BaseSettings {
  /**
   * The introspection endpoint (RFC 7662 §2), or a function resolving it, typically from
   * `introspection_endpoint` in the issuer's metadata (RFC 8414 §2). The function is called
   * for every introspection, so it should cache; its URL is checked each time like a
   * configured one (https unless loopback or `allowHttp`).
   */
  readonly endpoint: string | (() => Promise<string>)
  /** How the resource server authenticates to the endpoint (RFC 7662 §2.1). */
  readonly client: ClientAuthenticationOptions
  /** Timeout, body limit, redirects, `allowHttp` and `fetch` for the request. */
  readonly policy: FetchPolicy
  /** Current time in epoch milliseconds. Default `Date.now`. */
  readonly clock?: () => number
}

/** Plain JSON responses (RFC 7662 §2.2). */
export interface JsonIntrospectionSettings extends BaseSettings {
  readonly signedResponse?: false
}

/** JWT responses signed by the authorization server (RFC 9701). */
export interface SignedIntrospectionSettings extends BaseSettings {
  readonly signedResponse: true
  /** The authorization server's issuer identifier: the response's `iss` must equal it (RFC 9701 §5). */
  readonly issuer: string
  /**
   * The issuer's keys, as the core resolves them for access tokens (`remoteKeyResolver` over
   * its `jwks_uri`): RFC 9701 responses are signed with those keys, and sharing the resolver
   * shares its JWKS cache, rotation handling and unknown-`kid` cooldown.
   */
  readonly resolveKey: KeyResolver
  /** Accepted `alg` values (RFC 8725 §3.1). Default the asymmetric ones: RS*, PS*, ES*, EdDSA, Ed25519. */
  readonly algorithms?: readonly string[]
  /**
   * Allowed clock skew for the response's `iat` and `exp`, in seconds. Default 5. The `iat`
   * must lie within the last 60 seconds (plus this): the response is made for this request.
   */
  readonly clockTolerance?: number
}

/** Settings of {@link createIntrospector}. */
export type IntrospectorSettings = JsonIntrospectionSettings | SignedIntrospectionSettings

/** Asks the authorization server about one token. Throws only {@link IntrospectionUnavailableError}. */
export type Introspector = (token: string) => Promise<IntrospectionResponse>

// RFC 9701 §4 (media type) and §5 (typ, in either spelling RFC 7515 §4.1.9 allows).
const JWT_RESPONSE_TYPE = 'application/token-introspection+jwt'
const JWT_RESPONSE_TYP = new Set(['token-introspection+jwt', JWT_RESPONSE_TYPE])
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']
// A signed response is made for this request; one much older than that is replayed from
// somewhere, or the clocks are far apart.
const MAX_RESPONSE_AGE = 60

/**
 * Builds an introspector: each call POSTs the token to the endpoint (RFC 7662 §2.1) as
 * `application/x-www-form-urlencoded` with `token_type_hint=access_token`, authenticated as
 * the resource server's client, and returns the answer once it is a well-formed
 * introspection response. Options are checked here, once.
 */
export function createIntrospector(settings: IntrospectorSettings): Introspector {
  const clock = settings.clock ?? Date.now
  const authenticate = createClientAuthentication(settings.client, clock)
  const policy = settings.policy
  const allowHttp = policy.allowHttp === true
  const { endpoint } = settings
  if (typeof endpoint === 'string') {
    const problem = checkEndpointUrl(endpoint, allowHttp)
    if (problem !== undefined) throw new TypeError(`scopeguard: the introspection endpoint ${endpoint} ${problem}.`)
  } else if (typeof endpoint !== 'function') {
    throw new TypeError('scopeguard: the introspection `endpoint` must be a URL or a function returning one.')
  }
  const verify = settings.signedResponse === true ? signedResponseVerifier(settings, clock) : undefined
  const accept = verify === undefined ? 'application/json' : JWT_RESPONSE_TYPE

  return async function introspect(token) {
    const url = await resolveEndpoint(endpoint, allowHttp)
    let credentials: ClientCredentials
    try {
      credentials = await authenticate(url)
    } catch (cause) {
      throw new IntrospectionUnavailableError(url, 'client-authentication', 'cannot sign the client assertion', { cause })
    }
    const form = new URLSearchParams({ token, token_type_hint: 'access_token', ...credentials.params })
    const request = { form, headers: { ...credentials.headers, accept } }
    let body: unknown
    try {
      body = verify === undefined
        ? await fetchJson(url, policy, undefined, request)
        : await verify(url, await fetchText(url, policy, { ...request, mediaType: JWT_RESPONSE_TYPE }))
    } catch (error) {
      if (error instanceof IntrospectionUnavailableError) throw error
      if (!(error instanceof IssuerFetchError)) throw new IntrospectionUnavailableError(url, 'response', 'the response could not be read', { cause: error })
      // The fetch error says what went wrong at which URL; the body never reaches a message.
      const detail = error.message.startsWith(`${error.url}: `) ? error.message.slice(error.url.length + 2) : error.message
      throw new IntrospectionUnavailableError(url, error.reason, detail, { cause: error })
    }
    return checkShape(url, body)
  }
}

async function resolveEndpoint(endpoint: string | (() => Promise<string>), allowHttp: boolean): Promise<string> {
  if (typeof endpoint === 'string') return endpoint
  let url: unknown
  try {
    url = await endpoint()
  } catch (cause) {
    throw new IntrospectionUnavailableError(undefined, 'endpoint', 'cannot resolve the introspection endpoint', { cause })
  }
  const problem = typeof url === 'string' ? checkEndpointUrl(url, allowHttp) : 'is not a string'
  if (problem !== undefined) throw new IntrospectionUnavailableError(undefined, 'endpoint', `the resolved endpoint ${typeof url === 'string' ? `${url} ` : ''}${problem}`)
  return url as string
}

/** RFC 7662 §2.2: a JSON object whose `active` is a boolean; anything else is a broken server. */
function checkShape(url: string, value: unknown): IntrospectionResponse {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new IntrospectionUnavailableError(url, 'response', `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`)
  }
  const { active } = value as { active?: unknown }
  if (typeof active !== 'boolean') {
    throw new IntrospectionUnavailableError(url, 'response', `"active" is ${active === undefined ? 'missing' : `a ${typeof active}, not a boolean`}`)
  }
  if (!active) return { active: false }
  // Bounded nesting: the answer is cached as JSON and handed to applications.
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) throw new IntrospectionUnavailableError(url, 'response', `the response nests deeper than ${MAX_JSON_DEPTH} levels`)
  return value as IntrospectionResponse
}

/**
 * RFC 9701 §5: the response is a JWS typed `token-introspection+jwt`, signed with the issuer's
 * key, whose `iss` is the issuer, `aud` the resource server's client id, `iat` when it was made,
 * and whose `token_introspection` member is the RFC 7662 response. Encrypted responses (§5,
 * a JWE) are not supported. Returns the `token_introspection` member, unchecked.
 */
function signedResponseVerifier(settings: SignedIntrospectionSettings, clock: () => number): (url: string, jwt: string) => Promise<unknown> {
  const { issuer, resolveKey } = settings
  const clientId = settings.client.clientId
  const algorithms = new Set(settings.algorithms ?? ASYMMETRIC)
  const tolerance = settings.clockTolerance ?? 5
  if (typeof issuer !== 'string' || issuer === '') throw new TypeError('scopeguard: a signed introspection response needs the `issuer` it must come from.')
  if (typeof resolveKey !== 'function') throw new TypeError('scopeguard: a signed introspection response needs `resolveKey`, the issuer\'s keys.')
  if (algorithms.has('none')) throw new TypeError('scopeguard: `none` cannot verify a signed introspection response.')

  return async (url, jwt) => {
    const fail = (detail: string, cause?: unknown): never => {
      throw new IntrospectionUnavailableError(url, 'signature', detail, { cause })
    }
    jwt = jwt.trim()
    if (!isCanonicalCompactJws(jwt)) fail(jwt.split('.').length === 5 ? 'encrypted (JWE) responses are not supported' : 'the response is not a compact JWS')
    const [protectedHeader, payload, signature] = jwt.split('.') as [string, string, string]
    const header = decodeJsonObject(protectedHeader) as JWSHeaderParameters | undefined
    if (header === undefined) return fail('the response header is not a JSON object')
    if (header.crit !== undefined) fail('the response header has crit, which no extension here understands (RFC 7515 §4.1.11)')
    const { alg, typ } = header
    if (typeof alg !== 'string' || !algorithms.has(alg)) fail(`the response alg ${JSON.stringify(alg)} is not accepted`)
    if (typeof typ !== 'string' || !JWT_RESPONSE_TYP.has(typ.toLowerCase())) fail(`the response typ ${JSON.stringify(typ)} is not token-introspection+jwt`)

    const input: FlattenedJWSInput = { protected: protectedHeader, payload, signature }
    let keys: VerificationKey[]
    try {
      keys = [await resolveKey(header, input)]
    } catch (error) {
      // jose's JWKS hands over several candidates for a header without kid; one must verify.
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) return fail('no key of the issuer verifies the response', error)
      keys = []
      for await (const key of error) keys.push(key)
    }
    const signingInput = Buffer.from(`${protectedHeader}.${payload}`, 'latin1')
    const bytes = Buffer.from(signature, 'base64url')
    let problem: unknown
    if (!keys.some((key) => tryVerify(alg as string, key, signingInput, bytes, (cause) => (problem = cause)))) fail('the response signature does not verify', problem)

    const claims = decodeJsonObject(payload)
    if (claims === undefined) return fail('the response payload is not a JSON object')
    if (claims.iss !== issuer) fail(`the response iss ${JSON.stringify(claims.iss)} is not ${JSON.stringify(issuer)}`)
    const { aud } = claims
    if (aud !== clientId && !(Array.isArray(aud) && aud.includes(clientId))) fail(`the response aud does not name the client ${JSON.stringify(clientId)}`)
    const now = clock() / 1000
    const { iat, exp } = claims
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail('the response has no numeric iat (RFC 9701 §5)')
    if (iat > now + tolerance) fail(`the response iat is ${Math.round(iat - now)} s in the future (clock tolerance ${tolerance} s)`)
    if (iat < now - tolerance - MAX_RESPONSE_AGE) fail(`the response iat is ${Math.round(now - iat)} s old; a fresh answer is at most ${MAX_RESPONSE_AGE} s (+ ${tolerance} s tolerance) old`)
    if (exp !== undefined && (typeof exp !== 'number' || exp <= now - tolerance)) fail('the response has expired')
    return claims.token_introspection
  }
}

function tryVerify(alg: string, key: VerificationKey, input: Buffer, signature: Buffer, failed: (cause: unknown) => void): boolean {
  try {
    verifySignature(alg, key, input, signature)
    return true
  } catch (cause) {
    failed(cause)
    return false
  }
}
