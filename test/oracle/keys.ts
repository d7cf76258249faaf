// Keys and raw signatures for the differential oracle. Keys are generated once per file (in
// beforeAll): one key pair per algorithm, one "other" key per key family (same kind, never
// configured with the algorithm's own key), an RSA-1024 key, and one secret per HS algorithm.

import { constants, createHmac, generateKeyPair as nodeGenerateKeyPair, KeyObject, randomBytes, sign } from 'node:crypto'
import { promisify } from 'node:util'
import { exportJWK, generateKeyPair, type JWK } from 'jose'

const generateNodeKeyPair = promisify(nodeGenerateKeyPair)

/** Asymmetric algorithms scopeguard accepts with public keys (its documented default allowlist). */
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const
/** HS algorithms, accepted only with the `secret` option. */
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const
export const ALL_ALGS = [...ASYMMETRIC_ALGS, ...HMAC_ALGS] as const

export type AsymmetricAlg = (typeof ASYMMETRIC_ALGS)[number]
export type HmacAlg = (typeof HMAC_ALGS)[number]
export type Alg = AsymmetricAlg | HmacAlg

export type Family = 'rsa' | 'p256' | 'p384' | 'p521' | 'ed25519' | 'hmac'
export type AsymmetricFamily = Exclude<Family, 'hmac'>

export function familyOf(alg: string): Family | undefined {
  if (/^(RS|PS)(256|384|512)$/.test(alg)) return 'rsa'
  if (alg === 'ES256') return 'p256'
  if (alg === 'ES384') return 'p384'
  if (alg === 'ES512') return 'p521'
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'ed25519'
  if (/^HS(256|384|512)$/.test(alg)) return 'hmac'
  return undefined
}

export const isHmac = (alg: string): alg is HmacAlg => (HMAC_ALGS as readonly string[]).includes(alg)

/** Names of the asymmetric keys in the pool. */
export const KEY_NAMES = [...ASYMMETRIC_ALGS, 'rsa-other', 'p256-other', 'p384-other', 'p521-other', 'ed25519-other', 'rsa-1024'] as const
export type KeyName = (typeof KEY_NAMES)[number]
export const SECRET_NAMES = [...HMAC_ALGS, 'hmac-other'] as const
export type SecretName = (typeof SECRET_NAMES)[number]

export interface AsymmetricKey {
  readonly name: KeyName
  readonly family: AsymmetricFamily
  /** The algorithm this key is "for" (what a JWK `alg` member would say). */
  readonly alg: AsymmetricAlg
  readonly publicKey: KeyObject
  readonly privateKey: KeyObject
  /** SPKI PEM of the public key. */
  readonly publicPem: string
  /** PKCS #8 PEM of the private key. */
  readonly privatePem: string
  readonly publicJwk: JWK
  readonly privateJwk: JWK
}

export interface SecretKey {
  readonly name: SecretName
  /** ASCII text (64 characters) usable as the `secret` option string. */
  readonly text: string
  readonly bytes: Uint8Array
}

export interface KeyPool {
  readonly keys: Readonly<Record<KeyName, AsymmetricKey>>
  readonly secrets: Readonly<Record<SecretName, SecretKey>>
}

/** The key an "other" name stands in for: same family, never the algorithm's own key. */
export function otherKeyOf(family: AsymmetricFamily): KeyName {
  return `${family}-other` as KeyName
}

const FAMILY_ALG: Record<AsymmetricFamily, AsymmetricAlg> = { rsa: 'RS256', p256: 'ES256', p384: 'ES384', p521: 'ES512', ed25519: 'EdDSA' }
const NODE_PARAMS: Record<AsymmetricFamily, [type: 'rsa' | 'ec' | 'ed25519', options: object]> = {
  rsa: ['rsa', { modulusLength: 2048 }],
  p256: ['ec', { namedCurve: 'P-256' }],
  p384: ['ec', { namedCurve: 'P-384' }],
  p521: ['ec', { namedCurve: 'P-521' }],
  ed25519: ['ed25519', {}],
}

async function describeKey(name: KeyName, family: AsymmetricFamily, alg: AsymmetricAlg, publicKey: KeyObject, privateKey: KeyObject): Promise<AsymmetricKey> {
  return {
    name,
    family,
    alg,
    publicKey,
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicJwk: await exportJWK(publicKey),
    privateJwk: await exportJWK(privateKey),
  }
}

