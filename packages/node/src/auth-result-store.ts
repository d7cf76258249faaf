import type { IncomingMessage } from 'node:http'
import type { AuthResult } from '@scopeguard/core'

// Each request's result lives in a property under a registry symbol. Every request Node makes
// starts with the same hidden class, and adding the same property to each follows the same
// transition, which V8 caches: a store of a few instructions. A WeakMap entry instead costs
// about 1 300 instructions a request by callgrind, most of it the garbage collector's work on
// weak entries, a third of scopeguard's whole cost on a cached token. A symbol keeps the
// property out of `IncomingMessage`'s type, of `JSON.stringify` and of `for…in`.
//
// A registry symbol (`Symbol.for`), as the core's own registries are process-wide: an app can
// load this package twice (its ESM and its CommonJS build, or two versions), and `authOf()`
// from one copy must still find what `auth()` from the other stored.
const RESULT = Symbol.for('scopeguard.node.result.v1')

type Holder = { [RESULT]?: AuthResult | undefined }

/** Reads the stored result; the binding's `readResult`. */
export function readResult(req: object): AuthResult | undefined {
  return (req as Holder)[RESULT]
}

/** Stores the result; the binding's `writeResult`. */
export function writeResult(req: object, result: unknown): void {
  ;(req as Holder)[RESULT] = result as AuthResult | undefined
}

/**
 * The verified access token of a request that `auth()`, `authenticate.requireScopes()` or
 * `protect()` let through: `token`, `location`, `header`, `claims` and `scopes`. `undefined`
 * for a request none of them authenticated, or an anonymous one with `auth({ optional: true })`.
 *
 * @example
 * const result = authOf(req)
 * res.end(result === undefined ? 'hello, stranger' : `hello, ${result.claims.sub}`)
 */
export function authOf(req: IncomingMessage): AuthResult | undefined {
  return readResult(req)
}

/**
 * The verified access token of a request, for handlers behind `requireScopes()` or a
 * `protect()` with scopes, where a request without one never arrives. Throws an `Error` (a
 * 500, not a 401: it means the route is not guarded as its handler assumes) when there is none.
 *
 * @example
 * const { claims, scopes } = requireAuth(req)
 */
export function requireAuth(req: IncomingMessage): AuthResult {
  const result = readResult(req)
  if (result !== undefined) return result
  throw new Error(
    'scopeguard: requireAuth(req) found no verified token for this request. Guard its route with auth() and ' +
      'requireScopes(), authenticate.requireScopes() or authenticate.protect() of @scopeguard/node; a request ' +
      'auth({ optional: true }) let through anonymously has none (read authOf(req) there instead).',
  )
}
