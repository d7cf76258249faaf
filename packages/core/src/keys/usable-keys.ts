import type { JWK } from 'jose'

/** The signing keys of a JWKS that can verify tokens here, and how many were left out. */
export interface UsableKeys {
  readonly keys: JWK[]
  readonly skipped: number
}

const CURVES: Readonly<Record<string, readonly string[]>> = {
  EC: ['P-256', 'P-384', 'P-521'],
  OKP: ['Ed25519'],
}
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const
// RFC 7518 §3.3 and RFC 8725 §3.5: RSA keys of 2048 bits or more. A base64url modulus of
// 2048 bits is 342 characters (a leading zero octet may add two more).
const MIN_RSA_MODULUS_CHARS = 342

/**
 * Keeps the keys of a JWKS document that can verify a signature with one of `algorithms`:
 * RSA of at least 2048 bits, EC on P-256/384/521, Ed25519; not marked for encryption
 * (`use: enc`, RFC 7517 §4.2) or for other operations (`key_ops`, §4.3); with an `alg`, if
 * any, that we accept. A key we cannot use is skipped without breaking the others, and any
 * private members an issuer leaked are dropped. Throws when the document is not a JWKS.
 */
export function usableKeys(document: unknown, algorithms: readonly string[]): UsableKeys {
  if (typeof document !== 'object' || document === null || !Array.isArray((document as { keys?: unknown }).keys)) {
    throw new TypeError('the JWKS is not an object with a "keys" array')
  }
  const all = (document as { keys: unknown[] }).keys
  const keys: JWK[] = []
  for (const candidate of all) {
    if (!isUsable(candidate, algorithms)) continue
    keys.push(withoutPrivateMembers(candidate))
  }
  return { keys, skipped: all.length - keys.length }
}

function isUsable(candidate: unknown, algorithms: readonly string[]): candidate is Record<string, unknown> {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) return false
  const key = candidate as Record<string, unknown>
  if (key.use !== undefined && key.use !== 'sig') return false
  if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.includes('verify'))) return false
  if (key.alg !== undefined && (typeof key.alg !== 'string' || !algorithms.includes(key.alg))) return false
  if (key.kid !== undefined && typeof key.kid !== 'string') return false
  switch (key.kty) {
    case 'RSA':
      return typeof key.n === 'string' && key.n.length >= MIN_RSA_MODULUS_CHARS && typeof key.e === 'string'
    case 'EC':
      return CURVES.EC!.includes(key.crv as string) && typeof key.x === 'string' && typeof key.y === 'string'
    case 'OKP':
      return CURVES.OKP!.includes(key.crv as string) && typeof key.x === 'string'
    default:
      return false
  }
}

/** A copy of `jwk` without private key members, which verification never needs. */
export function withoutPrivateMembers(jwk: Readonly<Record<string, unknown>>): JWK {
  const copy: Record<string, unknown> = { ...jwk }
  for (const member of PRIVATE_MEMBERS) delete copy[member]
  return copy as JWK
}
