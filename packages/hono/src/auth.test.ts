import type { AuthOptions } from '@scopeguard/core'
import { defineScopeCatalogue } from '@scopeguard/core'
import { Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { API, OTHER_API, bearer, options, token } from '../test/tokens.js'
import { auth, isAuthError, requireScopes } from './index.js'

// The one-middleware form and the app-wide form on Hono, through app.request() (the Fetch
// API path of Bun, Deno and Workers): test/route-guards.test.ts runs the same cases on
// @hono/node-server, beside the other adapters.

const catalogue = defineScopeCatalogue({
  'read:appointments': 'Read your appointments',
  'write:appointments': { description: 'Change your appointments', implies: ['read:appointments'] },
})

interface Layout {
  readonly guard?: Partial<AuthOptions>
  readonly appWide?: Partial<AuthOptions>
  readonly sameAuth?: boolean
  readonly metadataEndpoint?: boolean
  readonly onError?: boolean
}

function app(layout: Layout = {}): Hono {
  const authenticate = auth(options(layout.guard))
  const hono = new Hono()
  if (layout.onError !== false) {
    hono.onError((err, c) => c.json({ handledBy: 'app', code: isAuthError(err) ? err.code : err.message }, isAuthError(err) ? err.status as 401 : 500))
  }
  if (layout.sameAuth) hono.use(authenticate)
  else if (layout.appWide) hono.use(auth(options(layout.appWide)))
  if (layout.metadataEndpoint) hono.use(authenticate.metadataEndpoint)
  hono.get('/health', (c) => c.json({ ok: true, authenticated: c.get('auth') !== undefined }))
  hono.get('/appointments', authenticate.requireScopes('read:appointments'), (c) => c.json({ sub: c.get('auth').claims.sub, aud: c.get('auth').claims.aud }))
  return hono
}

describe('hono: auth().requireScopes(), one middleware per guarded route', () => {
  it('guards its route and leaves the others public', async () => {
    const hono = app({ guard: { realm: 'calendar' } })
    expect(await (await hono.request('/health')).json()).toEqual({ ok: true, authenticated: false })
    const missing = await hono.request('/appointments')
    expect(missing.status).toBe(401)
    // A route guard's 401 names the scope its route needs (RFC 6750 §3).
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="calendar", scope="read:appointments"')
    expect(missing.headers.get('cache-control')).toBe('no-store')
    expect(await missing.json()).toEqual({ error: 'unauthorized', error_description: 'A bearer access token is required' })
    const headers = bearer('read:appointments')
    for (let i = 0; i < 3; i++) {
      // Verified, verified again, then from the cache.
      const res = await hono.request('/appointments', { headers })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ sub: 'alice', aud: API })
    }
    const short = await hono.request('/appointments', { headers: bearer('other') })
    expect(short.status).toBe(403)
    expect(short.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
    expect(short.headers.get('www-authenticate')).toContain('scope="read:appointments"')
  })

  it('behind app.use() of its own auth(), with optional mode: the anonymous request gets 401, the others their answers', async () => {
    const hono = app({ guard: { optional: true, realm: 'calendar' }, sameAuth: true })
    expect(await (await hono.request('/health')).json()).toEqual({ ok: true, authenticated: false })
    expect(await (await hono.request('/health', { headers: bearer('other') })).json()).toEqual({ ok: true, authenticated: true })
    const missing = await hono.request('/appointments')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="calendar"')
    expect((await hono.request('/appointments', { headers: bearer('read:appointments') })).status).toBe(200)
    expect((await hono.request('/appointments', { headers: bearer('other') })).status).toBe(403)
  })

  it("behind another auth(), it verifies the token against its own options, not the other's result", async () => {
    const hono = app({ guard: { audience: OTHER_API, realm: 'contacts' }, appWide: { realm: 'calendar' } })
    const res = await hono.request('/appointments', { headers: bearer('read:appointments') })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="contacts", error="invalid_token"/)
    const both = await hono.request('/appointments', { headers: bearer('read:appointments', { aud: [API, OTHER_API] }) })
    expect(both.status).toBe(200)
    expect(await both.json()).toMatchObject({ aud: [API, OTHER_API] })
  })

  it("with auth({ scopes: catalogue }), a scope implying the required one satisfies it", async () => {
    const hono = app({ guard: { scopes: catalogue } })
    expect((await hono.request('/appointments', { headers: bearer('write:appointments') })).status).toBe(200)
    expect((await hono.request('/appointments', { headers: bearer('other') })).status).toBe(403)
  })

  it('with metadataEndpoint mounted, the resource_metadata its challenges name is served, and nothing else changes', async () => {
    const hono = app({ guard: { resourceMetadata: { resource: API } }, metadataEndpoint: true })
    const missing = await hono.request('/appointments')
    const url = new URL(/resource_metadata="([^"]+)"/.exec(missing.headers.get('www-authenticate') ?? '')?.[1] ?? '')
    expect(url.pathname).toBe('/.well-known/oauth-protected-resource/calendar')
    const metadata = await hono.request(url.pathname)
    expect(metadata.status).toBe(200)
    expect(metadata.headers.get('content-type')).toBe('application/json')
    const body = await metadata.text()
    expect(JSON.parse(body)).toMatchObject({ resource: API, authorization_servers: ['https://idp.example.com/'] })
    // Hono answers HEAD through the GET route and drops the body; the headers stay.
    const head = await hono.request(url.pathname, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(body)))
    expect(await head.text()).toBe('')
    const preflight = await hono.request(url.pathname, { method: 'OPTIONS', headers: { Origin: 'https://client.example', 'Access-Control-Request-Method': 'GET' } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    // Other methods and paths pass on: the app's own 404, the public route, the guard.
    expect((await hono.request(url.pathname, { method: 'POST' })).status).toBe(404)
    expect((await hono.request('/.well-known/other')).status).toBe(404)
    expect((await hono.request('/health')).status).toBe(200)
    expect((await hono.request('/appointments', { headers: bearer('read:appointments') })).status).toBe(200)
  })
})

