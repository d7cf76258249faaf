const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Returns why `value` may not be used as an issuer endpoint or resource URL, or `undefined`
 * when it may: an absolute https URL without credentials; plain http only for loopback
 * hosts or with `allowHttp`. One rule for configured URLs, discovered `jwks_uri`s, redirect
 * targets and the RFC 9728 resource identifier.
 */
export function checkEndpointUrl(value: string, allowHttp: boolean): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'is not an absolute URL'
  }
  if (url.username !== '' || url.password !== '') return 'must not contain credentials; remove the user:password@ part'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && (allowHttp || LOOPBACK_HOSTS.has(url.hostname))) return undefined
  return url.protocol === 'http:'
    ? 'must use https (plain http is accepted only for localhost, or with allowHttp: true)'
    : 'must be an https URL'
}
