import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import Router from '@koa/router'
import type { AuthOptions, RouteRequirement, ScopeCatalogue } from '@scopeguard/core'
import * as scopeguardExpress from '@scopeguard/express'
import * as scopeguardHono from '@scopeguard/hono'
import * as scopeguardKoa from '@scopeguard/koa'
import type { Express, Request, Response } from 'express'
import express4 from 'express4'
import express5 from 'express5'
import { Hono, type Context } from 'hono'
import { fastifyCalendar } from './fastify-app.js'
import type Koa from 'koa'
import Koa2 from 'koa2'
import Koa3 from 'koa3'

/** The calendar API's scope catalogue, as each adapter's defineScopes() takes it. */
export const CALENDAR_SCOPES = {
  'read:appointments': 'Read your appointments',
  'write:appointments': { description: 'Create and change your appointments', implies: ['read:appointments'] },
  'read:contacts': 'Read your contacts',
  admin: { description: 'Full access', implies: '*' },
} as const

/** Where the calendar API's routes live; the resource identifier's path in the metadata tests. */
export const API_PATH = '/api/calendar'

/**
 * The same calendar API on every framework major, built with the catalogue's requireScopes:
 * appointments (all-of, any-of), a nested contacts router (a sub-app on Hono), an admin
 * router guarded by a router-level requireScopes, a route guarded by the plain
 * requireScopes, and `/me`.
 */
export interface CalendarApp {
  readonly listener: RequestListener
  readonly catalogue: ScopeCatalogue
  /** The adapter's listRoutes() on this app. */
  routes(): RouteRequirement[] | Promise<RouteRequirement[]>
}

export interface CalendarAdapter {
  readonly name: string
  /** Builds the app with `auth(options)` in front; `scopes` is set to the app's catalogue. */
  app(options: AuthOptions): CalendarApp
}

type ExpressModule = typeof express5

function expressCalendar(expressModule: ExpressModule, options: AuthOptions): CalendarApp {
  const { auth, defineScopes, listRoutes, requireScopes: plainRequireScopes, anyOf, allOf } = scopeguardExpress
  const { catalogue, requireScopes } = defineScopes(CALENDAR_SCOPES)
  const app: Express = expressModule()
  app.use(auth({ ...options, scopes: catalogue }))
  const api = expressModule.Router()
  const reply = (req: Request, res: Response) => {
    const { claims, scopes } = scopeguardExpress.requireAuth(req)
    res.json({ sub: claims.sub, scopes: [...scopes] })
  }
  api.get('/appointments', requireScopes('read:appointments'), reply)
  api.post('/appointments', requireScopes('write:appointments'), reply)
  api.delete('/appointments/:id', requireScopes(anyOf('admin', allOf('read:appointments', 'write:appointments'))), reply)
  api.get('/legacy', plainRequireScopes('read:appointments'), reply)
  api.get('/me', reply)
  const contacts = expressModule.Router()
  contacts.get('/:id', requireScopes('read:contacts'), reply)
  api.use('/contacts', contacts)
  const admin = expressModule.Router()
  admin.use(requireScopes('admin'))
  admin.get('/stats', reply)
  api.use('/admin', admin)
  app.use(API_PATH, api)
  return { listener: app as unknown as RequestListener, catalogue, routes: () => listRoutes(app) }
}

function koaCalendar(KoaClass: typeof Koa, options: AuthOptions): CalendarApp {
  const { auth, defineScopes, listRoutes, requireScopes: plainRequireScopes, anyOf, allOf } = scopeguardKoa
  const { catalogue, requireScopes } = defineScopes(CALENDAR_SCOPES)
  const app = new KoaClass()
  app.use(auth({ ...options, scopes: catalogue }))
  const api = new Router({ prefix: API_PATH })
  const reply = (ctx: Koa.Context) => {
    const { claims, scopes } = scopeguardKoa.requireAuth(ctx)
    ctx.body = { sub: claims.sub, scopes: [...scopes] }
  }
  api.get('/appointments', requireScopes('read:appointments'), reply)
  api.post('/appointments', requireScopes('write:appointments'), reply)
  api.delete('/appointments/:id', requireScopes(anyOf('admin', allOf('read:appointments', 'write:appointments'))), reply)
  api.get('/legacy', plainRequireScopes('read:appointments'), reply)
  api.get('/me', reply)
  const contacts = new Router()
  contacts.get('/:id', requireScopes('read:contacts'), reply)
  api.use('/contacts', contacts.routes())
  const admin = new Router()
  admin.use(requireScopes('admin'))
  admin.get('/stats', reply)
  api.use('/admin', admin.routes())
  app.use(api.routes())
  return { listener: app.callback(), catalogue, routes: () => listRoutes(app) }
}

