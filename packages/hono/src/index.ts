import './augment.js'

export { auth } from './auth.js'
export type { HonoAuth, HonoAuthOptions, ScopeGuard } from './auth.js'
export type { ProtectedHandler } from './protected-handler.js'
export type { AuthenticatedEnv, AuthVariables, ScopeguardEnv } from './augment.js'
export { requireScopes } from './require-scopes.js'
export { defineScopes } from './define-scopes.js'
export type { HonoScopes } from './define-scopes.js'
export { listRoutes } from './list-routes.js'
export type { RouteEntry, RoutesLike } from './list-routes.js'
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
