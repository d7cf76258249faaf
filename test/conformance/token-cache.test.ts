import { createPublicKey } from 'node:crypto'
import { createAuthenticator, type AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { expectChallenge } from '../support/expect-challenge.js'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

/** Counts how often the middleware needs a key, i.e. verifies a signature. */
function countingKeys(): { calls: number; options: Partial<AuthOptions> } {
  const counter = { calls: 0, options: {} as Partial<AuthOptions> }
  const key = createPublicKey(issuer.signingKey.publicPem)
  counter.options.getKey = () => {
    counter.calls++
    return key
  }
  return counter
}

describe.each(ADAPTERS)('$name: verified-token cache', (adapter) => {
  const app = (options: Partial<AuthOptions>) => adapter.app({ issuer: issuer.url, audience: 'https://api.example.com', ...options })

  it('a reused token is verified on its first two uses, then served from the cache and still authorised', async () => {
    const keys = countingKeys()
    const listener = app(keys.options)
    const token = await issuer.token({ scope: 'read:appointments' })
    for (let i = 0; i < 5; i++) {
      const res = await request(listener).get('/appointments').set('Authorization', `Bearer ${token}`)
      expect(res.status).toBe(200)
    }
    // Admitted on its second sighting (a one-off token never enters the cache).
    expect(keys.calls).toBe(2)
    // The cached result still goes through the scope check.
    expectChallenge(await request(listener).get('/appointments/write').set('Authorization', `Bearer ${token}`), 403, 'insufficient_scope')
    expect(keys.calls).toBe(2)
  })

  it('a flood of one-off tokens leaves a reused token cached, and is not cached itself', async () => {
    const keys = countingKeys()
    const listener = app(keys.options)
    const reused = await issuer.token({ scope: 'read:appointments' })
    const send = (token: string) => request(listener).get('/appointments').set('Authorization', `Bearer ${token}`).expect(200)
    await send(reused)
    await send(reused)
    const oneOff = await Promise.all(Array.from({ length: 20 }, () => issuer.token({ scope: 'read:appointments' })))
    for (const token of oneOff) await send(token)
    await send(reused)
    expect(keys.calls).toBe(2 + oneOff.length)
    // Each one-off token, seen again, is verified again: the first sighting only put it on record.
    await send(oneOff[0] as string)
    expect(keys.calls).toBe(3 + oneOff.length)
  })

  it('tokenCache: false verifies every request', async () => {
    const keys = countingKeys()
    const listener = app({ ...keys.options, tokenCache: false })
    const token = await issuer.token({ scope: 'read:appointments' })
    for (let i = 0; i < 3; i++) await request(listener).get('/appointments').set('Authorization', `Bearer ${token}`)
    expect(keys.calls).toBe(3)
  })

  it('failures are not cached: a bad token is checked (and rejected) every time', async () => {
    const keys = countingKeys()
    const listener = app(keys.options)
    const token = await issuer.bad.tampered({ scope: 'read:appointments' })
    for (let i = 0; i < 2; i++) {
      expectChallenge(await request(listener).get('/appointments').set('Authorization', `Bearer ${token}`), 401, 'invalid_token')
    }
    expect(keys.calls).toBe(2)
  })

  it('distinct tokens are each verified', async () => {
    const keys = countingKeys()
    const listener = app(keys.options)
    for (let i = 0; i < 3; i++) {
      await request(listener).get('/appointments').set('Authorization', `Bearer ${await issuer.token({ scope: 'read:appointments' })}`)
    }
    expect(keys.calls).toBe(3)
  })

})

describe('the cached result', () => {
  it('is shared between requests presenting the same token, and frozen so no request can alter it', async () => {
    const authenticator = createAuthenticator({ issuer: issuer.url, audience: 'https://api.example.com', keys: issuer.signingKey.publicJwk })
    const token = await issuer.token({ scope: 'read:appointments' })
    await authenticator.authenticate({ authorization: `Bearer ${token}` })
    const first = await authenticator.authenticate({ authorization: `Bearer ${token}` })
    const second = await authenticator.authenticate({ authorization: `Bearer ${token}` })
    expect(second).toBe(first)
    expect(Object.isFrozen(first) && Object.isFrozen(first?.claims) && Object.isFrozen(first?.header)).toBe(true)
    expect(() => {
      ;(first?.claims as Record<string, unknown>).sub = 'mallory'
    }).toThrow(TypeError)
  })
})

describe('the synchronous cache path (cachedResult)', () => {
  const options = () => ({ issuer: issuer.url, audience: 'https://api.example.com', keys: issuer.signingKey.publicJwk })

  it('answers only a plain Bearer header it has verified before', async () => {
    const authenticator = createAuthenticator(options())
    const token = await issuer.token()
    expect(authenticator.cachedResult(`Bearer ${token}`)).toBeUndefined()
    await authenticator.authenticate({ authorization: `Bearer ${token}` })
    // Seen once: on record, not cached yet.
    expect(authenticator.cachedResult(`Bearer ${token}`)).toBeUndefined()
    const verified = await authenticator.authenticate({ authorization: `Bearer ${token}` })
    expect(authenticator.cachedResult(`Bearer ${token}`)).toBe(verified)
    expect(authenticator.cachedResult(`bearer   ${token}`)).toBe(verified)
    // Every other shape takes the full path, which gives the proper RFC 6750 answer.
    for (const authorization of [`Bearer\t${token}`, [`Bearer ${token}`, `Bearer ${token}`], `Basic ${token}`, `Bearer ${token}x`, undefined]) {
      expect(authenticator.cachedResult(authorization)).toBeUndefined()
    }
  })

  it('is closed when query or body tokens are accepted (one method per request must be checked)', async () => {
    const authenticator = createAuthenticator({ ...options(), acceptQueryToken: true })
    const token = await issuer.token()
    await authenticator.authenticate({ authorization: `Bearer ${token}` })
    await authenticator.authenticate({ authorization: `Bearer ${token}` })
    expect(authenticator.cachedResult(`Bearer ${token}`)).toBeUndefined()
  })
})
