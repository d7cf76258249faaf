import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { describe, expect, it } from 'vitest'
import { API, bearer, options, token } from '../test/tokens.js'
import { requestTarget } from './hono-binding.js'
import { auth, type AuthOptions } from './index.js'

// How the adapter reads a request on each runtime: the Authorization lines (the Fetch API's
// joined value, or Node's rawHeaders under @hono/node-server), the request target, form
// bodies for RFC 6750 §2.2, and what it adds to the response.

function app(extra: Partial<AuthOptions> = {}): Hono {
  const hono = new Hono()
  hono.use(auth(options(extra)))
  hono.get('/me', (c) => c.json({ sub: c.get('auth')?.claims.sub ?? null }))
  hono.post('/notes', async (c) => c.json({ sub: c.get('auth')?.claims.sub ?? null, form: await c.req.parseBody() }))
  hono.get('/raw', () => new Response('raw'))
  hono.get('/public-cache', (c) => c.json({}, 200, { 'Cache-Control': 'public, max-age=60' }))
  return hono
}

const challenge = (res: Response): string | null => res.headers.get('www-authenticate')
const rawHeaders = (...lines: string[]): string[] => lines.flatMap((line) => ['Authorization', line])

describe('requestTarget: the path and query of an absolute request URL', () => {
  it.each([
    ['http://127.0.0.1:3000/me', '/me'],
    ['https://api.example.com/notes?access_token=x&y=1', '/notes?access_token=x&y=1'],
    ['http://a/', '/'],
    ['http://[::1]:8080/.well-known/oauth-protected-resource/api', '/.well-known/oauth-protected-resource/api'],
    ['http://example.com', '/'],
  ])('%s → %s', (url, target) => {
    expect(requestTarget(url)).toBe(target)
  })
})

describe('RFC 6750 §3.1: repeated Authorization lines, per runtime', () => {
  const [first, second] = [`Bearer ${token('read:appointments')}`, `Bearer ${token('read:appointments')}`]

  it('@hono/node-server (c.env.incoming): every line is read from rawHeaders → 400 credentials_multiple', async () => {
    const res = await app().request('/me', { headers: { Authorization: first } }, { incoming: { rawHeaders: rawHeaders(first, second), headers: {} } })
    expect(res.status).toBe(400)
    expect(challenge(res)).toContain('error_description="More than one access token was sent"')
  })

  it('@hono/node-server: the single line of rawHeaders is the credential', async () => {
    const res = await app().request('/me', {}, { incoming: { rawHeaders: ['Host', 'x', ...rawHeaders(first)], headers: {} } })
    expect(await res.json()).toEqual({ sub: 'alice' })
  })

  it('Fetch API runtimes (Bun, Deno, Workers): the lines arrive joined with ", ", which b64token refuses → 400 malformed', async () => {
    const headers = new Headers()
    headers.append('Authorization', first)
    headers.append('Authorization', second)
    expect(headers.get('authorization')).toBe(`${first}, ${second}`)
    const res = await app().request('/me', { headers })
    expect(res.status).toBe(400)
    expect(challenge(res)).toContain('error="invalid_request", error_description="The bearer credentials are malformed"')
  })

  it('Fetch API runtimes: a joined line after another scheme reads as that scheme → 401, never accepted', async () => {
    const headers = new Headers()
    headers.append('Authorization', 'Basic dXNlcjpwYXNz')
    headers.append('Authorization', first)
    const res = await app().request('/me', { headers })
    expect(res.status).toBe(401)
    expect(challenge(res)).toBe('Bearer realm="api"')
    // In optional mode that is an anonymous request: the token in the second line is not used.
    expect(await (await app({ optional: true }).request('/me', { headers })).json()).toEqual({ sub: null })
  })
})

