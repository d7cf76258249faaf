import type { ProtectedResourceMetadataEndpoint } from '../metadata/protected-resource-metadata.js'
import type { CompiledRequirement } from '../scopes/requirement.js'
import { defineScopeCatalogue, type ScopeCatalogue, type ScopeCatalogueDefinition, type ScopeNames, type ScopeRequirementOf } from '../scopes/scope-catalogue.js'

/**
 * What every adapter's `auth()` returns besides being its app-wide middleware (or plugin):
 * route guards of type `M` and a metadata endpoint of type `E` (a middleware of the same
 * framework, typed apart where the framework types them apart). Declared once here, so that
 * each framework's `auth()` says the same thing in the same words.
 */
export interface AuthMiddlewareMembers<M, S extends string = string, E = M> {
  /**
   * One route middleware that authenticates the request with this `auth()` and then requires
   * the scopes, for routes the app-wide `auth()` does not cover (on a route behind it, only
   * the scopes are checked). It answers as `auth()` followed by `requireScopes()` would,
   * costs one middleware instead of two, and leaves the other routes public. With
   * `auth({ scopes: catalogue })` the scopes must be the catalogue's (a typo fails at
   * start-up) and a scope implying a required one satisfies it, as with `defineScopes()`.
   *
   * @example
   * const authenticate = auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' })
   * app.get('/appointments', authenticate.requireScopes('read:appointments'), list)
   * app.get('/health', health) // public
   */
  requireScopes(...requirements: ScopeRequirementOf<S>[]): M
  /**
   * A middleware that answers `GET` / `HEAD` (and the CORS preflight) of the RFC 9728
   * metadata document (built from the `resourceMetadata` option) and passes every other
   * request on, without authenticating. The app-wide `auth()` serves the document already;
   * an app that guards its routes one by one mounts this instead, or the
   * `resource_metadata` its challenges name would be a 404. Reading it from an `auth()`
   * without `resourceMetadata` throws a `TypeError`.
   */
  readonly metadataEndpoint: E
}

/**
 * Joins an adapter's app-wide middleware (or plugin) `host`, its bound `requireScopes` and its
 * metadata endpoint into what `auth()` returns: `host` itself, with the two as members.
 */
export function assembleAuth<H extends object, M, S extends string, E = M>(
  host: H,
  requireScopes: (...requirements: ScopeRequirementOf<S>[]) => M,
  metadataEndpoint: E,
  metadata: ProtectedResourceMetadataEndpoint | undefined,
): H & AuthMiddlewareMembers<M, S, E> {
  return Object.defineProperties(host, {
    requireScopes: { value: requireScopes, enumerable: true },
    metadataEndpoint: {
      enumerable: true,
      get: () => {
        if (metadata !== undefined) return metadataEndpoint
        throw new TypeError(
          "auth(): metadataEndpoint serves the RFC 9728 document described by the resourceMetadata option, which this auth() was not given. " +
            "Add resourceMetadata: { resource: 'https://api.example.com/...' } to its options, or do not mount metadataEndpoint.",
        )
      },
    },
  }) as H & AuthMiddlewareMembers<M, S, E>
}

/** A scope catalogue and the `requireScopes` bound to it, as every adapter's `defineScopes()` returns them. */
export interface CatalogueScopes<S extends string, M> {
  /** The catalogue: pass it to `auth({ scopes })`, document it, build OpenAPI from it. */
  readonly catalogue: ScopeCatalogue<S>
  /**
   * `requireScopes()` limited to the catalogue's scopes: a typo is a compile error and, for
   * untyped callers, a start-up `TypeError` suggesting the declared scope. A required scope
   * is also satisfied by any scope that implies it; the granted scopes the request carries
   * stay as the token says.
   */
  requireScopes(...requirements: ScopeRequirementOf<S>[]): M
}

/** An adapter's `defineScopes()`: the catalogue, checked now, and guards made by `middlewareFor`. */
export function defineScopesWith<const D extends ScopeCatalogueDefinition<D>, M>(
  definition: D,
  middlewareFor: (requirement: CompiledRequirement) => M,
): CatalogueScopes<ScopeNames<D>, M> {
  const catalogue = defineScopeCatalogue(definition, 'defineScopes()')
  return { catalogue, requireScopes: (...requirements) => middlewareFor(catalogue.compile(requirements, 'requireScopes()')) }
}
