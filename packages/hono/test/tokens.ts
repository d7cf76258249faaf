import { generateKeyPairSync, sign } from 'node:crypto'
import type { AuthOptions } from '@scopeguard/core'

// The package's own tests sign real ES256 tokens with node:crypto and hand auth() the public
// key, so they need neither the network nor the testing kit. The cross-adapter suites in
// test/ run the adapter against a real fake issuer over HTTP.

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })

export const ISSUER = 'https://idp.example.com/'
export const API = 'https://api.example.com/calendar'
export const OTHER_API = 'https://api.example.com/contacts'

/** `auth()` options trusting this file's key. */
export const options = (extra: Partial<AuthOptions> = {}): AuthOptions => ({ issuer: ISSUER, audience: API, keys: publicKey, ...extra })

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A signed access token for `sub: alice`, valid for five minutes. */
export function token(scope: string, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000)
  const signingInput = `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iss: ISSUER, aud: API, sub: 'alice', iat: now, exp: now + 300, scope, ...claims })}`
  const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')
  return `${signingInput}.${signature}`
}

/** `{ Authorization: 'Bearer <token>' }` */
export const bearer = (scope: string, claims?: Record<string, unknown>): Record<string, string> => ({ Authorization: `Bearer ${token(scope, claims)}` })
