import { Rejection } from '../errors/rejection.js'
import type { AccessTokenClaims } from './auth-result.js'

/** A check on one claim, for what scopes cannot express. */
export type ClaimCheck =
  /** The claim must equal this value exactly (`===`). */
  | { readonly equals: string | number | boolean | null }
  /** The claim must be an array containing this value. */
  | { readonly includes: string | number | boolean | null }
  /** Custom predicate; `value` is `undefined` when the claim is absent. Throwing counts as failing. */
  | ((value: unknown, claims: AccessTokenClaims) => boolean)

/** Runs one configured claim check; throws a {@link Rejection} when the claim does not pass. */
export function runClaimCheck(name: string, check: ClaimCheck, claims: AccessTokenClaims): void {
  const present = Object.hasOwn(claims, name)
  const value = present ? claims[name] : undefined
  if (typeof check === 'function') {
    let passed: unknown
    try {
      passed = check(value, claims)
    } catch (cause) {
      throw new Rejection('claim_invalid', cause, { claim: name, expected: 'the claims option\'s function to return true', note: 'it threw' })
    }
    if (passed !== true) {
      const note = passed instanceof Promise ? 'it returned a promise: claim checks are synchronous' : undefined
      throw new Rejection(present ? 'claim_invalid' : 'claim_missing', undefined, { claim: name, expected: 'the claims option\'s function to return true', found: value, ...(note === undefined ? {} : { note }) })
    }
    return
  }
  if (!present) throw new Rejection('claim_missing', undefined, { claim: name, expected: describe(check) })
  const ok = 'equals' in check ? value === check.equals : Array.isArray(value) && value.includes(check.includes)
  if (!ok) throw new Rejection('claim_invalid', undefined, { claim: name, expected: describe(check), found: value })
}

function describe(check: Exclude<ClaimCheck, (...args: never[]) => unknown>): string {
  return 'equals' in check ? `equal to ${JSON.stringify(check.equals)}` : `an array including ${JSON.stringify(check.includes)}`
}
