import type { RequestListener } from 'node:http'
import bodyParser from '@koa/bodyparser'
import Router from '@koa/router'
import type { AuthOptions, ScopeRequirement } from '@scopeguard/core'
import * as scopeguardExpress from '@scopeguard/express'
import * as scopeguardKoa from '@scopeguard/koa'
import express4 from 'express4'
import express5 from 'express5'
import type { ErrorRequestHandler, Express } from 'express'
import Koa2 from 'koa2'
import Koa3 from 'koa3'
import type Koa from 'koa'
import { fastifyApp } from './fastify-app.js'
import { nodeApp } from './node-app.js'
import { honoApp } from './hono-app.js'

/**
 * The routes every adapter serves in the conformance suite. `requirements` maps a path to
 * the arguments of requireScopes(); each protected route answers with what it saw.
 */
export const ROUTES: Record<string, ScopeRequirement[]> = {
  '/appointments': ['read:appointments'],
  '/appointments/write': ['read:appointments', 'write:appointments'],
  '/admin-or-read-write': [{ anyOf: ['admin', { allOf: ['read', 'write'] }] }],
  '/drive': ['https://www.googleapis.com/auth/drive.readonly'],
  '/profile': ['mx:user:profile:v1:read'],
}

/** How a test app renders errors it receives, when `handleErrors: false`. */
export interface AppErrorShape {
  handledBy: 'app'
  status: number
  code: string
  isHttpError: boolean
}

/**
 * How the app is guarded: `app-wide` is `app.use(auth())` with `requireScopes()` on the
 * routes; `route` is the one-middleware form, `authenticate.requireScopes()` on each route
 * and `authenticate` itself on `/me`, with nothing app-wide. Both must answer alike.
 */
export type GuardStyle = 'app-wide' | 'route'

/** A framework + adapter pairing under test. */
export interface AdapterUnderTest {
  readonly name: string
  /** Builds a request listener with `auth(options)` in front of {@link ROUTES} and `/me` (no scope check). */
  app(options: AuthOptions): RequestListener
}

type ExpressModule = typeof express5

function expressApp(expressModule: ExpressModule, options: AuthOptions, style: GuardStyle): RequestListener {
  const authenticate = scopeguardExpress.auth(options)
  const app: Express = expressModule()
  app.use(expressModule.urlencoded({ extended: false }))
  if (style === 'app-wide') app.use(authenticate)
  const onMe = style === 'app-wide' ? [] : [authenticate]
  const guard = style === 'app-wide' ? scopeguardExpress.requireScopes : authenticate.requireScopes
  app.all('/me', ...onMe, (req, res) => {
    res.json({ auth: req.auth === undefined ? null : { ...req.auth, scopes: [...scopeguardExpress.requireAuth(req).scopes] } })
  })
  for (const [path, requirement] of Object.entries(ROUTES)) {
    app.all(path, guard(...requirement), (req, res) => {
      res.json({ sub: scopeguardExpress.requireAuth(req).claims.sub, scopes: [...scopeguardExpress.requireAuth(req).scopes] })
    })
  }
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const body: AppErrorShape = { handledBy: 'app', status: err.status, code: err.code, isHttpError: err instanceof Error && 'expose' in err }
    res.status(err.status ?? 500).set(err.headers ?? {}).json(body)
  }
  app.use(onError)
  return app as unknown as RequestListener
}

function koaApp(KoaClass: typeof Koa, options: AuthOptions, style: GuardStyle): RequestListener {
  const authenticate = scopeguardKoa.auth(options)
  const app = new KoaClass()
  const router = new Router()
  app.use(async (ctx, next) => {
    // A custom error renderer, exercised with handleErrors: false.
    try {
      await next()
    } catch (err) {
      const e = err as { status?: number; code?: string; headers?: Record<string, string>; expose?: boolean }
      ctx.status = e.status ?? 500
      if (e.headers) ctx.set(e.headers)
      const body: AppErrorShape = { handledBy: 'app', status: ctx.status, code: e.code ?? 'unknown', isHttpError: err instanceof Error && 'expose' in err }
      ctx.body = body
    }
  })
  app.use(bodyParser({ enableTypes: ['form'] }))
  if (style === 'app-wide') app.use(authenticate)
  const onMe = style === 'app-wide' ? [] : [authenticate]
  const guard = style === 'app-wide' ? scopeguardKoa.requireScopes : authenticate.requireScopes
  router.all('/me', ...onMe, (ctx) => {
    const result = ctx.state.auth
    ctx.body = { auth: result === undefined ? null : { ...result, scopes: [...result.scopes] } }
  })
  for (const [path, requirement] of Object.entries(ROUTES)) {
    router.all(path, guard(...requirement), (ctx) => {
      ctx.body = { sub: scopeguardKoa.requireAuth(ctx).claims.sub, scopes: [...scopeguardKoa.requireAuth(ctx).scopes] }
    })
  }
  app.use(router.routes())
  return app.callback()
}

/** Every adapter and framework major the conformance suite runs against. */
export const ADAPTERS: readonly AdapterUnderTest[] = [
  { name: 'express 4', app: (options) => expressApp(express4 as unknown as ExpressModule, options, 'app-wide') },
  { name: 'express 5', app: (options) => expressApp(express5, options, 'app-wide') },
  { name: 'koa 2', app: (options) => koaApp(Koa2 as unknown as typeof Koa, options, 'app-wide') },
  { name: 'koa 3', app: (options) => koaApp(Koa3 as unknown as typeof Koa, options, 'app-wide') },
  // The one-middleware form; Express 4 too, as its requests have a prototype chain of their own.
  { name: 'express 4, route guards', app: (options) => expressApp(express4 as unknown as ExpressModule, options, 'route') },
  { name: 'express 5, route guards', app: (options) => expressApp(express5, options, 'route') },
  { name: 'koa 3, route guards', app: (options) => koaApp(Koa3 as unknown as typeof Koa, options, 'route') },
  { name: 'fastify 5', app: (options) => fastifyApp(options, 'app-wide', ROUTES) },
  { name: 'fastify 5, route guards', app: (options) => fastifyApp(options, 'route', ROUTES) },
  { name: 'node:http', app: (options) => nodeApp(options, 'app-wide') },
  { name: 'node:http, route guards', app: (options) => nodeApp(options, 'route') },
  { name: 'hono 4', app: (options) => honoApp(options, 'app-wide') },
  { name: 'hono 4, route guards', app: (options) => honoApp(options, 'route') },
  { name: 'hono 4, route guards around the handler (protect())', app: (options) => honoApp(options, 'protect') },
]
