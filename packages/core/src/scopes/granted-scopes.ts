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
