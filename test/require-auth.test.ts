import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import Router from '@koa/router'
import request from 'supertest'
import * as scopeguardExpress from '@scopeguard/express'
import * as scopeguardFastify from '@scopeguard/fastify'
import * as scopeguardKoa from '@scopeguard/koa'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// requireAuth() returns the verified token behind a guard, and on a route that is not
// guarded it fails loudly (500, a message naming the fix) instead of a TypeError later.
let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

const options = () => ({ issuer: issuer.url, audience: issuer.audience, optional: true })
const FIX = /requireAuth\(.*\) found no verified token .* Guard the route with requireScopes\(\)/

describe('requireAuth()', () => {
  it('Express', async () => {
    const app = express()
    app.use(scopeguardExpress.auth(options()))
    app.get('/guarded', scopeguardExpress.requireScopes('read'), (req, res) => {
      res.json({ sub: scopeguardExpress.requireAuth(req).claims.sub })
    })
    app.get('/public', (req, res) => {
      res.json({ sub: scopeguardExpress.requireAuth(req).claims.sub })
    })
    app.use(((err, _req, res, _next) => {
      res.status(500).json({ message: (err as Error).message })
    }) as express.ErrorRequestHandler)
    const token = await issuer.token({ scope: 'read' })
    expect((await request(app).get('/guarded').set('Authorization', `Bearer ${token}`)).body).toEqual({ sub: 'user-1' })
    const res = await request(app).get('/public')
    expect(res.status).toBe(500)
    expect(res.body.message).toMatch(FIX)
  })

  it('Koa', async () => {
    const app = new Koa()
    const router = new Router()
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (err) {
        ctx.status = 500
        ctx.body = { message: (err as Error).message }
      }
    })
    app.use(scopeguardKoa.auth(options()))
    router.get('/guarded', scopeguardKoa.requireScopes('read'), (ctx) => {
      ctx.body = { sub: scopeguardKoa.requireAuth(ctx).claims.sub }
    })
    router.get('/public', (ctx) => {
      ctx.body = { sub: scopeguardKoa.requireAuth(ctx).claims.sub }
    })
    app.use(router.routes())
    const token = await issuer.token({ scope: 'read' })
    expect((await request(app.callback()).get('/guarded').set('Authorization', `Bearer ${token}`)).body).toEqual({ sub: 'user-1' })
    const res = await request(app.callback()).get('/public')
    expect(res.status).toBe(500)
    expect(res.body.message).toMatch(FIX)
  })

  it('Fastify', async () => {
    const fastify = Fastify()
    await fastify.register(scopeguardFastify.auth(options()))
    fastify.get('/guarded', { preHandler: scopeguardFastify.requireScopes('read') }, async (req) => ({ sub: scopeguardFastify.requireAuth(req).claims.sub }))
    fastify.get('/public', async (req) => ({ sub: scopeguardFastify.requireAuth(req).claims.sub }))
    const token = await issuer.token({ scope: 'read' })
    expect((await fastify.inject({ url: '/guarded', headers: { authorization: `Bearer ${token}` } })).json()).toEqual({ sub: 'user-1' })
    const res = await fastify.inject({ url: '/public' })
    expect(res.statusCode).toBe(500)
    expect(res.json().message).toMatch(FIX)
    await fastify.close()
  })
})