describe('RFC 6750 §2.2 / §2.3: body and query tokens', () => {
  const open = { acceptBodyToken: true, acceptQueryToken: true }
  const form = (body: string, type = 'application/x-www-form-urlencoded') => ({ method: 'POST', headers: { 'Content-Type': type }, body })

  it('a form-body token is read before authenticating, and the route can still parse the body', async () => {
    const res = await app(open).request('/notes', form(`access_token=${token('read:appointments')}&title=Hello`))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'alice', form: { access_token: expect.any(String), title: 'Hello' } })
  })

  it('a charset parameter on the form content type is fine', async () => {
    const res = await app(open).request('/notes', form(`access_token=${token('read:appointments')}`, 'application/x-www-form-urlencoded; charset=utf-8'))
    expect(res.status).toBe(200)
  })

  it('a repeated access_token form parameter → 400 credentials_multiple', async () => {
    const value = token('read:appointments')
    const res = await app(open).request('/notes', form(`access_token=${value}&access_token=${value}`))
    expect(res.status).toBe(400)
    expect(challenge(res)).toContain('More than one access token was sent')
  })

  it('a JSON body is not a form body: its access_token is no credential', async () => {
    const res = await app(open).request('/notes', form(JSON.stringify({ access_token: token('read:appointments') }), 'application/json'))
    expect(res.status).toBe(401)
    expect(challenge(res)).toBe('Bearer realm="api"')
  })

  it('without acceptBodyToken the body is left unread and its token ignored', async () => {
    const hono = new Hono()
    let cached: string[] = []
    hono.use(auth(options({ optional: true })))
    hono.post('/notes', (c) => {
      cached = Object.keys(c.req.bodyCache)
      return c.json({ sub: c.get('auth')?.claims.sub ?? null })
    })
    const res = await hono.request('/notes', form(`access_token=${token('read:appointments')}`))
    expect(await res.json()).toEqual({ sub: null })
    expect(cached).toEqual([])
  })

  it('a query token is accepted with acceptQueryToken, and the answer marked Cache-Control: private', async () => {
    const res = await app(open).request(`/me?access_token=${token('read:appointments')}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('private')
  })

  it('Cache-Control: private also reaches a Response the route built itself, and never replaces the route’s own', async () => {
    const value = token('read:appointments')
    const raw = await app(open).request(`/raw?access_token=${value}`)
    expect(raw.headers.get('cache-control')).toBe('private')
    const own = await app(open).request(`/public-cache?access_token=${value}`)
    expect(own.headers.get('cache-control')).toBe('public, max-age=60')
  })

  it('the metadata path is matched on the request target, its query ignored', async () => {
    const res = await app({ resourceMetadata: { resource: API } }).request('http://localhost/.well-known/oauth-protected-resource/calendar?x=1')
    expect(res.status).toBe(200)
  })
})

describe('replies keep what earlier middleware prepared', () => {
  it('a header set with c.header() before auth() (CORS, say) is on the 401', async () => {
    const hono = new Hono()
    hono.use(async (c, next) => {
      c.header('Access-Control-Allow-Origin', 'https://app.example')
      await next()
    })
    hono.use(auth(options()))
    hono.get('/me', (c) => c.text('never'))
    const res = await hono.request('/me')
    expect(res.status).toBe(401)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"')
  })

  it("a CORS preflight goes on to Hono's cors() registered after auth(); the request it precedes still needs a token", async () => {
    const hono = new Hono()
    hono.use(auth(options()))
    hono.use(cors({ origin: 'https://app.example' }))
    hono.get('/me', (c) => c.text('ok'))
    const preflight = await hono.request('/me', { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(preflight.headers.get('www-authenticate')).toBeNull()
    const call = await hono.request('/me', { headers: { Origin: 'https://app.example' } })
    expect(call.status).toBe(401)
  })

  it("with Hono's cors() before auth(), the 401 carries the CORS headers, so a browser client can read the challenge", async () => {
    const hono = new Hono()
    hono.use(cors({ origin: 'https://app.example', exposeHeaders: ['WWW-Authenticate'] }))
    hono.use(auth(options()))
    hono.get('/me', (c) => c.text('ok'))
    const res = await hono.request('/me', { headers: { Origin: 'https://app.example' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(res.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate')
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"')
  })

  it('a bearer token is never echoed', async () => {
    const forged = `${token('x').slice(0, -4)}AAAA`
    const res = await app().request('/me', { headers: { Authorization: `Bearer ${forged}` } })
    expect(res.status).toBe(401)
    const all = JSON.stringify([...res.headers]) + (await res.text())
    for (const part of forged.split('.')) expect(all).not.toContain(part)
  })
})

describe('the Fetch path answers like the Node path', () => {
  it.each([
    ['no credentials', {}, 401],
    ['a valid token', bearer('read:appointments'), 200],
    ['a malformed header', { Authorization: 'Bearer' }, 400],
  ] as const)('%s → %i', async (_name, headers, status) => {
    expect((await app().request('/me', { headers })).status).toBe(status)
  })
})
