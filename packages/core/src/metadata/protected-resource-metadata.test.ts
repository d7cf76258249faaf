import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticator/authenticator.js'
import { DEFAULT_ALGORITHMS, resolveOptions, type AuthOptions } from '../options/options.js'
import {
  buildProtectedResourceMetadata,
  checkResourceIdentifier,
  createProtectedResourceMetadataEndpoint,
  protectedResourceMetadataUrl,
  type ProtectedResourceMetadataSource,
} from './protected-resource-metadata.js'
import { compileRequirement } from '../scopes/requirement.js'
import { defineScopeCatalogue } from '../scopes/scope-catalogue.js'

const BASE = { issuer: 'https://idp.example.com/', audience: 'https://api.example.com' } as const

function source(resource: string, extra: Partial<ProtectedResourceMetadataSource> = {}): ProtectedResourceMetadataSource {
  return {
    resourceMetadata: { resource, resourceName: undefined, resourceDocumentation: undefined, challenge: true },
    issuers: ['https://idp.example.com/'],
    scopes: undefined,
    acceptBodyToken: false,
    acceptQueryToken: false,
    ...extra,
  }
}

describe('protectedResourceMetadataUrl: RFC 9728 §3.1 path-aware well-known URL', () => {
  it.each([
    ['§3.1 example: inserted between host and path', 'https://resource.example.com/resource1', 'https://resource.example.com/.well-known/oauth-protected-resource/resource1'],
    ['a deeper path keeps every segment', 'https://api.example.com/api/calendar', 'https://api.example.com/.well-known/oauth-protected-resource/api/calendar'],
    ['resource at the origin root, no slash', 'https://api.example.com', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['resource at the origin root, with the terminating slash (dropped)', 'https://api.example.com/', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['a trailing slash after a path is part of the path and stays', 'https://api.example.com/calendar/', 'https://api.example.com/.well-known/oauth-protected-resource/calendar/'],
    ['the port stays', 'http://127.0.0.1:8080/api', 'http://127.0.0.1:8080/.well-known/oauth-protected-resource/api'],
    ['percent-encoding stays as written', 'https://api.example.com/caf%C3%A9', 'https://api.example.com/.well-known/oauth-protected-resource/caf%C3%A9'],
  ])('%s', (_rule, resource, expected) => {
    expect(protectedResourceMetadataUrl(resource)).toBe(expected)
  })
})

describe('checkResourceIdentifier: RFC 9728 §1.2 resource identifiers', () => {
  it.each([
    ['https with a path', 'https://api.example.com/calendar'],
    ['https at the root, with or without the slash', 'https://api.example.com'],
    ['https at the root with the slash', 'https://api.example.com/'],
    ['a trailing slash after a path', 'https://api.example.com/calendar/'],
    ['loopback http (127.0.0.1)', 'http://127.0.0.1:3000/api'],
    ['loopback http (localhost)', 'http://localhost:3000'],
    ['loopback http (::1)', 'http://[::1]:3000/api'],
  ])('accepts %s', (_case, value) => {
    expect(checkResourceIdentifier(value, false)).toBeUndefined()
  })

  it.each<[string, unknown, RegExp]>([
    ['not a string', 42, /must be a URL string/],
    ['a relative path', '/calendar', /must be an absolute URL/],
    ['plain http to another host', 'http://api.example.com/calendar', /must use https \(plain http is accepted only for localhost, or with allowHttp: true\)/],
    ['another scheme', 'ftp://api.example.com/x', /must be an https URL/],
    ['credentials', 'https://user:pw@api.example.com/x', /must not contain credentials/],
    ['§1.2: a fragment', 'https://api.example.com/calendar#v1', /must not have a fragment \(RFC 9728 §1.2\); use 'https:\/\/api\.example\.com\/calendar'/],
    ['an empty fragment', 'https://api.example.com/calendar#', /must not have a fragment/],
    ['RFC 8707 §2: a query', 'https://api.example.com/calendar?v=1', /must not have a query \(RFC 8707 §2\); use 'https:\/\/api\.example\.com\/calendar'/],
    ['an upper-case host', 'https://API.example.com/calendar', /normal form, as clients will compare it; use 'https:\/\/api\.example\.com\/calendar'/],
    ['the default port', 'https://api.example.com:443/calendar', /use 'https:\/\/api\.example\.com\/calendar'/],
    ['dot segments', 'https://api.example.com/a/../calendar', /use 'https:\/\/api\.example\.com\/calendar'/],
    ['an unencoded space', 'https://api.example.com/my calendar', /use 'https:\/\/api\.example\.com\/my%20calendar'/],
  ])('refuses %s, saying what to write', (_case, value, message) => {
    expect(checkResourceIdentifier(value, false)).toMatch(message)
  })

  it('allowHttp accepts plain http to any host', () => {
    expect(checkResourceIdentifier('http://api.internal/calendar', true)).toBeUndefined()
  })
})

describe('buildProtectedResourceMetadata: RFC 9728 §2 document from the auth() configuration', () => {
  it('the minimal document: resource, authorization_servers, bearer_methods_supported', () => {
    expect(buildProtectedResourceMetadata(source('https://api.example.com/calendar'))).toStrictEqual({
      resource: 'https://api.example.com/calendar',
      authorization_servers: ['https://idp.example.com/'],
      bearer_methods_supported: ['header'],
    })
  })

  it('every member, in RFC 9728 §2 order', () => {
    const document = buildProtectedResourceMetadata({
      resourceMetadata: {
        resource: 'https://api.example.com/calendar',
        resourceName: 'Calendar API',
        resourceDocumentation: 'https://docs.example.com/calendar',
        challenge: true,
      },
      issuers: ['https://a.example.com/', 'https://b.example.com/realms/x'],
      scopes: ['read:appointments', 'write:appointments'],
      acceptBodyToken: true,
      acceptQueryToken: true,
    })
    expect(Object.keys(document)).toEqual([
      'resource', 'authorization_servers', 'scopes_supported', 'bearer_methods_supported', 'resource_name', 'resource_documentation',
    ])
    expect(document).toStrictEqual({
      resource: 'https://api.example.com/calendar',
      authorization_servers: ['https://a.example.com/', 'https://b.example.com/realms/x'],
      scopes_supported: ['read:appointments', 'write:appointments'],
      bearer_methods_supported: ['header', 'body', 'query'],
      resource_name: 'Calendar API',
      resource_documentation: 'https://docs.example.com/calendar',
    })
  })

  it.each([
    [false, false, ['header']],
    [true, false, ['header', 'body']],
    [false, true, ['header', 'query']],
  ])('bearer_methods_supported follows acceptBodyToken=%s / acceptQueryToken=%s (RFC 6750 §2.1–2.3)', (body, query, expected) => {
    expect(buildProtectedResourceMetadata(source('https://api.example.com', { acceptBodyToken: body, acceptQueryToken: query })).bearer_methods_supported).toEqual(expected)
  })

  it.each(['https://api.example.com/calendar/', 'https://api.example.com/calendar', 'https://api.example.com', 'https://api.example.com/'])(
    '§3.3: resource is the configured %s, character for character',
    (resource) => {
      expect(buildProtectedResourceMetadata(source(resource)).resource).toBe(resource)
    },
  )
})

describe('createProtectedResourceMetadataEndpoint', () => {
  const endpoint = createProtectedResourceMetadataEndpoint(source('https://api.example.com/api/calendar'))

  it('pre-builds the path, URL, body and headers', () => {
    expect(endpoint.path).toBe('/.well-known/oauth-protected-resource/api/calendar')
    expect(endpoint.url).toBe('https://api.example.com/.well-known/oauth-protected-resource/api/calendar')
    expect(JSON.parse(endpoint.body)).toEqual(endpoint.document)
    expect(endpoint.headers).toEqual({
      'Content-Type': 'application/json',
      'Cache-Control': 'public, max-age=3600',
      'Content-Length': String(Buffer.byteLength(endpoint.body)),
      'Access-Control-Allow-Origin': '*',
    })
    expect(endpoint.preflightHeaders).toEqual({
      'Access-Control-Allow-Origin': '*',
      Allow: 'GET, HEAD, OPTIONS',
      'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, *',
      'Access-Control-Max-Age': '3600',
    })
  })

  it.each<[string, string | undefined, string | undefined, boolean]>([
    ['GET on the path', 'GET', '/.well-known/oauth-protected-resource/api/calendar', true],
    ['HEAD on the path', 'HEAD', '/.well-known/oauth-protected-resource/api/calendar', true],
    ['OPTIONS on the path (a CORS preflight)', 'OPTIONS', '/.well-known/oauth-protected-resource/api/calendar', true],
    ['a query string is ignored', 'GET', '/.well-known/oauth-protected-resource/api/calendar?x=1', true],
    ['POST is not a metadata request', 'POST', '/.well-known/oauth-protected-resource/api/calendar', false],
    ['an added trailing slash is another path', 'GET', '/.well-known/oauth-protected-resource/api/calendar/', false],
    ['a path without the resource path', 'GET', '/.well-known/oauth-protected-resource', false],
    ['paths are case-sensitive', 'GET', '/.well-known/oauth-protected-resource/API/calendar', false],
    ['the resource itself', 'GET', '/api/calendar', false],
    ['no target', 'GET', undefined, false],
    ['no method', undefined, '/.well-known/oauth-protected-resource/api/calendar', false],
  ])('matches: %s', (_case, method, target, expected) => {
    expect(endpoint.matches(method, target)).toBe(expected)
  })

  it('a resource with a trailing slash is served only at the path with the slash', () => {
    const slashed = createProtectedResourceMetadataEndpoint(source('https://api.example.com/calendar/'))
    expect(slashed.matches('GET', '/.well-known/oauth-protected-resource/calendar/')).toBe(true)
    expect(slashed.matches('GET', '/.well-known/oauth-protected-resource/calendar')).toBe(false)
  })

  it('a resource at the origin root is served at the bare well-known path', () => {
    const root = createProtectedResourceMetadataEndpoint(source('https://api.example.com'))
    expect(root.path).toBe('/.well-known/oauth-protected-resource')
    expect(root.matches('GET', '/.well-known/oauth-protected-resource')).toBe(true)
    expect(root.matches('GET', '/.well-known/oauth-protected-resource/')).toBe(false)
  })
})

describe('resolveOptions: resourceMetadata and scopes are checked at construction', () => {
  const resolve = (extra: Record<string, unknown>) => resolveOptions({ ...BASE, ...extra } as AuthOptions)

  it('defaults: no metadata, no catalogue', () => {
    const resolved = resolveOptions({ ...BASE })
    expect(resolved.resourceMetadata).toBeUndefined()
    expect(resolved.scopes).toBeUndefined()
  })

  it('accepts a resource and applies challenge: true', () => {
    expect(resolve({ resourceMetadata: { resource: 'https://api.example.com/calendar', resourceName: 'Calendar API' } }).resourceMetadata).toEqual({
      resource: 'https://api.example.com/calendar',
      resourceName: 'Calendar API',
      resourceDocumentation: undefined,
      challenge: true,
    })
  })

  it('allowHttp also allows a plain-http resource', () => {
    expect(resolve({ allowHttp: true, resourceMetadata: { resource: 'http://api.internal/x' } }).resourceMetadata?.resource).toBe('http://api.internal/x')
  })

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['not an object', { resourceMetadata: 'https://api.example.com' }, /`resourceMetadata` must be an object, e\.g\. resourceMetadata: \{ resource: 'https:\/\/api\.example\.com\/calendar' \}/],
    ['no resource', { resourceMetadata: {} }, /`resourceMetadata\.resource` is required/],
    ['an unknown setting', { resourceMetadata: { resource: 'https://a.example.com', url: 'x' } }, /unknown `resourceMetadata` setting `url`; known: resource, resourceName, resourceDocumentation, challenge/],
    ['plain http to another host', { resourceMetadata: { resource: 'http://api.example.com' } }, /`resourceMetadata\.resource` must use https .*; got "http:\/\/api\.example\.com"/],
    ['a query', { resourceMetadata: { resource: 'https://api.example.com/x?y' } }, /`resourceMetadata\.resource` must not have a query/],
    ['a fragment', { resourceMetadata: { resource: 'https://api.example.com/x#y' } }, /`resourceMetadata\.resource` must not have a fragment/],
    ['not in normal form', { resourceMetadata: { resource: 'https://API.example.com' } }, /use 'https:\/\/api\.example\.com'/],
    ['an empty resourceName', { resourceMetadata: { resource: 'https://a.example.com', resourceName: ' ' } }, /`resourceMetadata\.resourceName` must be a non-empty string/],
    ['a relative resourceDocumentation', { resourceMetadata: { resource: 'https://a.example.com', resourceDocumentation: '/docs' } }, /`resourceMetadata\.resourceDocumentation` must be an absolute http\(s\) URL/],
    ['a non-boolean challenge', { resourceMetadata: { resource: 'https://a.example.com', challenge: 'yes' } }, /`resourceMetadata\.challenge` must be true or false/],
    ['scopes that are not a catalogue', { scopes: ['read'] }, /`scopes` must be a scope catalogue: pass `catalogue` from defineScopes\(\{\.\.\.\}\)/],
  ])('refuses %s', (_case, extra, message) => {
    expect(() => resolve(extra)).toThrow(message)
  })
})

