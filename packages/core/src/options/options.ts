import type { ClaimCheck } from '../token/claim-check.js'
import { closestMatch } from '../lib/did-you-mean.js'
import { checkEndpointUrl } from '../lib/endpoint-url.js'
import type { KeySourceEventHandler } from '../keys/key-source-event.js'
import type { GetKey, LocalKey } from '../keys/key-source.js'
import { checkResourceIdentifier, type ResolvedResourceMetadata, type ResourceMetadataOptions } from '../metadata/protected-resource-metadata.js'
import { isScopeCatalogue, type ScopeCatalogue } from '../scopes/scope-catalogue.js'
import type { AuthResult } from '../token/auth-result.js'
import { DEFAULT_ALGORITHMS, HMAC_ALGORITHMS } from './algorithms.js'
import { resolveDpop, resolveMtls, type DpopOptions, type MtlsOptions, type ResolvedDpop, type ResolvedMtls } from './sender-options.js'
import { boolean, fail, integer, optionalFunction, show, stringList } from './validate.js'
import { resolveIntrospection, type IntrospectionOptions, type ResolvedIntrospection } from './introspection-options.js'

export { DEFAULT_ALGORITHMS, HMAC_ALGORITHMS } from './algorithms.js'
export type { DpopOptions, MtlsOptions, ResolvedDpop, ResolvedMtls } from './sender-options.js'
export type { IntrospectionOptions, ResolvedIntrospection } from './introspection-options.js'


