import { checkEndpointUrl } from '../lib/endpoint-url.js'
import { fetchJson, IssuerFetchError, type FetchPolicy } from '../lib/fetch-json.js'

/**
 * Where an issuer's metadata may live, in the order tried:
 * 1. OpenID Connect Discovery 1.0 §4: the issuer with `/.well-known/openid-configuration`
 *    appended (Okta, Keycloak, Auth0, authentik's `/application/o/<slug>/`, Azure AD).
 * 2. RFC 8414 §3.1: `/.well-known/oauth-authorization-server` inserted between the host and
 *    the issuer's path.
 * 3. RFC 8414 §5: the same insertion for `openid-configuration`.
 */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/+$/, '')
  const appended = `${url.origin}${path}/.well-known/openid-configuration`
  const inserted = `${url.origin}/.well-known/oauth-authorization-server${path}`
  if (path === '') return [appended, inserted]
  return [appended, inserted, `${url.origin}/.well-known/openid-configuration${path}`]
}

/** Thrown when metadata was served but cannot be trusted or used. */
export class IssuerMetadataError extends Error {
  override readonly name = 'IssuerMetadataError'
}

/**
 * Finds the `jwks_uri` of `issuer` from its metadata. A location that answers but is not
 * metadata (404, HTML, wrong JSON) moves on to the next; a network failure or timeout stops
 * at once, since the issuer is down and trying further URLs would only multiply the load.
 */
export function discoverJwksUri(issuer: string, policy: FetchPolicy, allowHttp: boolean): Promise<string> {
  return readIssuerMetadata(issuer, policy, 'with a jwks_uri', (metadata, url) =>
    'jwks_uri' in metadata ? jwksUriFrom(metadata, issuer, url, allowHttp) : undefined)
}

/**
 * Reads the issuer's metadata from the first of {@link metadataUrls} that serves it: `read`
 * returns what the caller needs, or `undefined` for a document that is not the metadata
 * sought (the next location is tried); it throws when a real metadata document is unusable,
 * which decides. A network failure or timeout stops at once.
 */
export async function readIssuerMetadata<T>(
  issuer: string,
  policy: FetchPolicy,
  what: string,
  read: (metadata: Record<string, unknown>, url: string) => T | undefined,
): Promise<T> {
  const failures: unknown[] = []
  for (const url of metadataUrls(issuer)) {
    let metadata: unknown
    try {
      metadata = await fetchJson(url, policy)
    } catch (error) {
      if (error instanceof IssuerFetchError && (error.reason === 'network' || error.reason === 'timeout')) throw error
      failures.push(error)
      continue
    }
    const found = looksLikeMetadata(metadata) ? read(metadata, url) : undefined
    if (found === undefined) {
      failures.push(new IssuerMetadataError(`${url}: not a metadata document ${what}`))
      continue
    }
    return found
  }
  throw new AggregateError(failures, `no usable authorization server metadata for ${issuer}`)
}

function looksLikeMetadata(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function jwksUriFrom(metadata: Record<string, unknown>, issuer: string, url: string, allowHttp: boolean): string {
  const { issuer: declared, jwks_uri: jwksUri } = metadata
  // RFC 8414 §3.3 / OIDC Discovery §4.3: the metadata's issuer MUST be identical to the
  // issuer used to find it, or an attacker-controlled document could pick the keys.
  if (declared !== issuer) {
    throw new IssuerMetadataError(
      `${url}: metadata names issuer ${JSON.stringify(declared)}, expected ${JSON.stringify(issuer)} ` +
        '(issuers compare exactly; check the trailing slash in the configured issuer)',
    )
  }
  if (typeof jwksUri !== 'string') throw new IssuerMetadataError(`${url}: metadata has no jwks_uri`)
  const problem = checkEndpointUrl(jwksUri, allowHttp)
  if (problem !== undefined) throw new IssuerMetadataError(`${url}: jwks_uri ${problem}`)
  return jwksUri
}
