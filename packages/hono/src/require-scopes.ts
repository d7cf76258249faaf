import type { ScopeRequirement } from '@scopeguard/core'
import { compileRequirement, createRequirementCheck, tagRequirement, type CompiledRequirement } from '@scopeguard/core/adapter'
import type { Context, Next } from 'hono'
import { act } from './act.js'
import type { ScopeGuard } from './auth.js'
import { honoBinding } from './hono-binding.js'

/**
 * Requires every given scope or requirement (all-of) of the token `auth()` verified; combine
 * with `anyOf` / `allOf` for alternatives, e.g. `requireScopes(anyOf('admin', allOf('read',
 * 'write')))`. Scopes are checked now, so a malformed scope fails at start-up. A token
 * without the scopes gets 403 `insufficient_scope` with the `scope` to request (RFC 6750
 * §3.1); a request without a token (possible with `auth({ optional: true })`) gets 401. A
 * request no `auth()` let through is a wiring mistake, thrown for `app.onError`.
 *
 * @example
 * app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
 * app.get('/appointments', requireScopes('read:appointments'), (c) => c.json({ user: c.get('auth').claims.sub }))
 */
export function requireScopes(...requirements: ScopeRequirement[]): ScopeGuard {
  return requirementMiddleware(compileRequirement(requirements, 'requireScopes()'))
}

const check = (requirement: CompiledRequirement) => createRequirementCheck(requirement, honoBinding)

/** The middleware checking a compiled requirement, tagged with it for `listRoutes()`. */
export function requirementMiddleware(requirement: CompiledRequirement): ScopeGuard {
  const decide = check(requirement)
  return tagRequirement(function scopeguardRequireScopes(c: Context, next: Next): Promise<Response | void> {
    return act(decide(c), c, next)
  }, requirement)
}
