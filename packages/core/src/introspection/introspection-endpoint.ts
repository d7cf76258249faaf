import { IssuerMetadataError, readIssuerMetadata } from '../keys/discovery.js'
import { checkEndpointUrl } from '../lib/endpoint-url.js'
import type { FetchPolicy } from '../lib/fetch-json.js'

/**
 * Finds `introspection_endpoint` in the issuer's metadata (RFC 8414 §2, OpenID Connect
 * Discovery), at the same locations and under the same rules as the `jwks_uri`: the document
 * must name the issuer exactly (RFC 8414 §3.3), and the endpoint must be an https URL.
 */
export function discoverIntrospectionEndpoint(issuer: string, policy: FetchPolicy, allowHttp: boolean): Promise<string> {
  return readIssuerMetadata(issuer, policy, 'naming its issuer', (metadata, url) => {
    if (!('issuer' in metadata)) return undefined
    const { issuer: declared, introspection_endpoint: endpoint } = metadata
    if (declared !== issuer) throw new IssuerMetadataError(`${url}: metadata names issuer ${JSON.stringify(declared)}, expected ${JSON.stringify(issuer)}`)
    if (typeof endpoint !== 'string') throw new IssuerMetadataError(`${url}: metadata has no introspection_endpoint; give introspection.endpoint`)
    const problem = checkEndpointUrl(endpoint, allowHttp)
    if (problem !== undefined) throw new IssuerMetadataError(`${url}: introspection_endpoint ${problem}`)
    return endpoint
  })
}
