import { createHmac } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { auth, isAuthError, requireScopes, type AuthResult, type FastifyAuthOptions } from './index.js'

// What only Fastify has: the plugin and its encapsulation, the hooks of the request lifecycle,
// the 404 handler, the error handler. The answers themselves are the conformance suite's
// (test/support/fastify-app.ts). Requests go through app.inject(), tokens are HS256 with a
// shared secret, so nothing here needs a network.

const ISSUER = 'https://idp.example.com/'
const API = 'https://api.example.com/projects'
const SECRET = 'scopeguard-fastify-test-secret-0123456789'
const OPTIONS: FastifyAuthOptions = { issuer: ISSUER, audience: API, secret: SECRET }

/** An RFC 9068 access token signed with {@link SECRET}. */
function token(scope: string): string {
  const now = Math.floor(Date.now() / 1000)
  const segment = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${segment({ alg: 'HS256', typ: 'at+jwt' })}.${segment({ iss: ISSUER, aud: API, sub: 'alice', client_id: 'c', iat: now, exp: now + 300, scope })}`
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`
}
const bearer = (scope: string) => ({ authorization: `Bearer ${token(scope)}` })

const apps: FastifyInstance[] = []
function app(): FastifyInstance {
  const created = Fastify()
  apps.push(created)
  return created
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((created) => created.close()))
})

describe('the auth() plugin', () => {
  it('authenticates every request of the app, unmatched ones too (the 404 handler runs the root hooks)', async () => {
    const fastify = app()
    await fastify.register(auth(OPTIONS))
    fastify.get('/projects', async (request) => ({ sub: request.auth?.claims.sub }))
    expect((await fastify.inject({ url: '/projects' })).statusCode).toBe(401)
    expect((await fastify.inject({ url: '/nowhere' })).statusCode).toBe(401)
    expect((await fastify.inject({ url: '/nowhere', headers: bearer('x') })).statusCode).toBe(404)
    const ok = await fastify.inject({ url: '/projects', headers: bearer('x') })
    expect(ok.json()).toEqual({ sub: 'alice' })
  })

  it('authenticates in onRequest: an unauthenticated request meets no body parser or schema', async () => {
    const fastify = app()
    await fastify.register(auth(OPTIONS))
    const schema = { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } }
    fastify.post('/projects', { schema }, async () => ({ created: true }))
    for (const [type, payload] of [['application/json', '{not json'], ['application/json', '{}'], ['application/xml', '<a/>']]) {
      const res = await fastify.inject({ method: 'POST', url: '/projects', headers: { 'content-type': type as string }, payload })
      expect(res.statusCode, `${type} ${payload}`).toBe(401)
    }
    const invalid = await fastify.inject({ method: 'POST', url: '/projects', headers: bearer('x'), payload: {} })
    expect(invalid.statusCode).toBe(400)
  })

  it('with acceptBodyToken, authenticates in preValidation, where the form body is parsed', async () => {
    const fastify = app()
    fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    })
    await fastify.register(auth({ ...OPTIONS, acceptBodyToken: true }))
    fastify.post('/projects', { preHandler: requireScopes('write') }, async (request) => ({ location: request.auth?.location }))
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    const res = await fastify.inject({ method: 'POST', url: '/projects', headers: form, payload: `access_token=${token('write')}` })
    expect(res.json()).toEqual({ location: 'body' })
    expect((await fastify.inject({ method: 'POST', url: '/projects', headers: form, payload: 'access_token=' })).statusCode).toBe(400)
  })

  it('applies to the context it is registered in: a plugin of its own protects that plugin only', async () => {
    const fastify = app()
    fastify.get('/health', async (request) => ({ ok: true, auth: request.auth ?? null }))
    await fastify.register(async (api) => {
      await api.register(auth(OPTIONS))
      api.get('/projects', async () => [])
    }, { prefix: '/api' })
    expect((await fastify.inject({ url: '/health' })).json()).toEqual({ ok: true, auth: null })
    expect((await fastify.inject({ url: '/api/projects' })).statusCode).toBe(401)
  })

  it('declares request.auth once: two auth() plugins can share an app', async () => {
    const fastify = app()
    await fastify.register(auth({ ...OPTIONS, optional: true }))
    await fastify.register(auth({ ...OPTIONS, optional: true, realm: 'second' }))
    fastify.get('/me', async (request) => ({ own: Object.hasOwn(request, 'auth'), auth: request.auth ?? null }))
    expect((await fastify.inject({ url: '/me' })).json()).toEqual({ own: true, auth: null })
  })

  it('with { global: false }: routes are guarded one by one; the metadata document is served', async () => {
    const authenticate = auth({ ...OPTIONS, resourceMetadata: { resource: API } })
    const fastify = app()
    await fastify.register(authenticate, { global: false })
    fastify.get('/health', async (request) => ({ own: Object.hasOwn(request, 'auth'), auth: request.auth ?? null }))
    fastify.get('/me', { onRequest: authenticate.hook }, async (request) => ({ sub: request.auth?.claims.sub }))
    fastify.get('/projects', { onRequest: authenticate.requireScopes('read') }, async () => [])
    expect((await fastify.inject({ url: '/health' })).json()).toEqual({ own: true, auth: null })
    expect((await fastify.inject({ url: '/me' })).statusCode).toBe(401)
    expect((await fastify.inject({ url: '/me', headers: bearer('x') })).json()).toEqual({ sub: 'alice' })
    expect((await fastify.inject({ url: '/projects', headers: bearer('x') })).statusCode).toBe(403)
    const metadata = await fastify.inject({ url: '/.well-known/oauth-protected-resource/projects' })
    expect(metadata.statusCode).toBe(200)
    expect(metadata.headers['content-type']).toBe('application/json')
    expect(metadata.json()).toMatchObject({ resource: API })
  })

  it('metadataEndpoint is a hook for apps that register no plugin', async () => {
    const authenticate = auth({ ...OPTIONS, resourceMetadata: { resource: API } })
    const fastify = app()
    fastify.addHook('onRequest', authenticate.metadataEndpoint)
    fastify.get('/projects', { onRequest: authenticate.requireScopes('read') }, async () => [])
    expect((await fastify.inject({ url: '/.well-known/oauth-protected-resource/projects' })).statusCode).toBe(200)
    expect((await fastify.inject({ method: 'HEAD', url: '/.well-known/oauth-protected-resource/projects' })).body).toBe('')
    expect((await fastify.inject({ method: 'POST', url: '/.well-known/oauth-protected-resource/projects' })).statusCode).toBe(404)
    expect(() => auth(OPTIONS).metadataEndpoint).toThrow(/resourceMetadata option, which this auth\(\) was not given/)
  })
})

