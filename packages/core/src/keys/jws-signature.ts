import { constants, createHmac, createSecretKey, KeyObject, timingSafeEqual, verify } from 'node:crypto'
import type { CryptoKey } from 'jose'
import { Rejection } from '../errors/rejection.js'

// Signature checks with node:crypto rather than jose's `jwtVerify`. jose 6 verifies through
// WebCrypto, whose per-call algorithm normalisation and thread-pool round trip cost more than
// the RSA check itself on Node 20 (`pnpm bench`: the micro section compares both). Keys are
// still selected and imported by jose (JWKS matching by kid/alg/kty); only the final
// primitive runs here, behind the same key/algorithm pairing rules jose applies.

/** A key as key sources hand it over: jose's imported key, a Node key, or an HMAC secret. */
export type VerificationKey = CryptoKey | KeyObject | Uint8Array

interface Algorithm {
  /** Digest for node:crypto, `null` for Ed25519 (the hash is part of the scheme). */
  readonly hash: string | null
  /** node:crypto `asymmetricKeyType`, or `secret` for HMAC. */
  readonly keyType: 'rsa' | 'ec' | 'ed25519' | 'secret'
  /** EC curve as node:crypto names it. */
  readonly curve?: string
  /** RSASSA-PSS rather than PKCS #1 v1.5. */
  readonly pss?: boolean
  /** ECDSA signatures are the two integers concatenated (RFC 7518 §3.4): exactly this many bytes. */
  readonly signatureBytes?: number
  /** The WebCrypto algorithm a CryptoKey for this alg was imported for. */
  readonly webCrypto: { readonly name: string; readonly hash?: string; readonly namedCurve?: string }
}

const rsa = (bits: number, pss = false): Algorithm => ({
  hash: `sha${bits}`,
  keyType: 'rsa',
  pss,
  webCrypto: { name: pss ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash: `SHA-${bits}` },
})
const ecdsa = (bits: number, curve: string, webCurve: string, bytes: number): Algorithm => ({
  hash: `sha${bits}`,
  keyType: 'ec',
  curve,
  signatureBytes: bytes,
  webCrypto: { name: 'ECDSA', namedCurve: webCurve },
})
const hmac = (bits: number): Algorithm => ({ hash: `sha${bits}`, keyType: 'secret', webCrypto: { name: 'HMAC', hash: `SHA-${bits}` } })
const ed25519: Algorithm = { hash: null, keyType: 'ed25519', webCrypto: { name: 'Ed25519' } }

// RFC 7518 §3.1, RFC 8037 §3.1 (EdDSA), RFC 9864 (the fully specified "Ed25519").
const ALGORITHMS: ReadonlyMap<string, Algorithm> = new Map([
  ['RS256', rsa(256)],
  ['RS384', rsa(384)],
  ['RS512', rsa(512)],
  ['PS256', rsa(256, true)],
  ['PS384', rsa(384, true)],
  ['PS512', rsa(512, true)],
  ['ES256', ecdsa(256, 'prime256v1', 'P-256', 64)],
  ['ES384', ecdsa(384, 'secp384r1', 'P-384', 96)],
  ['ES512', ecdsa(512, 'secp521r1', 'P-521', 132)],
  ['EdDSA', ed25519],
  ['Ed25519', ed25519],
  ['HS256', hmac(256)],
  ['HS384', hmac(384)],
  ['HS512', hmac(512)],
])

// RFC 7518 §3.3 and RFC 8725 §3.5: RSA keys of 2048 bits or more.
const MIN_RSA_BITS = 2048

// Per key as the source handed it over: its node:crypto form and the algs it has passed the
// pairing checks for, so a verification after the first costs one lookup.
const preparedKeys = new WeakMap<object, { readonly keyObject: KeyObject; readonly algs: Set<string> }>()

/**
 * Verifies a JWS signature: `alg` must be one of ours (the caller has checked it against the
 * allowlist), the key must be the kind that alg requires (RFC 8725 §2.1/§3.1: no key
 * confusion, an RSA key never verifies an HMAC or EC token, a public key never serves as an
 * HMAC secret). Throws `key_unusable` for a key of the wrong kind and `signature_invalid`
 * when the signature does not verify.
 */
