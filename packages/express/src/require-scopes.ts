import { compileRequirement, tagRequirement, type CompiledRequirement, type ScopeRequirement } from '@scopeguard/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { authorizeThenContinue, requestAuthenticator } from './auth.js'
import { createRequestAuthSlot } from './request-auth-accessor.js'

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

const NOT_AUTHENTICATED =
  'scopeguard: requireScopes() ran on a request that auth() did not let through (req.auth is not its result); ' +
  'add app.use(auth({...})) before this route, or guard the route with the one-middleware form ' +
  'authenticate.requireScopes(...) (authenticate = auth({...})), and do not replace req.auth.'

/** The middleware checking a compiled requirement, tagged with it for `listRoutes()`. */
export function requirementMiddleware(requirement: CompiledRequirement): RequestHandler {
  const authSlot = createRequestAuthSlot()
  return tagRequirement(function scopeguardRequireScopes(req: Request, res: Response, next: NextFunction): void {
    const result = authSlot.read(req) as Request['auth'] | undefined
    const authenticator = requestAuthenticator(req, result)
    if (authenticator === undefined) {
      next(new Error(NOT_AUTHENTICATED))
      return
    }
    authorizeThenContinue(authenticator, result, requirement, res, next)
  }, requirement)
}
