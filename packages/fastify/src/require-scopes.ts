import type { ScopeRequirement } from '@scopeguard/core'
import { compileRequirement, createRequirementCheck, tagRequirement, type CompiledRequirement } from '@scopeguard/core/adapter'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { act, type FastifyAuthHook } from './act.js'
import { fastifyBinding } from './fastify-binding.js'

/**
 * Requires every given scope or requirement (all-of); combine with `anyOf` / `allOf` for
 * alternatives, e.g. `requireScopes(anyOf('admin', allOf('read', 'write')))`. A hook that
 * checks what the registered `auth()` plugin stored: use it as the route's `preHandler`
 * (`{ preHandler: requireScopes('read:appointments') }`), which runs after the plugin's hook
 * whichever hook that is. Scopes are checked now, so a malformed scope fails at start-up. A
 * token without the scopes gets 403 `insufficient_scope` with the `scope` to request
 * (RFC 6750 §3.1); a request without a token (possible with `auth({ optional: true })`) gets 401.
 */
export function requireScopes(...requirements: ScopeRequirement[]): FastifyAuthHook {
  return requirementHook(compileRequirement(requirements, 'requireScopes()'))
}

export function requirementHook(requirement: CompiledRequirement): FastifyAuthHook {
  const check = createRequirementCheck(requirement, fastifyBinding)
  return tagRequirement(function scopeguardRequireScopes(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    act(check(request), reply, done)
  }, requirement)
}
