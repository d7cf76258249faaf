import './augment.js'

export { auth } from './auth.js'
export type { FastifyAuth, FastifyAuthOptions, FastifyAuthPluginOptions } from './auth.js'
export type { FastifyAuthHook } from './act.js'
export { requireScopes } from './require-scopes.js'
export { requireAuth } from './require-auth.js'
export { defineScopes } from './define-scopes.js'
export type { FastifyScopes } from './define-scopes.js'
export { listRoutes } from './list-routes.js'
export { allOf, anyOf, isAuthError } from '@scopeguard/core'
export type {
  AccessTokenClaims,
  AuthError,
  AuthErrorCode,
  AuthOptions,
  AuthResult,
  OpenApiOptions,
  OpenApiSecurity,
  ProtectedResourceMetadata,
  ResourceMetadataOptions,
  RouteRequirement,
  ScopeCatalogue,
  ScopeGroup,
  ScopeRequirement,
  ScopeRequirementOf,
} from '@scopeguard/core'
