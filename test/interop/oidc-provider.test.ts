import type { AuthOptions } from '@scopeguard/core'
import { auth, requireAuth, requireScopes } from '@scopeguard/express'
import express, { type Express, type Request, type Response } from 'express'
import { decodeProtectedHeader } from 'jose'
import type * as oauth from 'oauth4webapi'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ACCESS_TOKEN_ALGORITHMS,
  JWT_API,
  OPAQUE_API,
  RESOURCE_SERVER_CLIENT,
  RESOURCE_SERVER_POST_CLIENT,
  RESOURCE_SERVER_SIGNED_CLIENT,
  SHORT_LIVED_API,
  captureDecisions,
  clientCredentials,
  discover,
  introspectAtProvider,
  jwtApi,
  revoke,
  startAuthorizationServer,
  type RunningAuthorizationServer,
} from './interop-support.js'

// scopeguard as the resource server of a real authorization server: oidc-provider 9 issues
// opaque tokens (checked by RFC 7662 introspection) and RS256 JWT access tokens (checked
// locally against its JWKS), and revokes tokens (RFC 7009). oauth4webapi is the client.

const READ = 'read:appointments'
const WRITE = 'write:appointments'

let provider: RunningAuthorizationServer
let as: oauth.AuthorizationServer
let decisions: ReturnType<typeof captureDecisions>

beforeAll(async () => {
  provider = await startAuthorizationServer()
  as = await discover(provider.issuer)
  decisions = captureDecisions()
})
afterAll(async () => {
  decisions?.stop()
  await provider?.stop()
})
afterEach(() => {
  decisions.take()
})

/** The calendar API: GET needs read:appointments, POST write:appointments; both echo `req.auth`. */
function calendarApi(options: AuthOptions): Express {
  const app = express()
  app.use(auth(options))
  const reply = (req: Request, res: Response) => {
    res.json({ source: requireAuth(req).source, claims: requireAuth(req).claims, scopes: [...requireAuth(req).scopes], binding: requireAuth(req).binding ?? null })
  }
  app.get('/appointments', requireScopes(READ), reply)
  app.post('/appointments', requireScopes(WRITE), reply)
  return app
}

const introspection = (extra: Partial<NonNullable<AuthOptions['introspection']>> = {}): NonNullable<AuthOptions['introspection']> => ({
  ...RESOURCE_SERVER_CLIENT,
  ...extra,
})

const opaqueToken = async (scope = READ): Promise<string> => {
  const tokens = await clientCredentials(as, { resource: OPAQUE_API, scope })
  expect(tokens.token_type).toBe('bearer')
  // Opaque: not three dot-separated segments, so scopeguard introspects it.
  expect(tokens.access_token.split('.')).toHaveLength(1)
  return tokens.access_token
}

