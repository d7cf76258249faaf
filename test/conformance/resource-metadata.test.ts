import { DEFAULT_ALGORITHMS, type AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, parseChallenge, type FakeIssuer } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_PATH, CALENDAR_ADAPTERS, CALENDAR_SCOPES, listenOnLoopback, type LoopbackServer } from '../support/calendar-apps.js'
import { expectChallenge } from '../support/expect-challenge.js'

const WELL_KNOWN = '/.well-known/oauth-protected-resource'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

describe.each(CALENDAR_ADAPTERS)('$name: RFC 9728 protected resource metadata on a running server', (adapter) => {
  let server: LoopbackServer
  let resource: string
  let metadataUrl: string

  beforeAll(async () => {
    // The resource identifier must be where clients reach the API, so the port comes first.
    server = await listenOnLoopback()
    resource = `${server.origin}${API_PATH}`
    metadataUrl = `${server.origin}${WELL_KNOWN}${API_PATH}`
    server.serve(adapter.app({
      issuer: issuer.url,
      audience: resource,
      resourceMetadata: { resource, resourceName: 'Calendar API', resourceDocumentation: 'https://docs.example.com/calendar' },
    }).listener)
  })
  afterAll(() => server.close())

  it('MCP-style discovery end to end: 401 → resource_metadata → authorization server metadata → token → 200', async () => {
    // 1. A client with no token calls the API.
    const route = `${resource}/appointments`
    const first = await fetch(route)
    expect(first.status).toBe(401)
    // 2. RFC 9728 §5.1: the challenge says where the metadata is.
    const challenge = parseChallenge(first.headers.get('www-authenticate') ?? undefined)
    expect(challenge.scheme).toBe('Bearer')
    expect(challenge.params.error).toBeUndefined()
    expect(challenge.params.resource_metadata).toBe(metadataUrl)
    // 3. RFC 9728 §3: fetch the metadata; §3.3: its resource is the one the client is calling.
    const metadataResponse = await fetch(challenge.params.resource_metadata as string)
    expect(metadataResponse.status).toBe(200)
    expect(metadataResponse.headers.get('content-type')).toBe('application/json')
    const metadata = (await metadataResponse.json()) as Record<string, unknown>
    expect(metadata.resource).toBe(resource)
    expect(route.startsWith(metadata.resource as string)).toBe(true)
    // 4. The authorization server: RFC 8414 metadata, or OpenID Connect Discovery.
    const [authorizationServer] = metadata.authorization_servers as string[]
    expect(authorizationServer).toBe(issuer.url)
    const asUrl = new URL(authorizationServer as string)
    const oauthMetadata = await fetch(`${asUrl.origin}/.well-known/oauth-authorization-server${asUrl.pathname.replace(/\/$/, '')}`)
    const openidMetadata = await fetch(`${(authorizationServer as string).replace(/\/$/, '')}/.well-known/openid-configuration`)
    expect(oauthMetadata.status).toBe(200)
    expect(openidMetadata.status).toBe(200)
    const asMetadata = (await oauthMetadata.json()) as Record<string, unknown>
    expect(asMetadata.issuer).toBe(authorizationServer)
    expect(asMetadata.token_endpoint).toEqual(expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/token$/))
    expect(asMetadata.jwks_uri).toBe(issuer.jwksUri)
    // 5. The client asks for scopes the resource lists, for the resource (RFC 8707), and retries.
    const scopes = metadata.scopes_supported as string[]
    expect(scopes).toContain('read:appointments')
    const token = await issuer.token({ scope: 'read:appointments', audience: metadata.resource as string })
    const retry = await fetch(route, { headers: { Authorization: `Bearer ${token}` } })
    expect(retry.status).toBe(200)
    expect(await retry.json()).toEqual({ sub: 'user-1', scopes: ['read:appointments'] })
  })

  it('RFC 9728 §2, §3.2: GET answers 200 application/json with the document from the configuration, cacheable', async () => {
    const res = await fetch(metadataUrl)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(await res.json()).toStrictEqual({
      resource,
      authorization_servers: [issuer.url],
      scopes_supported: Object.keys(CALENDAR_SCOPES),
      bearer_methods_supported: ['header'],
      resource_name: 'Calendar API',
      resource_documentation: 'https://docs.example.com/calendar',
      // The resource gives DPoP its origin, so DPoP is accepted and advertised (RFC 9449).
      dpop_signing_alg_values_supported: [...DEFAULT_ALGORITHMS],
      dpop_bound_access_tokens_required: false,
    })
  })

  it('CORS: any origin may read it, and a preflight is answered 204 without authenticating', async () => {
    const origin = 'https://client.example'
    const get = await fetch(metadataUrl, { headers: { Origin: origin } })
    expect(get.status).toBe(200)
    expect(get.headers.get('access-control-allow-origin')).toBe('*')
    // A browser client adding a header of its own (MCP's) asks first.
    const preflight = await fetch(metadataUrl, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'mcp-protocol-version' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS')
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Authorization, *')
    expect(preflight.headers.get('www-authenticate')).toBeNull()
    expect(await preflight.text()).toBe('')
    // Only the metadata path: an OPTIONS elsewhere still meets auth() (RFC 6750 §3: 401).
    const elsewhere = await fetch(`${resource}/appointments`, { method: 'OPTIONS' })
    expect(elsewhere.status).toBe(401)
  })

  it('HEAD answers the same headers without a body', async () => {
    const get = await fetch(metadataUrl)
    const getBody = await get.text()
    const head = await fetch(metadataUrl, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('application/json')
    expect(head.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(getBody)))
    expect(await head.text()).toBe('')
  })

  it('the metadata is public: answered before authenticating, even with a bad token', async () => {
    const res = await fetch(metadataUrl, { headers: { Authorization: 'Bearer not-a-token' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('www-authenticate')).toBeNull()
  })

  it('Host and X-Forwarded-Host change nothing: neither the document nor the challenge URL', async () => {
    const forged = { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https', Forwarded: 'host=evil.example' }
    const listener = adapter.app({ issuer: issuer.url, audience: resource, resourceMetadata: { resource } }).listener
    const metadata = await request(listener).get(`${WELL_KNOWN}${API_PATH}`).set(forged)
    expect(metadata.status).toBe(200)
    expect(metadata.body.resource).toBe(resource)
    const denied = await request(listener).get(`${API_PATH}/appointments`).set(forged)
    expect(expectChallenge(denied, 401, undefined).params.resource_metadata).toBe(metadataUrl)
  })

  it.each<[string, () => Promise<string> | string, number, string | undefined]>([
    ['RFC 6750 §3.1: no token → 401 without error code', () => '', 401, undefined],
    ['invalid_token → 401', () => issuer.bad.expired(), 401, 'invalid_token'],
    ['insufficient_scope → 403, scope and resource_metadata', () => issuer.token({ scope: 'read:contacts', audience: resource }), 403, 'insufficient_scope'],
  ])('RFC 9728 §5.1: every challenge carries resource_metadata: %s', async (_case, makeToken, status, error) => {
    const token = await makeToken()
    const listener = adapter.app({ issuer: issuer.url, audience: resource, resourceMetadata: { resource } }).listener
    const call = request(listener).get(`${API_PATH}/appointments`)
    const res = token === '' ? await call : await call.set('Authorization', `Bearer ${token}`)
    const challenge = expectChallenge(res, status, error)
    expect(challenge.params.resource_metadata).toBe(metadataUrl)
    if (status === 403) expect(challenge.params.scope).toBe('read:appointments')
  })

  it('POST to the metadata path is not a metadata request (it goes through auth())', async () => {
    const res = await fetch(metadataUrl, { method: 'POST' })
    expect(res.status).toBe(401)
  })
})

describe.each(CALENDAR_ADAPTERS)('$name: metadata paths follow the configured resource exactly', (adapter) => {
  const app = (resource: string, extra: Partial<AuthOptions> = {}) =>
    adapter.app({ issuer: issuer.url, audience: resource, resourceMetadata: { resource }, ...extra }).listener

  it.each<[string, string, string, string[]]>([
    ['a path', 'https://api.example.com/api/calendar', `${WELL_KNOWN}/api/calendar`, [`${WELL_KNOWN}/api/calendar/`, WELL_KNOWN, `${WELL_KNOWN}/api`]],
    ['a trailing slash is part of the path', 'https://api.example.com/api/calendar/', `${WELL_KNOWN}/api/calendar/`, [`${WELL_KNOWN}/api/calendar`, WELL_KNOWN]],
    ['the origin root, no slash', 'https://api.example.com', WELL_KNOWN, [`${WELL_KNOWN}/`]],
    ['the origin root with its terminating slash', 'https://api.example.com/', WELL_KNOWN, [`${WELL_KNOWN}/`]],
  ])('RFC 9728 §3.1, §3.3: %s', async (_case, resource, served, notServed) => {
    const listener = app(resource)
    const res = await request(listener).get(served)
    expect(res.status).toBe(200)
    // §3.3: identical to the identifier the URL was built from, trailing slash and all.
    expect(res.body.resource).toBe(resource)
    for (const path of notServed) {
      const other = await request(listener).get(path)
      expect(other.status, path).toBe(401)
      expect(parseChallenge(other.headers['www-authenticate']).params.resource_metadata).toBe(`https://api.example.com${served}`)
    }
  })

  it('a query string on the metadata request is ignored', async () => {
    const res = await request(app('https://api.example.com/api/calendar')).get(`${WELL_KNOWN}/api/calendar?x=1`)
    expect(res.status).toBe(200)
  })

  it('bearer_methods_supported lists the RFC 6750 §2 methods auth() accepts', async () => {
    const res = await request(app('https://api.example.com/api/calendar', { acceptBodyToken: true, acceptQueryToken: true })).get(`${WELL_KNOWN}/api/calendar`)
    expect(res.body.bearer_methods_supported).toEqual(['header', 'body', 'query'])
  })

  it('challenge: false serves the metadata but keeps challenges bare', async () => {
    const listener = adapter.app({ issuer: issuer.url, audience: 'x', resourceMetadata: { resource: 'https://api.example.com/api/calendar', challenge: false } }).listener
    expect((await request(listener).get(`${WELL_KNOWN}/api/calendar`)).status).toBe(200)
    const denied = await request(listener).get(`${API_PATH}/appointments`)
    // The metadata's resource gives DPoP its origin, so DPoP is offered too (RFC 9449 §7.2).
    expect(denied.headers['www-authenticate']).toMatch(/^Bearer realm="api", DPoP realm="api", algs="[A-Za-z0-9 ]+"$/)
  })

  it('without resourceMetadata the well-known path is an ordinary (protected) path', async () => {
    const listener = adapter.app({ issuer: issuer.url, audience: 'x' }).listener
    const res = await request(listener).get(`${WELL_KNOWN}/api/calendar`)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
  })

  it('a misconfigured resource stops the app at start-up', () => {
    expect(() => app('http://api.example.com/api/calendar')).toThrow(/`resourceMetadata\.resource` must use https/)
    expect(() => app('https://api.example.com/api/calendar?tenant=1')).toThrow(/must not have a query \(RFC 8707 §2\); use 'https:\/\/api\.example\.com\/api\/calendar'/)
  })
})