export function verifySignature(alg: string, key: VerificationKey, signingInput: Buffer, signature: Buffer): void {
  const algorithm = ALGORITHMS.get(alg)
  if (algorithm === undefined) throw new Rejection('algorithm_not_allowed')
  const keyObject = nodeKey(key, alg, algorithm)
  let valid: boolean
  try {
    valid = check(algorithm, keyObject, signingInput, signature)
  } catch (cause) {
    throw new Rejection('signature_invalid', cause, { note: `the signature is not a valid ${alg} signature` })
  }
  if (!valid) throw new Rejection('signature_invalid', undefined, { note: `the ${alg} signature does not verify with the configured key` })
}

function check(algorithm: Algorithm, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  if (algorithm.keyType === 'secret') {
    const expected = createHmac(algorithm.hash as string, key).update(input).digest()
    return expected.length === signature.length && timingSafeEqual(expected, signature)
  }
  if (algorithm.signatureBytes !== undefined) {
    if (signature.length !== algorithm.signatureBytes) return false
    return verify(algorithm.hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature)
  }
  if (algorithm.pss) {
    // RFC 7518 §3.5: the salt is as long as the hash output; DIGEST demands exactly that.
    return verify(algorithm.hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature)
  }
  return verify(algorithm.hash, input, key, signature)
}

/** The node:crypto key for `key`, checked once per alg to be the kind `alg` needs. */
function nodeKey(key: VerificationKey, alg: string, algorithm: Algorithm): KeyObject {
  let record = preparedKeys.get(key)
  if (record?.algs.has(alg)) return record.keyObject
  if (!(key instanceof KeyObject) && !(key instanceof Uint8Array)) checkCryptoKey(key, algorithm)
  const keyObject = record?.keyObject ?? toKeyObject(key)
  const problem = pairingProblem(keyObject, algorithm)
  if (problem !== undefined) throw new Rejection('key_unusable', new TypeError(`${alg}: ${problem}`))
  if (record === undefined) preparedKeys.set(key, (record = { keyObject, algs: new Set() }))
  record.algs.add(alg)
  return keyObject
}

function toKeyObject(key: VerificationKey): KeyObject {
  if (key instanceof KeyObject) return key
  if (key instanceof Uint8Array) return createSecretKey(key)
  return KeyObject.from(key as Parameters<typeof KeyObject.from>[0])
}

/**
 * A CryptoKey is bound to the algorithm it was imported for (jose imports JWKS keys for the
 * token's alg; a custom key source may hand over any): it must be that one, and for verifying.
 */
function checkCryptoKey(key: CryptoKey, algorithm: Algorithm): void {
  const expected = algorithm.webCrypto
  const actual = key.algorithm as { name?: string; hash?: { name?: string }; namedCurve?: string }
  const fits =
    key.usages.includes('verify') &&
    actual.name === expected.name &&
    (expected.hash === undefined || actual.hash?.name === expected.hash) &&
    (expected.namedCurve === undefined || actual.namedCurve === expected.namedCurve)
  if (!fits) {
    throw new Rejection('key_unusable', new TypeError(`a CryptoKey for ${actual.name ?? 'another algorithm'} cannot verify ${expected.name}${expected.hash ? ` with ${expected.hash}` : ''}`))
  }
}

function pairingProblem(key: KeyObject, algorithm: Algorithm): string | undefined {
  if (algorithm.keyType === 'secret') return key.type === 'secret' ? undefined : 'HMAC needs a secret key'
  if (key.type !== 'public') return `needs a public key, not a ${key.type} key`
  if (key.asymmetricKeyType !== algorithm.keyType) return `needs an ${algorithm.keyType.toUpperCase()} key, not ${key.asymmetricKeyType ?? 'an unknown type'}`
  const details = key.asymmetricKeyDetails
  if (algorithm.keyType === 'rsa' && (details?.modulusLength ?? 0) < MIN_RSA_BITS) return `RSA keys must have at least ${MIN_RSA_BITS} bits`
  if (algorithm.curve !== undefined && details?.namedCurve !== algorithm.curve) return `needs a key on ${algorithm.webCrypto.namedCurve}, not ${details?.namedCurve ?? 'another curve'}`
  return undefined
}