/** Options of `auth()` in every adapter. */
export interface AuthOptions {
  /**
   * The trusted issuer(s), compared exactly with the token's `iss` (RFC 9068 §4). With no
   * `jwksUri`, `keys` or `secret`, the JWKS is found through the issuer's metadata (OpenID
   * Connect Discovery, then RFC 8414). Required.
   */
  issuer: string | readonly string[]
  /**
   * This API's identifier(s); the token's `aud` must contain one (RFC 9068 §4). Required.
   */
  audience: string | readonly string[]
  /** URL of the JWKS; skips discovery. Only with a single `issuer`. */
  jwksUri?: string
  /** Verification keys held locally: JWK, JWKS, PEM (public key or certificate), `KeyObject`, or a list. */
  keys?: LocalKey | readonly LocalKey[]
  /**
   * A custom key source, e.g. an existing `jwks-rsa` client:
   * `getKey: async (header) => (await client.getSigningKey(header.kid)).getPublicKey()`.
   * Return a `KeyObject`, `CryptoKey` or PEM string; `null`, `undefined` or jwks-rsa's
   * `SigningKeyNotFoundError` mean "unknown key" (401), any other failure means the keys are
   * unavailable (503).
   */
  getKey?: GetKey
  /**
   * Shared secret for HS256/384/512, at least 32 bytes (RFC 7518 §3.2). An explicit opt-in:
   * it cannot be combined with `keys` or `jwksUri`, and asymmetric algorithms are then refused.
   */
  secret?: string | Uint8Array
  /**
   * Accepted `alg` values. Default: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA, Ed25519;
   * with `secret`: HS256/384/512. `none` is never accepted, and symmetric and asymmetric
   * algorithms are never mixed (RFC 8725 §2.1, §3.1).
   */
  algorithms?: readonly string[]
  /** Allowed clock skew for `exp`, `nbf` and `iat`, in seconds. Default 5, at most 300. */
  clockTolerance?: number
  /** Reject tokens issued (`iat`) longer ago than this many seconds. Default: no limit. */
  maxTokenAge?: number
  /** Claims that must be present. Default `['exp']`; pass `[]` to accept tokens that never expire. */
  requiredClaims?: readonly string[]
  /**
   * RFC 9068 strict mode: require `typ: at+jwt` and the claims `iss`, `exp`, `aud`, `sub`,
   * `client_id`, `iat` and `jti` (RFC 9068 §2.2, §4). Default false: `typ` may then be
   * `at+jwt`, `application/at+jwt`, `JWT` or absent, and any other `typ` is refused
   * (RFC 8725 §3.11, so an ID token or logout token is not taken for an access token).
   */
  strictRfc9068?: boolean
  /** Extra checks per claim, e.g. `{ tid: { equals: 'my-tenant' }, groups: { includes: 'staff' } }`. */
  claims?: Readonly<Record<string, ClaimCheck>>
  /**
   * Claims the granted scopes are read from, merged. A string claim is space-delimited, an
   * array claim holds one scope per element. Default `['scope', 'scp']` (RFC 9068, Okta,
   * Keycloak, authentik, Azure AD); Auth0 RBAC: `['scope', 'permissions']`.
   */
  scopeClaims?: string | readonly string[]
  /**
   * `realm` of the `WWW-Authenticate` challenges (RFC 6750 §3). Default `'api'`, so that every
   * challenge has the auth-param RFC 6750 §3 requires ("one or more auth-param values").
   */
  realm?: string
  /** Accept the RFC 6750 §2.2 form-encoded body parameter. The body must already be parsed. Default false. */
  acceptBodyToken?: boolean
  /** Accept the RFC 6750 §2.3 `access_token` query parameter. Default false (RFC 6750 §5.3 advises against it). */
  acceptQueryToken?: boolean
  /** Longest accepted token, in characters, checked before any parsing. Default 8192. */
  maxTokenLength?: number
  /** Let requests without a bearer token through, with no `auth` set. Invalid tokens are still rejected. Default false. */
  optional?: boolean
  /**
   * Default true: the adapter answers a failed request itself (status, `WWW-Authenticate`,
   * JSON body). False: the error goes to the application's error handling instead
   * (`next(err)` in Express, thrown in Koa).
   */
  handleErrors?: boolean
  /** Status when the issuer's keys cannot be obtained. Default 503. */
  unavailableStatus?: 500 | 502 | 503 | 504
  /** `Retry-After` seconds sent with `unavailableStatus`. Default 10. */
  retryAfter?: number
  /** Timeout of each discovery or JWKS request, in milliseconds. Default 5000. */
  fetchTimeout?: number
  /** Largest discovery or JWKS body accepted, in bytes. Default 524288 (512 KiB). */
  maxResponseBytes?: number
  /** How long a fetched JWKS is used before it is fetched again, in milliseconds (at least 1000). Default 600000 (10 minutes). */
  jwksCacheMaxAge?: number
  /** Minimum time between JWKS fetches triggered by an unknown `kid`, in milliseconds. Default 30000. */
  jwksCooldown?: number
  /**
   * How long past `jwksCacheMaxAge` cached keys keep serving while refreshing them fails, in
   * milliseconds (stale-if-error). Default 86400000 (24 hours).
   */
  jwksStaleIfError?: number
  /** How long issuer metadata is used before it is fetched again, in milliseconds. Default 3600000 (1 hour). */
  metadataCacheMaxAge?: number
  /** First retry delay after a failed discovery or JWKS fetch, in milliseconds; doubles per failure. Default 1000. */
  fetchRetryMin?: number
  /** Longest retry delay after failed fetches, in milliseconds. Default 60000. */
  fetchRetryMax?: number
  /** Follow HTTP redirects from discovery and JWKS endpoints. Default false. */
  followRedirects?: boolean
  /**
   * The `fetch` that discovery and JWKS requests are sent with. Default: the global `fetch`.
   * Give one to send them through a proxy or trust a private CA, e.g. undici's
   * `(url, init) => fetch(url, { ...init, dispatcher: new ProxyAgent('http://proxy:3128') })`.
   * It must honour `init.signal` (the timeout) and `redirect: 'manual'`.
   */
  fetch?: typeof globalThis.fetch
  /** Receives key source events (keys fetched, refresh failed, serving stale, keys unavailable) for logging or alerting. */
  onEvent?: KeySourceEventHandler
  /**
   * Print a process warning (once per distinct cause, on stderr) when a misconfiguration makes
   * requests fail whatever the client sends: the issuer's keys cannot be had (a wrong issuer,
   * an unreachable host, a JWKS without a usable key), or tokens carry scopes in a claim that
   * `scopeClaims` does not read. Never the token. Default true.
   */
  warnings?: boolean
  /**
   * Cache of verified tokens: a token already verified skips the signature check (its expiry
   * is still checked on every use). A token enters on its second use, so one-off tokens never
   * take memory. Entries never outlive the token's `exp` or `ttl`, and are dropped when their
   * key leaves the JWKS; failures are never cached. Custom `claims` checks run once per cached
   * token. Default on: `{ maxEntries: 10000, maxBytes: 33554432, ttl: 300000 }` (ttl in
   * milliseconds); `false` turns it off.
   */
  tokenCache?: boolean | { maxEntries?: number; maxBytes?: number; ttl?: number }
  /** Current time in milliseconds, for every time check: `exp`, `nbf`, `iat`, the key and token caches. Default `Date.now`; tests inject a fake clock. */
  clock?: () => number
  /** Allow plain-http issuer endpoints (and a plain-http `resourceMetadata.resource`) other than localhost. Default false. */
  allowHttp?: boolean
  /**
   * Publish RFC 9728 protected resource metadata: `auth()` answers `GET` / `HEAD` (and the CORS preflight `OPTIONS`) on
   * `/.well-known/oauth-protected-resource<path of resource>` with a document built from
   * these options (`authorization_servers` = `issuer`, `scopes_supported` = `scopes`,
   * `bearer_methods_supported` from `acceptBodyToken` / `acceptQueryToken`), and challenges
   * carry `resource_metadata` (§5.1). Default: none.
   */
  resourceMetadata?: ResourceMetadataOptions
  /**
   * The API's scope catalogue, from `defineScopes()` (adapters) or `defineScopeCatalogue()`;
   * published as RFC 9728 `scopes_supported`. Default: none.
   */
  scopes?: ScopeCatalogue
  /**
   * DPoP-bound access tokens (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` proof
   * header. Default: allowed, once the URL clients call is known (`dpop.origin` or
   * `resourceMetadata.resource`); see {@link DpopOptions}.
   */
  dpop?: DpopOptions
  /**
   * Certificate-bound access tokens (RFC 8705 §3): a token whose `cnf` names a certificate
   * thumbprint is accepted only from a client presenting that certificate. Such tokens are
   * always checked against the TLS connection's certificate; give this option to read it from
   * a trusted proxy's `Client-Cert` header instead, and to advertise the support in the RFC 9728
   * metadata.
   */
  mtls?: MtlsOptions
  /**
   * Consulted for every accepted token, cached ones included, before the request goes on:
   * return true to refuse it (401 `invalid_token`), e.g. from a `jti` deny list
   * (`createRedisDenyList()` in `@scopeguard/redis`). If it throws, rejects or takes longer
   * than `fetchTimeout`, the request gets 503 with `Retry-After`. Default: none.
   */
  isRevoked?: (auth: AuthResult) => boolean | Promise<boolean>
  /**
   * Token introspection (RFC 7662) for tokens the API cannot verify itself: opaque tokens, or
   * every token with `tokens: 'all'`. Answers are cached for at most `cache.ttl` (default 60 s)
   * and never past the token's `exp`. When the endpoint is down, slow or answers garbage, the
   * request gets 503 with `Retry-After`, never 401. Default: none (only JWTs are accepted).
   */
  introspection?: IntrospectionOptions
}

