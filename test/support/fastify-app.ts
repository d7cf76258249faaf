import type { RequestListener } from 'node:http'
import formbody from '@fastify/formbody'
import type { AuthOptions, AuthResult, RouteRequirement, ScopeCatalogue, ScopeRequirement } from '@scopeguard/core'
import * as scopeguardFastify from '@scopeguard/fastify'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { AppErrorShape, GuardStyle } from './adapters.js'
import type { CALENDAR_SCOPES } from './calendar-apps.js'

/** A path and the arguments of its requireScopes(): adapters.ts passes its ROUTES (no import back, no cycle). */
type Routes = Readonly<Record<string, ScopeRequirement[]>>

/**
 * The conformance app on Fastify 5: {@link Routes} and `/me`, a form body parser for
 * `acceptBodyToken`, and an error handler rendering {@link AppErrorShape} for `handleErrors: false`.
 * `app-wide` registers the `auth()` plugin and guards routes with the plain `requireScopes()`
 * as a `preHandler`; `route` registers nothing and puts `authenticate.requireScopes()` (and
 * `authenticate.hook` on `/me`) on each route: in `onRequest`, or in `preValidation` when
 * body tokens are accepted, as the body is parsed only then.
 */
export function fastifyApp(options: AuthOptions, style: GuardStyle, routes: Routes): RequestListener {
  const authenticate = scopeguardFastify.auth(options)
  const app = Fastify()
  void app.register(formbody)
  if (style === 'app-wide') void app.register(authenticate)
  const stage = style === 'app-wide' ? 'preHandler' : options.acceptBodyToken === true ? 'preValidation' : 'onRequest'
  const guard = style === 'app-wide' ? scopeguardFastify.requireScopes : authenticate.requireScopes
  app.all('/me', style === 'app-wide' ? {} : { [stage]: authenticate.hook }, async (request) => {
    const result = request.auth
    return { auth: result === undefined ? null : { ...result, scopes: [...result.scopes] } }
  })
  for (const [path, requirement] of Object.entries(routes)) {
    app.all(path, { [stage]: guard(...requirement) }, async (request) => {
      const result = verified(request)
      return { sub: result.claims.sub, scopes: [...result.scopes] }
    })
  }
  app.setErrorHandler((err, _request, reply) => {
    const e = err as { status?: number; statusCode?: number; code?: string; headers?: Record<string, string> }
    const status = e.status ?? e.statusCode ?? 500
    const body: AppErrorShape = { handledBy: 'app', status, code: e.code ?? 'unknown', isHttpError: err instanceof Error && 'expose' in err }
    return reply.code(status).headers(e.headers ?? {}).send(body)
  })
  return listenerOf(app)
}

/** `request.auth` on a guarded route: a guard that let the request through without it is a bug, answered 500. */
function verified(request: FastifyRequest): AuthResult {
  if (request.auth === undefined) throw new Error('request.auth is not set behind a guard')
  return request.auth
}

/**
 * The app as a Node request listener: `app.routing` (Fastify's own request handler) once
 * `ready()` has loaded the plugins. Nothing listens: the caller's server (supertest's, the
 * suite's loopback server) owns the socket and closes it, so no Fastify server is left open.
 */
export function listenerOf(app: FastifyInstance): RequestListener {
  let ready = false
  const loading = app.ready().then(
    () => {
      ready = true
    },
    (error: unknown) => error,
  )
  return (req, res) => {
    if (ready) return app.routing(req, res)
    void loading.then((error) => {
      if (!ready) {
        res.statusCode = 500
        res.end(String(error))
      } else app.routing(req, res)
    })
  }
}

/** What test/support/calendar-apps.ts's CalendarApp holds, with `routes()` async: Fastify knows its routes once `ready()`. */
export interface FastifyCalendarApp {
  readonly listener: RequestListener
  readonly catalogue: ScopeCatalogue
  routes(): Promise<RouteRequirement[]>
}

/**
 * The calendar API of test/support/calendar-apps.ts on Fastify 5 (the catalogue and the API's
 * path are passed in, so that file can list this one without an import cycle): appointments
 * (all-of, any-of), a nested contacts plugin, an admin plugin whose onRoute hook puts
 * `requireScopes('admin')` on each of its routes (a plugin-wide guard listRoutes() sees), a
 * route with the plain requireScopes, and `/me`.
 */
