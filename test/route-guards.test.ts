import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import Router from '@koa/router'
import type { AuthOptions } from '@scopeguard/core'
import * as scopeguardExpress from '@scopeguard/express'
import * as scopeguardFastify from '@scopeguard/fastify'
import * as scopeguardHono from '@scopeguard/hono'
import * as scopeguardKoa from '@scopeguard/koa'
import * as scopeguardNode from '@scopeguard/node'
import { createFakeIssuer, parseChallenge, type FakeIssuer } from '@scopeguard/testing'
import express5 from 'express5'
import { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import Koa3 from 'koa3'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fastifyGuardedApp, fastifyGuardedRoutes } from './support/fastify-app.js'

// The one-middleware form, `auth(options).requireScopes(...)`, on every adapter, beyond what
// the conformance suite's "route guards" adapters already prove (every answer as
// app.use(auth()) + requireScopes() gives it): public routes beside guarded ones, a guard
// behind app.use() of its own auth() or of another one, the catalogue given to auth(),
// listRoutes(), and errors handed to the app.

const API = 'https://api.example.com/calendar'
const OTHER_API = 'https://api.example.com/contacts'
const CATALOGUE = {
  'read:appointments': 'Read your appointments',
  'write:appointments': { description: 'Change your appointments', implies: ['read:appointments'] },
} as const
const { catalogue } = scopeguardExpress.defineScopes(CATALOGUE)

/** What a test app is made of. */
interface Layout {
  /** Options of the auth() whose requireScopes() guards `/appointments`. */
  readonly guard: Partial<AuthOptions>
  /** Options of an auth() mounted app-wide in front of everything; none when absent. */
  readonly appWide?: Partial<AuthOptions>
  /** The app-wide auth() is the guard's own, not a second one. */
  readonly sameAuth?: boolean
  /** The guard's auth() serves the RFC 9728 metadata through its `metadataEndpoint`. */
  readonly metadataEndpoint?: boolean
}

interface Framework {
  readonly name: string
  app(issuer: FakeIssuer, layout: Layout): RequestListener
  /**
   * listRoutes() of an app with the guarded route and a public one (a promise on Fastify,
   * which knows its routes once ready); or, for a framework without it, why.
   */
  readonly listRoutes: (() => unknown) | string
}

function expressApp(issuer: FakeIssuer, layout: Layout): RequestListener {
  const authenticate = scopeguardExpress.auth({ issuer: issuer.url, audience: API, ...layout.guard })
  const app = express5()
  if (layout.sameAuth) app.use(authenticate)
  else if (layout.appWide) app.use(scopeguardExpress.auth({ issuer: issuer.url, audience: API, ...layout.appWide }))
  if (layout.metadataEndpoint) app.use('/.well-known', authenticate.metadataEndpoint)
  app.get('/health', (req, res) => {
    res.json({ ok: true, authenticated: req.auth !== undefined })
  })
  app.get('/appointments', authenticate.requireScopes('read:appointments'), (req, res) => {
    const { claims } = scopeguardExpress.requireAuth(req)
    res.json({ sub: claims.sub, aud: claims.aud })
  })
  app.use(((err, _req, res, _next) => {
    res.status(err.status ?? 500).json({ handledBy: 'app', code: err.code })
  }) as express5.ErrorRequestHandler)
  return app as unknown as RequestListener
}

