import type { KeyObject } from 'node:crypto'
import type { CryptoKey, JWK } from 'jose'
import { checkEndpointUrl } from '../lib/endpoint-url.js'
import type { SharedCache } from '../introspection/shared-cache.js'
import { DEFAULT_ALGORITHMS } from './algorithms.js'
import { boolean, fail, integer, show } from './validate.js'

/**
 * The `introspection` option of `auth()`: tokens the API cannot verify itself (opaque ones)
 * are sent to the authorization server's introspection endpoint (RFC 7662), and its answer
 * is held to the same rules as a JWT's claims.
 */
export interface IntrospectionOptions {
  /** This API's client identifier at the authorization server. Required. */
  clientId: string
  /** The client secret, for `client_secret_basic` (default) and `client_secret_post`. */
  clientSecret?: string
  /** How the API authenticates to the endpoint (RFC 7662 §2.1). Default `'client_secret_basic'`, or `'private_key_jwt'` when `privateKey` is given. */
  clientAuthentication?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'
  /** The private key for `private_key_jwt` (RFC 7523 §2.2). */
  privateKey?: CryptoKey | KeyObject | JWK
  /** Its signing algorithm, e.g. `'ES256'`. Default: the JWK's `alg`; required otherwise. */
  privateKeyAlgorithm?: string
  /** Its `kid`, sent in the assertion's header. Default: the JWK's `kid`. */
  privateKeyId?: string
  /** The endpoint URL. Default: `introspection_endpoint` from the issuer's metadata (RFC 8414 §2). */
  endpoint?: string
  /** Ask for RFC 9701 signed answers and verify them with the issuer's keys. Default false. */
  signedResponse?: boolean
  /**
   * Which tokens are introspected: `'opaque'` (default) sends only tokens that are not JWTs,
   * and JWTs are verified locally; `'all'` sends every token, so a revocation takes effect as
   * soon as the cache lets it.
   */
  tokens?: 'opaque' | 'all'
  /**
   * Refuse an active answer without `aud` (RFC 7662 makes it optional). Default true; false
   * takes the server's word that the token is meant for this API.
   */
  audienceRequired?: boolean
  /**
   * Cache of answers, keyed by a SHA-256 hash of the token. `ttl` (milliseconds, default
   * 60000) is the longest a revoked token can still be accepted; an entry never outlives the
   * token's `exp`. Inactive answers are kept `inactiveTtl` (default 0: not at all). `shared`
   * adds a cache shared by the API's instances, e.g. `createRedisSharedCache()` from
   * `@scopeguard/redis`. `false` asks the server on every request.
   */
  cache?: false | { maxEntries?: number; ttl?: number; inactiveTtl?: number; shared?: SharedCache }
}

/** `introspection` after validation. */
export interface ResolvedIntrospection {
  readonly client:
    | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly clientSecret: string }
    | { readonly method: 'private_key_jwt'; readonly clientId: string; readonly privateKey: CryptoKey | KeyObject | JWK; readonly algorithm: string; readonly keyId?: string }
  readonly endpoint: string | undefined
  readonly signedResponse: boolean
  readonly tokens: 'opaque' | 'all'
  readonly audienceRequired: boolean
  readonly cache: { readonly maxEntries: number; readonly ttl: number; readonly inactiveTtl: number; readonly shared: SharedCache | undefined } | undefined
}

const KEYS = ['clientId', 'clientSecret', 'clientAuthentication', 'privateKey', 'privateKeyAlgorithm', 'privateKeyId', 'endpoint', 'signedResponse', 'tokens', 'audienceRequired', 'cache']
const EXAMPLE = "introspection: { clientId: 'calendar-api', clientSecret: process.env.INTROSPECTION_SECRET }"

