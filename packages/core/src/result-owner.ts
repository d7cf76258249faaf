import type { AuthResult } from './auth-result.js'
import type { Authenticator } from './authenticator.js'

// Which authenticator produced a result. Adapters look it up from `req.auth` instead of
// storing the authenticator on every request: in Express 5 each request object gets a map
// of its own (its prototype is replaced per request), so every property added to it costs
// microseconds, about as much as the rest of a cache hit. A WeakMap entry per verified token
// costs nothing per request, and dies with the cached result.
const owners = new WeakMap<object, Authenticator>()

/** Records that `authenticator` produced `result`. */
export function recordOwner(result: AuthResult, authenticator: Authenticator): void {
  owners.set(result, authenticator)
}

/**
 * The authenticator that produced `result` (what `auth()` put on `req.auth` or
 * `ctx.state.auth`); `undefined` for anything else.
 */
export function authenticatorOf(result: unknown): Authenticator | undefined {
  return typeof result === 'object' && result !== null ? owners.get(result) : undefined
}
