import type { AuthResult } from '@scopeguard/core'
import { requiredAuthResult } from '@scopeguard/core/adapter'
import type { FastifyRequest } from 'fastify'

/**
 * `request.auth` on a route guarded by `requireScopes()`, typed as present: a request
 * without a verified token never reaches such a handler. Throws an `Error` (a 500) when there
 * is none, which means the route is not guarded as the handler assumes.
 *
 * @example
 * fastify.get('/appointments', { preHandler: requireScopes('read:appointments') }, async (request) => ({
 *   user: requireAuth(request).claims.sub,
 * }))
 */
export function requireAuth(request: FastifyRequest): AuthResult {
  return requiredAuthResult(request.auth, 'request.auth', 'requireAuth(request)')
}