describe('hono: errors handed to the application (handleErrors: false)', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('app.onError receives the AuthError itself: isAuthError, status, code, headers', async () => {
    const hono = app({ guard: { handleErrors: false } })
    const missing = await hono.request('/appointments')
    expect(missing.status).toBe(401)
    expect(await missing.json()).toEqual({ handledBy: 'app', code: 'credentials_missing' })
    const short = await hono.request('/appointments', { headers: bearer('other') })
    expect(short.status).toBe(403)
    expect(await short.json()).toEqual({ handledBy: 'app', code: 'scope_insufficient' })
  })

  it("without app.onError, Hono's default handler answers RFC 6750 as auth() would, and logs nothing", async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const hono = app({ guard: { handleErrors: false, realm: 'calendar' }, onError: false })
    const short = await hono.request('/appointments', { headers: bearer('other') })
    expect(short.status).toBe(403)
    expect(short.headers.get('www-authenticate')).toMatch(/^Bearer realm="calendar", error="insufficient_scope"/)
    expect(short.headers.get('cache-control')).toBe('no-store')
    expect(await short.json()).toEqual({ error: 'insufficient_scope', error_description: 'The access token lacks the required scope' })
    expect(log).not.toHaveBeenCalled()
  })

  it('a standalone requireScopes() with no auth() in front is a wiring mistake, thrown for app.onError', async () => {
    const hono = new Hono()
    hono.onError((err, c) => c.text(err.message, 500))
    hono.get('/appointments', requireScopes('read:appointments'), (c) => c.text('never'))
    const res = await hono.request('/appointments', { headers: bearer('read:appointments') })
    expect(res.status).toBe(500)
    expect(await res.text()).toContain("requireScopes() ran on a request that auth() did not let through (c.get('auth') is not its result)")
  })
})

describe('hono: auth() refuses misuse at start-up', () => {
  it('metadataEndpoint of an auth() without resourceMetadata throws, saying which option is missing', () => {
    const authenticate = auth(options())
    expect(() => authenticate.metadataEndpoint).toThrow(/metadataEndpoint .* resourceMetadata option, which this auth\(\) was not given/)
    expect(typeof auth(options({ resourceMetadata: { resource: API } })).metadataEndpoint).toBe('function')
  })

  it('a typo fails at start-up with a suggestion', () => {
    const authenticate = auth(options({ scopes: catalogue }))
    expect(() => authenticate.requireScopes('read:apointments' as 'read:appointments')).toThrow(/Did you mean "read:appointments"\?/)
  })

  it('a malformed option throws a TypeError now, not on the first request', () => {
    expect(() => auth({ issuer: 'https://idp.example.com/', audience: API, clockTolerance: -1 })).toThrow(TypeError)
  })
})

describe('hono: the result on the context', () => {
  it('c.get("auth") holds token, location, claims and scopes; c.var.auth the same', async () => {
    const hono = new Hono()
    hono.use(auth(options()))
    hono.get('/me', (c: Context) => {
      const result = c.get('auth')
      return c.json({ same: c.var.auth === result, location: result?.location, sub: result?.claims.sub, scopes: [...(result?.scopes ?? [])] })
    })
    const res = await hono.request('/me', { headers: bearer('read:appointments write:appointments') })
    expect(await res.json()).toEqual({ same: true, location: 'header', sub: 'alice', scopes: ['read:appointments', 'write:appointments'] })
  })
})

