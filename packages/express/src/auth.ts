import type { AuthOptions, ScopeCatalogue, ScopeRequirementOf } from '@scopeguard/core'
import { actOnNodeResponse as act, assembleAuth, createAdapterKit, tagRequirement, type AuthMiddlewareMembers } from '@scopeguard/core/adapter'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { expressBinding } from './express-binding.js'

/** Options of the Express `auth()` middleware; see `AuthOptions` in `@scopeguard/core`. */
export type ExpressAuthOptions<S extends string = string> = AuthOptions & { scopes?: ScopeCatalogue<S> }

/**
 * What `auth()` returns: the middleware, route guards that authenticate with it
 * (`authenticate.requireScopes(...)`), and the RFC 9728 metadata endpoint for apps that
 * guard routes one by one (`app.use('/.well-known', authenticate.metadataEndpoint)`: the
 * prefix keeps other requests off it).
 */
export interface ExpressAuth<S extends string = string> extends RequestHandler, AuthMiddlewareMembers<RequestHandler, S> {}

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
  return assembleAuth(middleware, requireScopes, metadataEndpoint, kit.authenticator.resourceMetadata)
}
