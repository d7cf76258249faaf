import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { KeysUnavailableError, localKeyResolver, type KeyResolver } from '../keys/key-source.js'
import type { FetchPolicy } from '../lib/fetch-json.js'
import { createIntrospector, IntrospectionUnavailableError, type IntrospectorSettings } from './introspect.js'

const NOW = 1_700_000_000_000
const clock = () => NOW
const TOKEN = 'opaque-access-token-4f1c9b'
const MARKER = 'UPSTREAM-BODY-MARKER'
const ISSUER = 'https://as.example'
const POLICY: FetchPolicy = { timeout: 2000, maxBytes: 64 * 1024 }

interface Recorded {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly form: URLSearchParams
}
type Answer = (res: ServerResponse, form: URLSearchParams) => void | Promise<void>

const send = (res: ServerResponse, body: string, status = 200, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** A server on 127.0.0.1 playing the introspection endpoint; `answer` decides each reply. */
async function startServer(routes: (base: string) => Record<string, Answer>): Promise<{ server: Server; base: string; requests: Recorded[] }> {
  const requests: Recorded[] = []
  let table: Record<string, Answer> = {}
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
      const path = req.url ?? ''
      requests.push({ method: req.method ?? '', path, headers: req.headers, form })
      const route = table[path]
      if (route === undefined) send(res, '{}', 404)
      else void route(res, form)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  table = routes(base)
  return { server, base, requests }
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections()
  server.close()
  await once(server, 'close')
}

let answer: Answer = (res) => send(res, '{"active":true}')
let main: Awaited<ReturnType<typeof startServer>>
let other: Awaited<ReturnType<typeof startServer>>

beforeAll(async () => {
  other = await startServer(() => ({ '/introspect': (res) => send(res, '{"active":true}') }))
  main = await startServer((base) => ({
    '/introspect': (res, form) => answer(res, form),
    '/moved': (res) => {
      res.writeHead(307, { location: `${base}/introspect` })
      res.end()
    },
    '/found': (res) => {
      res.writeHead(302, { location: `${base}/introspect` })
      res.end()
    },
    '/elsewhere': (res) => {
      res.writeHead(307, { location: `${other.base}/introspect` })
      res.end()
    },
  }))
})

afterAll(async () => {
  await stop(main.server)
  await stop(other.server)
})

beforeEach(() => {
  main.requests.length = 0
  other.requests.length = 0
  answer = (res) => send(res, '{"active":true}')
})

const endpoint = () => `${main.base}/introspect`
const basic = (overrides: Partial<IntrospectorSettings> = {}): IntrospectorSettings =>
  ({ endpoint: endpoint(), client: { clientId: 'api', clientSecret: 'secret' }, policy: POLICY, clock, ...overrides }) as IntrospectorSettings

async function unavailable(settings: IntrospectorSettings, token = TOKEN): Promise<IntrospectionUnavailableError> {
  const error: unknown = await createIntrospector(settings)(token).then(
    () => new Error('expected the introspection to fail'),
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(IntrospectionUnavailableError)
  const { message } = error as Error
  // Operators read the endpoint and the reason; never the token or what the server sent.
  expect(message).not.toContain(MARKER)
  expect(message).not.toContain(token)
  return error as IntrospectionUnavailableError
}

describe('RFC 7662 §2.1 the introspection request', () => {
  it('POSTs the token as a form with token_type_hint=access_token, asking for JSON', async () => {
    answer = (res) => send(res, JSON.stringify({ active: true, scope: 'read write', client_id: 'app', exp: NOW / 1000 + 60 }))
    const response = await createIntrospector(basic())(TOKEN)
    expect(response).toEqual({ active: true, scope: 'read write', client_id: 'app', exp: NOW / 1000 + 60 })
    expect(main.requests).toHaveLength(1)
    const [request] = main.requests as [Recorded]
    expect(request.method).toBe('POST')
    expect(request.path).toBe('/introspect')
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(request.headers.accept).toBe('application/json')
    expect(request.form.get('token')).toBe(TOKEN)
    expect(request.form.get('token_type_hint')).toBe('access_token')
  })

  it('client_secret_basic: form-urlencoded id and secret in the Authorization header, nothing in the body', async () => {
    await createIntrospector(basic({ client: { clientId: 'urn:api:1', clientSecret: 'p@ss w+rd%é' } }))(TOKEN)
    const [request] = main.requests as [Recorded]
    const raw = Buffer.from((request.headers.authorization as string).replace(/^Basic /, ''), 'base64').toString('utf8')
    const [user, password] = raw.split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))
    expect([user, password]).toEqual(['urn:api:1', 'p@ss w+rd%é'])
    expect(request.form.has('client_secret')).toBe(false)
  })

  it('client_secret_post: client_id and client_secret in the body, no Authorization header', async () => {
    await createIntrospector(basic({ client: { method: 'client_secret_post', clientId: 'api', clientSecret: 's e' } }))(TOKEN)
    const [request] = main.requests as [Recorded]
    expect(request.headers.authorization).toBeUndefined()
    expect(request.form.get('client_id')).toBe('api')
    expect(request.form.get('client_secret')).toBe('s e')
    expect(request.form.get('token')).toBe(TOKEN)
  })

  it('private_key_jwt: an assertion the server verifies with the client\'s public key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256')
    await createIntrospector(basic({ client: { method: 'private_key_jwt', clientId: 'api', privateKey, algorithm: 'RS256' } }))(TOKEN)
    const [request] = main.requests as [Recorded]
    expect(request.headers.authorization).toBeUndefined()
    expect(request.form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    const { payload } = await jwtVerify(request.form.get('client_assertion') as string, publicKey, {
      issuer: 'api',
      subject: 'api',
      audience: endpoint(),
      currentDate: new Date(NOW),
      requiredClaims: ['jti', 'iat', 'exp'],
    })
    expect(payload.exp).toBe(NOW / 1000 + 60)
  })

  it('an endpoint function is resolved for each introspection', async () => {
    let calls = 0
    const introspect = createIntrospector(basic({ endpoint: async () => (calls++, endpoint()) }))
    await introspect(TOKEN)
    await introspect(TOKEN)
    expect(calls).toBe(2)
    expect(main.requests).toHaveLength(2)
  })

  it('an inactive answer is reduced to { active: false } (RFC 7662 §2.2)', async () => {
    answer = (res) => send(res, JSON.stringify({ active: false, error: MARKER }))
    expect(await createIntrospector(basic())(TOKEN)).toEqual({ active: false })
  })

  it('a 307 to the same origin is followed when followRedirects is set, with method and body', async () => {
    const response = await createIntrospector(basic({ endpoint: `${main.base}/moved`, policy: { ...POLICY, followRedirects: true } }))(TOKEN)
    expect(response).toEqual({ active: true })
    expect(main.requests.map((request) => [request.method, request.path, request.form.get('token')])).toEqual([
      ['POST', '/moved', TOKEN],
      ['POST', '/introspect', TOKEN],
    ])
  })
})