function koaApp(issuer: FakeIssuer, layout: Layout): RequestListener {
  const authenticate = scopeguardKoa.auth({ issuer: issuer.url, audience: API, ...layout.guard })
  const app = new Koa3()
  app.use(async (ctx, next) => {
    try {
      await next()
    } catch (err) {
      const e = err as { status?: number; code?: string }
      ctx.status = e.status ?? 500
      ctx.body = { handledBy: 'app', code: e.code }
    }
  })
  if (layout.sameAuth) app.use(authenticate)
  else if (layout.appWide) app.use(scopeguardKoa.auth({ issuer: issuer.url, audience: API, ...layout.appWide }))
  if (layout.metadataEndpoint) app.use(authenticate.metadataEndpoint)
  const router = new Router()
  router.get('/health', (ctx) => {
    ctx.body = { ok: true, authenticated: ctx.state.auth !== undefined }
  })
  router.get('/appointments', authenticate.requireScopes('read:appointments'), (ctx) => {
    const { claims } = scopeguardKoa.requireAuth(ctx)
    ctx.body = { sub: claims.sub, aud: claims.aud }
  })
  app.use(router.routes())
  return app.callback()
}

function honoApp(issuer: FakeIssuer, layout: Layout): RequestListener {
  const authenticate = scopeguardHono.auth({ issuer: issuer.url, audience: API, ...layout.guard })
  const app = new Hono()
  app.onError((err, c) => {
    const e = err as { status?: number; code?: string }
    return c.json({ handledBy: 'app', code: e.code }, (e.status ?? 500) as ContentfulStatusCode)
  })
  if (layout.sameAuth) app.use(authenticate)
  else if (layout.appWide) app.use(scopeguardHono.auth({ issuer: issuer.url, audience: API, ...layout.appWide }))
  if (layout.metadataEndpoint) app.use(authenticate.metadataEndpoint)
  app.get('/health', (c) => c.json({ ok: true, authenticated: c.get('auth') !== undefined }))
  app.get('/appointments', authenticate.requireScopes('read:appointments'), (c) => {
    const { claims } = c.get('auth')
    return c.json({ sub: claims.sub, aud: claims.aud })
  })
  return getRequestListener(app.fetch)
}

/**
 * Plain `node:http`: connect-style middlewares run in order in front of a route table, as
 * connect or polka would, with `next(err)` going to the app's error renderer.
 */
function nodeApp(issuer: FakeIssuer, layout: Layout): RequestListener {
  const { auth, authOf, requireAuth } = scopeguardNode
  const authenticate = auth({ issuer: issuer.url, audience: API, ...layout.guard })
  const front: scopeguardNode.NodeMiddleware[] = []
  if (layout.sameAuth) front.push(authenticate)
  else if (layout.appWide) front.push(auth({ issuer: issuer.url, audience: API, ...layout.appWide }))
  if (layout.metadataEndpoint) front.push(authenticate.metadataEndpoint)
  const routes = new Map<string, scopeguardNode.NodeMiddleware[]>([
    ['/health', [(req, res) => sendJson(res, 200, { ok: true, authenticated: authOf(req) !== undefined })]],
    ['/appointments', [authenticate.requireScopes('read:appointments'), (req, res) => {
      const { claims } = requireAuth(req)
      sendJson(res, 200, { sub: claims.sub, aud: claims.aud })
    }]],
  ])
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/'
    const route = req.method === 'GET' || req.method === 'HEAD' ? routes.get(path) : undefined
    runChain([...front, ...(route ?? [(_req, response) => sendJson(response, 404, { error: 'not_found' })])], req, res)
  }
}

/** Runs connect-style middlewares in order; `next(err)` renders the error as the other apps do. */
function runChain(chain: readonly scopeguardNode.NodeMiddleware[], req: IncomingMessage, res: ServerResponse, index = 0): void {
  chain[index]?.(req, res, (err) => {
    if (err === undefined) return runChain(chain, req, res, index + 1)
    const e = err as Error & { status?: number; code?: string }
    sendJson(res, e.status ?? 500, { handledBy: 'app', code: e.code })
  })
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.end(JSON.stringify(body))
}

