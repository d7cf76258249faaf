import './augment.js'

export { auth } from './auth.js'
export type { KoaAuthOptions } from './auth.js'
export { requireScopes } from './require-scopes.js'
export { allOf, anyOf, isAuthError } from '@scopeguard/core'
export type {
  AccessTokenClaims,
  AuthError,
  AuthErrorCode,
  AuthOptions,
  AuthResult,
  ScopeRequirement,
} from '@scopeguard/core'
