import { webcrypto } from 'node:crypto'
import type { FakeIssuer, SigningKey } from '@scopeguard/testing'

// Hand-built compact JWS, for tokens jose's SignJWT will not produce: raw JSON text (duplicate
// keys, 1e400, deep nesting), non-object headers or payloads, segments that are not base64url.

/** base64url without padding (RFC 7515 §2) of UTF-8 text or bytes. */
export function b64(input: string | Uint8Array): string {
  return Buffer.from(input).toString('base64url')
}

/** base64url of `JSON.stringify(value)`. */
export function b64json(value: unknown): string {
  return b64(JSON.stringify(value))
}

/** A key that can sign: the issuer's own, or one the issuer never published. */
export type Signer = Pick<SigningKey, 'alg' | 'privateKey'>

const SUBTLE_PARAMS: Record<SigningKey['alg'], Parameters<typeof webcrypto.subtle.sign>[0]> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  PS256: { name: 'RSA-PSS', saltLength: 32 },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
}

/** Signs `signingInput` (the ASCII `header.payload`) with WebCrypto; returns the base64url signature. */
export async function signInput(signer: Signer, signingInput: string): Promise<string> {
  const signature = await webcrypto.subtle.sign(SUBTLE_PARAMS[signer.alg], signer.privateKey, Buffer.from(signingInput, 'latin1'))
  return b64(new Uint8Array(signature))
}

/** `header.payload.signature` from the encoded segments as given (whatever they hold), signed by `signer`. */
export async function signSegments(signer: Signer, header: string, payload: string): Promise<string> {
  const input = `${header}.${payload}`
  return `${input}.${await signInput(signer, input)}`
}

/** `header.payload.signature` from the exact JSON texts (or bytes) given, signed by `signer`. */
export function signJsonText(signer: Signer, headerJson: string | Uint8Array, payloadJson: string | Uint8Array): Promise<string> {
  return signSegments(signer, b64(headerJson), b64(payloadJson))
}

/** The JSON text of the header the fake issuer signs with, for splicing raw members in. */
export function headerText(issuer: FakeIssuer, extra = ''): string {
  return `{"alg":"${issuer.signingKey.alg}","typ":"at+jwt","kid":"${issuer.signingKey.kid}"${extra}}`
}

/** The JSON text of a valid payload with `read:appointments`, for splicing raw members in. */
export function payloadText(issuer: FakeIssuer, extra = ''): string {
  const claims = JSON.stringify(issuer.claims({ scope: 'read:appointments' }))
  return `${claims.slice(0, -1)}${extra}}`
}

/** The three segments of a compact token. */
export function segments(token: string): [header: string, payload: string, signature: string] {
  const [header = '', payload = '', signature = ''] = token.split('.')
  return [header, payload, signature]
}
