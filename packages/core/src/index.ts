// @scopeguard/core: what applications and their tests use. Framework adapters are built from
// `@scopeguard/core/adapter`.

// The engine, for servers without a framework adapter.
export { createAuthenticator } from './authenticator/authenticator.js'
export type { Authenticator } from './authenticator/authenticator.js'
export { bearerRequestFromNode } from './request/bearer-request.js'
export type { BearerRequest } from './request/bearer-request.js'

// Options.
export { DEFAULT_ALGORITHMS, HMAC_ALGORITHMS } from './options/options.js'
export type { AuthOptions, DpopOptions, MtlsOptions } from './options/options.js'
export type { ClaimCheck } from './token/claim-check.js'
export type { CustomKey, GetKey, LocalKey } from './keys/key-source.js'
export type { KeySourceEvent, KeySourceEventHandler } from './keys/key-source-event.js'
export type { ResourceMetadataOptions, ProtectedResourceMetadata } from './metadata/protected-resource-metadata.js'

// Shared state: stores the instances of an API share (see @scopeguard/redis).
export type { ReplayStore } from './sender/replay-store.js'
export type { SharedCache } from './introspection/shared-cache.js'

// What a verified request carries.
export type { AccessTokenClaims, AuthResult, TokenBinding } from './token/auth-result.js'
export type { TokenLocation, TokenScheme } from './request/extract-bearer-token.js'

// Errors.
export { AUTH_ERRORS, isAuthError } from './errors/errors.js'
export type { AuthError, AuthErrorCode, BearerErrorCode } from './errors/errors.js'
export { IssuerFetchError } from './lib/fetch-json.js'
export { IssuerMetadataError } from './keys/discovery.js'
export { KeysUnavailableError } from './keys/key-source.js'

// Scope requirements and the scope catalogue.
export { allOf, anyOf } from './scopes/requirement.js'
export type { AllOfRequirement, AnyOfRequirement, ScopeRequirement } from './scopes/requirement.js'
export { defineScopeCatalogue } from './scopes/scope-catalogue.js'
export type { ScopeCatalogue, ScopeCatalogueDefinition, ScopeDefinition, ScopeNames, ScopeRequirementOf } from './scopes/scope-catalogue.js'
export type { ParsedScopeName, ScopeEntry, ScopeGroup } from './scopes/scope-groups.js'
export type {
  OpenApiOAuthFlows,
  OpenApiOAuthFlowsWithScopes,
  OpenApiOptions,
  OpenApiSecurity,
  OpenApiSecurityRequirement,
} from './scopes/scope-openapi.js'
export type { RouteRequirement } from './scopes/route-requirement.js'
