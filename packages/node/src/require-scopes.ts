import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ScopeRequirement } from '@scopeguard/core'
import { compileRequirement, createRequirementCheck, tagRequirement, type CompiledRequirement } from '@scopeguard/core/adapter'
import { act } from './act.js'
import type { NextFunction, NodeMiddleware } from './middleware.js'
import { nodeBinding } from './node-binding.js'

/**
 * A connect-style middleware requiring every given scope or requirement (all-of) of the
 * token `auth()` verified earlier in the chain; combine with `anyOf` / `allOf` for
 * alternatives, e.g. `requireScopes(anyOf('admin', allOf('read', 'write')))`. Scopes are
 * checked now, so a malformed scope fails at start-up. A token without the scopes gets 403
 * `insufficient_scope` with the `scope` to request (RFC 6750 §3.1); a request without a token
 * (possible with `auth({ optional: true })`) gets 401. A request no `auth()` let through is a
 * wiring mistake, passed to `next(err)`.
 *
 * @example
 * app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/files' }))
 * app.use('/files', requireScopes('read:files'), listFiles)
 */
export function requireScopes(...requirements: ScopeRequirement[]): NodeMiddleware {
  return requirementMiddleware(compileRequirement(requirements, 'requireScopes()'))
}

/** The middleware checking a compiled requirement, tagged with it for route listings. */
export function requirementMiddleware(requirement: CompiledRequirement): NodeMiddleware {
  const check = createRequirementCheck(requirement, nodeBinding)
  return tagRequirement(function scopeguardRequireScopes(req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
    act(check(req), res, next)
  }, requirement)
}