/** Options after validation, with defaults applied. */
export interface ResolvedOptions {
  readonly issuers: readonly string[]
  readonly audiences: readonly string[]
  readonly keySource:
    | { readonly kind: 'remote'; readonly jwksUri: string | undefined }
    | { readonly kind: 'local'; readonly keys: readonly LocalKey[] }
    | { readonly kind: 'secret'; readonly secret: Uint8Array }
    | { readonly kind: 'custom'; readonly getKey: GetKey }
  readonly algorithms: readonly string[]
  readonly clockTolerance: number
  readonly maxTokenAge: number | undefined
  readonly requiredClaims: readonly string[]
  readonly strictRfc9068: boolean
  readonly claimChecks: readonly (readonly [string, ClaimCheck])[]
  readonly scopeClaims: readonly string[]
  readonly realm: string
  readonly acceptBodyToken: boolean
  readonly acceptQueryToken: boolean
  readonly maxTokenLength: number
  readonly optional: boolean
  readonly handleErrors: boolean
  readonly unavailableStatus: number
  readonly retryAfter: number
  readonly fetchTimeout: number
  readonly maxResponseBytes: number
  readonly jwksCacheMaxAge: number
  readonly jwksCooldown: number
  readonly jwksStaleIfError: number
  readonly metadataCacheMaxAge: number
  readonly fetchRetryMin: number
  readonly fetchRetryMax: number
  readonly followRedirects: boolean
  readonly onEvent: KeySourceEventHandler | undefined
  readonly fetch: typeof globalThis.fetch | undefined
  readonly warnings: boolean
  readonly clock: () => number
  readonly tokenCache: { readonly maxEntries: number; readonly maxBytes: number; readonly ttl: number } | undefined
  readonly allowHttp: boolean
  readonly resourceMetadata: ResolvedResourceMetadata | undefined
  readonly scopes: ScopeCatalogue | undefined
  readonly dpop: ResolvedDpop
  readonly mtls: ResolvedMtls
  readonly isRevoked: ((auth: AuthResult) => boolean | Promise<boolean>) | undefined
  readonly introspection: ResolvedIntrospection | undefined
}

