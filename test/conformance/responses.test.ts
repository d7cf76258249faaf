import { auth as koaAuth, requireScopes as koaRequireScopes } from '@scopeguard/koa'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import Koa3 from 'koa3'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { expectChallenge } from '../support/expect-challenge.js'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

describe.each(ADAPTERS)('$name: responses and the auth result', (adapter) => {
  const base = { get issuer() { return issuer.url }, audience: 'https://api.example.com' }

  it('RFC 6750 §3: realm is configurable and appears exactly once, first', async () => {
    const res = await request(adapter.app({ ...base, realm: 'calendar "v2"' })).get('/appointments')
    const challenge = expectChallenge(res, 401, undefined)
    expect(challenge.params.realm).toBe('calendar "v2"')
    // A route guard knows its route and names the scope it needs; app-wide auth() cannot.
    const scope = adapter.name.includes('route guards') ? ', scope="read:appointments"' : ''
    expect(res.headers['www-authenticate']).toBe(`Bearer realm="calendar \\"v2\\""${scope}`)
  })

  it('RFC 6750 §3: the 403 challenge carries realm, error, description and scope', async () => {
    const token = await issuer.token({ scope: 'read:contacts' })
    const res = await request(adapter.app({ ...base, realm: 'api' })).get('/appointments').set('Authorization', `Bearer ${token}`)
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The access token lacks the required scope", scope="read:appointments"',
    )
    expect(res.body).toEqual({ error: 'insufficient_scope', error_description: 'The access token lacks the required scope' })
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('the verified result is on req.auth / ctx.state.auth: token, header, claims, scopes', async () => {
    const token = await issuer.token({ scope: 'read:appointments write:appointments', subject: 'alice' })
    const res = await request(adapter.app(base)).get('/me').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(200)
    expect(res.body.auth).toMatchObject({
      token,
      location: 'header',
      header: { alg: 'RS256', typ: 'at+jwt', kid: issuer.signingKey.kid },
      claims: { iss: issuer.url, sub: 'alice', aud: 'https://api.example.com', client_id: 'test-client' },
      scopes: ['read:appointments', 'write:appointments'],
    })
  })

  it('a failed authentication never reaches the handler', async () => {
    const res = await request(adapter.app(base)).get('/me').set('Authorization', `Bearer ${await issuer.bad.expired()}`)
    expectChallenge(res, 401, 'invalid_token')
    expect(res.body.auth).toBeUndefined()
  })

  describe('optional mode', () => {
    const app = () => adapter.app({ ...base, optional: true })

    it('an anonymous request passes with no auth set', async () => {
      const res = await request(app()).get('/me')
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ auth: null })
    })

    it('another scheme counts as anonymous', async () => {
      const res = await request(app()).get('/me').set('Authorization', 'Basic dXNlcjpwYXNz')
      expect(res.body).toEqual({ auth: null })
    })

    it('a valid token is still verified and set', async () => {
      const res = await request(app()).get('/me').set('Authorization', `Bearer ${await issuer.token()}`)
      expect(res.body.auth.claims.sub).toBe('user-1')
    })

    it('an invalid token is still rejected', async () => {
      const res = await request(app()).get('/me').set('Authorization', `Bearer ${await issuer.bad.tampered()}`)
      expectChallenge(res, 401, 'invalid_token')
    })

    it('a malformed request is still rejected', async () => {
      expectChallenge(await request(app()).get('/me').set('Authorization', 'Bearer'), 400, 'invalid_request')
    })

    it('requireScopes on an anonymous request → 401 without error code', async () => {
      expectChallenge(await request(app()).get('/appointments'), 401, undefined)
    })
  })

  describe('handleErrors: false hands the error to the application', () => {
    const app = () => adapter.app({ ...base, handleErrors: false })

    it.each([
      ['no token', () => Promise.resolve(undefined), 401, 'credentials_missing', undefined],
      ['malformed header', () => Promise.resolve('Bearer'), 400, 'authorization_malformed', 'invalid_request'],
      ['expired token', async () => `Bearer ${await issuer.bad.expired()}`, 401, 'token_expired', 'invalid_token'],
      ['insufficient scope', async () => `Bearer ${await issuer.token({ scope: 'x' })}`, 403, 'scope_insufficient', 'insufficient_scope'],
    ] as const)('%s: an http-errors object with status, code and WWW-Authenticate', async (_name, header, status, code, error) => {
      const value = await header()
      const req = request(app()).get('/appointments')
      const res = await (value === undefined ? req : req.set('Authorization', value))
      expect(res.status).toBe(status)
      expect(res.body).toEqual({ handledBy: 'app', status, code, isHttpError: true })
      const challenge = res.headers['www-authenticate'] as string
      expect(challenge.startsWith('Bearer')).toBe(true)
      expect(challenge.includes('error=')).toBe(error !== undefined)
    })
  })
})

describe('koa: with handleErrors: false and no error middleware, Koa’s own handler honours status, expose and headers', () => {
  it('answers 403 with the challenge and the fixed description', async () => {
    const app = new Koa3()
    app.silent = true
    app.use(koaAuth({ issuer: issuer.url, audience: 'https://api.example.com', handleErrors: false }))
    app.use(koaRequireScopes('read:appointments'))
    app.use((ctx) => {
      ctx.body = 'ok'
    })
    const token = await issuer.token({ scope: 'other' })
    const res = await request(app.callback()).get('/').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(403)
    expect(res.text).toBe('The access token lacks the required scope')
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"')
  })
})
