/** One parsed `WWW-Authenticate` challenge. */
export interface ParsedChallenge {
  /** The auth scheme as sent, e.g. `Bearer`. */
  readonly scheme: string
  /** Parameters by lower-cased name, unquoted and unescaped. */
  readonly params: Readonly<Record<string, string>>
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const SCHEME = new RegExp(`^(${TOKEN})(?: +|\\s*,\\s*|$)`)
const PARAM = new RegExp(`^(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}))\\s*(?:,\\s*|$)`)
// After a comma, a token followed by a space or the end (not by "=") starts the next challenge.
const NEXT_CHALLENGE = new RegExp(`^${TOKEN}(?: |$)`)

/**
 * Parses every challenge of a `WWW-Authenticate` value (RFC 9110 §11.6.1 syntax with
 * auth-params), e.g. `Bearer realm="api", DPoP realm="api", algs="ES256"` (RFC 9449 §7.1).
 * Throws on anything that is not well-formed, so a test asserting on the result also asserts
 * the syntax, and on a parameter repeated within a challenge (RFC 9110: each parameter name
 * MUST only occur once per challenge).
 */
export function parseChallenges(header: string | undefined): ParsedChallenge[] {
  if (typeof header !== 'string') throw new TypeError('parseChallenge: no WWW-Authenticate header')
  if (header.trim() === '') throw new TypeError('parseChallenge: no auth-scheme in an empty WWW-Authenticate header')
  const challenges: ParsedChallenge[] = []
  let rest = header
  while (rest.length > 0) {
    const head = SCHEME.exec(rest)
    if (head === null) throw new TypeError(`parseChallenge: no auth-scheme in ${JSON.stringify(rest)}`)
    const params: Record<string, string> = Object.create(null) as Record<string, string>
    rest = rest.slice(head[0].length)
    while (rest.length > 0 && !NEXT_CHALLENGE.test(rest)) {
      const match = PARAM.exec(rest)
      if (match === null) throw new TypeError(`parseChallenge: malformed parameters ${JSON.stringify(rest)}`)
      const name = (match[1] as string).toLowerCase()
      if (name in params) throw new TypeError(`parseChallenge: parameter ${name} repeated`)
      params[name] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] as string)
      rest = rest.slice(match[0].length)
    }
    challenges.push({ scheme: head[1] as string, params })
  }
  return challenges
}

/**
 * Parses a `WWW-Authenticate` value and returns one challenge: the one for `scheme`
 * (compared case-insensitively), or the first when no scheme is named, e.g. the `Bearer`
 * challenge of `Bearer realm="api", error="invalid_token"`. Every challenge in the value is
 * checked for syntax; throws when the named scheme is not there.
 */
export function parseChallenge(header: string | undefined, scheme?: string): ParsedChallenge {
  const challenges = parseChallenges(header)
  const found = scheme === undefined ? challenges[0] : challenges.find((c) => c.scheme.toLowerCase() === scheme.toLowerCase())
  if (found === undefined) throw new TypeError(`parseChallenge: no ${scheme ?? ''} challenge in ${JSON.stringify(header)}`)
  return found
}