describe('hono: a token the cache holds costs no promise of ours', () => {
  // What a cached request's instruction count rests on: each middleware decides synchronously
  // and hands back next()'s own promise, so Hono awaits nothing of ours (as with Koa).
  it('auth(), authenticate.requireScopes() and requireScopes() hand back the promise next() returned', async () => {
    const authenticate = auth(options())
    const guard = authenticate.requireScopes('read:appointments')
    const standalone = requireScopes('read:appointments')
    const headers = bearer('read:appointments')
    const context = () => new Context(new Request(`${API}/appointments`, { headers }))
    const downstream = Promise.resolve()
    const next = () => downstream
    // The cache admits a token on its second use: the first two are verified.
    for (let i = 0; i < 2; i++) await authenticate(context(), next)
    const c = context()
    expect(authenticate(c, next)).toBe(downstream)
    expect(standalone(c, next)).toBe(downstream)
    expect(guard(context(), next)).toBe(downstream)
  })
})

describe('hono: body tokens (RFC 6750 §2.2)', () => {
  const form = (body: string | ReadableStream<Uint8Array>): RequestInit & { duplex: 'half' } => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
    duplex: 'half',
  })

  it('reads the token from a form body, and the route can still parse the body', async () => {
    const hono = new Hono()
    hono.use(auth(options({ acceptBodyToken: true })))
    hono.post('/notes', async (c) => c.json({ sub: c.get('auth')?.claims.sub, note: (await c.req.parseBody()).note }))
    const res = await hono.request('/notes', form(`access_token=${token('read:appointments')}&note=hello`))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'alice', note: 'hello' })
  })

  it('a body Hono cannot read goes to the framework, so bodyLimit still answers 413', async () => {
    const hono = new Hono()
    hono.use(bodyLimit({ maxSize: 64 }))
    hono.use(auth(options({ acceptBodyToken: true })))
    hono.post('/notes', (c) => c.json({ ok: true }))
    // A stream has no Content-Length, so the limit is enforced while the body is read.
    const chunk = new TextEncoder().encode(`access_token=${'a'.repeat(200)}`)
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk)
        controller.close()
      },
    })
    const res = await hono.request('/notes', form(stream))
    expect(res.status).toBe(413)
  })
})

describe('hono: authenticate.protect(), the route handler wrapped', () => {
  function protectedApp(extra: Partial<AuthOptions> = {}): { hono: Hono; seen: Response[] } {
    const authenticate = auth(options({ realm: 'calendar', ...extra }))
    const hono = new Hono()
    const seen: Response[] = []
    hono.get('/appointments/:id', authenticate.protect(['read:appointments'], (c) => {
      const response = c.json({ sub: c.get('auth').claims.sub, id: c.req.param('id') })
      seen.push(response)
      return response
    }))
    return { hono, seen }
  }

  it('lets a token with the scopes reach the handler, and answers the others as a route guard does', async () => {
    const { hono } = protectedApp()
    const missing = await hono.request('/appointments/7')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="calendar", scope="read:appointments"')
    const short = await hono.request('/appointments/7', { headers: bearer('other') })
    expect(short.status).toBe(403)
    expect(short.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="read:appointments"/)
    const headers = bearer('read:appointments')
    for (let i = 0; i < 3; i++) {
      const ok = await hono.request('/appointments/7', { headers })
      expect(ok.status).toBe(200)
      expect(await ok.json()).toEqual({ sub: 'alice', id: '7' })
    }
  })

  it('a cached token is answered with the handler\'s own response, nothing of ours around it', async () => {
    const { hono, seen } = protectedApp()
    const headers = bearer('read:appointments')
    for (let i = 0; i < 2; i++) await hono.request('/appointments/1', { headers })
    const handler = hono.routes.find((route) => route.method === 'GET')?.handler as (c: Context) => unknown
    const returned = handler(new Context(new Request(`${API}/appointments/1`, { headers })))
    expect(returned).toBeInstanceOf(Response)
    expect(returned).toBe(seen.at(-1))
  })

  it('adds the headers a decision carries to the handler\'s response (query tokens: Cache-Control: private)', async () => {
    const { hono } = protectedApp({ acceptQueryToken: true })
    const line = bearer('read:appointments').Authorization as string
    const res = await hono.request(`/appointments/2?access_token=${line.slice('Bearer '.length)}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('private')
  })

  it('hands failures to app.onError with handleErrors: false, and refuses a malformed call at start-up', async () => {
    const authenticate = auth(options({ handleErrors: false }))
    const hono = new Hono()
    hono.onError((err, c) => c.json({ code: isAuthError(err) ? err.code : 'other' }, 418))
    hono.get('/x', authenticate.protect(['read:appointments'], (c) => c.text('ok')))
    const res = await hono.request('/x')
    expect(res.status).toBe(418)
    expect(await res.json()).toEqual({ code: 'credentials_missing' })
    expect(() => authenticate.protect('read:appointments' as never, (c) => c.text('ok'))).toThrow(/array of scopes and a handler/)
    expect(() => auth(options({ scopes: catalogue })).protect(['read:apointments' as never], (c) => c.text('ok'))).toThrow(TypeError)
  })
})
