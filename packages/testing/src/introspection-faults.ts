import type { IntrospectionResponse } from './token-registry.js'

/**
 * A wrong answer of the introspection endpoint, for `issuer.fail('introspection', fault)`.
 * The endpoint still authenticates the client and looks the token up; the fault then changes
 * what it answers. A resource server must refuse the token (or answer 503) in every case.
 *
 * About the token (`active: true` answers; an inactive token stays inactive):
 * - `'inactive'`: `{ active: false }` for every token, even a valid one.
 * - `'wrong-audience'`: `aud` of another API.
 * - `'wrong-issuer'`: `iss` of another issuer.
 * - `'expired'`: `active: true`, but `exp` an hour ago (the server contradicts itself).
 *
 * Malformed (RFC 7662 §2.2 requires a JSON object with a boolean `active`):
 * - `'active-missing'`: the answer without `active`.
 * - `'active-string'`: `active: "true"` (or `"false"`), a string.
 * - `'not-an-object'`: the answer inside a JSON array.
 *
 * Of the signed RFC 9701 answer (only when the request asks for
 * `application/token-introspection+jwt`; JSON answers are unchanged):
 * - `'jwt-wrong-typ'`: header `typ: JWT` instead of `token-introspection+jwt`.
 * - `'jwt-unknown-key'`: signed by a key the JWKS does not have, under the current `kid`.
 * - `'jwt-wrong-audience'`: `aud` of another client.
 * - `'jwt-stale'`: `iat` an hour ago, a replayed answer.
 * - `'jwt-alg-none'`: unsigned, `alg: none`.
 *
 * For a body that is not JSON, a status, a hang or a reset, use the faults every endpoint
 * has: `'garbage'`, `'html'`, `{ status: 500 }`, `'hang'`, `'reset'`.
 */
export type IntrospectionFault =
  | 'inactive'
  | 'wrong-audience'
  | 'wrong-issuer'
  | 'expired'
  | 'active-missing'
  | 'active-string'
  | 'not-an-object'
  | 'jwt-wrong-typ'
  | 'jwt-unknown-key'
  | 'jwt-wrong-audience'
  | 'jwt-stale'
  | 'jwt-alg-none'

/** The faults of the signed RFC 9701 answer. */
export type SignedIntrospectionFault = Extract<IntrospectionFault, `jwt-${string}`>

/** Every {@link IntrospectionFault}, to check a fault given at run time. */
export const INTROSPECTION_FAULTS: readonly IntrospectionFault[] = [
  'inactive', 'wrong-audience', 'wrong-issuer', 'expired', 'active-missing', 'active-string', 'not-an-object',
  'jwt-wrong-typ', 'jwt-unknown-key', 'jwt-wrong-audience', 'jwt-stale', 'jwt-alg-none',
]

/** Whether `value` names an {@link IntrospectionFault}. */
export function isIntrospectionFault(value: unknown): value is IntrospectionFault {
  return (INTROSPECTION_FAULTS as readonly unknown[]).includes(value)
}

/** Whether a fault is about the signed answer rather than its content. */
export function isSignedFault(fault: IntrospectionFault | undefined): fault is SignedIntrospectionFault {
  return fault !== undefined && fault.startsWith('jwt-')
}

const HOUR = 3600

/** The answer as `fault` makes it (not always an introspection response, by design). */
export function applyIntrospectionFault(answer: IntrospectionResponse, fault: IntrospectionFault | undefined): unknown {
  const now = Math.floor(Date.now() / 1000)
  switch (fault) {
    case 'inactive':
      return { active: false }
    case 'wrong-audience':
      return answer.active ? { ...answer, aud: 'https://another-api.example.com' } : answer
    case 'wrong-issuer':
      return answer.active ? { ...answer, iss: 'https://evil.example.com/' } : answer
    case 'expired':
      return answer.active ? { ...answer, iat: now - 2 * HOUR, exp: now - HOUR } : answer
    case 'active-missing': {
      const { active: _active, ...rest } = answer
      return rest
    }
    case 'active-string':
      return { ...answer, active: String(answer.active) }
    case 'not-an-object':
      return [answer]
    default:
      return answer
  }
}