function honoCalendar(options: AuthOptions): CalendarApp {
  const { auth, defineScopes, listRoutes, requireScopes: plainRequireScopes, anyOf, allOf } = scopeguardHono
  const { catalogue, requireScopes } = defineScopes(CALENDAR_SCOPES)
  const app = new Hono()
  app.use(auth({ ...options, scopes: catalogue }))
  const api = new Hono()
  const reply = (c: Context) => {
    // Every route is behind the app-wide auth(), which lets no request on without a token.
    const result = c.get('auth')
    if (result === undefined) throw new Error("c.get('auth') is not set behind auth()")
    return c.json({ sub: result.claims.sub, scopes: [...result.scopes] })
  }
  api.get('/appointments', requireScopes('read:appointments'), reply)
  api.post('/appointments', requireScopes('write:appointments'), reply)
  api.delete('/appointments/:id', requireScopes(anyOf('admin', allOf('read:appointments', 'write:appointments'))), reply)
  api.get('/legacy', plainRequireScopes('read:appointments'), reply)
  api.get('/me', reply)
  const contacts = new Hono()
  contacts.get('/:id', requireScopes('read:contacts'), reply)
  api.route('/contacts', contacts)
  const admin = new Hono()
  admin.use(requireScopes('admin'))
  admin.get('/stats', reply)
  api.route('/admin', admin)
  app.route(API_PATH, api)
  return { listener: getRequestListener(app.fetch), catalogue, routes: () => listRoutes(app) }
}

/**
 * Every framework major, serving the calendar API. Not here: Fastify (its calendar is
 * `fastifyCalendar()` in fastify-app.ts), whose listRoutes() can answer only once the app is
 * ready, so its `routes()` is async, where this list's consumers call `routes()` synchronously;
 * and plain `node:http`, which has neither the routers this app is made of nor a listRoutes().
 */
export const CALENDAR_ADAPTERS: readonly CalendarAdapter[] = [
  { name: 'express 4', app: (options) => expressCalendar(express4 as unknown as ExpressModule, options) },
  { name: 'express 5', app: (options) => expressCalendar(express5, options) },
  { name: 'koa 2', app: (options) => koaCalendar(Koa2 as unknown as typeof Koa, options) },
  { name: 'koa 3', app: (options) => koaCalendar(Koa3 as unknown as typeof Koa, options) },
  { name: 'hono 4', app: honoCalendar },
  { name: 'fastify 5', app: (options) => fastifyCalendar(options, CALENDAR_SCOPES, API_PATH) },
]

/** The routes every calendar app lists, in declaration order. */
export const CALENDAR_ROUTES: readonly RouteRequirement[] = [
  { method: 'GET', path: '/api/calendar/appointments', requirement: { alternatives: [['read:appointments']], description: 'read:appointments' } },
  { method: 'POST', path: '/api/calendar/appointments', requirement: { alternatives: [['write:appointments']], description: 'write:appointments' } },
  {
    method: 'DELETE',
    path: '/api/calendar/appointments/:id',
    requirement: { alternatives: [['admin'], ['read:appointments', 'write:appointments']], description: 'admin OR (read:appointments AND write:appointments)' },
  },
  { method: 'GET', path: '/api/calendar/legacy', requirement: { alternatives: [['read:appointments']], description: 'read:appointments' } },
  { method: 'GET', path: '/api/calendar/contacts/:id', requirement: { alternatives: [['read:contacts']], description: 'read:contacts' } },
  { method: 'GET', path: '/api/calendar/admin/stats', requirement: { alternatives: [['admin']], description: 'admin' } },
]

/** A server listening on 127.0.0.1 before its app exists, so the app can be configured with its origin. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** Starts answering with `listener`. */
  serve(listener: RequestListener): void
  close(): Promise<void>
}

export async function listenOnLoopback(): Promise<LoopbackServer> {
  let current: RequestListener = (_req, res) => {
    res.statusCode = 503
    res.end()
  }
  const server: Server = createServer((req, res) => current(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve(listener) {
      current = listener
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