const get = (app: Express, token: string) => request(app).get('/appointments').set('Authorization', `Bearer ${token}`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('opaque tokens from oidc-provider, introspected (RFC 7662)', () => {
  it('a: 200 with requireAuth(req).claims as oidc-provider describes the token; the wrong scope → 403 insufficient_scope', async () => {
    const app = calendarApi({ issuer: provider.issuer, audience: OPAQUE_API, introspection: introspection() })
    const token = await opaqueToken()

    const res = await get(app, token)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.source).toBe('introspection')
    expect(res.body.scopes).toEqual([READ])
    expect(res.body.binding).toBeNull()
    const { active, ...described } = await introspectAtProvider(as, token)
    expect(active).toBe(true)
    expect(res.body.claims).toEqual(described)
    expect(res.body.claims).toMatchObject({ iss: provider.issuer, aud: OPAQUE_API, client_id: 'calendar-service', scope: READ, token_type: 'Bearer' })

    const denied = await request(app).post('/appointments').set('Authorization', `Bearer ${token}`)
    expect(denied.status).toBe(403)
    expect(denied.body.error).toBe('insufficient_scope')
    expect(denied.headers['www-authenticate']).toMatch(/^Bearer .*error="insufficient_scope"/)
    expect(denied.headers['www-authenticate']).toContain(`scope="${WRITE}"`)
    expect(decisions.take().join('\n')).toMatch(/POST \/appointments: 403 scope_insufficient/)
  })

  it('a: revoked at oidc-provider with cache: false → the next request is 401 invalid_token (token_inactive)', async () => {
    const app = calendarApi({ issuer: provider.issuer, audience: OPAQUE_API, introspection: introspection({ cache: false }) })
    const token = await opaqueToken()
    expect((await get(app, token)).status).toBe(200)
    expect((await get(app, token)).status).toBe(200)

    await revoke(as, token)
    expect((await introspectAtProvider(as, token)).active).toBe(false)

    const res = await get(app, token)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(decisions.take().at(-1)).toMatch(/GET \/appointments: 401 token_inactive/)
  })

  it('a: revoked with the default cache → still accepted (the documented delay of up to cache.ttl = 60 s); with ttl 2000 → refused once it passed', async () => {
    const defaultCache = calendarApi({ issuer: provider.issuer, audience: OPAQUE_API, introspection: introspection() })
    const shortCache = calendarApi({ issuer: provider.issuer, audience: OPAQUE_API, introspection: introspection({ cache: { ttl: 2000 } }) })
    const token = await opaqueToken()
    const before = provider.requests.filter((line) => line === 'POST /token/introspection').length
    const cachedFrom = Date.now()
    // Twice each: the second use also enters the verified-token cache.
    for (const app of [defaultCache, shortCache]) {
      expect((await get(app, token)).status).toBe(200)
      expect((await get(app, token)).status).toBe(200)
    }
    expect(provider.requests.filter((line) => line === 'POST /token/introspection').length - before).toBe(2)

    await revoke(as, token)
    expect((await get(defaultCache, token)).status).toBe(200)
    expect((await get(shortCache, token)).status).toBe(200)
    expect(provider.requests.filter((line) => line === 'POST /token/introspection').length - before).toBe(2)

    await sleep(Math.max(0, cachedFrom + 2000 + 200 - Date.now()))
    const res = await get(shortCache, token)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(decisions.take().at(-1)).toMatch(/401 token_inactive/)
    // The default cache keeps answering from memory for up to 60 s.
    expect((await get(defaultCache, token)).status).toBe(200)
  })

  it('20 concurrent requests with one new token: one introspection call', async () => {
    const app = calendarApi({ issuer: provider.issuer, audience: OPAQUE_API, introspection: introspection() })
    const token = await opaqueToken()
    expect((await get(app, await opaqueToken())).status).toBe(200) // metadata discovered beforehand
    provider.requests.length = 0
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(app, token)))
    expect(answers.map((res) => res.status)).toEqual(Array.from({ length: 20 }, () => 200))
    expect(provider.requests).toEqual(['POST /token/introspection'])
  })

  it('a cached answer is not served past the token\'s exp (a token oidc-provider issues for one second)', async () => {
    const app = calendarApi({ issuer: provider.issuer, audience: SHORT_LIVED_API, clockTolerance: 0, introspection: introspection() })
    const tokens = await clientCredentials(as, { resource: SHORT_LIVED_API, scope: READ })
    expect(tokens.expires_in).toBe(1)
    const first = await get(app, tokens.access_token)
    expect(first.status, JSON.stringify(first.body)).toBe(200)
    expect((await get(app, tokens.access_token)).status).toBe(200)
    const exp = first.body.claims.exp as number
    await sleep(Math.max(0, (exp + 1) * 1000 - Date.now() + 50))
    const res = await get(app, tokens.access_token)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(decisions.take().at(-1)).toMatch(/401 (token_expired|token_inactive)/)
  })

  it('b: the introspection endpoint is discovered from the issuer metadata (no `endpoint` option)', async () => {
    const app = calendarApi({ issuer: provider.issuer, audience: OPAQUE_API, introspection: introspection({ cache: false }) })
    const explicit = calendarApi({ issuer: provider.issuer, audience: OPAQUE_API, introspection: introspection({ cache: false, endpoint: as.introspection_endpoint as string }) })
    const token = await opaqueToken()
    provider.requests.length = 0

    expect((await get(app, token)).status).toBe(200)
    expect(provider.requests).toEqual(['GET /.well-known/openid-configuration', 'POST /token/introspection'])
    expect(as.introspection_endpoint).toBe(`${provider.issuer}/token/introspection`)

    provider.requests.length = 0
    expect((await get(app, token)).status).toBe(200)
    // The metadata is kept: only the introspection call.
    expect(provider.requests).toEqual(['POST /token/introspection'])

    provider.requests.length = 0
    expect((await get(explicit, token)).status).toBe(200)
    expect(provider.requests).toEqual(['POST /token/introspection'])
  })

  it('an opaque token for another resource of the same server → 401 audience_invalid', async () => {
    const app = calendarApi({ issuer: provider.issuer, audience: 'https://calendar.example.com/other', introspection: introspection() })
    const res = await get(app, await opaqueToken())
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(decisions.take().at(-1)).toMatch(/401 audience_invalid/)
  })

  it('the API authenticating with a wrong client secret → oidc-provider answers 401 invalid_client → 503, never 401', async () => {
    const app = calendarApi({ issuer: provider.issuer, audience: OPAQUE_API, introspection: introspection({ clientSecret: 'not-the-secret' }) })
    const res = await get(app, await opaqueToken())
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('10')
    expect(res.body.error).toBe('temporarily_unavailable')
    expect(decisions.take().at(-1)).toMatch(/503 introspection_unavailable/)
  })

  it('client_secret_post, for an API client registered with it', async () => {
    const app = calendarApi({
      issuer: provider.issuer,
      audience: OPAQUE_API,
      introspection: { ...RESOURCE_SERVER_POST_CLIENT, clientAuthentication: 'client_secret_post' },
    })
    const res = await get(app, await opaqueToken())
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.source).toBe('introspection')
  })

  it('RFC 9701 signed introspection responses (signedResponse: true), verified with oidc-provider\'s keys', async () => {
    const app = calendarApi({
      issuer: provider.issuer,
      audience: OPAQUE_API,
      introspection: { ...RESOURCE_SERVER_SIGNED_CLIENT, signedResponse: true, cache: false },
    })
    const res = await get(app, await opaqueToken())
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.source).toBe('introspection')
    expect(res.body.claims).toMatchObject({ iss: provider.issuer, aud: OPAQUE_API, scope: READ })
  })

  it("tokens: 'all' sends JWTs too, which oidc-provider refuses to introspect (400 unsupported_token_type) → 503", async () => {
    const app = calendarApi({ issuer: provider.issuer, audience: JWT_API, introspection: introspection({ tokens: 'all' }) })
    const jwt = (await clientCredentials(as, { resource: JWT_API, scope: READ })).access_token
    const res = await get(app, jwt)
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('10')
    expect(decisions.take().at(-1)).toMatch(/503 introspection_unavailable/)
  })
})

