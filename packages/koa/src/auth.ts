import {
  attachMetadataEndpoint,
  authenticatorOf,
  authorizationLines,
  bearerRequestFromNode,
  createAuthenticator,
  errorBody,
  isAuthError,
  tagRequirement,
  type AuthError,
  type Authenticator,
  type AuthOptions,
  type AuthResult,
  type CompiledRequirement,
  type ScopeCatalogue,
  type ScopeRequirementOf,
} from '@scopeguard/core'
import type { Context, Middleware, Next } from 'koa'

// Marks a context that auth() let through without a token (optional mode), so that
// requireScopes() can answer it with this authenticator's 401. Authenticated requests need no
// mark: `ctx.state.auth` leads back to the authenticator (see `authenticatorOf`).
const ANONYMOUS = Symbol.for('scopeguard.koa.anonymous')

type AnonymousContext = Context & { [ANONYMOUS]?: Authenticator }

/** Options of the Koa `auth()` middleware; see `AuthOptions` in `@scopeguard/core`. */
export type KoaAuthOptions<S extends string = string> = AuthOptions & { scopes?: ScopeCatalogue<S> }

/** What `auth()` returns: the middleware, and route guards that authenticate with it. */
export interface KoaAuth<S extends string = string> extends Middleware {
  /**
   * One route middleware that authenticates the request with this `auth()` and then requires
   * the scopes, for routes that `app.use()` of this `auth()` does not cover (on a route behind
   * it, only the scopes are checked). It answers as `auth()` followed by `requireScopes()`
   * would, costs one middleware instead of two, and leaves the other routes public. With
   * `auth({ scopes: catalogue })` the scopes must be the catalogue's (a typo fails at
   * start-up) and a scope implying a required one satisfies it, as with `defineScopes()`.
   *
   * @example
   * const authenticate = auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' })
   * router.get('/appointments', authenticate.requireScopes('read:appointments'), list)
   * router.get('/health', health) // public
   */
  requireScopes(...requirements: ScopeRequirementOf<S>[]): Middleware
  /**
   * A middleware that answers `GET` / `HEAD` (and the CORS preflight) of the RFC 9728 metadata document (built from
   * the `resourceMetadata` option) and passes every other request on, without
   * authenticating. `app.use()` of this `auth()` serves the document already; an app that
   * guards its routes one by one with `requireScopes()` mounts this instead, or the
   * `resource_metadata` its challenges name would be a 404. Reading it from an `auth()`
   * without `resourceMetadata` throws a TypeError.
   *
   * @example
   * const authenticate = auth({ issuer, audience, resourceMetadata: { resource: 'https://api.example.com/calendar' } })
   * app.use(authenticate.metadataEndpoint)
   * router.get('/appointments', authenticate.requireScopes('read:appointments'), list)
   */
  readonly metadataEndpoint: Middleware
}

/**
 * Verifies the request's bearer token and sets `ctx.state.auth`. Failures are answered per
 * RFC 6750 §3 (or thrown, for the app's error handling, with `handleErrors: false`). All
 * options are checked here, so a misconfiguration throws at start-up. With
 * `resourceMetadata`, it also answers `GET` / `HEAD` / `OPTIONS` on the RFC 9728 metadata path, so use
 * it with `app.use()`, not inside a router.
 *
 * @example
 * app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
 */
export function auth<S extends string = string>(options: KoaAuthOptions<S>): KoaAuth<S> {
  const authenticator = createAuthenticator(options)
  const { acceptBodyToken } = authenticator.options
  const metadata = authenticator.resourceMetadata

  // Not async functions: a cache hit hands back next()'s own promise, with no promise of
  // ours around it and no extra turns of the microtask queue (koa-compose takes any value).

  /** Authenticates, sets `ctx.state.auth`, then checks `requirement` (when given) and calls `next()`, or answers the failure. */
  function authenticate(ctx: Context, next: Next, requirement: CompiledRequirement | undefined): Promise<void> | undefined {
    // A reused token comes straight from the cache: no request object, no awaited promise.
    const cached = authenticator.cachedResult(authorizationLines(ctx.req.rawHeaders))
    if (cached !== undefined) {
      ctx.state.auth = cached
      return authorizeThenContinue(authenticator, ctx, next, cached, requirement)
    }
    return authenticateThenContinue(ctx, next, requirement)
  }

  async function authenticateThenContinue(ctx: Context, next: Next, requirement: CompiledRequirement | undefined): Promise<void> {
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
    await authorizeThenContinue(authenticator, ctx, next, result, requirement)
  }

  /** Answers the request if it asks for the RFC 9728 metadata; says whether it did. */
  function answeredMetadata(ctx: Context): boolean {
    // RFC 9728 §3: the metadata is public, so it is answered before authenticating.
    // `originalUrl`: the path as received, even if a mount rewrote `ctx.path`.
    if (metadata === undefined || !metadata.matches(ctx.method, ctx.originalUrl)) return false
    if (ctx.method === 'OPTIONS') {
      // The CORS preflight: 204, no body.
      ctx.status = 204
      ctx.set(metadata.preflightHeaders)
      return true
    }
    ctx.status = 200
    // Headers first: Koa keeps a Content-Type that is already set when the body is a string.
    ctx.set(metadata.headers)
    ctx.body = metadata.body
    return true
  }

  const middleware = function scopeguardAuth(ctx: Context, next: Next): Promise<void> | undefined {
    return answeredMetadata(ctx) ? undefined : authenticate(ctx, next, undefined)
  }

  const metadataEndpoint = function scopeguardMetadataEndpoint(ctx: Context, next: Next): Promise<void> | undefined {
    return answeredMetadata(ctx) ? undefined : next()
  }

  function requireScopes(...requirements: ScopeRequirementOf<S>[]): Middleware {
    const requirement = authenticator.compile(requirements)
    return tagRequirement(function scopeguardRequireScopes(ctx: Context, next: Next): Promise<void> | undefined {
      const result = ctx.state.auth as AuthResult | undefined
      // Behind app.use() of this same auth() the request is authenticated already.
      if (contextAuthenticator(ctx, result) === authenticator) return authorizeThenContinue(authenticator, ctx, next, result, requirement)
      return authenticate(ctx, next, requirement)
    }, requirement)
  }

  return attachMetadataEndpoint(Object.assign(middleware, { requireScopes }), metadataEndpoint, metadata)
}

/** The authenticator of the `auth()` that let this request through, if any. */
export function contextAuthenticator(ctx: Context, result: unknown): Authenticator | undefined {
  return authenticatorOf(result) ?? (ctx as AnonymousContext)[ANONYMOUS]
}

/**
 * Checks `requirement` (none: nothing to check) and hands back `next()`'s promise, or answers
 * the failure. Failures the app handles (`handleErrors: false`) come out as rejections, as
 * from an async function.
 */
export function authorizeThenContinue(
  authenticator: Authenticator,
  ctx: Context,
  next: Next,
  result: AuthResult | undefined,
  requirement: CompiledRequirement | undefined,
): Promise<void> | undefined {
  if (requirement !== undefined) {
    try {
      authenticator.authorize(result, requirement)
    } catch (err) {
      try {
        fail(authenticator, ctx, err)
      } catch (unhandled) {
        return Promise.reject(unhandled as Error)
      }
      return undefined
    }
  }
  return next()
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