const KNOWN_OPTIONS = new Set<string>([
  'issuer', 'audience', 'jwksUri', 'keys', 'secret', 'algorithms', 'clockTolerance', 'maxTokenAge',
  'requiredClaims', 'strictRfc9068', 'claims', 'scopeClaims', 'realm', 'acceptBodyToken', 'acceptQueryToken',
  'maxTokenLength', 'optional', 'handleErrors', 'unavailableStatus', 'retryAfter', 'fetchTimeout',
  'maxResponseBytes', 'jwksCacheMaxAge', 'jwksCooldown', 'allowHttp', 'getKey', 'jwksStaleIfError',
  'metadataCacheMaxAge', 'fetchRetryMin', 'fetchRetryMax', 'followRedirects', 'fetch', 'onEvent', 'warnings', 'clock', 'tokenCache',
  'resourceMetadata', 'scopes', 'dpop', 'mtls', 'isRevoked', 'introspection',
])

/** Validates `auth()` options once, at construction, with messages that say how to fix them. */
export function resolveOptions(input: AuthOptions): ResolvedOptions {
  if (typeof input !== 'object' || input === null) {
    fail("auth() needs an options object, e.g. auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com' }).")
  }
  for (const key of Object.keys(input)) {
    if (!KNOWN_OPTIONS.has(key)) fail(unknownOption(key))
  }
  if (input.issuer === undefined) {
    fail("`issuer` is required: the URL your tokens' `iss` claim holds, e.g. issuer: 'https://idp.example.com/'.")
  }
  if (input.audience === undefined) {
    fail("`audience` is required: this API's identifier as your tokens' `aud` claim holds it, e.g. audience: 'https://api.example.com/calendar'.")
  }
  const issuers = stringList(input.issuer, 'issuer', "issuer: 'https://idp.example.com/'")
  for (const issuer of issuers) {
    // RFC 8414 §2: an issuer identifier is a URL "that has no query or fragment components".
    if (/^https?:\/\/[^?#]*[?#]/i.test(issuer)) {
      fail(`\`issuer\` ${show(issuer)} has a query or fragment, which an issuer identifier never has (RFC 8414 §2); write it as your tokens' \`iss\` claim holds it.`)
    }
  }
  const audiences = stringList(input.audience, 'audience', "audience: 'https://api.example.com/calendar'")
  const allowHttp = boolean(input.allowHttp, 'allowHttp', false)

  const sources = (['jwksUri', 'keys', 'secret', 'getKey'] as const).filter((name) => input[name] !== undefined)
  if (sources.length > 1) {
    fail(`\`${sources.join('` and `')}\` cannot be combined; give one source of keys (a shared secret is never mixed with public keys).`)
  }
  let keySource: ResolvedOptions['keySource']
  if (input.secret !== undefined) {
    const secret = typeof input.secret === 'string' ? new TextEncoder().encode(input.secret) : input.secret
    if (!(secret instanceof Uint8Array)) fail(`\`secret\` must be a string or a Uint8Array; got ${show(input.secret)}.`)
    // RFC 7518 §3.2: "A key of the same size as the hash output (for instance, 256 bits for
    // HS256) or larger MUST be used".
    if (secret.byteLength < 32) fail(`\`secret\` must be at least 32 bytes (RFC 7518 §3.2); got ${secret.byteLength}.`)
    keySource = { kind: 'secret', secret }
  } else if (input.getKey !== undefined) {
    if (typeof input.getKey !== 'function') fail(`\`getKey\` must be a function (header, token) => key; got ${show(input.getKey)}.`)
    keySource = { kind: 'custom', getKey: input.getKey }
  } else if (input.keys !== undefined) {
    const keys = Array.isArray(input.keys) ? (input.keys as LocalKey[]) : [input.keys as LocalKey]
    if (keys.length === 0) fail('`keys` is an empty list; give at least one public key, or leave `keys` out to use discovery.')
    keySource = { kind: 'local', keys }
  } else {
    if (input.jwksUri !== undefined) {
      if (typeof input.jwksUri !== 'string') fail(`\`jwksUri\` must be a URL string; got ${show(input.jwksUri)}.`)
      if (issuers.length > 1) fail('`jwksUri` applies to a single issuer; with several issuers leave it out and let discovery find each JWKS.')
      const problem = checkEndpointUrl(input.jwksUri, allowHttp)
      if (problem !== undefined) fail(`\`jwksUri\` ${problem}; got ${show(input.jwksUri)}.`)
    } else {
      for (const issuer of issuers) {
        const problem = checkEndpointUrl(issuer, allowHttp)
        if (problem !== undefined) {
          fail(`\`issuer\` ${show(issuer)} ${problem}: the keys are found from the issuer's metadata, so it must be a URL that can be fetched. Or give \`jwksUri\`, \`keys\` or \`secret\`.`)
        }
      }
    }
    keySource = { kind: 'remote', jwksUri: input.jwksUri }
  }

  const symmetric = keySource.kind === 'secret'
  const allowed: readonly string[] = symmetric ? HMAC_ALGORITHMS : DEFAULT_ALGORITHMS
  let algorithms: string[] = [...allowed]
  if (input.algorithms !== undefined) {
    algorithms = stringList(input.algorithms, 'algorithms', symmetric ? "algorithms: ['HS256']" : "algorithms: ['RS256']")
    for (const alg of algorithms) {
      if (alg.toLowerCase() === 'none') fail('`algorithms` must not contain "none": unsigned tokens are never accepted (RFC 8725 §3.1).')
      if (!allowed.includes(alg)) {
        fail(
          symmetric
            ? `\`algorithms\` contains ${show(alg)}, but with \`secret\` only ${HMAC_ALGORITHMS.join(', ')} are allowed.`
            : `\`algorithms\` contains ${show(alg)}; allowed with public keys: ${DEFAULT_ALGORITHMS.join(', ')}. ` +
                'HS* algorithms need the `secret` option (never a public key: RFC 8725 §2.1).',
        )
      }
    }
  }

  const requiredClaims = input.requiredClaims === undefined
    ? ['exp']
    : Array.isArray(input.requiredClaims) && input.requiredClaims.every((c) => typeof c === 'string' && c !== '')
      ? [...input.requiredClaims]
      : fail("`requiredClaims` must be an array of claim names, e.g. ['exp', 'sub'].")

  const claimChecks: [string, ClaimCheck][] = []
  if (input.claims !== undefined) {
    if (typeof input.claims !== 'object' || input.claims === null || Array.isArray(input.claims)) {
      fail("`claims` must be an object of claim name → check, e.g. { tid: { equals: 'my-tenant' } }.")
    }
    for (const [name, check] of Object.entries(input.claims)) {
      const valid = typeof check === 'function' ||
        (typeof check === 'object' && check !== null && Object.keys(check).length === 1 &&
          (('equals' in check && isPrimitive(check.equals)) || ('includes' in check && isPrimitive(check.includes))))
      if (!valid) {
        fail(`\`claims.${name}\` must be { equals: value }, { includes: value } (string, number, boolean or null) or a function (value, claims) => boolean.`)
      }
      // A check runs on every uncached token, synchronously: a promise is not `true`, so an
      // async function would refuse every token without a word.
      if (typeof check === 'function' && check.constructor.name === 'AsyncFunction') {
        fail(`\`claims.${name}\` is an async function; claim checks are synchronous and must return true or false. Check what needs I/O in a middleware after auth().`)
      }
      claimChecks.push([name, check])
    }
  }

  const scopeClaims = input.scopeClaims === undefined
    ? ['scope', 'scp']
    : stringList(input.scopeClaims, 'scopeClaims', "scopeClaims: ['scope', 'permissions']")

  if (input.realm !== undefined && (typeof input.realm !== 'string' || !/^[\x20-\x7E]*$/.test(input.realm))) {
    fail(`\`realm\` must be a string of printable ASCII characters; got ${show(input.realm)}.`)
  }

  const unavailableStatus = input.unavailableStatus === undefined ? 503 : input.unavailableStatus
  if (![500, 502, 503, 504].includes(unavailableStatus)) {
    fail(`\`unavailableStatus\` must be 500, 502, 503 or 504; got ${show(input.unavailableStatus)}.`)
  }

  const fetchRetryMin = integer(input.fetchRetryMin, 'fetchRetryMin', 1000, 0, 3_600_000, 'milliseconds')
  const fetchRetryMax = integer(input.fetchRetryMax, 'fetchRetryMax', Math.max(60_000, fetchRetryMin), 0, 86_400_000, 'milliseconds')
  if (fetchRetryMax < fetchRetryMin) fail(`\`fetchRetryMax\` (${fetchRetryMax}) must not be below \`fetchRetryMin\` (${fetchRetryMin}).`)

  const resourceMetadata = resolveResourceMetadata(input.resourceMetadata, allowHttp)
  const dpop = resolveDpop(input.dpop, resourceMetadata?.resource, allowHttp)
  const acceptBodyToken = boolean(input.acceptBodyToken, 'acceptBodyToken', false)
  const acceptQueryToken = boolean(input.acceptQueryToken, 'acceptQueryToken', false)
  if (dpop.mode === 'required' && (acceptBodyToken || acceptQueryToken)) {
    fail("`dpop.mode: 'required'` accepts tokens only in the Authorization header (RFC 9449 §7.1); remove `acceptBodyToken` and `acceptQueryToken`.")
  }

  return {
    issuers,
    audiences,
    keySource,
    algorithms,
    clockTolerance: integer(input.clockTolerance, 'clockTolerance', 5, 0, 300, 'seconds'),
    maxTokenAge: input.maxTokenAge === undefined ? undefined : integer(input.maxTokenAge, 'maxTokenAge', 0, 1, 31_536_000, 'seconds'),
    requiredClaims,
    strictRfc9068: boolean(input.strictRfc9068, 'strictRfc9068', false),
    claimChecks,
    scopeClaims,
    realm: input.realm ?? 'api',
    acceptBodyToken,
    acceptQueryToken,
    maxTokenLength: integer(input.maxTokenLength, 'maxTokenLength', 8192, 16, 1_048_576, 'characters'),
    optional: boolean(input.optional, 'optional', false),
    handleErrors: boolean(input.handleErrors, 'handleErrors', true),
    unavailableStatus,
    retryAfter: integer(input.retryAfter, 'retryAfter', 10, 0, 86_400, 'seconds'),
    fetchTimeout: integer(input.fetchTimeout, 'fetchTimeout', 5000, 1, 120_000, 'milliseconds'),
    maxResponseBytes: integer(input.maxResponseBytes, 'maxResponseBytes', 524_288, 1024, 67_108_864, 'bytes'),
    // At least a second: every request past the age starts a background refresh, so a shorter
    // one would send the identity provider a JWKS request for nearly every uncached token.
    jwksCacheMaxAge: integer(input.jwksCacheMaxAge, 'jwksCacheMaxAge', 600_000, 1000, 604_800_000, 'milliseconds'),
    jwksCooldown: integer(input.jwksCooldown, 'jwksCooldown', 30_000, 0, 86_400_000, 'milliseconds'),
    jwksStaleIfError: integer(input.jwksStaleIfError, 'jwksStaleIfError', 86_400_000, 0, 2_592_000_000, 'milliseconds'),
    metadataCacheMaxAge: integer(input.metadataCacheMaxAge, 'metadataCacheMaxAge', 3_600_000, 0, 604_800_000, 'milliseconds'),
    fetchRetryMin,
    fetchRetryMax,
    followRedirects: boolean(input.followRedirects, 'followRedirects', false),
    onEvent: optionalFunction(input.onEvent, 'onEvent', '(event) => logger.info(event)') as KeySourceEventHandler | undefined,
    warnings: boolean(input.warnings, 'warnings', true),
    fetch: optionalFunction(input.fetch, 'fetch', "(url, init) => fetch(url, { ...init, dispatcher })") as typeof globalThis.fetch | undefined,
    clock: (optionalFunction(input.clock, 'clock', '() => Date.now()') as (() => number) | undefined) ?? Date.now,
    tokenCache: resolveTokenCache(input.tokenCache),
    allowHttp,
    resourceMetadata,
    scopes: resolveScopes(input.scopes),
    dpop,
    mtls: resolveMtls(input.mtls),
    introspection: resolveIntrospection(input.introspection, issuers, allowHttp),
    isRevoked: optionalFunction(input.isRevoked, 'isRevoked', '(auth) => denyList.isRevoked(auth.claims)') as ResolvedOptions['isRevoked'],
  }
}

function resolveResourceMetadata(value: AuthOptions['resourceMetadata'], allowHttp: boolean): ResolvedResourceMetadata | undefined {
  if (value === undefined) return undefined
  const example = "resourceMetadata: { resource: 'https://api.example.com/calendar' }"
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`\`resourceMetadata\` must be an object, e.g. ${example}; got ${show(value)}.`)
  for (const key of Object.keys(value)) {
    if (!['resource', 'resourceName', 'resourceDocumentation', 'challenge'].includes(key)) {
      fail(`unknown \`resourceMetadata\` setting \`${key}\`; known: resource, resourceName, resourceDocumentation, challenge.`)
    }
  }
  if (value.resource === undefined) fail(`\`resourceMetadata.resource\` is required: this API's URL as clients reach it, e.g. ${example}.`)
  const problem = checkResourceIdentifier(value.resource, allowHttp)
  if (problem !== undefined) fail(`\`resourceMetadata.resource\` ${problem}; got ${show(value.resource)}.`)
  if (value.resourceName !== undefined && (typeof value.resourceName !== 'string' || value.resourceName.trim() === '')) {
    fail(`\`resourceMetadata.resourceName\` must be a non-empty string, e.g. 'Calendar API'; got ${show(value.resourceName)}.`)
  }
  if (value.resourceDocumentation !== undefined && !isWebUrl(value.resourceDocumentation)) {
    fail(`\`resourceMetadata.resourceDocumentation\` must be an absolute http(s) URL of a page for developers; got ${show(value.resourceDocumentation)}.`)
  }
  return {
    resource: value.resource,
    resourceName: value.resourceName,
    resourceDocumentation: value.resourceDocumentation,
    challenge: boolean(value.challenge, 'resourceMetadata.challenge', true),
  }
}

