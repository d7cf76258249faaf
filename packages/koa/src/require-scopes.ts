import { compileRequirement, tagRequirement, type CompiledRequirement, type ScopeRequirement } from '@scopeguard/core'
import type { Context, Middleware, Next } from 'koa'
import { authorizeThenContinue, contextAuthenticator } from './auth.js'

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
  // Not an async function: a satisfied requirement hands back next()'s own promise, with no
  // promise of ours around it. Failures still come out as rejections, as from an async function.
  return tagRequirement(function scopeguardRequireScopes(ctx: Context, next: Next): Promise<void> | undefined {
    const result = ctx.state.auth as Context['state']['auth'] | undefined
    const authenticator = contextAuthenticator(ctx, result)
    if (authenticator === undefined) {
      return Promise.reject(new Error(
        'scopeguard: requireScopes() ran on a request that auth() did not let through (ctx.state.auth is not its result); ' +
          'add app.use(auth({...})) before this route, or guard the route with the one-middleware form ' +
          'authenticate.requireScopes(...) (authenticate = auth({...})), and do not replace ctx.state.auth.',
      ))
    }
    return authorizeThenContinue(authenticator, ctx, next, result, requirement)
  }, requirement)
}
