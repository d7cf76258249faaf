import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { discoverJwksUri, IssuerMetadataError, metadataUrls } from './discovery.js'
import { checkEndpointUrl } from '../lib/endpoint-url.js'
import { IssuerFetchError, type FetchPolicy } from '../lib/fetch-json.js'

const POLICY: FetchPolicy = { timeout: 200, maxBytes: 64 * 1024 }
const OIDC = '/.well-known/openid-configuration'
const RFC8414 = '/.well-known/oauth-authorization-server'

describe('metadataUrls', () => {
  it.each([
    ['https://idp.example.com', [`https://idp.example.com${OIDC}`, `https://idp.example.com${RFC8414}`]],
    ['https://idp.example.com/', [`https://idp.example.com${OIDC}`, `https://idp.example.com${RFC8414}`]],
    ['https://idp.example.com:8443/', [`https://idp.example.com:8443${OIDC}`, `https://idp.example.com:8443${RFC8414}`]],
  ])('issuer without a path %s: OIDC appended, then RFC 8414 §3.1', (issuer, expected) => {
    expect(metadataUrls(issuer)).toEqual(expected)
  })

  it.each([
    [
      'authentik https://auth.example.com/application/o/slug/',
      'https://auth.example.com/application/o/slug/',
      [
        `https://auth.example.com/application/o/slug${OIDC}`,
        `https://auth.example.com${RFC8414}/application/o/slug`,
        `https://auth.example.com${OIDC}/application/o/slug`,
      ],
    ],
    [
      'Keycloak https://kc.example.com/realms/demo',
      'https://kc.example.com/realms/demo',
      [`https://kc.example.com/realms/demo${OIDC}`, `https://kc.example.com${RFC8414}/realms/demo`, `https://kc.example.com${OIDC}/realms/demo`],
    ],
  ])('issuer with a path, %s: OIDC appended, RFC 8414 §3.1 inserted, RFC 8414 §5 inserted', (_case, issuer, expected) => {
    expect(metadataUrls(issuer)).toEqual(expected)
  })
})

describe('checkEndpointUrl', () => {
  it.each<[string, boolean, string | undefined]>([
    ['https://idp.example.com/jwks', false, undefined],
    ['http://localhost:8080/jwks', false, undefined],
    ['http://127.0.0.1:8080/jwks', false, undefined],
    ['http://[::1]:8080/jwks', false, undefined],
    ['http://idp.internal/jwks', true, undefined],
    ['http://idp.example.com/jwks', false, 'must use https (plain http is accepted only for localhost, or with allowHttp: true)'],
    ['ftp://idp.example.com/jwks', true, 'must be an https URL'],
    ['file:///etc/passwd', true, 'must be an https URL'],
    ['https://user:secret@idp.example.com/jwks', false, 'must not contain credentials; remove the user:password@ part'],
    ['/jwks', false, 'is not an absolute URL'],
  ])('%s (allowHttp %s) → %s', (url, allowHttp, problem) => {
    expect(checkEndpointUrl(url, allowHttp)).toBe(problem)
  })
})

type Handler = (req: IncomingMessage, res: ServerResponse) => void

let server: Server
let base: string
let routes: Record<string, Handler>
let hits: string[]

const json = (body: unknown, status = 200, type = 'application/json'): Handler => (_req, res) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': type })
  res.end(text)
}
const notFound = json({ error: 'not_found' }, 404)

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '')
    ;(routes[req.url ?? ''] ?? notFound)(req, res)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

beforeEach(() => {
  routes = {}
  hits = []
})

afterAll(async () => {
  server.closeAllConnections()
  server.close()
  await once(server, 'close')
})

describe('discoverJwksUri: locations', () => {
  const slug = '/application/o/slug'

  it('OpenID Connect Discovery §4: the appended location answers first', async () => {
    const issuer = `${base}${slug}/`
    routes[`${slug}${OIDC}`] = json({ issuer, jwks_uri: `${base}${slug}/jwks/` })
    expect(await discoverJwksUri(issuer, POLICY, false)).toBe(`${base}${slug}/jwks/`)
    expect(hits).toEqual([`${slug}${OIDC}`])
  })

  it('RFC 8414 §3.1: after a 404, the inserted location', async () => {
    const issuer = `${base}${slug}/`
    routes[`${RFC8414}${slug}`] = json({ issuer, jwks_uri: 'https://keys.example.com/jwks' })
    expect(await discoverJwksUri(issuer, POLICY, false)).toBe('https://keys.example.com/jwks')
    expect(hits).toEqual([`${slug}${OIDC}`, `${RFC8414}${slug}`])
  })

  it('RFC 8414 §5: openid-configuration inserted, third', async () => {
    const issuer = `${base}${slug}`
    routes[`${OIDC}${slug}`] = json({ issuer, jwks_uri: `${base}/jwks` })
    expect(await discoverJwksUri(issuer, POLICY, false)).toBe(`${base}/jwks`)
    expect(hits).toEqual([`${slug}${OIDC}`, `${RFC8414}${slug}`, `${OIDC}${slug}`])
  })

  it('an issuer without a path', async () => {
    const issuer = `${base}/`
    routes[RFC8414] = json({ issuer, jwks_uri: `${base}/jwks` })
    expect(await discoverJwksUri(issuer, POLICY, false)).toBe(`${base}/jwks`)
    expect(hits).toEqual([OIDC, RFC8414])
  })

  it('a location serving HTML or invalid JSON is skipped like a 404', async () => {
    const issuer = `${base}${slug}`
    routes[`${slug}${OIDC}`] = json('<!doctype html>', 200, 'text/html')
    routes[`${RFC8414}${slug}`] = json('{"issuer":', 200)
    routes[`${OIDC}${slug}`] = json({ issuer, jwks_uri: `${base}/jwks` })
    expect(await discoverJwksUri(issuer, POLICY, false)).toBe(`${base}/jwks`)
    expect(hits).toHaveLength(3)
  })

  it('no location answers: an AggregateError with every failure', async () => {
    const issuer = `${base}${slug}`
    const error: unknown = await discoverJwksUri(issuer, POLICY, false).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AggregateError)
    expect((error as AggregateError).message).toBe(`no usable authorization server metadata for ${issuer}`)
    const reasons = (error as AggregateError).errors.map((e: IssuerFetchError) => e.reason)
    expect(reasons).toEqual(['status', 'status', 'status'])
  })
})

