import type { AuthResult } from '@scopeguard/core'
import { requiredAuthResult } from '@scopeguard/core/adapter'
import type { Request } from 'express'

/**
 * `req.auth` on a route guarded by `requireScopes()`, typed as present: a request without a
 * verified token never reaches such a handler. Throws an `Error` (your error handler's 500)
 * when there is none, which means the route is not guarded as the handler assumes.
 *
 * @example
 * app.get('/appointments', requireScopes('read:appointments'), (req, res) => {
 *   res.json({ user: requireAuth(req).claims.sub })
 * })
 */
export function requireAuth(req: Request): AuthResult {
  return requiredAuthResult(req.auth, 'req.auth', 'requireAuth(req)')
}
