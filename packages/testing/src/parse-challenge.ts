/** One parsed `WWW-Authenticate` challenge. */
export interface ParsedChallenge {
  /** The auth scheme as sent, e.g. `Bearer`. */
  readonly scheme: string
  /** Parameters by lower-cased name, unquoted and unescaped. */
  readonly params: Readonly<Record<string, string>>
}

const PARAM = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+.^_`|~0-9A-Za-z-]+))\s*(?:,\s*|$)/

/**
 * Parses a single-challenge `WWW-Authenticate` value (RFC 9110 §11.6.1 syntax with
 * auth-params), e.g. `Bearer realm="api", error="invalid_token"`. Throws on anything that
 * is not well-formed, so a test asserting on the result also asserts the syntax, and on a
 * repeated parameter (RFC 9110: each parameter name MUST only occur once per challenge).
 */
export function parseChallenge(header: string | undefined): ParsedChallenge {
  if (typeof header !== 'string') throw new TypeError('parseChallenge: no WWW-Authenticate header')
  const head = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +|$)/.exec(header)
  if (head === null) throw new TypeError(`parseChallenge: no auth-scheme in ${JSON.stringify(header)}`)
  const params: Record<string, string> = Object.create(null) as Record<string, string>
  let rest = header.slice(head[0].length)
  while (rest.length > 0) {
    const match = PARAM.exec(rest)
    if (match === null) throw new TypeError(`parseChallenge: malformed parameters ${JSON.stringify(rest)}`)
    const name = (match[1] as string).toLowerCase()
    if (name in params) throw new TypeError(`parseChallenge: parameter ${name} repeated`)
    params[name] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] as string)
    rest = rest.slice(match[0].length)
  }
  return { scheme: head[1] as string, params }
}
