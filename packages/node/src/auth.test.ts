import { generateKeyPairSync, sign } from 'node:crypto'
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { DEFAULT_ALGORITHMS, type AuthOptions } from '@scopeguard/core'
import { auth, type NodeAuthOptions } from './auth.js'
import { authOf, requireAuth } from './auth-result-store.js'
import { defineScopes } from './define-scopes.js'
import type { NextFunction, NodeMiddleware } from './middleware.js'
import { requireScopes } from './require-scopes.js'

// What the conformance suite (test/conformance, test/hostile, test/faults) does not cover
// for node:http: protect() without a framework, the connect-style guard and metadata
// endpoint, errors reaching next(err) and onError, mounts, and misuse refused at start-up.
// Real servers on 127.0.0.1, real ES256 signatures (node:crypto), keys given to auth().

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ISSUER = 'https://idp.example.com/'
const API = 'https://api.example.com/files'
const OTHER_API = 'https://api.example.com/photos'
const METADATA_PATH = '/.well-known/oauth-protected-resource/files'

const options = (extra: Partial<NodeAuthOptions> = {}): NodeAuthOptions => ({ issuer: ISSUER, audience: API, keys: publicKey, ...extra })

/** An ES256 access token (RFC 9068) for `audience`, granting `scope`. */
function token(scope: string, audience: string | string[] = API): string {
  const now = Math.floor(Date.now() / 1000)
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${part({ alg: 'ES256', typ: 'at+jwt' })}.${part({ iss: ISSUER, aud: audience, sub: 'alice', client_id: 'files-app', scope, iat: now, exp: now + 300 })}`
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}
const bearer = (scope: string, audience?: string | string[]) => ({ authorization: `Bearer ${token(scope, audience)}` })

const servers: ReturnType<typeof createServer>[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

interface Reply {
  status: number
  headers: Headers
  text: string
  json(): unknown
}

/** Serves `listener` on 127.0.0.1 and returns a way to call it. */
async function serve(listener: RequestListener): Promise<(path: string, init?: RequestInit & { headers?: Record<string, string> }) => Promise<Reply>> {
  const server = createServer(listener)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return async (path, init) => {
    const response = await fetch(`${origin}${path}`, { ...init, signal: AbortSignal.timeout(5000) })
    const text = await response.text()
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as unknown }
  }
}

const hello: RequestListener = (req, res) => {
  res.setHeader('Content-Type', 'application/json')
  res.end(JSON.stringify({ sub: authOf(req)?.claims.sub ?? null }))
}

/**
 * What connect, polka and router do, reduced to one middleware: under `prefix` (a mount) the
 * middleware sees `req.url` without it and the original in `req.originalUrl`; `next(err)`
 * goes to `onError`, `next()` to `then`.
 */
function mount(prefix: string, middleware: NodeMiddleware, then: RequestListener, onError = renderError): RequestListener {
  return (req, res) => {
    const url = req.url ?? '/'
    if (!url.startsWith(prefix)) return then(req, res)
    const request = req as IncomingMessage & { originalUrl?: string }
    request.originalUrl ??= url
    req.url = url.slice(prefix.length) || '/'
    middleware(req, res, (err) => {
      req.url = url
      if (err === undefined) then(req, res)
      else onError(err, req, res)
    })
  }
}

function renderError(err: Error, _req: IncomingMessage, res: ServerResponse): void {
  const { status, code } = err as { status?: number; code?: string }
  res.statusCode = status ?? 500
  res.end(JSON.stringify({ handledBy: 'app', code: code ?? null, message: err.message }))
}

describe('authenticate.protect(handler): a bare createServer()', () => {
  it('lets only requests with a valid token reach the handler, which reads it with authOf(req)', async () => {
    const get = await serve(auth(options({ realm: 'files' })).protect(hello))
    // RFC 6750 §3.1: no credentials, no error code.
    const missing = await get('/anything')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="files"')
    expect(missing.headers.get('cache-control')).toBe('no-store')
    expect(missing.json()).toEqual({ error: 'unauthorized', error_description: 'A bearer access token is required' })
    const headers = bearer('read:files')
    // Twice: the first verification answers later (a promise), a verified token at once.
    for (let i = 0; i < 2; i++) {
      const ok = await get('/anything', { headers })
      expect(ok.status).toBe(200)
      expect(ok.json()).toEqual({ sub: 'alice' })
    }
    const invalid = await get('/anything', { headers: { authorization: 'Bearer not-a-jwt' } })
    expect(invalid.status).toBe(401)
    expect(invalid.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('with optional: true, an anonymous request reaches the handler and authOf(req) is undefined', async () => {
    const get = await serve(auth(options({ optional: true })).protect(hello))
    expect((await get('/')).json()).toEqual({ sub: null })
    expect((await get('/', { headers: bearer('x') })).json()).toEqual({ sub: 'alice' })
  })

  it('RFC 6750 §2.3: a query token is accepted with acceptQueryToken, and the 200 is Cache-Control: private', async () => {
    const get = await serve(auth(options({ acceptQueryToken: true })).protect(hello))
    const ok = await get(`/files?access_token=${token('read:files')}`)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('cache-control')).toBe('private')
  })

  it('RFC 9728: serves the metadata document its challenges name (GET, HEAD, preflight), before authenticating', async () => {
    const get = await serve(auth(options({ resourceMetadata: { resource: API } })).protect(['read:files'], hello))
    const missing = await get('/files')
    const challenge = `realm="api", scope="read:files", resource_metadata="https://api.example.com${METADATA_PATH}"`
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer ${challenge}, DPoP ${challenge}, algs="${DEFAULT_ALGORITHMS.join(' ')}"`)
    const metadata = await get(METADATA_PATH, { headers: { authorization: 'Bearer not-a-jwt' } })
    expect(metadata.status).toBe(200)
    expect(metadata.json()).toMatchObject({ resource: API, authorization_servers: [ISSUER] })
    const head = await get(METADATA_PATH, { method: 'HEAD' })
    expect([head.status, head.text]).toEqual([200, ''])
    const preflight = await get(METADATA_PATH, { method: 'OPTIONS', headers: { origin: 'https://client.example', 'access-control-request-method': 'GET' } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    // Only GET, HEAD and OPTIONS: a POST there meets the guard.
    expect((await get(METADATA_PATH, { method: 'POST' })).status).toBe(401)
  })
})

