import type { AuthOptions, ScopeCatalogue, ScopeRequirementOf } from '@scopeguard/core'
import { assembleAuth, createAdapterKit, tagRequirement, type AuthMiddlewareMembers } from '@scopeguard/core/adapter'
import type { Context, Handler, MiddlewareHandler, Next } from 'hono'
import { act } from './act.js'
import type { AuthenticatedEnv, ScopeguardEnv } from './augment.js'
import { honoBinding } from './hono-binding.js'
import { protectedHandler, type ProtectedHandler } from './protected-handler.js'

/** Options of the Hono `auth()` middleware; see `AuthOptions` in `@scopeguard/core`. */
export type HonoAuthOptions<S extends string = string> = AuthOptions & { scopes?: ScopeCatalogue<S> }

/** A route guard: only requests with a verified token granting its scopes reach the handlers after it. */
export type ScopeGuard = MiddlewareHandler<AuthenticatedEnv>

/**
 * What `auth()` returns: the middleware (`app.use(authenticate)`), route guards that
 * authenticate with it (`app.get(path, authenticate.requireScopes(...), handler)`), and the
 * RFC 9728 metadata endpoint for apps that guard routes one by one
 * (`app.use(authenticate.metadataEndpoint)`).
 */
export interface HonoAuth<S extends string = string> extends MiddlewareHandler<ScopeguardEnv>, AuthMiddlewareMembers<ScopeGuard, S, MiddlewareHandler> {
  /**
   * A middleware that answers `GET` / `HEAD` (and the CORS preflight) of the RFC 9728
   * metadata document (built from the `resourceMetadata` option) and passes every other
   * request on, without authenticating (so it sets no `auth`). The app-wide `auth()` serves
   * the document already; an app that guards its routes one by one mounts this instead
   * (`app.use(authenticate.metadataEndpoint)`), or the `resource_metadata` its challenges
   * name would be a 404. Reading it from an `auth()` without `resourceMetadata` throws a
   * `TypeError`.
   */
  readonly metadataEndpoint: MiddlewareHandler
  /**
   * Wraps a route's handler: only requests with a verified token granting the scopes (all of
   * them; `anyOf` / `allOf` for alternatives) reach it, and in it `c.get('auth')` is the
   * result. Others are answered as `requireScopes()` answers them. The same check as
   * `authenticate.requireScopes(...)` in front of the handler, but the route keeps a single
   * handler, which Hono runs without composing middleware: the cheapest form on Hono. Scopes
   * are checked now (against the catalogue when `auth()` has one). `listRoutes()` lists it.
   *
   * @example
   * app.get('/appointments', authenticate.protect(['read:appointments'], (c) => c.json(list(c.get('auth').claims.sub))))
   */
  protect(requirements: readonly ScopeRequirementOf<S>[], handler: ProtectedHandler): Handler
}

/**
 * Verifies the request's bearer token and stores the result for `c.get('auth')`. Failures
 * are answered per RFC 6750 §3 (or thrown, for `app.onError`, with `handleErrors: false`).
 * All options are checked here, so a misconfiguration throws at start-up. With
 * `resourceMetadata`, it also answers `GET` / `HEAD` / `OPTIONS` on the RFC 9728 metadata
 * path, so register it with `app.use()` for every path, not for a prefix.
 *
 * With `acceptBodyToken`, it reads a form-encoded body (`c.req.parseBody()`, which Hono
 * caches for the route) before authenticating; put Hono's `bodyLimit()` in front of it.
 *
 * @example
 * app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
 */
export function auth<S extends string = string>(options: HonoAuthOptions<S>): HonoAuth<S> {
  const kit = createAdapterKit(options, honoBinding)
  // Not async functions: a cached token hands back next()'s own promise, with no promise of
  // ours around it.
  const middleware = function scopeguardAuth(c: Context, next: Next): Promise<Response | void> {
    return act(kit.middleware(c), c, next)
  }
  function requireScopes(...requirements: ScopeRequirementOf<S>[]): ScopeGuard {
    const guard = kit.routeGuard(requirements)
    return tagRequirement(function scopeguardRequireScopes(c: Context, next: Next): Promise<Response | void> {
      return act(guard(c), c, next)
    }, guard.requirement)
  }
  const metadataEndpoint = function scopeguardMetadataEndpoint(c: Context, next: Next): Promise<Response | void> {
    return act(kit.metadata(c), c, next)
  }
  function protect(requirements: readonly ScopeRequirementOf<S>[], handler: ProtectedHandler): Handler {
    if (!Array.isArray(requirements) || typeof handler !== 'function') {
      throw new TypeError("scopeguard: protect() takes an array of scopes and a handler: protect(['read:appointments'], (c) => c.json(...)).")
    }
    const guard = kit.routeGuard(requirements)
    return tagRequirement(protectedHandler(guard, handler), guard.requirement)
  }
  const assembled = assembleAuth(middleware, requireScopes, metadataEndpoint, kit.authenticator.resourceMetadata)
  return Object.defineProperty(assembled, 'protect', { value: protect, enumerable: true }) as HonoAuth<S>
}
