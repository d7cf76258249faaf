import type { AuthOptions, ScopeCatalogue, ScopeRequirementOf } from '@scopeguard/core'
import { assembleAuth, createAdapterKit, tagRequirement, type AuthMiddlewareMembers } from '@scopeguard/core/adapter'
import type { Context, Middleware, Next } from 'koa'
import { act } from './act.js'
import { koaBinding } from './koa-binding.js'

/** Options of the Koa `auth()` middleware; see `AuthOptions` in `@scopeguard/core`. */
export type KoaAuthOptions<S extends string = string> = AuthOptions & { scopes?: ScopeCatalogue<S> }

/**
 * What `auth()` returns: the middleware, route guards that authenticate with it
 * (`router.get(path, authenticate.requireScopes(...), handler)`), and the RFC 9728
 * metadata endpoint for apps that guard routes one by one (`app.use(authenticate.metadataEndpoint)`).
 */
export interface KoaAuth<S extends string = string> extends Middleware, AuthMiddlewareMembers<Middleware, S> {}

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
  return assembleAuth(middleware, requireScopes, metadataEndpoint, kit.authenticator.resourceMetadata)
}
