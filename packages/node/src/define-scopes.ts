import type { ScopeCatalogueDefinition, ScopeNames } from '@scopeguard/core'
import { defineScopesWith, type CatalogueScopes } from '@scopeguard/core/adapter'
import type { NodeMiddleware } from './middleware.js'
import { requirementMiddleware } from './require-scopes.js'

/** A scope catalogue and the connect-style `requireScopes` bound to it. */
export type NodeScopes<S extends string> = CatalogueScopes<S, NodeMiddleware>

/**
 * Declares the API's scopes once, with descriptions and implications, checked now. Give the
 * catalogue to `auth({ scopes })`: its `requireScopes()` and `protect()` then take only the
 * catalogue's scopes, and a scope implying a required one satisfies it.
 *
 * @example
 * const { catalogue, requireScopes } = defineScopes({
 *   'read:files': 'Read your files',
 *   'write:files': { description: 'Create and change your files', implies: ['read:files'] },
 *   admin: { description: 'Full access', implies: '*' },
 * })
 * const authenticate = auth({ issuer, audience, scopes: catalogue })
 * createServer(authenticate.protect(['read:files'], listFiles))
 */
export function defineScopes<const D extends ScopeCatalogueDefinition<D>>(definition: D): NodeScopes<ScopeNames<D>> {
  return defineScopesWith(definition, requirementMiddleware)
}
