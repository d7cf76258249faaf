import { createPublicKey } from 'node:crypto'
import type { GetKey } from '@scopeguard/core'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import { errors } from 'jose'
import jwksClient from 'jwks-rsa'
import { describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { serveApp, type AppClient } from './app-client.js'
import { closeAfterEach } from './cleanup.js'
import { expectInvalidToken, expectOk, expectUnavailable, READ } from './expect-reply.js'

// getKey: the application brings its own key source. "No such key" (undefined, null, jose's
// JWKSNoMatchingKey, jwks-rsa's SigningKeyNotFoundError) is the token's fault: 401. Any other
// failure is the key source's: 503, never 401 and never a 500.

const track = closeAfterEach()

describe.each(ADAPTERS)('$name: getKey', (adapter) => {
  describe('the real jwks-rsa client', () => {
    async function start(): Promise<{ issuer: FakeIssuer; app: AppClient }> {
      const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
      // As the getKey documentation shows it, pointed at the issuer's JWKS.
      const client = jwksClient({ jwksUri: issuer.jwksUri, timeout: 1000 })
      const getKey: GetKey = async (header) => (await client.getSigningKey(header.kid)).getPublicKey()
      const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, getKey })))
      return { issuer, app }
    }

    it('a token of the issuer → 200', async () => {
      const { issuer, app } = await start()
      expectOk(await app.get(await issuer.token(READ)))
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 1 })
    })

    it('an unknown kid → 401 invalid_token (SigningKeyNotFoundError)', async () => {
      const { issuer, app } = await start()
      expectInvalidToken(await app.get(await issuer.bad.unknownKid(READ)))
    })

    it.each([
      ['answering 503', { status: 503 }],
      ['dropping the connection', 'reset'],
      ['serving HTML', 'html'],
    ] as const)('JWKS %s on a cold start → 503', async (_name, fault) => {
      const { issuer, app } = await start()
      issuer.fail('jwks', fault)
      expectUnavailable(await app.get(await issuer.token(READ)))
    })
  })

  describe('a plain function', () => {
    const CASES: readonly { name: string; getKey: (issuer: FakeIssuer) => GetKey; status: 200 | 401 | 503 }[] = [
      { name: 'returning a KeyObject', getKey: (issuer) => () => createPublicKey(issuer.signingKey.publicPem), status: 200 },
      { name: 'resolving to a PEM string', getKey: (issuer) => async () => issuer.signingKey.publicPem, status: 200 },
      { name: 'returning undefined', getKey: () => () => undefined, status: 401 },
      { name: 'resolving to null', getKey: () => async () => null, status: 401 },
      { name: 'throwing jose\'s JWKSNoMatchingKey', getKey: () => () => { throw new errors.JWKSNoMatchingKey() }, status: 401 },
      { name: 'throwing an Error', getKey: () => () => { throw new Error('vault unreachable') }, status: 503 },
      { name: 'rejecting', getKey: () => () => Promise.reject(new Error('vault unreachable')), status: 503 },
      { name: 'throwing a string', getKey: () => () => { throw 'vault unreachable' }, status: 503 },
    ]

    it.each(CASES)('$name → $status', async ({ getKey, status }) => {
      const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
      const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, getKey: getKey(issuer) })))
      const reply = await app.get(await issuer.token(READ))
      if (status === 200) expectOk(reply)
      else if (status === 401) expectInvalidToken(reply)
      else expectUnavailable(reply)
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 })
    })
  })
})