function resolveScopes(value: unknown): ScopeCatalogue | undefined {
  if (value !== undefined && !isScopeCatalogue(value)) {
    fail(`\`scopes\` must be a scope catalogue: pass \`catalogue\` from defineScopes({...}), or defineScopeCatalogue({...}); got ${show(value)}.`)
  }
  return value
}

function isWebUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false
  try {
    const { protocol } = new URL(value)
    return protocol === 'https:' || protocol === 'http:'
  } catch {
    return false
  }
}

function resolveTokenCache(value: AuthOptions['tokenCache']): ResolvedOptions['tokenCache'] {
  if (value === false) return undefined
  if (value !== undefined && value !== true && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    fail(`\`tokenCache\` must be true, false or { maxEntries, maxBytes, ttl }; got ${show(value)}.`)
  }
  const settings = typeof value === 'object' ? value : {}
  for (const key of Object.keys(settings)) {
    if (!['maxEntries', 'maxBytes', 'ttl'].includes(key)) fail(`unknown \`tokenCache\` setting \`${key}\`; known: maxEntries, maxBytes, ttl.`)
  }
  return {
    maxEntries: integer(settings.maxEntries, 'tokenCache.maxEntries', 10_000, 1, 10_000_000, 'entries'),
    maxBytes: integer(settings.maxBytes, 'tokenCache.maxBytes', 33_554_432, 65_536, 4_294_967_296, 'bytes'),
    ttl: integer(settings.ttl, 'tokenCache.ttl', 300_000, 1000, 86_400_000, 'milliseconds'),
  }
}

