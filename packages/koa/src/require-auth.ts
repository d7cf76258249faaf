import type { AuthResult } from '@scopeguard/core'
import { requiredAuthResult } from '@scopeguard/core/adapter'
import type { Context } from 'koa'

/**
 * `ctx.state.auth` on a route guarded by `requireScopes()`, typed as present: a request
 * without a verified token never reaches such a handler. Throws an `Error` (a 500) when there
 * is none, which means the route is not guarded as the handler assumes.
 *
 * @example
 * router.get('/appointments', requireScopes('read:appointments'), (ctx) => {
 *   ctx.body = { user: requireAuth(ctx).claims.sub }
 * })
 */
export function requireAuth(ctx: Pick<Context, 'state'>): AuthResult {
  return requiredAuthResult(ctx.state.auth as AuthResult | undefined, 'ctx.state.auth', 'requireAuth(ctx)')
}
