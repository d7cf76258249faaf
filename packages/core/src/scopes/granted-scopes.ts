import { isScopeToken } from './scope-token.js'

/**
 * Reads the scopes a token grants from the configured claims, as an exact-match set.
 *
 * A string claim is space-delimited (RFC 6749 §3.3, RFC 9068 §2.2.3, Azure AD's `scp`);
 * an array claim holds one scope per element (Auth0's `permissions`, `scp` arrays).
 * Values outside the RFC 6749 §3.3 grammar are never granted, claims of any other type
 * grant nothing, and only own properties are read, so `__proto__` or `constructor` in a
 * payload cannot smuggle in scopes.
 */
export function readGrantedScopes(
  claims: Readonly<Record<string, unknown>>,
  claimNames: readonly string[],
): ReadonlySet<string> {
  const scopes = new Set<string>()
  for (const name of claimNames) {
    if (!Object.hasOwn(claims, name)) continue
    const value = claims[name]
    if (typeof value === 'string') {
      // RFC 6749 §3.3 delimits with a single SP; empty parts from repeated spaces are skipped.
      for (const part of value.split(' ')) if (isScopeToken(part)) scopes.add(part)
    } else if (Array.isArray(value)) {
      for (const item of value) if (isScopeToken(item)) scopes.add(item)
    }
  }
  return scopes
}

// Claims issuers put granted scopes in: RFC 9068 and most issuers `scope`, Azure AD `scp`,
// Auth0 with RBAC `permissions`.
const KNOWN_SCOPE_CLAIMS = ['scope', 'scp', 'permissions'] as const

/**
 * When a token falls short of a requirement: the scope claims it carries that the
 * `scopeClaims` option does not read (an Auth0 RBAC token's `permissions`, most often), as a
 * hint for the log; `undefined` when there are none.
 */
export function unreadScopeClaimsNote(claims: Readonly<Record<string, unknown>>, claimNames: readonly string[]): string | undefined {
  const unread = KNOWN_SCOPE_CLAIMS.filter((name) => !claimNames.includes(name) && Object.hasOwn(claims, name))
  if (unread.length === 0) return undefined
  const list = unread.map((name) => `'${name}'`).join(', ')
  return `the token also carries ${list}, which scopeClaims does not read; to grant its values add them: scopeClaims: [${[...claimNames, ...unread].map((name) => `'${name}'`).join(', ')}]`
}
