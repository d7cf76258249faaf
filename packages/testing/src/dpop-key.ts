import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'

/**
 * Algorithms a DPoP key can sign proofs with: asymmetric only (RFC 9449 §4.2 forbids `none`
 * and symmetric algorithms).
 */
export type DpopAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'RS256' | 'PS256' | 'EdDSA' | 'Ed25519'

/** A client's DPoP key pair (RFC 9449), as {@link createDpopProof} and `issuer.token({ dpop })` take it. */
export interface DpopKey {
  /** The proof signing algorithm. */
  readonly alg: DpopAlgorithm
  /** Signs the proofs. */
  readonly privateKey: CryptoKey
  /** The public key as a JWK with only its public members, as a proof's `jwk` header carries it. */
  readonly publicJwk: JWK
  /** RFC 7638 SHA-256 thumbprint of {@link DpopKey.publicJwk}: the `cnf.jkt` of tokens bound to this key (RFC 9449 §6.1). */
  readonly thumbprint: string
}

/**
 * Generates a fresh DPoP key pair, as a DPoP client holds one.
 *
 * @param alg - The proof algorithm. Default `'ES256'`, the one most servers accept.
 *
 * @example
 * const key = await generateDpopKey()
 * const token = await issuer.token({ dpop: key }) // cnf.jkt = key.thumbprint
 */
export async function generateDpopKey(alg: DpopAlgorithm = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) })
  // From the public key alone: a proof's jwk header "MUST NOT contain a private key" (RFC 9449 §4.2).
  const publicJwk = await exportJWK(publicKey)
  return { alg, privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256') }
}
