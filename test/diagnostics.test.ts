import { format } from 'node:util'
import { createFakeIssuer, generateDpopKey, type FakeIssuer } from '@scopeguard/testing'
import createDebug from 'debug'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from './support/adapters.js'

// What a developer sees without writing any code: one warning on stderr when a
// misconfiguration makes every request fail, and with DEBUG=scopeguard:* one line per
// decision saying why.

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(async () => {
  await issuer.close()
})

/** Collects process warnings while `run` runs. */
async function warningsDuring(run: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = []
  const listener = (warning: Error) => seen.push(warning)
  process.on('warning', listener)
  try {
    await run()
    // process.emitWarning delivers on the next tick.
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', listener)
  }
  return seen.filter((warning) => warning.message.startsWith('scopeguard:'))
}

const app = ADAPTERS[1]! // Express 5: the decisions are the kit's, the same on every adapter.

describe('warnings for misconfigurations', () => {
  it('an issuer written without the trailing slash its metadata has: one warning naming the fix, however many requests', async () => {
    const warnings = await warningsDuring(async () => {
      const listener = app.app({ issuer: issuer.url.replace(/\/$/, ''), audience: 'https://api.example.com', fetchRetryMin: 1 })
      for (let i = 0; i < 3; i++) {
        const res = await request(listener).get('/appointments').set('Authorization', `Bearer ${await issuer.token({ scope: 'read:appointments' })}`)
        expect(res.status).toBe(503)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.message).toMatch(/no signing keys for issuer .* metadata names issuer ".*\/", expected ".*[^/]" .*check the trailing slash/)
    expect((warnings[0] as Error & { code?: string }).code).toBe('SCOPEGUARD_KEYS_UNAVAILABLE')
  })

  it('an unreachable host: the DNS or connection failure from deep in the cause chain', async () => {
    const warnings = await warningsDuring(async () => {
      // A loopback port nothing listens on: connection refused.
      const listener = app.app({ issuer: 'http://127.0.0.1:9/', audience: 'https://api.example.com' })
      await request(listener).get('/appointments').set('Authorization', `Bearer ${await issuer.token()}`).expect(503)
    })
    expect(warnings[0]?.message).toMatch(/http:\/\/127\.0\.0\.1:9\/.*(ECONNREFUSED|fetch failed)/)
  })

  it('Auth0 RBAC tokens without scopeClaims: permissions: the hint says what to add', async () => {
    const warnings = await warningsDuring(async () => {
      const listener = app.app({ issuer: issuer.url, audience: 'https://api.example.com', keys: issuer.signingKey.publicJwk })
      const token = await issuer.token({ claims: { permissions: ['read:appointments'] } })
      await request(listener).get('/appointments').set('Authorization', `Bearer ${token}`).expect(403)
    })
    expect(warnings.map((warning) => warning.message)).toContainEqual(expect.stringMatching(/carries 'permissions', which scopeClaims does not read.*scopeClaims: \['scope', 'scp', 'permissions'\]/))
  })

  it('DPoP-bound tokens while DPoP has no origin: the warning says to set dpop.origin', async () => {
    const warnings = await warningsDuring(async () => {
      const listener = app.app({ issuer: issuer.url, audience: 'https://api.example.com' })
      const token = await issuer.token({ dpop: await generateDpopKey() })
      await request(listener).get('/me').set('Authorization', `Bearer ${token}`).expect(401)
    })
    expect(warnings.map((warning) => (warning as Error & { code?: string }).code)).toEqual(['SCOPEGUARD_DPOP_ORIGIN'])
    expect(warnings[0]?.message).toMatch(/set dpop\.origin/)
  })

  it('an introspection endpoint refusing the API: the warning names the endpoint and the status', async () => {
    const warnings = await warningsDuring(async () => {
      const listener = app.app({ issuer: issuer.url, audience: issuer.audience, introspection: { clientId: issuer.client.clientId, clientSecret: 'not-the-secret' } })
      await request(listener).get('/me').set('Authorization', `Bearer ${issuer.opaqueToken()}`).expect(503)
    })
    expect(warnings.map((warning) => (warning as Error & { code?: string }).code)).toEqual(['SCOPEGUARD_INTROSPECTION_UNAVAILABLE'])
    expect(warnings[0]?.message).toContain(issuer.introspectionEndpoint)
  })

  it('warnings: false silences them', async () => {
    const warnings = await warningsDuring(async () => {
      const listener = app.app({ issuer: 'http://127.0.0.1:7/', audience: 'https://api.example.com', warnings: false })
      await request(listener).get('/appointments').set('Authorization', `Bearer ${await issuer.token()}`).expect(503)
    })
    expect(warnings).toEqual([])
  })
})

describe('DEBUG=scopeguard:*', () => {
  const lines: string[] = []
  const log = createDebug.log
  beforeAll(() => {
    createDebug.enable('scopeguard:*')
    createDebug.log = (...args: unknown[]) => lines.push(format(...args))
  })
  afterEach(() => {
    lines.length = 0
  })
  afterAll(() => {
    createDebug.disable()
    createDebug.log = log
  })

  it('one line per refusal, with the failing claim, what was expected and what was found; never the token', async () => {
    const listener = app.app({ issuer: issuer.url, audience: 'https://api.example.com/calendar', keys: issuer.signingKey.publicJwk })
    const token = await issuer.token({ audience: 'https://api.example.com/contacts' })
    await request(listener).get('/appointments?x=1').set('Authorization', `Bearer ${token}`).expect(401)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/GET \/appointments: 401 audience_invalid: .*aud expected "https:\/\/api\.example\.com\/calendar", found "https:\/\/api\.example\.com\/contacts"/)
    for (const part of token.split('.')) expect(lines[0]).not.toContain(part)
  })

  it('one line per success and per scope decision', async () => {
    const listener = app.app({ issuer: issuer.url, audience: 'https://api.example.com', keys: issuer.signingKey.publicJwk })
    await request(listener).get('/appointments').set('Authorization', `Bearer ${await issuer.token({ scope: 'profile' })}`).expect(403)
    expect(lines.join('\n')).toMatch(/403 scope_insufficient: .*expected read:appointments, found "profile"/)
  })
})