describe('discoverJwksUri: stops at once when the issuer is down', () => {
  it('a network error on the first location: no further requests', async () => {
    routes[OIDC] = (req) => req.socket.destroy()
    routes[RFC8414] = json({ issuer: `${base}/`, jwks_uri: `${base}/jwks` })
    const error: unknown = await discoverJwksUri(`${base}/`, { ...POLICY, timeout: 5000 }, false).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IssuerFetchError)
    expect((error as IssuerFetchError).reason).toBe('network')
    expect(hits).toEqual([OIDC])
  })

  it('a timeout on the first location: no further requests', async () => {
    routes[OIDC] = () => {}
    routes[RFC8414] = json({ issuer: `${base}/`, jwks_uri: `${base}/jwks` })
    const started = performance.now()
    const error: unknown = await discoverJwksUri(`${base}/`, POLICY, false).catch((e: unknown) => e)
    expect((error as IssuerFetchError).reason).toBe('timeout')
    expect(performance.now() - started).toBeLessThan(2000)
    expect(hits).toEqual([OIDC])
  })
})

describe('discoverJwksUri: metadata that cannot be trusted', () => {
  async function metadataError(issuer: string, metadata: unknown, allowHttp = false): Promise<IssuerMetadataError> {
    routes[OIDC] = json(metadata)
    const error: unknown = await discoverJwksUri(issuer, POLICY, allowHttp).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IssuerMetadataError)
    return error as IssuerMetadataError
  }

  it('RFC 8414 §3.3: a different issuer is rejected', async () => {
    const error = await metadataError(`${base}/`, { issuer: 'https://evil.example.com/', jwks_uri: 'https://evil.example.com/jwks' })
    expect(error.message).toBe(
      `${base}${OIDC}: metadata names issuer "https://evil.example.com/", expected "${base}/" ` +
        '(issuers compare exactly; check the trailing slash in the configured issuer)',
    )
  })

  it('RFC 8414 §3.3: issuers compare exactly, trailing slash included', async () => {
    const error = await metadataError(`${base}/`, { issuer: base, jwks_uri: `${base}/jwks` })
    expect(error.message).toMatch(/check the trailing slash/)
  })

  it('a missing issuer is rejected', async () => {
    const error = await metadataError(`${base}/`, { jwks_uri: `${base}/jwks` })
    expect(error.message).toMatch(/metadata names issuer undefined, expected/)
  })

  it('a document without jwks_uri is not metadata: the next location is tried, then all fail', async () => {
    routes[OIDC] = json({ issuer: `${base}/` })
    await expect(discoverJwksUri(`${base}/`, POLICY, false)).rejects.toThrow(/no usable authorization server metadata/)
  })

  it('a JSON array at the first location moves on to the next', async () => {
    routes[OIDC] = json([])
    routes['/.well-known/oauth-authorization-server'] = json({ issuer: `${base}/`, jwks_uri: `${base}/jwks` })
    expect(await discoverJwksUri(`${base}/`, POLICY, false)).toBe(`${base}/jwks`)
  })

  it('an http jwks_uri on a non-loopback host is rejected', async () => {
    const error = await metadataError(`${base}/`, { issuer: `${base}/`, jwks_uri: 'http://keys.example.com/jwks' })
    expect(error.message).toMatch(/: jwks_uri must use https \(plain http is accepted only for localhost, or with allowHttp: true\)$/)
  })

  it('...unless allowHttp is set', async () => {
    routes[OIDC] = json({ issuer: `${base}/`, jwks_uri: 'http://keys.example.com/jwks' })
    expect(await discoverJwksUri(`${base}/`, POLICY, true)).toBe('http://keys.example.com/jwks')
  })

  it('a jwks_uri with credentials is rejected', async () => {
    const error = await metadataError(`${base}/`, { issuer: `${base}/`, jwks_uri: 'https://u:p@keys.example.com/jwks' })
    expect(error.message).toMatch(/jwks_uri must not contain credentials; remove the user:password@ part$/)
  })
})