describe('a server that cannot answer → IntrospectionUnavailableError, never the token\'s fault', () => {
  const big = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write(`{"active":true,"x":"${MARKER}`)
    for (let i = 0; i < 128; i++) res.write('x'.repeat(1024))
    res.end('"}')
  }
  it.each<[string, Answer, IntrospectionUnavailableError['reason'], RegExp]>([
    ['500', (res) => send(res, `{"error":"${MARKER}"}`, 500), 'status', /expected status 200, got 500/],
    ['401 (our credentials refused)', (res) => send(res, `{"error":"invalid_client","error_description":"${MARKER}"}`, 401), 'status', /got 401/],
    ['an HTML login page', (res) => send(res, `<html>${MARKER}</html>`, 200, 'text/html'), 'content-type', /expected a JSON content type, got "text\/html"/],
    ['garbage', (res) => send(res, `{"active":tru ${MARKER}`), 'json', /body is not valid JSON/],
    ['a JSON array', (res) => send(res, `[true,"${MARKER}"]`), 'response', /expected a JSON object, got an array/],
    ['JSON null', (res) => send(res, 'null'), 'response', /got null/],
    ['active missing', (res) => send(res, `{"scope":"${MARKER}"}`), 'response', /"active" is missing/],
    ['active as a string', (res) => send(res, '{"active":"true"}'), 'response', /"active" is a string, not a boolean/],
    ['a body over maxBytes', big, 'too-large', /body exceeds the limit of 65536 bytes/],
    ['a redirect, not followed by default', (res) => {
      res.writeHead(302, { location: '/introspect' })
      res.end(MARKER)
    }, 'status', /got 302 \(redirects are not followed/],
    ['JSON nested 40 levels deep', (res) => send(res, `{"active":true,"x":${'['.repeat(40)}${']'.repeat(40)}}`), 'response', /nests deeper/],
  ])('%s', async (_case, reply, reason, message) => {
    answer = reply
    const error = await unavailable(basic())
    expect(error.reason).toBe(reason)
    expect(error.endpoint).toBe(endpoint())
    expect(error.message).toMatch(new RegExp(`^introspection at ${endpoint().replace(/[.]/g, '\\.')}: `))
    expect(error.message).toMatch(message)
  })

  it('a server that never answers → timeout', async () => {
    answer = () => {}
    const error = await unavailable(basic({ policy: { ...POLICY, timeout: 200 } }))
    expect(error.reason).toBe('timeout')
    expect(error.message).toMatch(/no response within 200 ms/)
  })

  it('nothing listening → network', async () => {
    const closed = await startServer(() => ({}))
    await stop(closed.server)
    const error = await unavailable(basic({ endpoint: `${closed.base}/introspect` }))
    expect(error.reason).toBe('network')
  })

  it('with followRedirects, a 302 is not followed for a POST (it would become a GET)', async () => {
    const error = await unavailable(basic({ endpoint: `${main.base}/found`, policy: { ...POLICY, followRedirects: true } }))
    expect(error.message).toMatch(/a POST is redirected only by 307 or 308 within its origin, got 302/)
    expect(main.requests.map((request) => request.path)).toEqual(['/found'])
  })

  it('with followRedirects, a 307 to another origin is not followed: the token would go with it', async () => {
    const error = await unavailable(basic({ endpoint: `${main.base}/elsewhere`, policy: { ...POLICY, followRedirects: true } }))
    expect(error.message).toMatch(/within its origin, got 307/)
    expect(other.requests).toHaveLength(0)
  })

  it('an endpoint function that fails → endpoint', async () => {
    const error = await unavailable(basic({ endpoint: () => Promise.reject(new Error('metadata down')) }))
    expect(error.reason).toBe('endpoint')
    expect(error.endpoint).toBeUndefined()
    expect((error.cause as Error).message).toBe('metadata down')
  })

  it('an endpoint function giving plain http to a remote host → endpoint, nothing sent', async () => {
    const error = await unavailable(basic({ endpoint: async () => 'http://as.example/introspect' }))
    expect(error.reason).toBe('endpoint')
    expect(error.message).toMatch(/must use https/)
  })
})