async function nodeKey(name: KeyName, family: AsymmetricFamily, modulusLength?: number): Promise<AsymmetricKey> {
  const [type, options] = NODE_PARAMS[family]
  const generate = generateNodeKeyPair as unknown as (type: string, options: object) => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>
  const { publicKey, privateKey } = await generate(type, modulusLength === undefined ? options : { ...options, modulusLength })
  return describeKey(name, family, FAMILY_ALG[family], publicKey, privateKey)
}

/** Generates every key of the pool: jose's generateKeyPair per algorithm, node:crypto for the rest. */
export async function createKeyPool(): Promise<KeyPool> {
  const own = ASYMMETRIC_ALGS.map(async (alg) => {
    const pair = await generateKeyPair(alg, { extractable: true })
    return describeKey(alg, familyOf(alg) as AsymmetricFamily, alg, KeyObject.from(pair.publicKey), KeyObject.from(pair.privateKey))
  })
  const others = (['rsa', 'p256', 'p384', 'p521', 'ed25519'] as const).map((family) => nodeKey(otherKeyOf(family), family))
  // RFC 7518 §3.3 / RFC 8725 §3.5: too small. jose refuses to generate (or sign with) it.
  const small = nodeKey('rsa-1024', 'rsa', 1024)
  const all = await Promise.all([...own, ...others, small])
  const keys = Object.fromEntries(all.map((key) => [key.name, key])) as Record<KeyName, AsymmetricKey>
  const secrets = Object.fromEntries(SECRET_NAMES.map((name) => {
    const text = randomBytes(48).toString('base64url')
    return [name, { name, text, bytes: new TextEncoder().encode(text) }]
  })) as Record<SecretName, SecretKey>
  return { keys, secrets }
}

/** How a signature is produced, beyond the algorithm's normal form. */
export type SignatureMode = 'natural' | 'pss-salt-0' | 'pss-salt-max' | 'ecdsa-der' | 'ecdsa-high-s'

// Group orders of the NIST curves (SEC 2), for the (r, n - s) twin of an ECDSA signature.
const CURVE_ORDER: Record<string, bigint> = {
  ES256: BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551'),
  ES384: BigInt('0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973'),
  ES512: BigInt('0x01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409'),
}

/**
 * Signs the ASCII `signingInput` as `alg` (RFC 7518 §3) with node:crypto, for tokens jose's
 * SignJWT / CompactSign will not produce (raw header text, non-canonical segments, a 1024-bit
 * RSA key, malformed signature encodings). `key` is a private KeyObject, or the HMAC secret.
 */
export function rawSign(alg: Alg, key: KeyObject | Uint8Array, signingInput: string, mode: SignatureMode = 'natural'): Buffer {
  const data = Buffer.from(signingInput, 'latin1')
  const bits = alg.slice(-3)
  if (isHmac(alg)) return createHmac(`sha${bits}`, key).update(data).digest()
  const keyObject = key as KeyObject
  if (alg === 'EdDSA' || alg === 'Ed25519') return sign(null, data, keyObject)
  if (alg.startsWith('PS')) {
    // A 1024-bit key is too short for PS512's 64-byte salt (RFC 8017 §9.1.1: emLen >= hLen + sLen + 2):
    // it signs with the longest salt that fits, a signature no verifier should take anyway.
    const hashBytes = Number(bits) / 8
    const tooShort = ((keyObject.asymmetricKeyDetails?.modulusLength ?? 0) >> 3) < 2 * hashBytes + 2
    const saltLength = mode === 'pss-salt-0' ? 0 : mode === 'pss-salt-max' || tooShort ? constants.RSA_PSS_SALTLEN_MAX_SIGN : constants.RSA_PSS_SALTLEN_DIGEST
    return sign(`sha${bits}`, data, { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength })
  }
  if (alg.startsWith('ES')) {
    if (mode === 'ecdsa-der') return sign(`sha${bits}`, data, { key: keyObject, dsaEncoding: 'der' })
    const signature = sign(`sha${bits}`, data, { key: keyObject, dsaEncoding: 'ieee-p1363' })
    if (mode !== 'ecdsa-high-s') return signature
    // (r, s) and (r, n - s) both verify: ECDSA signatures are malleable (no low-S rule in JOSE).
    const half = signature.length / 2
    const n = CURVE_ORDER[alg] as bigint
    const s = BigInt(`0x${signature.subarray(half).toString('hex')}`)
    const twin = Buffer.from((n - s).toString(16).padStart(half * 2, '0'), 'hex')
    return Buffer.concat([signature.subarray(0, half), twin])
  }
  return sign(`sha${bits}`, data, keyObject)
}