const FRAMEWORKS: readonly Framework[] = [
  {
    name: 'express 5',
    app: expressApp,
    listRoutes() {
      const authenticate = scopeguardExpress.auth({ issuer: 'https://idp.example.com/', audience: API })
      const app = express5()
      app.get('/appointments', authenticate.requireScopes('read:appointments'), () => {})
      app.get('/health', () => {})
      return scopeguardExpress.listRoutes(app)
    },
  },
  {
    name: 'koa 3',
    app: koaApp,
    listRoutes() {
      const authenticate = scopeguardKoa.auth({ issuer: 'https://idp.example.com/', audience: API })
      const router = new Router()
      router.get('/appointments', authenticate.requireScopes('read:appointments'), () => {})
      router.get('/health', () => {})
      return scopeguardKoa.listRoutes(router)
    },
  },
  {
    name: 'fastify 5',
    app: (issuer, layout) => fastifyGuardedApp(issuer, API, layout),
    listRoutes: () => fastifyGuardedRoutes(API),
  },
  {
    name: 'hono 4',
    app: honoApp,
    listRoutes() {
      const authenticate = scopeguardHono.auth({ issuer: 'https://idp.example.com/', audience: API })
      const app = new Hono()
      app.get('/appointments', authenticate.requireScopes('read:appointments'), (c) => c.text(''))
      app.get('/health', (c) => c.text(''))
      return scopeguardHono.listRoutes(app)
    },
  },
  {
    name: 'node:http',
    app: nodeApp,
    listRoutes: '@scopeguard/node has no listRoutes(), plain node:http having no router whose routes it could read',
  },
]

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

