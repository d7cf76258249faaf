import { randomUUID } from 'node:crypto'
import { exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose'

/** Signing algorithms the fake issuer can use. */
export type SigningAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

/** A freshly generated key pair with its public JWK, as the issuer publishes it. */
export interface SigningKey {
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  /** The public key as a JWK with `kid`, `alg` and `use: sig`. */
  readonly publicJwk: JWK
  /** The public key as a PEM SPKI string. */
  readonly publicPem: string
}

/** Generates a new key pair; never a shared, hard-coded key. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) })
  const kid = randomUUID()
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, publicKey, publicJwk, publicPem: await exportSPKI(publicKey) }
}
