import { CONTINUE, processWide, type Decision } from '@scopeguard/core/adapter'
import type { Context, Handler } from 'hono'
import { act } from './act.js'
import type { AuthenticatedEnv } from './augment.js'

/**
 * A route handler behind `authenticate.protect()`: it runs only for a request with a verified
 * token granting the scopes, so `c.get('auth')` is the result.
 */
// The route's path is not known where the handler is wrapped, so `c.req.param(name)` is
// `string | undefined`; the input is `any`, as Hono's own `Handler` defaults to.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProtectedHandler = (c: Context<AuthenticatedEnv, string, any>) => Response | Promise<Response>

// The handlers protect() made, for listRoutes(): each is both a route's guard and its handler.
// Process-wide, as the requirement tags are: two copies of the package must agree.
const protectedHandlers = processWide('hono protected handlers', () => new WeakSet<object>())

/** Whether `handler` was made by `authenticate.protect()`. */
export function isProtectedHandler(handler: unknown): boolean {
  return typeof handler === 'function' && protectedHandlers.has(handler)
}

/**
 * The route handler `protect()` returns: the guard's decision, then the application's handler.
 * One handler on the route, so Hono answers it without composing middleware, and a cached
 * token is answered with the handler's own return value, nothing of ours around it.
 */
export function protectedHandler(guard: (c: Context) => Decision | Promise<Decision>, handler: ProtectedHandler): Handler {
  const answer = (c: Context): Response | Promise<Response> => handler(c as Context<AuthenticatedEnv>)
  const protect = function scopeguardProtect(c: Context): Response | Promise<Response> {
    const decision = guard(c)
    if (decision === CONTINUE) return answer(c)
    // Anything else goes the middleware's way, with the handler as `next`: its response becomes
    // `c.res`, so headers the decision adds (Cache-Control, DPoP-Nonce) are set on it.
    return act(decision, c, async () => {
      c.res = await answer(c)
    }).then((response) => response ?? c.res)
  }
  protectedHandlers.add(protect)
  return protect
}