describe('authenticate.protect(scopes, handler)', () => {
  it('RFC 6750 §3.1: a token without the scopes → 403 insufficient_scope naming them; with them → 200', async () => {
    const get = await serve(auth(options()).protect(['read:files'], hello))
    const short = await get('/files', { headers: bearer('write:files') })
    expect(short.status).toBe(403)
    expect(short.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
    expect(short.headers.get('www-authenticate')).toContain('scope="read:files"')
    expect((await get('/files', { headers: bearer('read:files') })).status).toBe(200)
  })

  it('behind protect(handler) of the same auth(), checks the scopes of the result already verified', async () => {
    const authenticate = auth(options({ optional: true }))
    const guarded = authenticate.protect(['read:files'], hello)
    const get = await serve(authenticate.protect((req, res) => (req.url === '/files' ? guarded(req, res) : hello(req, res))))
    expect((await get('/public')).json()).toEqual({ sub: null })
    // The anonymous request let through by the optional auth() still gets its 401 at the guard.
    expect((await get('/files')).status).toBe(401)
    expect((await get('/files', { headers: bearer('other') })).status).toBe(403)
    expect((await get('/files', { headers: bearer('read:files') })).status).toBe(200)
  })

  it('with auth({ scopes: catalogue }), a scope implying the required one satisfies it', async () => {
    const { catalogue } = defineScopes({ 'read:files': 'Read files', 'write:files': { description: 'Change files', implies: ['read:files'] } })
    const get = await serve(auth(options({ scopes: catalogue })).protect(['read:files'], hello))
    expect((await get('/', { headers: bearer('write:files') })).status).toBe(200)
    expect((await get('/', { headers: bearer('other') })).status).toBe(403)
  })
})

describe('protect() with handleErrors: false', () => {
  it('hands every failure to onError(err, req, res): an AuthError with status, code and headers', async () => {
    const onError = vi.fn(renderError)
    const get = await serve(auth(options({ handleErrors: false, onError })).protect(['read:files'], hello))
    const missing = await get('/files')
    expect(missing.status).toBe(401)
    expect(missing.json()).toMatchObject({ handledBy: 'app', code: 'credentials_missing' })
    const short = await get('/files', { headers: bearer('other') })
    expect(short.status).toBe(403)
    expect(short.json()).toMatchObject({ handledBy: 'app', code: 'scope_insufficient' })
    expect(onError).toHaveBeenCalledTimes(2)
    expect(onError.mock.calls[1]?.[0]).toMatchObject({ status: 403, expose: true, headers: { 'WWW-Authenticate': expect.stringContaining('insufficient_scope') } })
  })

  it("without onError, answers as Koa's default handler would: status, headers, the exposed message", async () => {
    const get = await serve(auth(options({ handleErrors: false })).protect(['read:files'], hello))
    const short = await get('/files', { headers: bearer('other') })
    expect(short.status).toBe(403)
    expect(short.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
    expect(short.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(short.text).toBe('The access token lacks the required scope')
  })
})

describe('auth(): the connect-style middleware (connect, polka, router)', () => {
  it('authenticates, stores the result for authOf(req), and hands failures to next(err) with handleErrors: false', async () => {
    const authenticate = auth(options({ handleErrors: false }))
    const get = await serve(mount('', authenticate, hello))
    expect((await get('/', { headers: bearer('x') })).json()).toEqual({ sub: 'alice' })
    const expired = await get('/', { headers: { authorization: 'Bearer not-a-jwt' } })
    expect(expired.status).toBe(401)
    expect(expired.json()).toMatchObject({ handledBy: 'app', code: 'token_malformed' })
  })

  it('matches the metadata path on req.originalUrl, the URL as received, under a mount', async () => {
    const authenticate = auth(options({ resourceMetadata: { resource: API } }))
    const get = await serve(mount('/.well-known', authenticate.metadataEndpoint, (_req, res) => {
      res.statusCode = 404
      res.end()
    }))
    expect((await get(METADATA_PATH)).json()).toMatchObject({ resource: API })
    expect((await get('/.well-known/other')).status).toBe(404)
  })

  it('requireScopes() after it checks the stored result; before any auth() it is a wiring error for next(err)', async () => {
    const authenticate = auth(options())
    const guard = requireScopes('read:files')
    const get = await serve(mount('', authenticate, mount('', guard, hello)))
    expect((await get('/', { headers: bearer('read:files') })).status).toBe(200)
    expect((await get('/', { headers: bearer('other') })).status).toBe(403)
    const unwired = await serve(mount('', guard, hello))
    const res = await unwired('/', { headers: bearer('read:files') })
    expect(res.status).toBe(500)
    expect((res.json() as { message: string }).message).toMatch(/requireScopes\(\) ran on a request that auth\(\) did not let through \(authOf\(req\) is not its result\)/)
  })

  it('authenticate.requireScopes() authenticates on its own and leaves the other routes public', async () => {
    const authenticate = auth(options({ realm: 'files' }))
    const guarded = mount('', authenticate.requireScopes('read:files'), hello)
    const get = await serve((req, res) => (req.url === '/files' ? guarded(req, res) : hello(req, res)))
    expect((await get('/health')).json()).toEqual({ sub: null })
    expect((await get('/files')).headers.get('www-authenticate')).toBe('Bearer realm="files", scope="read:files"')
    expect((await get('/files', { headers: bearer('read:files') })).json()).toEqual({ sub: 'alice' })
  })

  it("behind another auth(), authenticate.requireScopes() verifies against its own options, not the other's result", async () => {
    const guard = auth(options({ audience: OTHER_API })).requireScopes('read:files')
    const get = await serve(mount('', auth(options()), mount('', guard, hello)))
    expect((await get('/', { headers: bearer('read:files') })).status).toBe(401)
    expect((await get('/', { headers: bearer('read:files', [API, OTHER_API]) })).status).toBe(200)
  })
})

describe('authOf(req) and requireAuth(req)', () => {
  it('leave the request object as Node made it: no auth property', async () => {
    let seen: { own: string[]; has: boolean } | undefined
    const get = await serve(auth(options()).protect((req, res) => {
      seen = { own: Object.keys(req).filter((key) => key === 'auth'), has: 'auth' in req }
      res.end(requireAuth(req).claims.sub)
    }))
    expect((await get('/', { headers: bearer('x') })).text).toBe('alice')
    expect(seen).toEqual({ own: [], has: false })
  })

  it('requireAuth(req) throws on a request nothing authenticated, saying how to guard it', async () => {
    const get = await serve((req, res) => {
      try {
        requireAuth(req)
        res.end('unexpected')
      } catch (err) {
        res.end((err as Error).message)
      }
    })
    expect((await get('/')).text).toMatch(/^scopeguard: requireAuth\(req\) found no verified token for this request/)
  })

  it('another copy of the package (its CommonJS build, say) reads the same results', async () => {
    vi.resetModules()
    const copy = await import('./auth-result-store.js')
    expect(copy.authOf).not.toBe(authOf)
    let read: string | undefined
    const get = await serve(auth(options()).protect((req, res) => {
      read = copy.authOf(req)?.claims.sub
      res.end()
    }))
    await get('/', { headers: bearer('x') })
    expect(read).toBe('alice')
  })
})

describe('auth() refuses misuse at start-up', () => {
  const authenticate = auth(options())

  it('protect() without a listener, or with scopes that are not an array', () => {
    expect(() => authenticate.protect(undefined as unknown as RequestListener)).toThrow(TypeError)
    expect(() => authenticate.protect(['read:files'], undefined as unknown as RequestListener)).toThrow(/protect\(\) takes a request listener/)
    expect(() => authenticate.protect('read:files' as unknown as string[], hello)).toThrow(/protect\(\) takes a request listener/)
  })

  it('onError that is not a function; options the core refuses, with its message', () => {
    expect(() => auth(options({ onError: 'log' as unknown as NodeAuthOptions['onError'] }))).toThrow(/`onError` must be a function/)
    expect(() => auth(undefined as unknown as AuthOptions)).toThrow(/auth\(\) needs an options object/)
  })

  it('metadataEndpoint of an auth() without resourceMetadata; a scope outside the catalogue', () => {
    expect(() => authenticate.metadataEndpoint).toThrow(/resourceMetadata option, which this auth\(\) was not given/)
    const { catalogue } = defineScopes({ 'read:files': 'Read files' })
    const typed = auth(options({ scopes: catalogue }))
    expect(() => typed.protect(['read:flies' as 'read:files'], hello)).toThrow(/"read:flies" is not in the scope catalogue\. Did you mean "read:files"\?/)
  })
})

describe('types', () => {
  it('fit connect, polka and router, whose next() takes an Error', () => {
    // The shapes of @types/connect's NextHandleFunction and polka's Middleware.
    type ConnectHandler = (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: (err?: any) => void) => void // eslint-disable-line @typescript-eslint/no-explicit-any
    type PolkaMiddleware = (req: IncomingMessage & { originalUrl: string; path: string }, res: ServerResponse, next: (err?: string | Error) => void) => void | Promise<void>
    const authenticate = auth(options())
    expectTypeOf(authenticate).toExtend<ConnectHandler>()
    expectTypeOf(authenticate).toExtend<PolkaMiddleware>()
    expectTypeOf(authenticate.requireScopes('x')).toExtend<PolkaMiddleware>()
    expectTypeOf(requireScopes('x')).toEqualTypeOf<NodeMiddleware>()
    expectTypeOf<Parameters<NodeMiddleware>[2]>().toEqualTypeOf<NextFunction>()
    expectTypeOf(authenticate.protect(hello)).toEqualTypeOf<RequestListener>()
  })

  it("protect() and requireScopes() take only the catalogue's scopes when auth() has one", () => {
    const compileOnly = (): void => {
      const { catalogue } = defineScopes({ 'read:files': 'Read files', admin: { description: 'All', implies: '*' } })
      const typed = auth({ issuer: ISSUER, audience: API, keys: publicKey, scopes: catalogue })
      typed.protect(['read:files', { anyOf: ['admin'] }], hello)
      // @ts-expect-error not in the catalogue
      typed.protect(['read:flies'], hello)
      // @ts-expect-error not in the catalogue
      typed.requireScopes('root')
    }
    expectTypeOf(compileOnly).toBeFunction()
  })
})
