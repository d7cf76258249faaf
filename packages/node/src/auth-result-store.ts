import type { IncomingMessage } from 'node:http'
import type { AuthResult } from '@scopeguard/core'

// Each request's result lives in a WeakMap keyed by the request, not in a property of it:
// every request Node makes has the same hidden class until someone adds a property, which
// would cost V8 a transition per request and leave the type of `IncomingMessage` claiming an
// `auth` for requests nothing authenticated. Entries go when their requests do.
//
// Process-wide (a registry symbol on `globalThis`), as the core's own registries are: an app
// can load this package twice (its ESM and its CommonJS build, or two versions), and
// `authOf()` from one copy must still find what `auth()` from the other stored.
const STORE = Symbol.for('scopeguard.node.results.v1')
const holder = globalThis as { [STORE]?: WeakMap<object, AuthResult> }
const results = (holder[STORE] ??= new WeakMap<object, AuthResult>())

/** Reads the stored result; the binding's `readResult`. */
export function readResult(req: object): AuthResult | undefined {
  return results.get(req)
}

/** Stores the result; the binding's `writeResult`. */
export function writeResult(req: object, result: unknown): void {
  if (result === undefined) results.delete(req)
  else results.set(req, result as AuthResult)
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
  return results.get(req)
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
  const result = results.get(req)
  if (result !== undefined) return result
  throw new Error(
    'scopeguard: requireAuth(req) found no verified token for this request. Guard its route with auth() and ' +
      'requireScopes(), authenticate.requireScopes() or authenticate.protect() of @scopeguard/node; a request ' +
      'auth({ optional: true }) let through anonymously has none (read authOf(req) there instead).',
  )
}