describe('c: oidc-provider down', () => {
  it('503 with Retry-After, never 401, for a token accepted a moment ago and for a new one', async () => {
    const own = await startAuthorizationServer()
    try {
      const ownAs = await discover(own.issuer)
      const app = calendarApi({ issuer: own.issuer, audience: OPAQUE_API, introspection: introspection({ cache: false }) })
      const token = (await clientCredentials(ownAs, { resource: OPAQUE_API, scope: READ })).access_token
      expect((await get(app, token)).status).toBe(200)

      await own.stop()
      for (const sent of [token, 'AnotherOpaqueTokenNobodyHasSeenBefore-0123456789']) {
        const res = await get(app, sent)
        expect(res.status).toBe(503)
        expect(res.headers['retry-after']).toBe('10')
        expect(res.body.error).toBe('temporarily_unavailable')
        expect(res.headers['www-authenticate']).toBeUndefined()
        expect(decisions.take().at(-1)).toMatch(/GET \/appointments: 503 introspection_unavailable/)
      }

      // Discovery never happened before the outage: still 503.
      const fresh = calendarApi({ issuer: own.issuer, audience: OPAQUE_API, introspection: introspection() })
      const res = await get(fresh, token)
      expect(res.status).toBe(503)
      expect(res.headers['retry-after']).toBe('10')
    } finally {
      await own.stop()
    }
  })
})

describe('d: JWT access tokens from oidc-provider, verified locally', () => {
  it('200 against its JWKS, with no introspection call, in RFC 9068 strict mode', async () => {
    const app = calendarApi({ issuer: provider.issuer, audience: JWT_API, strictRfc9068: true, introspection: introspection() })
    const tokens = await clientCredentials(as, { resource: JWT_API, scope: `${READ} ${WRITE}` })
    expect(tokens.access_token.split('.')).toHaveLength(3)
    provider.requests.length = 0

    const res = await get(app, tokens.access_token)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.source).toBe('jwt')
    expect(res.body.scopes).toEqual([READ, WRITE])
    expect(res.body.claims).toMatchObject({ iss: provider.issuer, aud: JWT_API, sub: 'calendar-service', client_id: 'calendar-service' })
    expect(provider.requests).toEqual(['GET /.well-known/openid-configuration', 'GET /jwks'])
    expect((await request(app).post('/appointments').set('Authorization', `Bearer ${tokens.access_token}`)).status).toBe(200)
    expect(provider.requests).not.toContain('POST /token/introspection')
  })

  it.each(ACCESS_TOKEN_ALGORITHMS)('a JWT access token signed with %s → 200', async (alg) => {
    const app = calendarApi({ issuer: provider.issuer, audience: jwtApi(alg), strictRfc9068: true })
    const token = (await clientCredentials(as, { resource: jwtApi(alg), scope: READ })).access_token
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, typ: 'at+jwt' })
    const res = await get(app, token)
    expect(res.status, `${JSON.stringify(res.body)} ${decisions.take().join(' ')}`).toBe(200)
    expect(res.body.source).toBe('jwt')
  })

  it('without introspection configured, an opaque token is refused 401 (it is not a JWT)', async () => {
    const app = calendarApi({ issuer: provider.issuer, audience: OPAQUE_API })
    const res = await get(app, await opaqueToken())
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
  })

  it('isRevoked: a deny list of jti refuses the JWT at once, cached or not (401 token_revoked)', async () => {
    const denied = new Set<string>()
    const app = calendarApi({ issuer: provider.issuer, audience: JWT_API, isRevoked: (result) => denied.has(String(result.claims.jti)) })
    const token = (await clientCredentials(as, { resource: JWT_API, scope: READ })).access_token
    const first = await get(app, token)
    expect(first.status).toBe(200)
    expect((await get(app, token)).status).toBe(200)

    denied.add(String(first.body.claims.jti))
    const res = await get(app, token)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(decisions.take().at(-1)).toMatch(/401 token_revoked/)
  })
})
