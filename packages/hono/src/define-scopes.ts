import type { ScopeCatalogueDefinition, ScopeNames } from '@scopeguard/core'
import { defineScopesWith, type CatalogueScopes } from '@scopeguard/core/adapter'
import type { ScopeGuard } from './auth.js'
import { requirementMiddleware } from './require-scopes.js'

/** A scope catalogue and the `requireScopes` bound to it. */
export type HonoScopes<S extends string> = CatalogueScopes<S, ScopeGuard>

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
export function defineScopes<const D extends ScopeCatalogueDefinition<D>>(definition: D): HonoScopes<ScopeNames<D>> {
  return defineScopesWith(definition, requirementMiddleware)
}
