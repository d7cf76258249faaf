import {
  authenticatorOf,
  authorizationLines,
  bearerRequestFromNode,
  createAuthenticator,
  errorBody,
  isAuthError,
  type AuthError,
  type Authenticator,
  type AuthOptions,
} from '@scopeguard/core'
import type { Context, Middleware, Next } from 'koa'

// Marks a context that auth() let through without a token (optional mode), so that
// requireScopes() can answer it with this authenticator's 401. Authenticated requests need no
// mark: `ctx.state.auth` leads back to the authenticator (see `authenticatorOf`).
const ANONYMOUS = Symbol.for('scopeguard.koa.anonymous')

type AnonymousContext = Context & { [ANONYMOUS]?: Authenticator }

/** Options of the Koa `auth()` middleware; see `AuthOptions` in `@scopeguard/core`. */
export type KoaAuthOptions = AuthOptions

/**
 * Verifies the request's bearer token and sets `ctx.state.auth`. Failures are answered per
 * RFC 6750 §3 (or thrown, for the app's error handling, with `handleErrors: false`). All
 * options are checked here, so a misconfiguration throws at start-up. With
 * `resourceMetadata`, it also answers `GET` / `HEAD` on the RFC 9728 metadata path, so use
 * it with `app.use()`, not inside a router.
 *
 * @example
 * app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
 */
export function auth(options: KoaAuthOptions): Middleware {
  const authenticator = createAuthenticator(options)
  const { acceptBodyToken } = authenticator.options
  const metadata = authenticator.resourceMetadata
  // Not an async function: a cache hit hands back next()'s own promise, with no promise
  // of ours around it and no extra turns of the microtask queue (koa-compose takes any value).
  return function scopeguardAuth(ctx: Context, next: Next): Promise<void> | undefined {
    // RFC 9728 §3: the metadata is public, so it is answered before authenticating.
    // `originalUrl`: the path as received, even if a mount rewrote `ctx.path`.
    if (metadata !== undefined && metadata.matches(ctx.method, ctx.originalUrl)) {
      ctx.status = 200
      // Headers first: Koa keeps a Content-Type that is already set when the body is a string.
      ctx.set(metadata.headers)
      ctx.body = metadata.body
      return undefined
    }
    // A reused token comes straight from the cache: no request object, no awaited promise.
    const cached = authenticator.cachedResult(authorizationLines(ctx.req.rawHeaders))
    if (cached !== undefined) {
      ctx.state.auth = cached
      return next()
    }
    return authenticateThenContinue(ctx, next)
  }

  async function authenticateThenContinue(ctx: Context, next: Next): Promise<void> {
    const body = acceptBodyToken ? (ctx.request as { body?: unknown }).body : undefined
    let result
    try {
      result = await authenticator.authenticate(bearerRequestFromNode(ctx.req, body))
    } catch (err) {
      fail(authenticator, ctx, err)
      return
    }
    if (result !== undefined) {
      ctx.state.auth = result
      // RFC 6750 §2.3: success responses to query-token requests SHOULD be marked private.
      if (result.location === 'query') ctx.set('Cache-Control', 'private')
    } else {
      ;(ctx as AnonymousContext)[ANONYMOUS] = authenticator
    }
    await next()
  }
}

/** The authenticator of the `auth()` that let this request through, if any. */
export function contextAuthenticator(ctx: Context, result: unknown): Authenticator | undefined {
  return authenticatorOf(result) ?? (ctx as AnonymousContext)[ANONYMOUS]
}

/**
 * Answers the failure (status, `WWW-Authenticate` or `Retry-After`, JSON body), or throws it
 * for the app's error handling when `handleErrors` is false. Koa's own handler honours the
 * error's `status`, `expose` and `headers`, so a thrown error needs nothing more.
 */
export function fail(authenticator: Authenticator | undefined, ctx: Context, err: unknown): void {
  if (!isAuthError(err) || authenticator?.options.handleErrors === false) throw err
  respond(ctx, err)
}

function respond(ctx: Context, err: AuthError): void {
  ctx.status = err.status
  ctx.set(err.headers)
  ctx.set('Cache-Control', 'no-store')
  ctx.body = errorBody(err)
}
