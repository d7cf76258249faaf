import {
  defineScopeCatalogue,
  type ScopeCatalogue,
  type ScopeCatalogueDefinition,
  type ScopeNames,
  type ScopeRequirementOf,
} from '@scopeguard/core'
import type { RequestHandler } from 'express'
import { requirementMiddleware } from './require-scopes.js'

/** A scope catalogue and the `requireScopes` bound to it. */
export interface ExpressScopes<S extends string> {
  /** The catalogue: pass it to `auth({ scopes })`, document it, build OpenAPI from it. */
  readonly catalogue: ScopeCatalogue<S>
  /**
   * `requireScopes()` limited to the catalogue's scopes: a typo is a compile error and, for
   * untyped callers, a start-up `TypeError` suggesting the declared scope. A required scope
   * is also satisfied by any scope that implies it; `req.auth.scopes` stays as the token says.
   */
  requireScopes(...requirements: ScopeRequirementOf<S>[]): RequestHandler
}

/**
 * Declares the API's scopes once, with descriptions and implications, checked now.
 *
 * @example
 * const { catalogue, requireScopes } = defineScopes({
 *   'read:appointments': 'Read your appointments',
 *   'write:appointments': { description: 'Create and change your appointments', implies: ['read:appointments'] },
 *   admin: { description: 'Full access', implies: '*' },
 * })
 * app.use(auth({ issuer, audience, scopes: catalogue, resourceMetadata: { resource } }))
 * app.get('/appointments', requireScopes('read:appointments'), list)
 */
export function defineScopes<const D extends ScopeCatalogueDefinition<D>>(definition: D): ExpressScopes<ScopeNames<D>> {
  const catalogue = defineScopeCatalogue(definition, 'defineScopes()')
  return {
    catalogue,
    requireScopes: (...requirements) => requirementMiddleware(catalogue.compile(requirements, 'requireScopes()')),
  }
}
