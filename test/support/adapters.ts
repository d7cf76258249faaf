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

/** A framework + adapter pairing under test. */
export interface AdapterUnderTest {
  readonly name: string
  /** Builds a request listener with `auth(options)` in front of {@link ROUTES} and `/me` (no scope check). */
  app(options: AuthOptions): RequestListener
}

type ExpressModule = typeof express5

function expressApp(expressModule: ExpressModule, options: AuthOptions): RequestListener {
  const { auth, requireScopes } = scopeguardExpress
  const app: Express = expressModule()
  app.use(expressModule.urlencoded({ extended: false }))
  app.use(auth(options))
  app.all('/me', (req, res) => {
    res.json({ auth: req.auth === undefined ? null : { ...req.auth, scopes: [...req.auth.scopes] } })
  })
  for (const [path, requirement] of Object.entries(ROUTES)) {
    app.all(path, requireScopes(...requirement), (req, res) => {
      res.json({ sub: req.auth.claims.sub, scopes: [...req.auth.scopes] })
    })
  }
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const body: AppErrorShape = { handledBy: 'app', status: err.status, code: err.code, isHttpError: err instanceof Error && 'expose' in err }
    res.status(err.status ?? 500).set(err.headers ?? {}).json(body)
  }
  app.use(onError)
  return app as unknown as RequestListener
}

function koaApp(KoaClass: typeof Koa, options: AuthOptions): RequestListener {
  const { auth, requireScopes } = scopeguardKoa
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
  app.use(auth(options))
  router.all('/me', (ctx) => {
    const result = ctx.state.auth
    ctx.body = { auth: result === undefined ? null : { ...result, scopes: [...result.scopes] } }
  })
  for (const [path, requirement] of Object.entries(ROUTES)) {
    router.all(path, requireScopes(...requirement), (ctx) => {
      ctx.body = { sub: ctx.state.auth.claims.sub, scopes: [...ctx.state.auth.scopes] }
    })
  }
  app.use(router.routes())
  return app.callback()
}

/** Every adapter and framework major the conformance suite runs against. */
export const ADAPTERS: readonly AdapterUnderTest[] = [
  { name: 'express 4', app: (options) => expressApp(express4 as unknown as ExpressModule, options) },
  { name: 'express 5', app: (options) => expressApp(express5, options) },
  { name: 'koa 2', app: (options) => koaApp(Koa2 as unknown as typeof Koa, options) },
  { name: 'koa 3', app: (options) => koaApp(Koa3 as unknown as typeof Koa, options) },
]
