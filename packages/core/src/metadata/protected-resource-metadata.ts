import { checkEndpointUrl } from '../lib/endpoint-url.js'

/** The `resourceMetadata` option of `auth()`: publish RFC 9728 protected resource metadata. */
export interface ResourceMetadataOptions {
  /**
   * This API's resource identifier (RFC 9728 §1.2): an absolute `https` URL without query or
   * fragment, e.g. `'https://api.example.com/calendar'`, written exactly as clients reach the
   * API. Plain `http` only for localhost or with `allowHttp`. The metadata is served at this
   * URL with `/.well-known/oauth-protected-resource` inserted after the host (§3.1), and its
   * `resource` member is this string, character for character (§3.3). Required.
   */
  resource: string
  /** RFC 9728 §2 `resource_name`: a human-readable name, e.g. `'Calendar API'`. Default: none. */
  resourceName?: string
  /** RFC 9728 §2 `resource_documentation`: URL of a page for developers. Default: none. */
  resourceDocumentation?: string
  /**
   * Add `resource_metadata="<metadata URL>"` to every `WWW-Authenticate` challenge
   * (RFC 9728 §5.1), so a client holding no token can discover the authorization server.
   * Default true.
   */
  challenge?: boolean
}

/** `resourceMetadata` after validation. */
export interface ResolvedResourceMetadata {
  readonly resource: string
  readonly resourceName: string | undefined
  readonly resourceDocumentation: string | undefined
  readonly challenge: boolean
}

/** The RFC 9728 §2 metadata document scopeguard publishes. */
export interface ProtectedResourceMetadata {
  readonly resource: string
  readonly authorization_servers: readonly string[]
  readonly scopes_supported?: readonly string[]
  readonly bearer_methods_supported: readonly ('header' | 'body' | 'query')[]
  readonly resource_name?: string
  readonly resource_documentation?: string
  /** RFC 9728 §2: RFC 8705 certificate-bound tokens are supported. */
  readonly tls_client_certificate_bound_access_tokens?: boolean
  /** RFC 9728 §2: the DPoP proof algorithms accepted (RFC 9449). */
  readonly dpop_signing_alg_values_supported?: readonly string[]
  /** RFC 9728 §2: only DPoP-bound tokens are accepted. */
  readonly dpop_bound_access_tokens_required?: boolean
}

/** What the document is built from: the configuration `auth()` already has. */
export interface ProtectedResourceMetadataSource {
  readonly resourceMetadata: ResolvedResourceMetadata
  /** The trusted issuers, published as `authorization_servers`. */
  readonly issuers: readonly string[]
  /** The declared scopes, published as `scopes_supported`; omitted when undefined. */
  readonly scopes: readonly string[] | undefined
  readonly acceptBodyToken: boolean
  readonly acceptQueryToken: boolean
  /** The accepted DPoP proof algorithms; undefined when DPoP is not accepted. */
  readonly dpopAlgorithms?: readonly string[] | undefined
  /** Whether only DPoP-bound tokens are accepted. */
  readonly dpopRequired?: boolean
  /** Whether certificate-bound tokens are supported (the `mtls` option). */
  readonly certificateBound?: boolean
}

/** The metadata endpoint, built once at construction; adapters only match and write it. */
export interface ProtectedResourceMetadataEndpoint {
  /** Path of the metadata, e.g. `/.well-known/oauth-protected-resource/calendar`. */
  readonly path: string
  /** Absolute URL of the metadata, as sent in `resource_metadata` (RFC 9728 §5.1). */
  readonly url: string
  /** The document. */
  readonly document: ProtectedResourceMetadata
  /** The document serialised once, as sent. */
  readonly body: string
  /** Response headers of `GET` / `HEAD`: `Content-Type`, `Cache-Control`, `Content-Length` and CORS's `Access-Control-Allow-Origin`. */
  readonly headers: Readonly<Record<string, string>>
  /** Response headers of `OPTIONS` (a CORS preflight), answered 204 without a body. */
  readonly preflightHeaders: Readonly<Record<string, string>>
  /**
   * Whether a request is for the metadata: `GET`, `HEAD` or `OPTIONS` on exactly
   * {@link path}; the query string is ignored. `target` is the request target as received
   * (`req.url` before any mounting rewrote it).
   */
  matches(method: string | undefined, target: string | undefined): boolean
}

// The document is public and its requests carry no credentials, so any origin may read it:
// clients running in a browser (MCP clients among them) follow a challenge's
// resource_metadata across origins (RFC 9728 §5), which CORS would otherwise refuse. Their
// fetch may add headers (MCP's `MCP-Protocol-Version`), hence the preflight answer too.
const CORS_HEADERS = { 'Access-Control-Allow-Origin': '*' } as const
const METHODS = 'GET, HEAD, OPTIONS'

/** RFC 9728 §3: the default well-known URI suffix. */
export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource'

/** How long clients and shared caches may keep the document, in seconds. */
const MAX_AGE = 3600