export function fastifyCalendar(options: AuthOptions, scopes: typeof CALENDAR_SCOPES, apiPath: string): FastifyCalendarApp {
  const { auth, defineScopes, listRoutes, requireScopes: plainRequireScopes, anyOf, allOf } = scopeguardFastify
  const { catalogue, requireScopes } = defineScopes(scopes)
  const app = Fastify()
  void app.register(auth({ ...options, scopes: catalogue }))
  const reply = async (request: FastifyRequest) => {
    const result = verified(request)
    return { sub: result.claims.sub, scopes: [...result.scopes] }
  }
  void app.register(async (api) => {
    api.get('/appointments', { preHandler: requireScopes('read:appointments') }, reply)
    api.post('/appointments', { preHandler: requireScopes('write:appointments') }, reply)
    api.delete('/appointments/:id', { preHandler: requireScopes(anyOf('admin', allOf('read:appointments', 'write:appointments'))) }, reply)
    api.get('/legacy', { preHandler: plainRequireScopes('read:appointments') }, reply)
    api.get('/me', reply)
    await api.register(async (contacts) => {
      contacts.get('/:id', { preHandler: requireScopes('read:contacts') }, reply)
    }, { prefix: '/contacts' })
    await api.register(async (admin) => {
      const guard = requireScopes('admin')
      admin.addHook('onRoute', (route) => {
        route.preHandler = [guard, ...[route.preHandler ?? []].flat()]
      })
      admin.get('/stats', reply)
    }, { prefix: '/admin' })
  }, { prefix: apiPath })
  return {
    listener: listenerOf(app),
    catalogue,
    routes: async () => {
      await app.ready()
      return listRoutes(app)
    },
  }
}

/** What test/route-guards.test.ts builds: `authenticate.requireScopes()` on `/appointments`, `/health` public. */
export interface GuardLayout {
  readonly guard: Partial<AuthOptions>
  readonly appWide?: Partial<AuthOptions>
  readonly sameAuth?: boolean
  readonly metadataEndpoint?: boolean
}

/** The app of test/route-guards.test.ts on Fastify 5; its guard is an `onRequest` hook. */
export function fastifyGuardedApp(issuer: { readonly url: string }, audience: string, layout: GuardLayout): RequestListener {
  const { auth } = scopeguardFastify
  const authenticate = auth({ issuer: issuer.url, audience, ...layout.guard })
  const app = Fastify()
  if (layout.sameAuth) void app.register(authenticate)
  else if (layout.appWide) void app.register(auth({ issuer: issuer.url, audience, ...layout.appWide }))
  if (layout.metadataEndpoint) app.addHook('onRequest', authenticate.metadataEndpoint)
  app.get('/health', async (request) => ({ ok: true, authenticated: request.auth !== undefined }))
  app.get('/appointments', { onRequest: authenticate.requireScopes('read:appointments') }, async (request) => {
    const result = verified(request)
    return { sub: result.claims.sub, aud: result.claims.aud }
  })
  app.setErrorHandler((err, _request, reply) => {
    const e = err as { status?: number; code?: string }
    return reply.code(e.status ?? 500).send({ handledBy: 'app', code: e.code })
  })
  return listenerOf(app)
}

/** listRoutes() of a Fastify app guarded route by route (the plugin registered with `global: false`). */
export async function fastifyGuardedRoutes(audience: string): Promise<RouteRequirement[]> {
  const authenticate = scopeguardFastify.auth({ issuer: 'https://idp.example.com/', audience })
  const app = Fastify()
  await app.register(authenticate, { global: false })
  app.get('/appointments', { onRequest: authenticate.requireScopes('read:appointments') }, async () => ({}))
  app.get('/health', async () => ({}))
  await app.ready()
  return scopeguardFastify.listRoutes(app)
}

/** What test/require-scopes-wiring.test.ts builds: the plain requireScopes() behind auth(), or without it. */
export interface Wiring {
  readonly withAuth: boolean
  readonly options?: Partial<AuthOptions>
  readonly replaceResult?: boolean
}

/** The app of test/require-scopes-wiring.test.ts on Fastify 5: `requireScopes()` as a `preHandler`. */
export function fastifyWiringApp(issuer: { readonly url: string }, audience: string, wiring: Wiring): RequestListener {
  const { auth, requireScopes } = scopeguardFastify
  const app = Fastify()
  if (wiring.withAuth) void app.register(auth({ issuer: issuer.url, audience, ...wiring.options }))
  if (wiring.replaceResult) {
    app.addHook('preValidation', async (request) => {
      if (request.auth !== undefined) request.auth = { ...request.auth }
    })
  }
  app.get('/appointments', { preHandler: requireScopes('read:appointments') }, async () => ({ ok: true }))
  app.setErrorHandler((err, _request, reply) => reply.code(500).send({ message: (err as Error).message }))
  return listenerOf(app)
}
