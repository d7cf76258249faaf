import type { RequestListener, ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import type { AuthOptions } from '@scopeguard/core'
import * as scopeguardExpress from '@scopeguard/express'
import * as scopeguardHono from '@scopeguard/hono'
import * as scopeguardKoa from '@scopeguard/koa'
import * as scopeguardNode from '@scopeguard/node'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import express5 from 'express5'
import { Hono } from 'hono'
import Koa3 from 'koa3'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fastifyWiringApp } from './support/fastify-app.js'

// requireScopes() finds the auth() that let a request through from the result where the app
// reads it (req.auth, ctx.state.auth, request.auth, c.get('auth'), authOf(req)), or, for an
// anonymous request in optional mode, from a mark auth() leaves: these are the wirings where
// that lookup matters.

const API = 'https://api.example.com/calendar'

/** How a test app is put together: auth() or not, and what runs between it and the route. */
interface Wiring {
  readonly withAuth: boolean
  readonly options?: Partial<AuthOptions>
  /** Replaces the result auth() produced, as a careless app might. */
  readonly replaceResult?: boolean
}

function expressApp(issuer: FakeIssuer, wiring: Wiring): RequestListener {
  const { auth, requireScopes } = scopeguardExpress
  const app = express5()
  if (wiring.withAuth) app.use(auth({ issuer: issuer.url, audience: API, ...wiring.options }))
  if (wiring.replaceResult) {
    app.use((req, _res, next) => {
      if (req.auth !== undefined) req.auth = { ...req.auth }
      next()
    })
  }
  app.get('/appointments', requireScopes('read:appointments'), (_req, res) => {
    res.json({ ok: true })
  })
  app.use(((err, _req, res, _next) => {
    res.status(500).json({ message: (err as Error).message })
  }) as express5.ErrorRequestHandler)
  return app as unknown as RequestListener
}

function koaApp(issuer: FakeIssuer, wiring: Wiring): RequestListener {
  const { auth, requireScopes } = scopeguardKoa
  const app = new Koa3()
  app.use(async (ctx, next) => {
    try {
      await next()
    } catch (err) {
      ctx.status = 500
      ctx.body = { message: (err as Error).message }
    }
  })
  if (wiring.withAuth) app.use(auth({ issuer: issuer.url, audience: API, ...wiring.options }))
  if (wiring.replaceResult) {
    app.use(async (ctx, next) => {
      if (ctx.state.auth !== undefined) ctx.state.auth = { ...ctx.state.auth }
      await next()
    })
  }
  const guard = requireScopes('read:appointments')
  app.use(async (ctx, next) => {
    if (ctx.path !== '/appointments') return next()
    await guard(ctx, async () => {
      ctx.body = { ok: true }
    })
  })
  return app.callback()
}

function honoApp(issuer: FakeIssuer, wiring: Wiring): RequestListener {
  const { auth, requireScopes } = scopeguardHono
  const app = new Hono()
  app.onError((err, c) => c.json({ message: err.message }, 500))
  if (wiring.withAuth) app.use(auth({ issuer: issuer.url, audience: API, ...wiring.options }))
  if (wiring.replaceResult) {
    app.use(async (c, next) => {
      const result = c.get('auth')
      if (result !== undefined) c.set('auth', { ...result })
      await next()
    })
  }
  app.get('/appointments', requireScopes('read:appointments'), (c) => c.json({ ok: true }))
  return getRequestListener(app.fetch)
}

/** Plain node:http: auth() and requireScopes() as connect-style middlewares, `next(err)` answered 500. */
function nodeApp(issuer: FakeIssuer, wiring: Wiring): RequestListener {
  const { auth, requireScopes } = scopeguardNode
  const chain: scopeguardNode.NodeMiddleware[] = []
  if (wiring.withAuth) chain.push(auth({ issuer: issuer.url, audience: API, ...wiring.options }))
  if (wiring.replaceResult) {
    // Where @scopeguard/node keeps the result (docs/frameworks/node.md), written by the app.
    const where = Symbol.for('scopeguard.node.result.v1')
    chain.push((req, _res, next) => {
      const holder = req as unknown as Record<symbol, unknown>
      if (holder[where] !== undefined) holder[where] = { ...(holder[where] as object) }
      next()
    })
  }
  chain.push(requireScopes('read:appointments'), (_req, res) => sendJson(res, 200, { ok: true }))
  return (req, res) => {
    const run = (index: number): void =>
      chain[index]?.(req, res, (err) => (err === undefined ? run(index + 1) : sendJson(res, 500, { message: err.message })))
    run(0)
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.end(JSON.stringify(body))
}

interface Framework {
  readonly name: string
  app(issuer: FakeIssuer, wiring: Wiring): RequestListener
  /** What the wiring-mistake message tells the user to do, in this framework's terms. */
  readonly addAuth: RegExp
}

// The kit's message says app.use(auth(...)); Fastify's says to register the plugin.
const APP_USE = /add app\.use\(auth/

const FRAMEWORKS: readonly Framework[] = [
  { name: 'express 5', app: expressApp, addAuth: APP_USE },
  { name: 'koa 3', app: koaApp, addAuth: APP_USE },
  {
    name: 'fastify 5',
    app: (issuer, wiring) => fastifyWiringApp(issuer, API, wiring),
    addAuth: /register the auth\(\) plugin before this route \(await app\.register\(auth/,
  },
  { name: 'hono 4', app: honoApp, addAuth: APP_USE },
  { name: 'node:http', app: nodeApp, addAuth: APP_USE },
]

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(async () => {
  await issuer.close()
})

describe.each(FRAMEWORKS)('requireScopes() wiring, $name', (framework) => {
  const token = async (scope: string) => issuer.token({ audience: API, scope })

  it('a reused token: both the cached and the first verification reach the route', async () => {
    const app = framework.app(issuer, { withAuth: true })
    const bearer = `Bearer ${await token('read:appointments')}`
    for (let i = 0; i < 3; i++) {
      await request(app).get('/appointments').set('Authorization', bearer).expect(200, { ok: true })
    }
  })

  it('a token without the scope gets 403 from the authenticator that verified it', async () => {
    const app = framework.app(issuer, { withAuth: true, options: { realm: 'calendar' } })
    const bearer = `Bearer ${await token('other')}`
    for (let i = 0; i < 2; i++) {
      const res = await request(app).get('/appointments').set('Authorization', bearer).expect(403)
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="calendar", error="insufficient_scope", .*scope="read:appointments"$/)
    }
  })

  it('optional mode: an anonymous request gets that authenticator\'s 401', async () => {
    const app = framework.app(issuer, { withAuth: true, options: { optional: true, realm: 'calendar' } })
    const res = await request(app).get('/appointments').expect(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="calendar"')
  })

  it('without auth(): a 500 that says what to add', async () => {
    const app = framework.app(issuer, { withAuth: false })
    const res = await request(app).get('/appointments').set('Authorization', `Bearer ${await token('read:appointments')}`).expect(500)
    expect(res.body.message).toMatch(/requireScopes\(\) ran on a request that auth\(\) did not let through/)
    expect(res.body.message).toMatch(framework.addAuth)
  })

  it('a result replaced by the app: a 500 that says not to replace it', async () => {
    const app = framework.app(issuer, { withAuth: true, replaceResult: true })
    const res = await request(app).get('/appointments').set('Authorization', `Bearer ${await token('read:appointments')}`).expect(500)
    expect(res.body.message).toMatch(/do not replace/)
  })
})
