import type { RequestListener } from 'node:http'
import type { AuthOptions } from '@scopeguard/core'
import * as scopeguardExpress from '@scopeguard/express'
import * as scopeguardKoa from '@scopeguard/koa'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import express5 from 'express5'
import Koa3 from 'koa3'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// requireScopes() finds the auth() that let a request through from the result on req.auth /
// ctx.state.auth (or, for an anonymous request in optional mode, a mark auth() leaves): these
// are the wirings where that lookup matters.

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

const FRAMEWORKS = [
  { name: 'express 5', app: expressApp },
  { name: 'koa 3', app: koaApp },
] as const

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
    expect(res.body.message).toMatch(/requireScopes\(\) ran on a request that auth\(\) did not let through.*add app\.use\(auth/)
  })

  it('a result replaced by the app: a 500 that says not to replace it', async () => {
    const app = framework.app(issuer, { withAuth: true, replaceResult: true })
    const res = await request(app).get('/appointments').set('Authorization', `Bearer ${await token('read:appointments')}`).expect(500)
    expect(res.body.message).toMatch(/do not replace/)
  })
})
