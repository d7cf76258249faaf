import { isAuthError, type AuthError } from '@scopeguard/core'
import { CONTINUE, errorBody, type Decision } from '@scopeguard/core/adapter'
import type { Context, Next } from 'hono'
import type { StatusCode } from 'hono/utils/http-status'

/**
 * Carries out the kit's decision on Hono: hand back `next()`'s own promise, answer with
 * `c.newResponse()` (so headers an earlier middleware set with `c.header()`, CORS say, are kept), or
 * reject with the error, which Hono hands to `app.onError`.
 */
export function act(decision: Decision | Promise<Decision>, c: Context, next: Next): Promise<Response | void> {
  if (decision === CONTINUE) return next()
  // The kit's promises never reject: failures arrive as decisions.
  if (decision instanceof Promise) return decision.then((settled) => act(settled, c, next))
  if (decision.kind === 'error') return Promise.reject(handedOn(decision.error))
  if (decision.kind === 'continue') {
    const { headers } = decision
    if (headers === undefined) return next()
    // Set once the route has answered, unless it set the header itself: a header set before
    // next() would be lost when a handler returns a `new Response()` of its own.
    return next().then(() => {
      for (const [name, value] of Object.entries(headers)) if (!c.finalized || !c.res.headers.has(name)) c.header(name, value)
    })
  }
  return Promise.resolve(c.newResponse(decision.body ?? null, decision.status as StatusCode, decision.headers))
}

/**
 * An error on its way to `app.onError`. An `AuthError` gets a `getResponse()`, the method
 * Hono's default error handler answers with (it is what `HTTPException` has): without an
 * `app.onError`, a `handleErrors: false` app still answers RFC 6750 as `auth()` would have,
 * where Hono would otherwise log the error and answer 500. The error stays the `AuthError`
 * the other adapters hand on, so `isAuthError(err)`, `err.status`, `err.code` and
 * `err.headers` are there for `app.onError`.
 */
function handedOn(error: unknown): unknown {
  if (isAuthError(error) && !('getResponse' in error)) {
    Object.defineProperty(error, 'getResponse', { value: () => errorResponse(error), configurable: true, writable: true })
  }
  return error
}

/** The RFC 6750 answer to an `AuthError`, as `auth()` sends it with `handleErrors: true`. */
function errorResponse(error: AuthError): Response {
  const headers = { ...error.headers, 'Cache-Control': 'no-store', 'Content-Type': 'application/json; charset=utf-8' }
  return new Response(JSON.stringify(errorBody(error)), { status: error.status, headers })
}
