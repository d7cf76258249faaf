import { existsSync } from 'node:fs'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import type { AuthOptions } from '@scopeguard/core'
import * as scopeguardExpress from '@scopeguard/express'
import * as scopeguardKoa from '@scopeguard/koa'
import { createFakeIssuer, parseChallenge, type FakeIssuer } from '@scopeguard/testing'
import cors from 'cors'
import express5 from 'express5'
import type Koa from 'koa'
import Koa3 from 'koa3'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

// A real browser against the CORS protocol: a page on one origin fetch()es an API on another
// origin (another port of 127.0.0.1) with `Authorization: Bearer ...`, which makes the browser
// send a preflight first. A preflight never carries credentials; the app-wide auth() lets it
// on to the application's CORS handling, so mounting auth() before cors() (the order that used
// to answer every preflight 401) works. Chromium is Debian's, driven by playwright-core.

const CHROMIUM = '/usr/bin/chromium'
/** Bound on every browser step and every fetch the page makes. */
const STEP_TIMEOUT = 5_000

/** One request the API server received, with the status and challenge it answered. */
interface Seen {
  method: string
  url: string
  preflight: boolean
  status: number | undefined
  wwwAuthenticate: string | undefined
}

interface Listening {
  origin: string
  close(): Promise<void>
}

/** Listens on 127.0.0.1 (a free port); close() also drops keep-alive connections. */
async function listen(listener: RequestListener): Promise<Listening> {
  const server: Server = createServer(listener)
  server.keepAliveTimeout = 1_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Wraps an app so that every request it receives, and the status it answered, is recorded. */
function recording(app: RequestListener, seen: Seen[]): RequestListener {
  return (req, res) => {
    const entry: Seen = {
      method: req.method ?? '?',
      url: req.url ?? '?',
      preflight: req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined,
      status: undefined,
      wwwAuthenticate: undefined,
    }
    seen.push(entry)
    res.once('finish', () => {
      entry.status = res.statusCode
      const challenge = res.getHeader('www-authenticate')
      entry.wwwAuthenticate = challenge === undefined ? undefined : String(challenge)
    })
    app(req, res)
  }
}

interface CorsPolicy {
  origin: string
  exposedHeaders: string[]
}

/** Express 5: `app.use(auth())` mounted BEFORE `app.use(cors())`. */
function expressAuthFirst(options: AuthOptions, policy: CorsPolicy): RequestListener {
  const app = express5()
  app.use(scopeguardExpress.auth(options))
  app.use(cors(policy))
  app.get('/appointments', scopeguardExpress.requireScopes('read:appointments'), (req, res) => {
    res.json({ sub: scopeguardExpress.requireAuth(req).claims.sub, scopes: [...scopeguardExpress.requireAuth(req).scopes] })
  })
  return app as unknown as RequestListener
}

/** Express 5, the other order: `cors()` first, then `auth()`. */
function expressCorsFirst(options: AuthOptions, policy: CorsPolicy): RequestListener {
  const app = express5()
  app.use(cors(policy))
  app.use(scopeguardExpress.auth(options))
  app.get('/appointments', scopeguardExpress.requireScopes('read:appointments'), (req, res) => {
    res.json({ sub: scopeguardExpress.requireAuth(req).claims.sub, scopes: [...scopeguardExpress.requireAuth(req).scopes] })
  })
  return app as unknown as RequestListener
}

/**
 * Koa's CORS handling, reduced to what the test needs (what @koa/cors does for one allowed
 * origin): a preflight is answered 204 here; other requests get the allow and expose headers.
 */
function koaCors(policy: CorsPolicy): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.get('Origin') !== policy.origin) return next()
    ctx.vary('Origin')
    ctx.set('Access-Control-Allow-Origin', policy.origin)
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method') !== '') {
      ctx.set('Access-Control-Allow-Methods', 'GET,HEAD,PUT,PATCH,POST,DELETE')
      ctx.set('Access-Control-Allow-Headers', ctx.get('Access-Control-Request-Headers'))
      ctx.status = 204
      return
    }
    ctx.set('Access-Control-Expose-Headers', policy.exposedHeaders.join(','))
    await next()
  }
}

