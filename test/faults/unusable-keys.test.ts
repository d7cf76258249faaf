import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { generateSigningKey, signToken, tokenClaims, type SigningKey } from '@scopeguard/testing'
import { base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { serveApp } from './app-client.js'
import { closeAfterEach } from './cleanup.js'
import { eventLog } from './event-log.js'
import { expectInvalidToken, expectOk, expectUnavailable, READ } from './expect-reply.js'
import { fakeClock } from './fake-clock.js'
import { createMisbehavingIssuer, JWKS, type MisbehavingIssuer } from './misbehaving-server.js'

// A JWKS may hold keys scopeguard cannot or must not use. Each is skipped on its own (and
// counted in keys_fetched.skipped) while the others keep verifying; only a set with no
// usable key at all counts as a failed fetch.

const track = closeAfterEach()
const random = (bytes: number): string => randomBytes(bytes).toString('base64url')

/** Keys with real material, published in a way that must keep them out: tokens they sign must not verify. */
let encKey: SigningKey
let encryptOpsKey: SigningKey
let hmacAlgKey: SigningKey
let rsa1024: { jwk: Record<string, unknown>; privateKey: KeyObject }
let junk: { name: string; jwk: unknown }[]

beforeAll(async () => {
  ;[encKey, encryptOpsKey, hmacAlgKey] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256'), generateSigningKey('ES256')])
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  rsa1024 = { jwk: { ...publicKey.export({ format: 'jwk' }), kid: 'rsa-1024', alg: 'RS256', use: 'sig' }, privateKey }
  junk = [
    { name: 'RSA of 1024 bits (RFC 8725 §3.5 asks for 2048)', jwk: rsa1024.jwk },
    { name: 'use: enc (RFC 7517 §4.2)', jwk: { ...encKey.publicJwk, use: 'enc' } },
    { name: 'key_ops without verify (RFC 7517 §4.3)', jwk: { ...encryptOpsKey.publicJwk, use: undefined, key_ops: ['encrypt'] } },
    { name: 'alg outside the accepted algorithms (HS256 on an EC key)', jwk: { ...hmacAlgKey.publicJwk, alg: 'HS256' } },
    { name: 'alg none', jwk: { kty: 'EC', crv: 'P-256', x: random(32), y: random(32), kid: 'alg-none', alg: 'none' } },
    { name: 'kty oct (a shared secret in a public JWKS)', jwk: { kty: 'oct', k: random(32), kid: 'oct', alg: 'HS256' } },
    { name: 'kty AKP (ML-DSA), not supported', jwk: { kty: 'AKP', alg: 'ML-DSA-44', pub: random(1312), kid: 'akp' } },
    { name: 'EC on secp256k1', jwk: { kty: 'EC', crv: 'secp256k1', x: random(32), y: random(32), kid: 'k1' } },
    { name: 'OKP X25519 (key agreement)', jwk: { kty: 'OKP', crv: 'X25519', x: random(32), kid: 'x25519' } },
    { name: 'RSA without a modulus', jwk: { kty: 'RSA', e: 'AQAB', kid: 'no-n' } },
    { name: 'a numeric kid', jwk: { kty: 'EC', crv: 'P-256', x: random(32), y: random(32), kid: 42 } },
    { name: 'kty missing', jwk: { kid: 'no-kty', x: random(32) } },
    { name: 'null', jwk: null },
    { name: 'a number', jwk: 42 },
    { name: 'a string', jwk: 'key' },
    { name: 'an array', jwk: [] },
    { name: 'an empty object', jwk: {} },
  ]
})

/** An RS256 token signed with node:crypto directly: jose refuses to sign with a key under 2048 bits. */
function rs256Token(issuer: MisbehavingIssuer, kid: string, privateKey: KeyObject): string {
  const input = `${base64url.encode(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid }))}.${base64url.encode(JSON.stringify(tokenClaims(issuer.url, issuer.audience, READ)))}`
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
}

describe.each(ADAPTERS)('$name: unusable keys in a JWKS', (adapter) => {
  it('17 unusable entries beside the real key: each is skipped, the real key verifies, keys_fetched says 1 kept and 17 skipped', async () => {
    const issuer = track(await createMisbehavingIssuer())
    issuer.jwks = { keys: [...junk.map(({ jwk }) => jwk), issuer.key.publicJwk] }
    const log = eventLog()
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, jwksUri: issuer.jwksUri, onEvent: log.onEvent })))

    expectOk(await app.get(await issuer.token(READ)))
    expect(log.events).toEqual([{ type: 'keys_fetched', issuer: issuer.url, url: issuer.jwksUri, keys: 1, skipped: junk.length }])
    // Keys that were published but skipped verify nothing, and asking for them again does not refetch.
    const signedBySkipped = [
      rs256Token(issuer, 'rsa-1024', rsa1024.privateKey),
      ...(await Promise.all([encKey, encryptOpsKey, hmacAlgKey].map((key) => signToken(key, tokenClaims(issuer.url, issuer.audience, READ))))),
    ]
    for (const token of signedBySkipped) expectInvalidToken(await app.get(token))
    expect(issuer.requests(JWKS)).toBe(1)
  })

  it('a key with broken material (an EC point off the curve) listed first does not stop a token without kid from verifying', async () => {
    const issuer = track(await createMisbehavingIssuer())
    const broken = { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', x: random(32), y: random(32) }
    issuer.jwks = { keys: [broken, { ...issuer.key.publicJwk, kid: undefined }] }
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, jwksUri: issuer.jwksUri })))
    expectOk(await app.get(await signToken(issuer.key, tokenClaims(issuer.url, issuer.audience, READ), { kid: undefined })))
  })

  it('a JWKS with no usable key → 503 on a cold start; on a refresh, the cached keys keep serving', async () => {
    const issuer = track(await createMisbehavingIssuer())
    const clock = fakeClock()
    const log = eventLog()
    const app = track(await serveApp(adapter.app({
      issuer: issuer.url, audience: issuer.audience, jwksUri: issuer.jwksUri, jwksCacheMaxAge: 60_000, clock: clock.now, onEvent: log.onEvent,
    })))
    const onlyJunk = { keys: junk.map(({ jwk }) => jwk) }

    // Cold: nothing to serve.
    issuer.jwks = onlyJunk
    expectUnavailable(await app.get(await issuer.token(READ)))
    expect(log.types()).toEqual(['refresh_failed', 'keys_unavailable'])

    // Warm: a good set, then a refresh that finds only junk.
    issuer.jwks = { keys: [issuer.key.publicJwk] }
    clock.advance(1000) // past the backoff of the cold failure
    expectOk(await app.get(await issuer.token(READ)))
    issuer.jwks = onlyJunk
    clock.advance(60_000)
    expectOk(await app.get(await issuer.token(READ)))
    await log.until('refresh_failed', 2)
    expectOk(await app.get(await issuer.token(READ)))
    expect(log.types()).toEqual(['refresh_failed', 'keys_unavailable', 'keys_fetched', 'refresh_failed', 'serving_stale'])
    expect(issuer.requests(JWKS)).toBe(3)
  })
})
