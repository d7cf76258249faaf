import { compileRequirement, tagRequirement, type CompiledRequirement, type ScopeRequirement } from '@scopeguard/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { authenticatorOf, fail } from './auth.js'

/**
 * Requires every given scope or requirement (all-of); combine with `anyOf` / `allOf` for
 * alternatives, e.g. `requireScopes(anyOf('admin', allOf('read', 'write')))`. Scopes are
 * checked now, so a malformed scope fails at start-up. A token without the scopes gets
 * 403 `insufficient_scope` with the `scope` to request (RFC 6750 §3.1); a request without
 * a token (possible with `auth({ optional: true })`) gets 401.
 */
export function requireScopes(...requirements: ScopeRequirement[]): RequestHandler {
  return requirementMiddleware(compileRequirement(requirements, 'requireScopes()'))
}

/** The middleware checking a compiled requirement, tagged with it for `listRoutes()`. */
export function requirementMiddleware(requirement: CompiledRequirement): RequestHandler {
  return tagRequirement(function scopeguardRequireScopes(req: Request, res: Response, next: NextFunction): void {
    const authenticator = authenticatorOf(req)
    if (authenticator === undefined) {
      next(new Error('scopeguard: requireScopes() ran on a request that auth() did not see; add app.use(auth({...})) before this route.'))
      return
    }
    try {
      authenticator.authorize(req.auth as Request['auth'] | undefined, requirement)
    } catch (err) {
      fail(authenticator, res, next, err)
      return
    }
    next()
  }, requirement)
}