describe.each(FRAMEWORKS)('$name: auth().requireScopes(), one middleware per guarded route', (framework) => {
  const bearer = async (scope: string, audience: string | string[] = API) => `Bearer ${await issuer.token({ audience, scope, subject: 'alice' })}`

  it('guards its route and leaves the others public', async () => {
    const app = framework.app(issuer, { guard: { realm: 'calendar' } })
    await request(app).get('/health').expect(200, { ok: true, authenticated: false })
    // RFC 6750 §3.1: no credentials, no error code; a route guard's 401 names the scope its
    // route needs (§3), which the app-wide auth() cannot know.
    const missing = await request(app).get('/appointments').expect(401)
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="calendar", scope="read:appointments"')
    const token = await bearer('read:appointments')
    for (let i = 0; i < 2; i++) {
      // Twice: the first verification, then the cached result.
      const res = await request(app).get('/appointments').set('Authorization', token).expect(200)
      expect(res.body.sub).toBe('alice')
    }
    const short = await request(app).get('/appointments').set('Authorization', await bearer('other')).expect(403)
    expect(parseChallenge(short.headers['www-authenticate']).params).toMatchObject({ error: 'insufficient_scope', scope: 'read:appointments' })
  })

  it('behind app.use() of its own auth(), with optional mode: the anonymous request gets 401, the others their answers', async () => {
    const app = framework.app(issuer, { guard: { optional: true, realm: 'calendar' }, sameAuth: true })
    await request(app).get('/health').expect(200, { ok: true, authenticated: false })
    await request(app).get('/health').set('Authorization', await bearer('other')).expect(200, { ok: true, authenticated: true })
    const missing = await request(app).get('/appointments').expect(401)
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="calendar"')
    await request(app).get('/appointments').set('Authorization', await bearer('read:appointments')).expect(200)
    await request(app).get('/appointments').set('Authorization', await bearer('other')).expect(403)
  })

  it("behind another auth(), it verifies the token against its own options, not the other's result", async () => {
    const app = framework.app(issuer, { guard: { audience: OTHER_API, realm: 'contacts' }, appWide: { realm: 'calendar' } })
    // Accepted by the app-wide auth() (audience API) but not meant for the guard's audience.
    const res = await request(app).get('/appointments').set('Authorization', await bearer('read:appointments')).expect(401)
    const challenge = parseChallenge(res.headers['www-authenticate'])
    expect(challenge.params).toMatchObject({ realm: 'contacts', error: 'invalid_token' })
    const both = await request(app).get('/appointments').set('Authorization', await bearer('read:appointments', [API, OTHER_API])).expect(200)
    expect(both.body.aud).toEqual([API, OTHER_API])
  })

  it('with handleErrors: false, its failures reach the app as errors', async () => {
    const app = framework.app(issuer, { guard: { handleErrors: false } })
    await request(app).get('/appointments').expect(401, { handledBy: 'app', code: 'credentials_missing' })
    await request(app).get('/appointments').set('Authorization', await bearer('other')).expect(403, { handledBy: 'app', code: 'scope_insufficient' })
  })

  it("with auth({ scopes: catalogue }), a scope implying the required one satisfies it", async () => {
    const app = framework.app(issuer, { guard: { scopes: catalogue } })
    await request(app).get('/appointments').set('Authorization', await bearer('write:appointments')).expect(200)
    await request(app).get('/appointments').set('Authorization', await bearer('other')).expect(403)
  })

  it('with metadataEndpoint mounted, the resource_metadata its challenges name is served, and nothing else changes', async () => {
    const app = framework.app(issuer, { guard: { resourceMetadata: { resource: API } }, metadataEndpoint: true })
    const missing = await request(app).get('/appointments').expect(401)
    // RFC 9728 §5.1: the challenge names the metadata URL; the app must answer it.
    const url = new URL(parseChallenge(missing.headers['www-authenticate']).params.resource_metadata as string)
    expect(url.pathname).toBe('/.well-known/oauth-protected-resource/calendar')
    const metadata = await request(app).get(url.pathname).expect(200).expect('content-type', /^application\/json/)
    expect(metadata.body).toMatchObject({ resource: API, authorization_servers: [issuer.url] })
    const head = await request(app).head(url.pathname).expect(200)
    expect(head.text ?? '').toBe('')
    const preflight = await request(app).options(url.pathname).set('Origin', 'https://client.example').set('Access-Control-Request-Method', 'GET').expect(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('*')
    // Other methods and paths pass on: the app's own 404, the public route, the guard.
    await request(app).post(url.pathname).expect(404)
    await request(app).get('/.well-known/other').expect(404)
    await request(app).get('/health').expect(200, { ok: true, authenticated: false })
    await request(app).get('/appointments').set('Authorization', await bearer('read:appointments')).expect(200)
  })

  const { listRoutes } = framework
  // Not applicable where the adapter has no listRoutes() (the string says why).
  if (typeof listRoutes !== 'string') it('is listed by listRoutes() with its requirement', async () => {
    expect(await listRoutes()).toEqual([
      { method: 'GET', path: '/appointments', requirement: { alternatives: [['read:appointments']], description: 'read:appointments' } },
    ])
  })
})

describe.each([
  ['express', scopeguardExpress.auth],
  ['koa', scopeguardKoa.auth],
  ['fastify', scopeguardFastify.auth],
  ['hono', scopeguardHono.auth],
  ['node', scopeguardNode.auth],
] as const)('%s: auth() refuses misuse at start-up', (_name, auth) => {
  it('metadataEndpoint of an auth() without resourceMetadata throws, saying which option is missing', () => {
    const authenticate = auth({ issuer: 'https://idp.example.com/', audience: API })
    expect(() => authenticate.metadataEndpoint).toThrow(TypeError)
    expect(() => authenticate.metadataEndpoint).toThrow(/metadataEndpoint .* resourceMetadata option, which this auth\(\) was not given/)
    const withMetadata = auth({ issuer: 'https://idp.example.com/', audience: API, resourceMetadata: { resource: API } })
    expect(typeof withMetadata.metadataEndpoint).toBe('function')
  })

  it('a typo fails at start-up with a suggestion', () => {
    const authenticate = auth({ issuer: 'https://idp.example.com/', audience: API, scopes: catalogue })
    expect(() => authenticate.requireScopes('read:apointments' as 'read:appointments')).toThrow(
      /requireScopes\(\): "read:apointments" is not in the scope catalogue\. Did you mean "read:appointments"\?/,
    )
  })
})
