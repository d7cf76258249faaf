import type { AuthOptions, ScopeCatalogue, ScopeRequirementOf } from '@scopeguard/core'
import { attachMetadataEndpoint, createAdapterKit, tagRequirement } from '@scopeguard/core/adapter'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { expressBinding } from './express-binding.js'
import { act } from './act.js'

/** Options of the Express `auth()` middleware; see `AuthOptions` in `@scopeguard/core`. */
export type ExpressAuthOptions<S extends string = string> = AuthOptions & { scopes?: ScopeCatalogue<S> }

/** What `auth()` returns: the middleware, and route guards that authenticate with it. */
export interface ExpressAuth<S extends string = string> extends RequestHandler {
  /**
   * One route middleware that authenticates the request with this `auth()` and then requires
   * the scopes, for routes that `app.use()` of this `auth()` does not cover (on a route behind
   * it, only the scopes are checked). It answers as `auth()` followed by `requireScopes()`
   * would, costs one middleware instead of two, and leaves the other routes public. With
   * `auth({ scopes: catalogue })` the scopes must be the catalogue's (a typo fails at
   * start-up) and a scope implying a required one satisfies it, as with `defineScopes()`.
   *
   * @example
   * const authenticate = auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' })
   * app.get('/appointments', authenticate.requireScopes('read:appointments'), list)
   * app.get('/health', health) // public
   */
  requireScopes(...requirements: ScopeRequirementOf<S>[]): RequestHandler
  /**
   * A middleware that answers `GET` / `HEAD` (and the CORS preflight) of the RFC 9728
   * metadata document (built from the `resourceMetadata` option) and passes every other
   * request on, without authenticating. `app.use()` of this `auth()` serves the document
   * already; an app that guards its routes one by one with `requireScopes()` mounts this
   * instead, or the `resource_metadata` its challenges name would be a 404. Reading it from
   * an `auth()` without `resourceMetadata` throws a TypeError.
   *
   * @example
   * const authenticate = auth({ issuer, audience, resourceMetadata: { resource: 'https://api.example.com/calendar' } })
   * app.use('/.well-known', authenticate.metadataEndpoint) // the prefix keeps other requests off it
   * app.get('/appointments', authenticate.requireScopes('read:appointments'), list)
   */
  readonly metadataEndpoint: RequestHandler
}

/**
 * Verifies the request's bearer token and sets `req.auth`. Failures are answered per
 * RFC 6750 §3 (or passed to `next(err)` with `handleErrors: false`). All options are
 * checked here, so a misconfiguration throws at start-up. With `resourceMetadata`, it also
 * answers `GET` / `HEAD` / `OPTIONS` on the RFC 9728 metadata path, so mount it at the app's root.
 *
 * @example
 * app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
 */
export function auth<S extends string = string>(options: ExpressAuthOptions<S>): ExpressAuth<S> {
  const kit = createAdapterKit(options, expressBinding())

  const middleware = function scopeguardAuth(req: Request, res: Response, next: NextFunction): void {
    act(kit.middleware(req), res, next)
  }

  function requireScopes(...requirements: ScopeRequirementOf<S>[]): RequestHandler {
    const guard = kit.routeGuard(requirements)
    return tagRequirement(function scopeguardRequireScopes(req: Request, res: Response, next: NextFunction): void {
      act(guard(req), res, next)
    }, guard.requirement)
  }

  const metadataEndpoint = function scopeguardMetadataEndpoint(req: Request, res: Response, next: NextFunction): void {
    act(kit.metadata(req), res, next)
  }

  return attachMetadataEndpoint(Object.assign(middleware, { requireScopes }), metadataEndpoint, kit.authenticator.resourceMetadata)
}
