import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * What a connect-style middleware calls to go on: with no argument, the next handler runs;
 * with an error, the app's error handlers do (connect, polka, router, Express). The error is
 * always an `Error`: an `AuthError` with `handleErrors: false`, or a wiring mistake.
 */
export type NextFunction = (err?: Error) => void

/**
 * A connect-style middleware, `(req, res, next) => void`: what `app.use()` takes in connect,
 * polka, router and Express. It answers the request itself (the RFC 6750 challenge, the
 * RFC 9728 metadata document) or calls `next()`.
 */
export interface NodeMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: NextFunction): void
}

/**
 * Where a `protect()` listener hands a failure it does not answer itself: every
 * authentication failure with `handleErrors: false` (an `AuthError`: narrow it with
 * `isAuthError(err)` and read `status`, `code`, `headers`), and anything unexpected. It must
 * answer the request.
 */
export type ErrorListener = (err: Error, req: IncomingMessage, res: ServerResponse) => void
