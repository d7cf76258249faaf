import {
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

const AUTHENTICATOR = Symbol.for('scopeguard.koa.authenticator')

type ContextWithAuthenticator = Context & { [AUTHENTICATOR]?: Authenticator }

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
  return async function scopeguardAuth(ctx: Context, next: Next): Promise<void> {
    // RFC 9728 §3: the metadata is public, so it is answered before authenticating.
    // `originalUrl`: the path as received, even if a mount rewrote `ctx.path`.
    if (metadata !== undefined && metadata.matches(ctx.method, ctx.originalUrl)) {
      ctx.status = 200
      // Headers first: Koa keeps a Content-Type that is already set when the body is a string.
      ctx.set(metadata.headers)
      ctx.body = metadata.body
      return
    }
    ;(ctx as ContextWithAuthenticator)[AUTHENTICATOR] = authenticator
    const body = acceptBodyToken ? (ctx.request as { body?: unknown }).body : undefined
    // A reused token comes straight from the cache: no request object, no awaited promise.
    let result = authenticator.cachedResult(authorizationLines(ctx.req.rawHeaders))
    if (result !== undefined) {
      ctx.state.auth = result
      return next()
    }
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
    }
    await next()
  }
}

/** The authenticator `auth()` attached to this context, if any. */
export function authenticatorOf(ctx: Context): Authenticator | undefined {
  return (ctx as ContextWithAuthenticator)[AUTHENTICATOR]
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
