// The `htu` side of a DPoP proof (RFC 9449 §4.2, §4.3 check 9): which URI a proof for this
// request must name, and whether the one it names is that URI.

/**
 * The `htu` a DPoP proof for this request must carry: the configured public `origin` (which may
 * carry the base path a proxy strips, e.g. `https://example.com/api`) followed by the path of
 * `requestTarget`, the request line's target as the server received it. RFC 9449 §4.2: `htu`
 * is "the HTTP target URI … without query and fragment parts", so both are cut off here.
 *
 * The scheme and host come from `origin` only, never from the request (`Host`,
 * `X-Forwarded-*`, an absolute-form target): those are the client's to choose, and a proof
 * minted for another server must not match by naming that server in the request.
 *
 * @param origin The configured public origin, e.g. `https://api.example.com`.
 * @param requestTarget The request target, e.g. `/appointments/7?page=2` (Node's `req.url`).
 */
export function dpopTargetUri(origin: string, requestTarget: string): string {
  return `${origin.replace(/\/+$/, '')}${targetPath(requestTarget)}`
}

/** The path of a request target (RFC 9112 §3.2), without query and fragment. */
function targetPath(requestTarget: string): string {
  // origin-form, "/path?query": the usual case. Kept as sent; the comparison normalises it.
  if (requestTarget.startsWith('/')) return requestTarget.replace(/[?#].*$/s, '')
  // absolute-form, "https://host/path" (RFC 9112 §3.2.2 says servers must accept it): only
  // its path is used, for the reason above.
  if (/^https?:\/\//i.test(requestTarget)) {
    try {
      return new URL(requestTarget).pathname
    } catch {
      return '/'
    }
  }
  // asterisk-form ("OPTIONS *") and anything else name no path: the origin itself.
  return '/'
}

/**
 * Whether the `htu` a proof claims names the URI the server expects (RFC 9449 §4.3 check 9),
 * "ignoring any query and fragment parts" of the claim, after the syntax-based and
 * scheme-based normalisation §4.3 recommends (RFC 3986 §6.2.2, §6.2.3): scheme and host
 * case, the default port, dot segments, an empty path, percent-encoding case and
 * percent-encoded unreserved characters. Only `http` and `https` URIs without user
 * information ever match. Never throws: anything that is not such a URI is `false`.
 */
export function sameTargetUri(claimed: string, expected: string): boolean {
  const normalisedClaim = normaliseTargetUri(claimed)
  return normalisedClaim !== undefined && normalisedClaim === normaliseTargetUri(expected)
}

// RFC 3986 §2.2 and §2.1: controls and space never appear in a URI. WHATWG's parser strips
// them at either end and drops tabs and newlines anywhere, which would let a claim that is no
// URI at all match.
const NOT_IN_URI = /[\u0000-\u0020\u007f]/
const PERCENT_ENCODED = /%([0-9A-Fa-f]{2})/g

/** The comparable form of an http(s) URI without query and fragment, or undefined. */
function normaliseTargetUri(value: unknown): string | undefined {
  if (typeof value !== 'string' || NOT_IN_URI.test(value)) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  // A target URI has no user information (RFC 9110 §4.2.4 forbids it in http(s) URIs).
  if (url.username !== '' || url.password !== '') return undefined
  // WHATWG URL already lower-cases scheme and host, drops the scheme's default port, removes
  // dot segments (".", "..", and their %2e forms) and turns an empty path into "/". RFC 3986
  // §6.2.2.1-2 also wants percent-encodings compared in upper case, and percent-encoded
  // unreserved characters decoded; URL leaves both as they were written, so that is done here.
  return `${url.protocol}//${url.host}${url.pathname.replace(PERCENT_ENCODED, normalisePercentEncoding)}`
}

function normalisePercentEncoding(_match: string, hex: string): string {
  const code = Number.parseInt(hex, 16)
  return isUnreserved(code) ? String.fromCharCode(code) : `%${hex.toUpperCase()}`
}

/** RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e
  )
}
