import {
  attachMetadataEndpoint,
  authenticatorOf,
  authorizationLines,
  bearerRequestFromNode,
  createAuthenticator,
  isAuthError,
  tagRequirement,
  type Authenticator,
  type AuthOptions,
  type AuthResult,
  type CompiledRequirement,
  type ScopeCatalogue,
  type ScopeRequirementOf,
} from '@scopeguard/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { createRequestAuthSlot } from './request-auth-accessor.js'
import { sendAuthError, sendResourceMetadata } from './respond.js'

// Requests that auth() let through without a token (optional mode), with the authenticator
// that did, so that requireScopes() can answer them with its 401. Authenticated requests need
// no entry: their `req.auth` leads back to the authenticator (see `authenticatorOf`). A
// WeakMap and not a mark on the request: see request-auth-accessor.ts for what adding a
// property to an Express request costs.
const anonymousRequests = new WeakMap<Request, Authenticator>()

/** Options of the Express `auth()` middleware; see `AuthOptions` in `@scopeguard/core`. */
export type ExpressAuthOptions<S extends string = string> = AuthOptions & { scopes?: ScopeCatalogue<S> }

/** What `auth()` returns: the middleware, and route guards that authenticate with it. */
export interface ExpressAuth<S extends string = string> extends RequestHandler {
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
   * app.get('/appointments', authenticate.requireScopes('read:appointments'), list)
   * app.get('/health', health) // public
   */
  requireScopes(...requirements: ScopeRequirementOf<S>[]): RequestHandler
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
   * app.use('/.well-known', authenticate.metadataEndpoint) // the prefix keeps other requests off it
   * app.get('/appointments', authenticate.requireScopes('read:appointments'), list)
   */
  readonly metadataEndpoint: RequestHandler
}

/**
 * Verifies the request's bearer token and sets `req.auth`. Failures are answered per
 * RFC 6750 §3 (or passed to `next(err)` with `handleErrors: false`). All options are
 * checked here, so a misconfiguration throws at start-up. With `resourceMetadata`, it also
 * answers `GET` / `HEAD` / `OPTIONS` on the RFC 9728 metadata path, so mount it at the app's root.
 *
 * @example
 * app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
 */
export function auth<S extends string = string>(options: ExpressAuthOptions<S>): ExpressAuth<S> {
  const authenticator = createAuthenticator(options)
  const { acceptBodyToken } = authenticator.options
  const metadata = authenticator.resourceMetadata
  const authSlot = createRequestAuthSlot()
  // Whether this auth() has run as middleware (app-wide, mostly): until it has, no request can
  // reach one of its route guards already authenticated by it, so the guards need not look.
  let middlewareHasRun = false

  /** Authenticates `req`, sets `req.auth`, then checks `requirement` (when given) and calls `next()`, or answers the failure. */
  function authenticate(req: Request, res: Response, next: NextFunction, requirement: CompiledRequirement | undefined): void {
    // A reused token comes straight from the cache: no request object, no promise.
    const cached = authenticator.cachedResult(authorizationLines(req.rawHeaders))
    if (cached !== undefined) {
      authSlot.write(req, cached)
      authorizeThenContinue(authenticator, cached, requirement, res, next)
      return
    }
    authenticator.authenticate(bearerRequestFromNode(req, acceptBodyToken ? req.body : undefined)).then(
      (result) => {
        if (result !== undefined) {
          authSlot.write(req, result)
          // RFC 6750 §2.3: success responses to query-token requests SHOULD be marked private.
          if (result.location === 'query') res.setHeader('Cache-Control', 'private')
        } else {
          anonymousRequests.set(req, authenticator)
        }
        authorizeThenContinue(authenticator, result, requirement, res, next)
      },
      (err: unknown) => fail(authenticator, res, next, err),
    )
  }

  /** Answers the request if it asks for the RFC 9728 metadata; says whether it did. */
  function answeredMetadata(req: Request, res: Response): boolean {
    // RFC 9728 §3: the metadata is public, so it is answered before authenticating.
    // `originalUrl`, not `url`: the path as received, even where a mount rewrote `req.url`.
    if (metadata === undefined || !metadata.matches(req.method, req.originalUrl)) return false
    sendResourceMetadata(res, metadata)
    return true
  }

  const middleware = function scopeguardAuth(req: Request, res: Response, next: NextFunction): void {
    if (answeredMetadata(req, res)) return
    middlewareHasRun = true
    authenticate(req, res, next, undefined)
  }

  function requireScopes(...requirements: ScopeRequirementOf<S>[]): RequestHandler {
    const requirement = authenticator.compile(requirements)
    return tagRequirement(function scopeguardRequireScopes(req: Request, res: Response, next: NextFunction): void {
      if (middlewareHasRun) {
        const result = authSlot.read(req) as AuthResult | undefined
        // Behind app.use() of this same auth() the request is authenticated already.
        if (requestAuthenticator(req, result) === authenticator) {
          authorizeThenContinue(authenticator, result, requirement, res, next)
          return
        }
      }
      authenticate(req, res, next, requirement)
    }, requirement)
  }

  const metadataEndpoint = function scopeguardMetadataEndpoint(req: Request, res: Response, next: NextFunction): void {
    if (!answeredMetadata(req, res)) next()
  }

  return attachMetadataEndpoint(Object.assign(middleware, { requireScopes }), metadataEndpoint, metadata)
}

/** The authenticator of the `auth()` that let this request through, if any. */
export function requestAuthenticator(req: Request, result: unknown): Authenticator | undefined {
  return authenticatorOf(result) ?? anonymousRequests.get(req)
}

/** Checks `requirement` (none: nothing to check) and calls `next()`, or answers the failure. */
export function authorizeThenContinue(
  authenticator: Authenticator,
  result: AuthResult | undefined,
  requirement: CompiledRequirement | undefined,
  res: Response,
  next: NextFunction,
): void {
  if (requirement !== undefined) {
    try {
      authenticator.authorize(result, requirement)
    } catch (err) {
      fail(authenticator, res, next, err)
      return
    }
  }
  next()
}

/** Sends the error, or hands it to Express's error handling when `handleErrors` is false. */
export function fail(authenticator: Authenticator | undefined, res: Response, next: NextFunction, err: unknown): void {
  if (isAuthError(err) && authenticator?.options.handleErrors !== false) sendAuthError(res, err)
  else next(err)
}
