import { discoverIntrospectionEndpoint } from '../introspection/introspection-endpoint.js'
import { createIntrospectionCache, type IntrospectionCache } from '../introspection/introspection-cache.js'
import { checkIntrospectionResponse, type IntrospectedClaims } from '../introspection/introspection-response.js'
import { createIntrospector, IntrospectionUnavailableError, type Introspector } from '../introspection/introspect.js'
import type { KeyResolver } from '../keys/key-source.js'
import { RefreshingValue } from '../lib/refreshing-value.js'
import type { ResolvedOptions } from '../options/options.js'

/** How one `auth()` introspects tokens it cannot verify itself (RFC 7662). */
export interface IntrospectionPath {
  /** Whether `token` goes to introspection rather than to local JWT verification. */
  applies(token: string): boolean
  /** The token's claims per the authorization server; throws a `Rejection`, or {@link IntrospectionUnavailableError} (503). */
  claims(token: string): Promise<IntrospectedClaims>
  /** How long an introspected result may be served from the verified-token cache, in ms; 0 for not at all. */
  readonly cacheTtl: number
}

/** Builds the path from the validated options; `resolveKey` verifies RFC 9701 signed answers with the issuer's keys. */
export function createIntrospectionPath(options: ResolvedOptions, resolveKey: KeyResolver): IntrospectionPath | undefined {
  const settings = options.introspection
  if (settings === undefined) return undefined
  const policy = {
    timeout: options.fetchTimeout,
    maxBytes: options.maxResponseBytes,
    followRedirects: options.followRedirects,
    allowHttp: options.allowHttp,
    fetch: options.fetch,
  }
  const [issuer] = options.issuers as [string]
  let endpoint: string | (() => Promise<string>)
  if (settings.endpoint !== undefined) endpoint = settings.endpoint
  else {
    // Found once from the issuer's metadata and kept like the metadata behind the JWKS.
    const discovered = new RefreshingValue(
      () => discoverIntrospectionEndpoint(issuer, policy, options.allowHttp),
      { maxAge: options.metadataCacheMaxAge, staleIfError: options.jwksStaleIfError, retryMin: options.fetchRetryMin, retryMax: options.fetchRetryMax },
      options.clock,
      { loaded: () => {}, failed: () => {} },
    )
    endpoint = () => discovered.get().catch((cause: unknown) => {
      throw new IntrospectionUnavailableError(undefined, 'endpoint', `the introspection endpoint of ${issuer} could not be found`, { cause })
    })
  }
  const base = { endpoint, client: settings.client, policy, clock: options.clock }
  const introspect: Introspector = createIntrospector(settings.signedResponse
    ? { ...base, signedResponse: true, issuer, resolveKey, clockTolerance: options.clockTolerance }
    : base)
  const cache: IntrospectionCache | undefined = settings.cache === undefined
    ? undefined
    : createIntrospectionCache({
        maxEntries: settings.cache.maxEntries,
        maxTtl: settings.cache.ttl,
        inactiveTtl: settings.cache.inactiveTtl,
        shared: settings.cache.shared,
        clock: options.clock,
      })
  const rules = {
    issuers: new Set(options.issuers),
    audiences: [...options.audiences],
    requiredClaims: [...options.requiredClaims],
    clockTolerance: options.clockTolerance,
    maxTokenAge: options.maxTokenAge,
    audienceRequired: settings.audienceRequired,
    clock: options.clock,
  }
  return {
    // A JWT is three dot-separated segments; anything else cannot be verified locally.
    applies: settings.tokens === 'all' ? () => true : (token) => !isJwtShaped(token),
    async claims(token) {
      const response = cache === undefined ? await introspect(token) : await cache.lookup(token, introspect)
      return checkIntrospectionResponse(response, rules)
    },
    cacheTtl: settings.cache?.ttl ?? 0,
  }
}

function isJwtShaped(token: string): boolean {
  const first = token.indexOf('.')
  if (first < 0) return false
  const second = token.indexOf('.', first + 1)
  return second > 0 && token.indexOf('.', second + 1) < 0
}