describe('RFC 9701 signed introspection responses', () => {
  let signing: { privateKey: CryptoKey; jwk: JWK }
  let stranger: CryptoKey
  let resolveKey: KeyResolver

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true })
    signing = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: 'as-1', alg: 'ES256' } }
    stranger = (await generateKeyPair('ES256')).privateKey
    resolveKey = localKeyResolver([signing.jwk])
  })

  const signed = (settings: Partial<IntrospectorSettings> = {}): IntrospectorSettings =>
    basic({ signedResponse: true, issuer: ISSUER, resolveKey, ...settings } as Partial<IntrospectorSettings>)

  const reply = (sign: { header?: Record<string, unknown>; claims?: JWTPayload; key?: CryptoKey; type?: string } = {}): Answer => async (res) => {
    const jwt = await new SignJWT({ iss: ISSUER, aud: 'api', iat: NOW / 1000, token_introspection: { active: true, scope: 'read', cnf: { jkt: 'abc' } }, ...sign.claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'as-1', typ: 'token-introspection+jwt', ...sign.header })
      .sign(sign.key ?? signing.privateKey)
    send(res, jwt, 200, sign.type ?? 'application/token-introspection+jwt')
  }

  it('asks for application/token-introspection+jwt and returns the token_introspection member', async () => {
    answer = reply()
    expect(await createIntrospector(signed())(TOKEN)).toEqual({ active: true, scope: 'read', cnf: { jkt: 'abc' } })
    expect((main.requests[0] as Recorded).headers.accept).toBe('application/token-introspection+jwt')
  })

  it('aud may be an array naming the client; typ may carry the application/ prefix', async () => {
    answer = reply({ claims: { aud: ['other', 'api'] }, header: { typ: 'application/token-introspection+jwt' } })
    expect((await createIntrospector(signed())(TOKEN)).active).toBe(true)
  })

  it('several candidate keys without a kid: the one that verifies is used', async () => {
    const second = await generateKeyPair('ES256', { extractable: true })
    const unnamed = [{ ...signing.jwk, kid: undefined }, await exportJWK(second.publicKey)].map((jwk) => ({ ...jwk, alg: 'ES256' }))
    answer = reply({ key: second.privateKey, header: { kid: undefined } })
    expect((await createIntrospector(signed({ resolveKey: localKeyResolver(unnamed) } as Partial<IntrospectorSettings>))(TOKEN)).active).toBe(true)
  })

  it.each<[string, () => Answer, RegExp]>([
    ['signed by another key', () => reply({ key: stranger }), /signature does not verify/],
    ['an unknown kid', () => reply({ header: { kid: 'nope' } }), /no key of the issuer verifies/],
    ['typ JWT', () => reply({ header: { typ: 'JWT' } }), /typ "JWT" is not token-introspection\+jwt/],
    ['typ at+jwt (an access token passed off as a response)', () => reply({ header: { typ: 'at+jwt' } }), /typ "at\+jwt"/],
    ['no typ', () => reply({ header: { typ: undefined } }), /typ undefined/],
    ['another issuer', () => reply({ claims: { iss: 'https://evil.example' } }), /iss "https:\/\/evil\.example" is not/],
    ['for another client', () => reply({ claims: { aud: 'someone-else' } }), /aud does not name the client "api"/],
    ['no iat', () => reply({ claims: { iat: undefined } }), /no numeric iat/],
    ['an iat ten minutes old (replayed)', () => reply({ claims: { iat: NOW / 1000 - 600 } }), /iat is 600 s old/],
    ['an iat in the future', () => reply({ claims: { iat: NOW / 1000 + 600 } }), /iat is 600 s in the future/],
    ['an expired response', () => reply({ claims: { exp: NOW / 1000 - 60 } }), /has expired/],
    ['alg none', () => (res) => {
      const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
      send(res, `${b64({ alg: 'none', typ: 'token-introspection+jwt' })}.${b64({ iss: ISSUER, aud: 'api', iat: NOW / 1000, token_introspection: { active: true } })}.`, 200, 'application/token-introspection+jwt')
    }, /not a compact JWS|alg "none" is not accepted/],
    ['an encrypted response (JWE)', () => (res) => send(res, 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', 200, 'application/token-introspection+jwt'), /encrypted \(JWE\) responses are not supported/],
    ['garbage', () => (res) => send(res, MARKER, 200, 'application/token-introspection+jwt'), /not a compact JWS/],
  ])('%s → signature', async (_case, make, message) => {
    answer = make()
    const error = await unavailable(signed())
    expect(error.reason).toBe('signature')
    expect(error.message).toMatch(message)
  })

  it('a plain JSON answer when a signed one was asked for → content-type (no downgrade)', async () => {
    answer = (res) => send(res, '{"active":true}')
    const error = await unavailable(signed())
    expect(error.reason).toBe('content-type')
    expect(error.message).toMatch(/expected application\/token-introspection\+jwt, got "application\/json"/)
  })

  it('a signed response without token_introspection → response', async () => {
    answer = reply({ claims: { token_introspection: undefined } })
    expect((await unavailable(signed())).reason).toBe('response')
  })

  it('the issuer\'s keys unavailable → signature, with the key error as cause', async () => {
    answer = reply()
    const down: KeyResolver = async () => {
      throw new KeysUnavailableError('cannot obtain the JWKS')
    }
    const error = await unavailable(signed({ resolveKey: down } as Partial<IntrospectorSettings>))
    expect(error.reason).toBe('signature')
    expect(error.cause).toBeInstanceOf(KeysUnavailableError)
  })
})

describe('settings are checked at construction', () => {
  it.each<[string, Partial<IntrospectorSettings>, RegExp]>([
    ['a plain http endpoint on a remote host', { endpoint: 'http://as.example/introspect' }, /must use https/],
    ['an endpoint that is not a URL', { endpoint: 'introspect' }, /is not an absolute URL/],
    ['signed responses without an issuer', { signedResponse: true, resolveKey: async () => new Uint8Array(32) } as Partial<IntrospectorSettings>, /needs the `issuer`/],
    ['signed responses without keys', { signedResponse: true, issuer: ISSUER } as Partial<IntrospectorSettings>, /needs `resolveKey`/],
  ])('%s → TypeError', (_case, overrides, message) => {
    expect(() => createIntrospector(basic(overrides))).toThrow(message)
  })
})