/**
 * Returns why `value` cannot be a resource identifier, with the fix, or `undefined` when it
 * can. RFC 9728 §1.2: an `https` URL with no fragment; RFC 8707 §2: it SHOULD NOT have a
 * query, and we refuse one because the well-known URL would then be ambiguous. The value
 * must also be written in the form URL parsers normalise it to, since clients rebuild the
 * metadata URL from it with their own parser and compare `resource` exactly (§3.3).
 */
export function checkResourceIdentifier(value: unknown, allowHttp: boolean): string | undefined {
  if (typeof value !== 'string') return 'must be a URL string, e.g. \'https://api.example.com/calendar\''
  const problem = checkEndpointUrl(value, allowHttp)
  if (problem !== undefined) return problem === 'is not an absolute URL' ? 'must be an absolute URL, e.g. \'https://api.example.com/calendar\'' : problem
  const url = new URL(value)
  if (value.includes('#')) return `must not have a fragment (RFC 9728 §1.2); use ${quote(value.slice(0, value.indexOf('#')))}`
  if (value.includes('?')) return `must not have a query (RFC 8707 §2); use ${quote(value.slice(0, value.indexOf('?')))}`
  // `https://api.example.com` and `https://api.example.com/` are both fine; anything else
  // must already be in normal form (lower-case host, no default port, no dot segments,
  // percent-encoded).
  const normal = url.pathname === '/' && !value.endsWith('/') ? url.href.slice(0, -1) : url.href
  if (normal !== value) return `must be written in normal form, as clients will compare it; use ${quote(normal)}`
  return undefined
}

/**
 * The metadata URL of a resource identifier (RFC 9728 §3.1): the well-known suffix goes
 * between the host and the path. A path of just `/` is dropped (the "terminating slash"
 * rule), but any other trailing slash is part of the path and stays, so
 * `https://api.example.com/calendar/` and `…/calendar` have different metadata URLs.
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource)
  return `${url.origin}${metadataPath(url)}`
}

function metadataPath(url: URL): string {
  return `${PROTECTED_RESOURCE_METADATA_PATH}${url.pathname === '/' ? '' : url.pathname}`
}

/** Builds the RFC 9728 §2 document; members with no value are omitted. */
export function buildProtectedResourceMetadata(source: ProtectedResourceMetadataSource): ProtectedResourceMetadata {
  const { resourceMetadata: options } = source
  const bearerMethods: ('header' | 'body' | 'query')[] = ['header']
  if (source.acceptBodyToken) bearerMethods.push('body')
  if (source.acceptQueryToken) bearerMethods.push('query')
  return {
    // §3.3: identical to the identifier the metadata URL was built from, so the configured
    // string itself, never a re-serialised URL.
    resource: options.resource,
    authorization_servers: [...source.issuers],
    ...(source.scopes === undefined ? {} : { scopes_supported: [...source.scopes] }),
    bearer_methods_supported: bearerMethods,
    ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
    ...(options.resourceDocumentation === undefined ? {} : { resource_documentation: options.resourceDocumentation }),
    ...(source.certificateBound === true ? { tls_client_certificate_bound_access_tokens: true } : {}),
    ...(source.dpopAlgorithms === undefined ? {} : { dpop_signing_alg_values_supported: [...source.dpopAlgorithms] }),
    ...(source.dpopAlgorithms === undefined ? {} : { dpop_bound_access_tokens_required: source.dpopRequired === true }),
  }
}

/**
 * Builds the metadata endpoint once. The path and URL come from the configured resource
 * only: never from `Host` or `X-Forwarded-Host`, which a client controls (RFC 9728 §7.3,
 * impersonation: a forged host must not change what the document says or where it is).
 */
export function createProtectedResourceMetadataEndpoint(source: ProtectedResourceMetadataSource): ProtectedResourceMetadataEndpoint {
  const url = new URL(source.resourceMetadata.resource)
  const path = metadataPath(url)
  const document = buildProtectedResourceMetadata(source)
  const body = JSON.stringify(document)
  return {
    path,
    url: `${url.origin}${path}`,
    document,
    body,
    headers: {
      // RFC 9728 §3.2: "using the application/json content type".
      'Content-Type': 'application/json',
      // The document changes only when the application is redeployed; it is public, so
      // shared caches may keep it.
      'Cache-Control': `public, max-age=${MAX_AGE}`,
      'Content-Length': String(new TextEncoder().encode(body).byteLength),
      ...CORS_HEADERS,
    },
    preflightHeaders: {
      ...CORS_HEADERS,
      Allow: METHODS,
      'Access-Control-Allow-Methods': METHODS,
      // `*` covers every header but Authorization, which the Fetch standard makes a preflight
      // name explicitly; a client may send its token along, and it is ignored here.
      'Access-Control-Allow-Headers': 'Authorization, *',
      'Access-Control-Max-Age': String(MAX_AGE),
    },
    matches(method, target) {
      if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') return false
      if (target === undefined) return false
      const query = target.indexOf('?')
      return (query === -1 ? target : target.slice(0, query)) === path
    },
  }
}

function quote(value: string): string {
  return `'${value}'`
}