describe('errors for the application: handleErrors: false', () => {
  it("setErrorHandler receives the AuthError, with its status and challenge, from the route's hooks and the 404 handler's", async () => {
    const fastify = app()
    await fastify.register(auth({ ...OPTIONS, handleErrors: false, realm: 'projects' }))
    fastify.get('/projects', { preHandler: requireScopes('read') }, async () => [])
    fastify.setErrorHandler((err, _request, reply) => {
      if (!isAuthError(err)) return reply.code(500).send({ problem: 'internal' })
      return reply.code(err.status).headers(err.headers).send({ problem: err.code })
    })
    const missing = await fastify.inject({ url: '/nowhere' })
    expect(missing.statusCode).toBe(401)
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="projects"')
    expect(missing.json()).toEqual({ problem: 'credentials_missing' })
    const short = await fastify.inject({ url: '/projects', headers: bearer('other') })
    expect(short.statusCode).toBe(403)
    expect(short.json()).toEqual({ problem: 'scope_insufficient' })
  })

  it("Fastify's default error handler honours the error's status and headers", async () => {
    const fastify = app()
    await fastify.register(auth({ ...OPTIONS, handleErrors: false }))
    fastify.get('/projects', { preHandler: requireScopes('read') }, async () => [])
    const res = await fastify.inject({ url: '/projects', headers: bearer('other') })
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="insufficient_scope", .*scope="read"$/)
    expect(res.json()).toMatchObject({ statusCode: 403, code: 'scope_insufficient' })
  })

  it('requireScopes() with no auth() plugin in front is a 500 that says how Fastify wires it', async () => {
    const fastify = app()
    fastify.get('/projects', { preHandler: requireScopes('read') }, async () => [])
    const res = await fastify.inject({ url: '/projects', headers: bearer('read') })
    expect(res.statusCode).toBe(500)
    expect(res.json().message).toMatch(/register the auth\(\) plugin before this route \(await app\.register\(auth\(\{\.\.\.\}\)\)\) and use requireScopes\(\) as a preHandler hook/)
  })
})

describe('what Fastify answers before any hook', () => {
  it('a malformed percent-encoding in the path is 400 FST_ERR_BAD_URL, from the router', async () => {
    const fastify = app()
    await fastify.register(auth(OPTIONS))
    fastify.get('/projects/:id', async () => ({}))
    const res = await fastify.inject({ url: '/projects/%E0%A4%A' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'FST_ERR_BAD_URL' })
    expect(res.headers['www-authenticate']).toBeUndefined()
  })
})

describe('types', () => {
  it('request.auth is an AuthResult or undefined; the hooks fit typed routes', async () => {
    const authenticate = auth(OPTIONS)
    const fastify = app()
    await fastify.register(authenticate)
    fastify.get<{ Params: { id: string }; Querystring: { full?: boolean } }>(
      '/projects/:id',
      { onRequest: [authenticate.requireScopes('read')], preHandler: requireScopes('read') },
      async (request) => {
        expectTypeOf(request.auth).toEqualTypeOf<AuthResult | undefined>()
        return { id: request.params.id }
      },
    )
    fastify.addHook('preHandler', authenticate.hook)
    expectTypeOf(authenticate.requireScopes).returns.toEqualTypeOf(authenticate.hook)
  })
})