function isPrimitive(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null
}

// Option names of the libraries users come from, with the scopeguard spelling to use.
const PEER_OPTIONS: Readonly<Record<string, string>> = {
  issuerBaseURL: "`issuer` (express-oauth2-jwt-bearer's issuerBaseURL): issuer: 'https://idp.example.com/'",
  tokenSigningAlg: "`algorithms` (express-oauth2-jwt-bearer's tokenSigningAlg): algorithms: ['RS256']",
  authRequired: '`optional: true` (express-oauth2-jwt-bearer\'s authRequired: false)',
  requiredScopes: "requireScopes() on the route: app.get('/x', requireScopes('read:x'), handler)",
  secretOrPublicKey: '`secret` for an HMAC secret, `keys` for public keys',
  credentialsRequired: '`optional: true` (express-jwt\'s credentialsRequired: false)',
  passthrough: '`optional: true` (koa-jwt\'s passthrough)',
  jwksUrl: '`jwksUri`',
  algorithm: "`algorithms` (a list): algorithms: ['RS256']",
  clockTimestamp: '`clock` (a function returning milliseconds)',
  maxAge: '`maxTokenAge` (seconds)',
  audiences: '`audience` (a string or a list)',
  issuers: '`issuer` (a string or a list)',
  scope: "requireScopes() on the route, or `scopeClaims` for where granted scopes are read from",
}

function unknownOption(key: string): string {
  const peer = Object.hasOwn(PEER_OPTIONS, key) ? PEER_OPTIONS[key] : undefined
  if (peer !== undefined) return `unknown option \`${key}\`; scopeguard's spelling: ${peer}.`
  const near = closestMatch(key, [...KNOWN_OPTIONS])
  if (near !== undefined) return `unknown option \`${key}\`. Did you mean \`${near}\`?`
  return `unknown option \`${key}\`. Known options: ${[...KNOWN_OPTIONS].join(', ')}.`
}
