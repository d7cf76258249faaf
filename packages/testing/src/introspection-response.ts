import { base64url, SignJWT, type JWTPayload } from 'jose'
import type { SignedIntrospectionFault } from './introspection-faults.js'
import { generateSigningKey, type SigningKey } from './signing-key.js'

/** RFC 9701 §4: the media type a resource server asks for, and the answer's content type. */
export const SIGNED_RESPONSE_TYPE = 'application/token-introspection+jwt'

/** What a signed introspection answer is made of. */
export interface SignedResponseOptions {
  /** The issuer identifier: `iss`. */
  readonly issuer: string
  /** The authenticated client: `aud`. */
  readonly audience: string
  /** The issuer's current signing key. */
  readonly key: SigningKey
  /** A fault to build in, for hostile tests. */
  readonly fault?: SignedIntrospectionFault | undefined
}

const HOUR = 3600

/**
 * RFC 9701 §5: the introspection answer as a JWT signed with the issuer's key, typed
 * `token-introspection+jwt` (so it is never mistaken for an access token), whose `iss` is the
 * issuer, `aud` the client that asked, `iat` now, and `token_introspection` the JSON answer.
 */
export async function signIntrospectionResponse(answer: unknown, options: SignedResponseOptions): Promise<string> {
  const { issuer, key, fault } = options
  const now = Math.floor(Date.now() / 1000)
  const claims: JWTPayload = {
    iss: issuer,
    aud: fault === 'jwt-wrong-audience' ? 'another-client' : options.audience,
    iat: fault === 'jwt-stale' ? now - HOUR : now,
    token_introspection: answer,
  }
  const typ = fault === 'jwt-wrong-typ' ? 'JWT' : 'token-introspection+jwt'
  if (fault === 'jwt-alg-none') return `${encode({ alg: 'none', typ })}.${encode(claims)}.`
  const signer = fault === 'jwt-unknown-key' ? await generateSigningKey(key.alg) : key
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ }).sign(signer.privateKey)
}

/** Whether an `Accept` header asks for the signed answer (RFC 9701 §4), media type parameters aside. */
export function wantsSignedResponse(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => range.split(';')[0]?.trim().toLowerCase() === SIGNED_RESPONSE_TYPE)
}

function encode(value: unknown): string {
  return base64url.encode(JSON.stringify(value))
}
