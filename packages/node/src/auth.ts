import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { AuthOptions, ScopeCatalogue, ScopeRequirementOf } from '@scopeguard/core'
import { assembleAuth, CONTINUE, createAdapterKit, tagRequirement, type AdapterKit, type AuthMiddlewareMembers } from '@scopeguard/core/adapter'
import { act, actThen } from './act.js'
import { answerError } from './answer-error.js'
import type { ErrorListener, NextFunction, NodeMiddleware } from './middleware.js'
import { nodeBinding } from './node-binding.js'

/** Options of the `node:http` `auth()`; see `AuthOptions` in `@scopeguard/core` for the others. */
export type NodeAuthOptions<S extends string = string> = AuthOptions & {
  scopes?: ScopeCatalogue<S>
  /**
   * Where `protect()` listeners hand the failures they do not answer themselves: every
   * failure with `handleErrors: false`, and anything unexpected. The middlewares hand theirs
   * to `next(err)` instead, as connect expects. Default: an answer from the error's
   * `status`, `headers` and, when it is safe to show (`expose`), its message, as Koa's
   * default handler gives; errors not safe to show are written to stderr.
   */
  onError?: ErrorListener
}

/**
 * What `auth()` returns: the connect-style middleware, route guards that authenticate with
 * it (`authenticate.requireScopes(...)`), the RFC 9728 metadata endpoint for apps that guard
 * routes one by one, and `protect()`, which puts it in front of a plain request listener.
 */
export interface NodeAuth<S extends string = string> extends NodeMiddleware, AuthMiddlewareMembers<NodeMiddleware, S> {
  /**
   * Wraps a request listener, for a bare `createServer()` or a route table: only requests
   * with a valid token reach `handler`, which reads it with `authOf(req)` / `requireAuth(req)`;
   * the others are answered per RFC 6750 §3 (or handed to `onError` with `handleErrors: false`).
   * With `resourceMetadata`, the listener also answers the RFC 9728 metadata document on its
   * path, so a server made of one `protect()` serves the URL its challenges name.
   *
   * @example
   * createServer(authenticate.protect((req, res) => res.end(`hello, ${requireAuth(req).claims.sub}`))).listen(3000)
   */
  protect(handler: RequestListener): RequestListener
  /**
   * Wraps a request listener and requires the scopes (all of them; combine with `anyOf` /
   * `allOf` for alternatives): a valid token without them gets 403 `insufficient_scope`.
   * Scopes are checked now (against the catalogue when `auth()` has one), so a typo fails at
   * start-up. Otherwise as `protect(handler)`.
   *
   * @example
   * const listFiles = authenticate.protect(['read:files'], (req, res) => res.end('[]'))
   */
  protect(requirements: readonly ScopeRequirementOf<S>[], handler: RequestListener): RequestListener
}

/**
 * Verifies the request's bearer token and stores the result, read with `authOf(req)`.
 * Failures are answered per RFC 6750 §3 (or passed to `next(err)` with
 * `handleErrors: false`). All options are checked here, so a misconfiguration throws at
 * start-up. With `resourceMetadata`, it also answers `GET` / `HEAD` / `OPTIONS` on the
 * RFC 9728 metadata path, so put it in front of everything. For a bare `createServer()`,
 * wrap the listener with `authenticate.protect()`.
 *
 * @example
 * const authenticate = auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/files' })
 * app.use(authenticate) // connect, polka, router
 * createServer(authenticate.protect(['read:files'], listFiles)) // plain node:http
 */
export function auth<S extends string = string>(options: NodeAuthOptions<S>): NodeAuth<S> {
  const { onError, kit } = createKit(options)
  const middleware = function scopeguardAuth(req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
    act(kit.middleware(req), res, next)
  }
  function requireScopes(...requirements: ScopeRequirementOf<S>[]): NodeMiddleware {
    const guard = kit.routeGuard(requirements)
    return tagRequirement(function scopeguardRequireScopes(req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
      act(guard(req), res, next)
    }, guard.requirement)
  }
  const metadataEndpoint = function scopeguardMetadataEndpoint(req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
    act(kit.metadata(req), res, next)
  }
  function protect(first: RequestListener | readonly ScopeRequirementOf<S>[], second?: RequestListener): RequestListener {
    const handler = typeof first === 'function' ? first : second
    if (typeof handler !== 'function' || (typeof first !== 'function' && !Array.isArray(first))) {
      throw new TypeError('scopeguard: protect() takes a request listener, protect(handler), or an array of scopes and one, protect([\'read:files\'], handler).')
    }
    if (typeof first === 'function') {
      // Metadata first, then authentication: the app-wide middleware in front of one listener.
      return function scopeguardProtect(req, res): void {
        actThen(kit.middleware(req), req, res, handler, onError)
      }
    }
    const guard = kit.routeGuard(first)
    const servesMetadata = kit.servesMetadata
    return function scopeguardProtect(req, res): void {
      // RFC 9728 §3: the document is public, so it is answered before the guard.
      const metadata = servesMetadata ? kit.metadata(req) : CONTINUE
      actThen(metadata === CONTINUE ? guard(req) : metadata, req, res, handler, onError)
    }
  }
  const assembled = assembleAuth(middleware, requireScopes, metadataEndpoint, kit.authenticator.resourceMetadata)
  return Object.defineProperty(assembled, 'protect', { value: protect, enumerable: true }) as NodeAuth<S>
}

/** Splits off `onError` (the core knows no such option) and builds the kit; both checked now. */
function createKit(options: NodeAuthOptions): { onError: ErrorListener; kit: AdapterKit<IncomingMessage> } {
  // Anything but an object goes to the core as it is, to be refused with the core's message.
  if (typeof options !== 'object' || options === null || !('onError' in options)) {
    return { onError: answerError, kit: createAdapterKit(options, nodeBinding) }
  }
  const { onError = answerError, ...authOptions } = options
  if (typeof onError !== 'function') {
    throw new TypeError('scopeguard: `onError` must be a function (err, req, res) => void that answers the request.')
  }
  return { onError, kit: createAdapterKit(authOptions, nodeBinding) }
}