describe('createAuthenticator: metadata and RFC 9728 §5.1 challenges', () => {
  const scopes = defineScopeCatalogue({ 'read:appointments': 'Read your appointments' })

  it('exposes the endpoint, with scopes_supported from the catalogue', () => {
    const authenticator = createAuthenticator({ ...BASE, scopes, resourceMetadata: { resource: 'https://api.example.com/calendar' } })
    expect(authenticator.resourceMetadata?.path).toBe('/.well-known/oauth-protected-resource/calendar')
    expect(authenticator.resourceMetadata?.document.scopes_supported).toEqual(['read:appointments'])
    expect(authenticator.resourceMetadata?.document.authorization_servers).toEqual(['https://idp.example.com/'])
  })

  it('without resourceMetadata: no endpoint and no resource_metadata', () => {
    const authenticator = createAuthenticator({ ...BASE })
    expect(authenticator.resourceMetadata).toBeUndefined()
    expect(authenticator.error('credentials_missing').headers['WWW-Authenticate']).toBe('Bearer realm="api"')
  })

  it('every challenge carries resource_metadata: 401 without error code, invalid_token, insufficient_scope', () => {
    const authenticator = createAuthenticator({ ...BASE, realm: 'api', resourceMetadata: { resource: 'https://api.example.com/calendar' } })
    const url = 'https://api.example.com/.well-known/oauth-protected-resource/calendar'
    expect(authenticator.error('credentials_missing').headers['WWW-Authenticate']).toBe(`Bearer realm="api", resource_metadata="${url}", DPoP realm="api", resource_metadata="${url}", algs="${DEFAULT_ALGORITHMS.join(' ')}"`)
    expect(authenticator.error('token_expired').headers['WWW-Authenticate']).toContain(`error="invalid_token", error_description="The access token expired", resource_metadata="${url}"`)
    const result = { token: 't', location: 'header', header: { alg: 'RS256' }, claims: { iss: 'x' }, scopes: new Set<string>() } as const
    let thrown: unknown
    try {
      authenticator.authorize(result as never, compileRequirement(['read:appointments']))
    } catch (error) {
      thrown = error
    }
    expect((thrown as { headers: Record<string, string> }).headers['WWW-Authenticate']).toContain(`scope="read:appointments", resource_metadata="${url}"`)
  })

  it('challenge: false serves the metadata but leaves challenges alone', () => {
    const authenticator = createAuthenticator({ ...BASE, resourceMetadata: { resource: 'https://api.example.com', challenge: false } })
    expect(authenticator.resourceMetadata?.path).toBe('/.well-known/oauth-protected-resource')
    expect(authenticator.error('credentials_missing').headers['WWW-Authenticate']).toBe(`Bearer realm="api", DPoP realm="api", algs="${DEFAULT_ALGORITHMS.join(' ')}"`)
  })

  it('a 503 has no challenge to carry it', () => {
    const authenticator = createAuthenticator({ ...BASE, resourceMetadata: { resource: 'https://api.example.com' } })
    expect(authenticator.error('keys_unavailable').headers['WWW-Authenticate']).toBeUndefined()
  })
})
