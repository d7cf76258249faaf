import type { AuthOptions, ScopeCatalogue, ScopeRequirementOf } from '@scopeguard/core'
import { attachMetadataEndpoint, createAdapterKit, tagRequirement } from '@scopeguard/core/adapter'
import type { Context, Middleware, Next } from 'koa'
import { act } from './act.js'
import { koaBinding } from './koa-binding.js'

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
   * A middleware that answers `GET` / `HEAD` (and the CORS preflight) of the RFC 9728
   * metadata document (built from the `resourceMetadata` option) and passes every other
   * request on, without authenticating. `app.use()` of this `auth()` serves the document
   * already; an app that guards its routes one by one with `requireScopes()` mounts this
   * instead, or the `resource_metadata` its challenges name would be a 404. Reading it from
   * an `auth()` without `resourceMetadata` throws a TypeError.
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
 * `resourceMetadata`, it also answers `GET` / `HEAD` / `OPTIONS` on the RFC 9728 metadata
 * path, so use it with `app.use()`, not inside a router.
 *
 * @example
 * app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
 */
export function auth<S extends string = string>(options: KoaAuthOptions<S>): KoaAuth<S> {
  const kit = createAdapterKit(options, koaBinding)

  // Not async functions: a cache hit hands back next()'s own promise, with no promise of
  // ours around it and no extra turns of the microtask queue (koa-compose takes any value).
  const middleware = function scopeguardAuth(ctx: Context, next: Next): Promise<void> | undefined {
    return act(kit.middleware(ctx), ctx, next)
  }

  function requireScopes(...requirements: ScopeRequirementOf<S>[]): Middleware {
    const guard = kit.routeGuard(requirements)
    return tagRequirement(function scopeguardRequireScopes(ctx: Context, next: Next): Promise<void> | undefined {
      return act(guard(ctx), ctx, next)
    }, guard.requirement)
  }

  const metadataEndpoint = function scopeguardMetadataEndpoint(ctx: Context, next: Next): Promise<void> | undefined {
    return act(kit.metadata(ctx), ctx, next)
  }

  return attachMetadataEndpoint(Object.assign(middleware, { requireScopes }), metadataEndpoint, kit.authenticator.resourceMetadata)
}
