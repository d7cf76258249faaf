export { auth } from './auth.js'
export type { NodeAuth, NodeAuthOptions } from './auth.js'
export { requireScopes } from './require-scopes.js'
export { defineScopes } from './define-scopes.js'
export type { NodeScopes } from './define-scopes.js'
export { authOf, requireAuth } from './auth-result-store.js'
export type { ErrorListener, NextFunction, NodeMiddleware } from './middleware.js'
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
  ScopeCatalogue,
  ScopeGroup,
  ScopeRequirement,
  ScopeRequirementOf,
} from '@scopeguard/core'