/** Koa 3 with @koa/router: `app.use(auth())` mounted BEFORE the CORS middleware. */
function koaAuthFirst(options: AuthOptions, policy: CorsPolicy): RequestListener {
  const app = new (Koa3 as unknown as typeof Koa)()
  const router = new Router()
  router.get('/appointments', scopeguardKoa.requireScopes('read:appointments'), (ctx) => {
    ctx.body = { sub: scopeguardKoa.requireAuth(ctx).claims.sub, scopes: [...scopeguardKoa.requireAuth(ctx).scopes] }
  })
  app.use(scopeguardKoa.auth(options))
  app.use(koaCors(policy))
  app.use(router.routes())
  return app.callback()
}

/** What the page's fetch() saw: the response as the CORS protocol lets the page read it, or the error. */
type PageFetch =
  | { ok: true; status: number; wwwAuthenticate: string | null; body: string }
  | { ok: false; error: string }

/** Runs fetch() in the page (so from the page's origin), bounded by STEP_TIMEOUT. */
function fetchFromPage(page: Page, url: string, token: string | null): Promise<PageFetch> {
  return page.evaluate(
    async ({ url, token, timeout }) => {
      try {
        const headers: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` }
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeout) })
        return { ok: true as const, status: res.status, wwwAuthenticate: res.headers.get('WWW-Authenticate'), body: await res.text() }
      } catch (err) {
        return { ok: false as const, error: String(err) }
      }
    },
    { url, token, timeout: STEP_TIMEOUT },
  )
}

let issuer: FakeIssuer | undefined
let launching: Promise<Browser> | undefined
let pageServer: Listening | undefined
let page: Page
const apis: Listening[] = []

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need Debian's chromium. Install it with ` +
        '`sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium` (.ci/run does this in CI).',
    )
  }
  // Launched while the servers start; afterAll closes it even if a later step fails.
  launching = chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true, timeout: 20_000 })
  launching.catch(() => {}) // awaited below, where a failure is reported
  issuer = await createFakeIssuer()
  pageServer = await listen((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>client</title><p>client')
    else res.writeHead(404).end()
  })
  const browser = await launching
  const context = await browser.newContext()
  context.setDefaultTimeout(STEP_TIMEOUT)
  page = await context.newPage()
  await page.goto(`${pageServer.origin}/`)
}, 30_000) // a browser start on a loaded CI machine (alone it takes about 4 s)

afterAll(async () => {
  const browser = await launching?.catch(() => undefined)
  await browser?.close()
  await Promise.all([...apis.splice(0).map((api) => api.close()), pageServer?.close(), issuer?.close()])
})

interface Variant {
  name: string
  app(options: AuthOptions, policy: CorsPolicy): RequestListener
  /** Whether auth() answers before the CORS handling runs (its own 401s then carry no CORS headers). */
  authFirst: boolean
}

const VARIANTS: Variant[] = [
  { name: 'express 5, auth() before cors()', app: expressAuthFirst, authFirst: true },
  { name: 'koa 3, auth() before the CORS middleware', app: koaAuthFirst, authFirst: true },
  { name: 'express 5, cors() before auth()', app: expressCorsFirst, authFirst: false },
]

