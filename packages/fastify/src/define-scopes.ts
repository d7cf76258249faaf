import type { ScopeCatalogueDefinition, ScopeNames } from '@scopeguard/core'
import { defineScopesWith, type CatalogueScopes } from '@scopeguard/core/adapter'
import type { FastifyAuthHook } from './act.js'
import { requirementHook } from './require-scopes.js'

/** A scope catalogue and the `requireScopes` bound to it; its guards are Fastify hooks. */
export type FastifyScopes<S extends string> = CatalogueScopes<S, FastifyAuthHook>

/**
 * Declares the API's scopes once, with descriptions and implications, checked now.
 *
 * @example
 * const { catalogue, requireScopes } = defineScopes({
 *   'read:appointments': 'Read your appointments',
 *   'write:appointments': { description: 'Create and change your appointments', implies: ['read:appointments'] },
 *   admin: { description: 'Full access', implies: '*' },
 * })
 * await app.register(auth({ issuer, audience, scopes: catalogue, resourceMetadata: { resource } }))
 * app.get('/appointments', { preHandler: requireScopes('read:appointments') }, list)
 */
export function defineScopes<const D extends ScopeCatalogueDefinition<D>>(definition: D): FastifyScopes<ScopeNames<D>> {
  return defineScopesWith(definition, requirementHook)
}
