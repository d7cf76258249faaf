import type { ScopeRequirement } from '@scopeguard/core'
import { compileRequirement, createRequirementCheck, tagRequirement, type CompiledRequirement } from '@scopeguard/core/adapter'
import type { Context, Middleware, Next } from 'koa'
import { act } from './act.js'
import { koaBinding } from './koa-binding.js'

/**
 * Requires every given scope or requirement (all-of); combine with `anyOf` / `allOf` for
 * alternatives, e.g. `requireScopes(anyOf('admin', allOf('read', 'write')))`. Scopes are
 * checked now, so a malformed scope fails at start-up. A token without the scopes gets
 * 403 `insufficient_scope` with the `scope` to request (RFC 6750 §3.1); a request without
 * a token (possible with `auth({ optional: true })`) gets 401.
 */
export function requireScopes(...requirements: ScopeRequirement[]): Middleware {
  return requirementMiddleware(compileRequirement(requirements, 'requireScopes()'))
}

/** The middleware checking a compiled requirement, tagged with it for `listRoutes()`. */
export function requirementMiddleware(requirement: CompiledRequirement): Middleware {
  const check = createRequirementCheck(requirement, koaBinding)
  return tagRequirement(function scopeguardRequireScopes(ctx: Context, next: Next): Promise<void> | undefined {
    return act(check(ctx), ctx, next)
  }, requirement)
}