/** Validates `introspection`; `issuers` are the configured issuers (the endpoint is discovered from a single one). */
export function resolveIntrospection(value: unknown, issuers: readonly string[], allowHttp: boolean): ResolvedIntrospection | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`\`introspection\` must be an object, e.g. ${EXAMPLE}; got ${show(value)}.`)
  const input = value as Record<string, unknown>
  for (const key of Object.keys(input)) if (!KEYS.includes(key)) fail(`unknown \`introspection\` setting \`${key}\`; known: ${KEYS.join(', ')}.`)
  const { clientId } = input
  if (typeof clientId !== 'string' || clientId === '') fail(`\`introspection.clientId\` is required: this API's client id at the authorization server, e.g. ${EXAMPLE}.`)
  const method = input.clientAuthentication ?? (input.privateKey !== undefined ? 'private_key_jwt' : 'client_secret_basic')
  let client: ResolvedIntrospection['client']
  if (method === 'client_secret_basic' || method === 'client_secret_post') {
    if (typeof input.clientSecret !== 'string' || input.clientSecret === '') {
      fail(`\`introspection.clientSecret\` is required with ${method}, e.g. ${EXAMPLE}; or give \`privateKey\` for private_key_jwt.`)
    }
    client = { method, clientId, clientSecret: input.clientSecret }
  } else if (method === 'private_key_jwt') {
    const key = input.privateKey
    if (typeof key !== 'object' || key === null) fail('`introspection.privateKey` is required with private_key_jwt: a private CryptoKey, KeyObject or JWK.')
    const jwk = isJwk(key) ? key : undefined
    const algorithm = input.privateKeyAlgorithm ?? jwk?.alg
    if (typeof algorithm !== 'string' || !(DEFAULT_ALGORITHMS as readonly string[]).includes(algorithm)) {
      fail(`\`introspection.privateKeyAlgorithm\` must be one of ${DEFAULT_ALGORITHMS.join(', ')} (the key's signing algorithm); got ${show(algorithm)}.`)
    }
    const keyId = input.privateKeyId ?? jwk?.kid
    if (keyId !== undefined && typeof keyId !== 'string') fail(`\`introspection.privateKeyId\` must be a string; got ${show(keyId)}.`)
    client = { method, clientId, privateKey: key as CryptoKey | KeyObject | JWK, algorithm, ...(keyId === undefined ? {} : { keyId }) }
  } else {
    fail(`\`introspection.clientAuthentication\` must be 'client_secret_basic', 'client_secret_post' or 'private_key_jwt'; got ${show(method)}.`)
  }
  let endpoint: string | undefined
  if (input.endpoint !== undefined) {
    if (typeof input.endpoint !== 'string') fail(`\`introspection.endpoint\` must be a URL string; got ${show(input.endpoint)}.`)
    const problem = checkEndpointUrl(input.endpoint, allowHttp)
    if (problem !== undefined) fail(`\`introspection.endpoint\` ${problem}; got ${show(input.endpoint)}.`)
    endpoint = input.endpoint
  } else if (issuers.length > 1) {
    fail('`introspection.endpoint` is needed with several issuers: the endpoint cannot be discovered from one of them.')
  }
  const tokens = input.tokens ?? 'opaque'
  if (tokens !== 'opaque' && tokens !== 'all') fail(`\`introspection.tokens\` must be 'opaque' or 'all'; got ${show(tokens)}.`)
  return {
    client,
    endpoint,
    signedResponse: boolean(input.signedResponse, 'introspection.signedResponse', false),
    tokens,
    audienceRequired: boolean(input.audienceRequired, 'introspection.audienceRequired', true),
    cache: resolveCache(input.cache),
  }
}

function resolveCache(value: unknown): ResolvedIntrospection['cache'] {
  if (value === false) return undefined
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    fail(`\`introspection.cache\` must be false or { maxEntries, ttl, inactiveTtl, shared }; got ${show(value)}.`)
  }
  const input = (value ?? {}) as Record<string, unknown>
  for (const key of Object.keys(input)) {
    if (!['maxEntries', 'ttl', 'inactiveTtl', 'shared'].includes(key)) fail(`unknown \`introspection.cache\` setting \`${key}\`; known: maxEntries, ttl, inactiveTtl, shared.`)
  }
  const shared = input.shared
  if (shared !== undefined && (typeof shared !== 'object' || shared === null || typeof (shared as SharedCache).get !== 'function' || typeof (shared as SharedCache).set !== 'function')) {
    fail(`\`introspection.cache.shared\` must have get(key) and set(key, value, ttlMs), e.g. createRedisSharedCache({ client }) from @scopeguard/redis; got ${show(shared)}.`)
  }
  return {
    maxEntries: integer(input.maxEntries, 'introspection.cache.maxEntries', 10_000, 1, 10_000_000, 'entries'),
    ttl: integer(input.ttl, 'introspection.cache.ttl', 60_000, 1000, 3_600_000, 'milliseconds'),
    inactiveTtl: integer(input.inactiveTtl, 'introspection.cache.inactiveTtl', 0, 0, 10_000, 'milliseconds'),
    shared: shared as SharedCache | undefined,
  }
}

function isJwk(value: object): value is JWK {
  return 'kty' in value && typeof (value as { kty: unknown }).kty === 'string'
}
