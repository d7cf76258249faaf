import { constants, createHmac, createSecretKey, generateKeyPairSync, sign, webcrypto, type KeyPairKeyObjectResult } from 'node:crypto'
import type { CryptoKey } from 'jose'
import { describe, expect, it } from 'vitest'
import { Rejection } from '../errors/rejection.js'
import { verifySignature, type VerificationKey } from './jws-signature.js'

// The signature primitive on its own, with the keys a custom key source may hand over
// unfiltered (KeyObject, CryptoKey, bytes): every algorithm verifies its own signatures, and
// no key of the wrong kind is used for an algorithm (RFC 8725 §2.1, §3.1, §3.5).

const input = Buffer.from('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0')

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' })
const ed = generateKeyPairSync('ed25519')
const secret = Buffer.alloc(32, 7)

type Signer = (data: Buffer) => Buffer
const pkcs1 = (pair: KeyPairKeyObjectResult, hash: string): Signer => (data) => sign(hash, data, pair.privateKey)
const pss = (hash: string, saltLength: number): Signer => (data) =>
  sign(hash, data, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength })
const ecdsa = (pair: KeyPairKeyObjectResult, hash: string): Signer => (data) => sign(hash, data, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' })
const hmac = (hash: string): Signer => (data) => createHmac(hash, secret).update(data).digest()

const CASES: readonly { alg: string; key: VerificationKey; sign: Signer }[] = [
  { alg: 'RS256', key: rsa.publicKey, sign: pkcs1(rsa, 'sha256') },
  { alg: 'RS384', key: rsa.publicKey, sign: pkcs1(rsa, 'sha384') },
  { alg: 'RS512', key: rsa.publicKey, sign: pkcs1(rsa, 'sha512') },
  { alg: 'PS256', key: rsa.publicKey, sign: pss('sha256', 32) },
  { alg: 'PS384', key: rsa.publicKey, sign: pss('sha384', 48) },
  { alg: 'PS512', key: rsa.publicKey, sign: pss('sha512', 64) },
  { alg: 'ES256', key: p256.publicKey, sign: ecdsa(p256, 'sha256') },
  { alg: 'ES384', key: p384.publicKey, sign: ecdsa(p384, 'sha384') },
  { alg: 'ES512', key: p521.publicKey, sign: ecdsa(p521, 'sha512') },
  { alg: 'EdDSA', key: ed.publicKey, sign: (data) => sign(null, data, ed.privateKey) },
  { alg: 'Ed25519', key: ed.publicKey, sign: (data) => sign(null, data, ed.privateKey) },
  { alg: 'HS256', key: new Uint8Array(secret), sign: hmac('sha256') },
  { alg: 'HS384', key: createSecretKey(secret), sign: hmac('sha384') },
  { alg: 'HS512', key: new Uint8Array(secret), sign: hmac('sha512') },
]

function failureOf(run: () => void): string | undefined {
  try {
    run()
  } catch (thrown) {
    if (thrown instanceof Rejection) return thrown.code
    throw thrown
  }
  return undefined
}

describe('verifySignature', () => {
  it.each(CASES)('$alg: its own signature verifies, a changed input or signature does not', ({ alg, key, sign: signWith }) => {
    const signature = signWith(input)
    expect(failureOf(() => verifySignature(alg, key, input, signature))).toBeUndefined()
    expect(failureOf(() => verifySignature(alg, key, Buffer.concat([input, Buffer.from('x')]), signature))).toBe('signature_invalid')
    const flipped = Buffer.from(signature)
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 1, flipped.length - 1)
    expect(failureOf(() => verifySignature(alg, key, input, flipped))).toBe('signature_invalid')
    expect(failureOf(() => verifySignature(alg, key, input, Buffer.alloc(0)))).toBe('signature_invalid')
  })

  it('PS256 with a salt other than the hash length is refused (RFC 7518 §3.5)', () => {
    expect(failureOf(() => verifySignature('PS256', rsa.publicKey, input, pss('sha256', 20)(input)))).toBe('signature_invalid')
  })

  it('an ES256 signature in DER form, or one octet longer, is refused (RFC 7518 §3.4)', () => {
    const der = sign('sha256', input, p256.privateKey)
    expect(failureOf(() => verifySignature('ES256', p256.publicKey, input, der))).toBe('signature_invalid')
    const longer = Buffer.concat([ecdsa(p256, 'sha256')(input), Buffer.alloc(1)])
    expect(failureOf(() => verifySignature('ES256', p256.publicKey, input, longer))).toBe('signature_invalid')
  })

  const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const MISMATCHES: readonly { name: string; alg: string; key: VerificationKey }[] = [
    { name: 'an RSA public key as the HS256 secret (CVE-2015-9235)', alg: 'HS256', key: rsa.publicKey },
    { name: 'a secret for RS256', alg: 'RS256', key: createSecretKey(secret) },
    { name: 'bytes for ES256', alg: 'ES256', key: new Uint8Array(secret) },
    { name: 'an EC key for RS256', alg: 'RS256', key: p256.publicKey },
    { name: 'an RSA key for ES256', alg: 'ES256', key: rsa.publicKey },
    { name: 'a P-256 key for ES384', alg: 'ES384', key: p256.publicKey },
    { name: 'a P-384 key for ES512', alg: 'ES512', key: p384.publicKey },
    { name: 'an Ed25519 key for ES256', alg: 'ES256', key: ed.publicKey },
    { name: 'an RSA key for EdDSA', alg: 'EdDSA', key: rsa.publicKey },
    { name: 'a private RSA key (verification takes public keys only)', alg: 'RS256', key: rsa.privateKey },
    { name: 'a 1024-bit RSA key (RFC 8725 §3.5)', alg: 'RS256', key: weakRsa.publicKey },
    { name: 'a 1024-bit RSA key for PS256', alg: 'PS256', key: weakRsa.publicKey },
  ]
  it.each(MISMATCHES)('$name: key_unusable', ({ alg, key }) => {
    expect(failureOf(() => verifySignature(alg, key, input, Buffer.alloc(64)))).toBe('key_unusable')
  })

  it('a CryptoKey verifies only the algorithm it was imported for', async () => {
    const jwk = rsa.publicKey.export({ format: 'jwk' })
    const forRs256 = (await webcrypto.subtle.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])) as unknown as CryptoKey
    expect(failureOf(() => verifySignature('RS256', forRs256, input, pkcs1(rsa, 'sha256')(input)))).toBeUndefined()
    expect(failureOf(() => verifySignature('RS384', forRs256, input, pkcs1(rsa, 'sha384')(input)))).toBe('key_unusable')
    expect(failureOf(() => verifySignature('PS256', forRs256, input, pss('sha256', 32)(input)))).toBe('key_unusable')
    const hmacKey = (await webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])) as unknown as CryptoKey
    expect(failureOf(() => verifySignature('RS256', hmacKey, input, Buffer.alloc(256)))).toBe('key_unusable')
    const signOnly = (await webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])) as unknown as CryptoKey
    expect(failureOf(() => verifySignature('HS256', signOnly, input, hmac('sha256')(input)))).toBe('key_unusable')
  })

  it('an algorithm outside the table is refused, whatever the key', () => {
    expect(failureOf(() => verifySignature('none', rsa.publicKey, input, Buffer.alloc(0)))).toBe('algorithm_not_allowed')
    expect(failureOf(() => verifySignature('ML-DSA-44', rsa.publicKey, input, Buffer.alloc(0)))).toBe('algorithm_not_allowed')
  })
})
