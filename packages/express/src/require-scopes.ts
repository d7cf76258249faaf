import type { ScopeRequirement } from '@scopeguard/core'
import { actOnNodeResponse as act, compileRequirement, createRequirementCheck, tagRequirement, type CompiledRequirement } from '@scopeguard/core/adapter'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { expressBinding } from './express-binding.js'

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
  const check = createRequirementCheck(requirement, expressBinding())
  return tagRequirement(function scopeguardRequireScopes(req: Request, res: Response, next: NextFunction): void {
    act(check(req), res, next)
  }, requirement)
}
