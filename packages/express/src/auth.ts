import {
  authenticatorOf,
  authorizationLines,
  bearerRequestFromNode,
  createAuthenticator,
  isAuthError,
  type Authenticator,
  type AuthOptions,
} from '@scopeguard/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { createAuthAccessorInstaller } from './request-auth-accessor.js'
import { sendAuthError, sendResourceMetadata } from './respond.js'

// Requests that auth() let through without a token (optional mode), with the authenticator
// that did, so that requireScopes() can answer them with its 401. Authenticated requests need
// no entry: their `req.auth` leads back to the authenticator (see `authenticatorOf`). A
// WeakMap and not a mark on the request: see request-auth-accessor.ts for what adding a
// property to an Express request costs.
const anonymousRequests = new WeakMap<Request, Authenticator>()

/** Options of the Express `auth()` middleware; see `AuthOptions` in `@scopeguard/core`. */
export type ExpressAuthOptions = AuthOptions

/**
 * Verifies the request's bearer token and sets `req.auth`. Failures are answered per
 * RFC 6750 §3 (or passed to `next(err)` with `handleErrors: false`). All options are
 * checked here, so a misconfiguration throws at start-up. With `resourceMetadata`, it also
 * answers `GET` / `HEAD` on the RFC 9728 metadata path, so mount it at the app's root.
 *
 * @example
 * app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
 */
export function auth(options: ExpressAuthOptions): RequestHandler {
  const authenticator = createAuthenticator(options)
  const { acceptBodyToken } = authenticator.options
  const metadata = authenticator.resourceMetadata
  const installAuthAccessor = createAuthAccessorInstaller()
  return function scopeguardAuth(req: Request, res: Response, next: NextFunction): void {
    // RFC 9728 §3: the metadata is public, so it is answered before authenticating.
    // `originalUrl`, not `url`: the path as received, even where a mount rewrote `req.url`.
    if (metadata !== undefined && metadata.matches(req.method, req.originalUrl)) {
      sendResourceMetadata(res, metadata)
      return
    }
    installAuthAccessor(req)
    // A reused token comes straight from the cache: no request object, no promise.
    const cached = authenticator.cachedResult(authorizationLines(req.rawHeaders))
    if (cached !== undefined) {
      req.auth = cached
      next()
      return
    }
    authenticator.authenticate(bearerRequestFromNode(req, acceptBodyToken ? req.body : undefined)).then(
      (result) => {
        if (result !== undefined) {
          req.auth = result
          // RFC 6750 §2.3: success responses to query-token requests SHOULD be marked private.
          if (result.location === 'query') res.setHeader('Cache-Control', 'private')
        } else {
          anonymousRequests.set(req, authenticator)
        }
        next()
      },
      (err: unknown) => fail(authenticator, res, next, err),
    )
  }
}

/** The authenticator of the `auth()` that let this request through, if any. */
export function requestAuthenticator(req: Request, result: unknown): Authenticator | undefined {
  return authenticatorOf(result) ?? anonymousRequests.get(req)
}

/** Sends the error, or hands it to Express's error handling when `handleErrors` is false. */
export function fail(authenticator: Authenticator | undefined, res: Response, next: NextFunction, err: unknown): void {
  if (isAuthError(err) && authenticator?.options.handleErrors !== false) sendAuthError(res, err)
  else next(err)
}
