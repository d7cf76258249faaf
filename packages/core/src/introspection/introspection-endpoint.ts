import { metadataUrls } from '../keys/discovery.js'
import { checkEndpointUrl } from '../lib/endpoint-url.js'
import { fetchJson, IssuerFetchError, type FetchPolicy } from '../lib/fetch-json.js'

/**
 * Finds `introspection_endpoint` in the issuer's metadata (RFC 8414 §2, OpenID Connect
 * Discovery), at the same locations and under the same rules as the `jwks_uri`: the document
 * must name the issuer exactly (RFC 8414 §3.3), and the endpoint must be an https URL.
 */
export async function discoverIntrospectionEndpoint(issuer: string, policy: FetchPolicy, allowHttp: boolean): Promise<string> {
  const failures: string[] = []
  for (const url of metadataUrls(issuer)) {
    let metadata: unknown
    try {
      metadata = await fetchJson(url, policy)
    } catch (error) {
      if (error instanceof IssuerFetchError && (error.reason === 'network' || error.reason === 'timeout')) throw error
      failures.push(error instanceof Error ? error.message : String(error))
      continue
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      failures.push(`${url}: not a metadata document`)
      continue
    }
    const { issuer: declared, introspection_endpoint: endpoint } = metadata as Record<string, unknown>
    if (declared !== issuer) throw new Error(`${url}: metadata names issuer ${JSON.stringify(declared)}, expected ${JSON.stringify(issuer)}`)
    if (typeof endpoint !== 'string') {
      throw new Error(`${url}: metadata has no introspection_endpoint; give introspection.endpoint`)
    }
    const problem = checkEndpointUrl(endpoint, allowHttp)
    if (problem !== undefined) throw new Error(`${url}: introspection_endpoint ${problem}`)
    return endpoint
  }
  throw new Error(`no usable authorization server metadata for ${issuer}: ${failures.join('; ')}`)
}