describe.each(VARIANTS)('a cross-origin page in Chromium: $name', (variant) => {
  const seen: Seen[] = []
  let api: Listening
  let call = 0
  /** A URL of its own for each fetch: the browser caches preflight results per URL. */
  const url = () => `${api.origin}/appointments?call=${++call}`
  /** The requests the API received for one URL, once each has been answered. */
  const requestsFor = async (target: string) => {
    const path = new URL(target).pathname + new URL(target).search
    await vi.waitFor(() => {
      const mine = seen.filter((entry) => entry.url === path)
      expect(mine.length).toBeGreaterThan(0)
      expect(mine.every((entry) => entry.status !== undefined)).toBe(true)
    }, { timeout: 1_000 })
    return seen.filter((entry) => entry.url === path)
  }

  beforeAll(async () => {
    const options: AuthOptions = { issuer: issuer!.url, audience: issuer!.audience as string, allowHttp: true }
    const policy: CorsPolicy = { origin: pageServer!.origin, exposedHeaders: ['WWW-Authenticate'] }
    api = await listen(recording(variant.app(options, policy), seen))
    apis.push(api)
    expect(api.origin).not.toBe(pageServer!.origin)
  })

  it('a valid token with the scope: preflight answered by the CORS handling (not 401), then 200', async () => {
    const target = url()
    const res = await fetchFromPage(page, target, await issuer!.token({ scope: 'read:appointments' }))
    expect(res).toMatchObject({ ok: true, status: 200 })
    expect(JSON.parse((res as { body: string }).body)).toEqual({ sub: 'user-1', scopes: ['read:appointments'] })
    const requests = await requestsFor(target)
    expect(requests.map((r) => [r.method, r.preflight, r.status])).toEqual([
      ['OPTIONS', true, 204],
      ['GET', false, 200],
    ])
  })

  it('a token without the scope: 403 the page can read, with insufficient_scope and scope="..."', async () => {
    const target = url()
    const res = await fetchFromPage(page, target, await issuer!.token({ scope: 'profile' }))
    expect(res).toMatchObject({ ok: true, status: 403 })
    const challenge = parseChallenge((res as { wwwAuthenticate: string | null }).wwwAuthenticate ?? undefined)
    expect(challenge.scheme).toBe('Bearer')
    expect(challenge.params.error).toBe('insufficient_scope')
    expect(challenge.params.scope).toBe('read:appointments')
    expect((res as { wwwAuthenticate: string }).wwwAuthenticate).toMatch(/scope="read:appointments"/)
    const requests = await requestsFor(target)
    expect(requests.map((r) => [r.method, r.preflight, r.status])).toEqual([
      ['OPTIONS', true, 204],
      ['GET', false, 403],
    ])
  })

  // Without a token the request is a simple one (no preflight). auth() refuses it itself, so
  // with auth() first the CORS handling never runs and the 401 carries no
  // Access-Control-Allow-Origin: the browser hides it from the page (fetch rejects). That is
  // the CORS protocol, not something auth() can fix; docs/frameworks/cors.md says to mount the
  // CORS handling first for browser clients to read these challenges.
  it(`no token: 401 with WWW-Authenticate, ${variant.authFirst ? 'hidden from the page (no CORS headers on it)' : 'which the page can read'}`, async () => {
    const target = url()
    const res = await fetchFromPage(page, target, null)
    const requests = await requestsFor(target)
    expect(requests.map((r) => [r.method, r.preflight, r.status, r.wwwAuthenticate])).toEqual([['GET', false, 401, 'Bearer realm="api"']])
    if (variant.authFirst) {
      expect(res).toEqual({ ok: false, error: 'TypeError: Failed to fetch' })
    } else {
      expect(res).toMatchObject({ ok: true, status: 401, wwwAuthenticate: 'Bearer realm="api"' })
      expect(JSON.parse((res as { body: string }).body)).toMatchObject({ error: 'unauthorized' })
    }
  })

  it(`an expired token: preflight not refused, then 401 invalid_token${variant.authFirst ? ', hidden from the page' : ' the page can read'}`, async () => {
    const target = url()
    const res = await fetchFromPage(page, target, await issuer!.bad.expired({ scope: 'read:appointments' }))
    const requests = await requestsFor(target)
    expect(requests.map((r) => [r.method, r.preflight, r.status])).toEqual([
      ['OPTIONS', true, 204],
      ['GET', false, 401],
    ])
    expect(parseChallenge(requests[1]!.wwwAuthenticate).params.error).toBe('invalid_token')
    if (variant.authFirst) {
      expect(res).toEqual({ ok: false, error: 'TypeError: Failed to fetch' })
    } else {
      expect(res).toMatchObject({ ok: true, status: 401 })
      expect(parseChallenge((res as { wwwAuthenticate: string | null }).wwwAuthenticate ?? undefined).params.error).toBe('invalid_token')
    }
  })

  it('no preflight was ever answered 401', () => {
    const preflights = seen.filter((entry) => entry.preflight)
    expect(preflights.length).toBe(3) // the token-bearing fetches above, one preflight each
    expect(preflights.filter((entry) => entry.status === 401)).toEqual([])
  })
})
