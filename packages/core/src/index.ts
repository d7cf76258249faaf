export { createAuthenticator } from './authenticator.js'
export type { Authenticator } from './authenticator.js'
export { authenticatorOf } from './result-owner.js'
export type { AccessTokenClaims, AuthResult } from './auth-result.js'
export { authorizationLines, bearerRequestFromNode } from './bearer-request.js'
export type { BearerRequest, NodeRequestLike } from './bearer-request.js'
export { buildChallenge } from './challenge.js'
export type { ChallengeParams } from './challenge.js'
export { AUTH_ERRORS, createAuthError, errorBody, isAuthError } from './errors.js'
export type { AuthError, AuthErrorCode, BearerErrorCode } from './errors.js'
export type { TokenLocation } from './extract-bearer-token.js'
export { IssuerFetchError } from './fetch-json.js'
export { IssuerMetadataError, metadataUrls } from './discovery.js'
export { KeysUnavailableError } from './key-source.js'
export type { CustomKey, GetKey, LocalKey } from './key-source.js'
export type { KeySourceEvent, KeySourceEventHandler } from './key-source-event.js'
export { DEFAULT_ALGORITHMS, HMAC_ALGORITHMS } from './options.js'
export type { AuthOptions, ClaimCheck, ResolvedOptions } from './options.js'
export { readGrantedScopes } from './granted-scopes.js'
export { allOf, anyOf, compileRequirement } from './requirement.js'
export type { AllOfRequirement, AnyOfRequirement, CompiledRequirement, ScopeRequirement } from './requirement.js'
export { isScopeToken } from './scope-token.js'
export {
  attachMetadataEndpoint,
  buildProtectedResourceMetadata,
  checkResourceIdentifier,
  PROTECTED_RESOURCE_METADATA_PATH,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata.js'
export type {
  ProtectedResourceMetadata,
  ProtectedResourceMetadataEndpoint,
  ProtectedResourceMetadataSource,
  ResolvedResourceMetadata,
  ResourceMetadataOptions,
} from './protected-resource-metadata.js'
export { defineScopeCatalogue, isScopeCatalogue } from './scope-catalogue.js'
export type { ScopeCatalogue, ScopeCatalogueDefinition, ScopeDefinition, ScopeNames, ScopeRequirementOf } from './scope-catalogue.js'
export { groupScopesByResource, parseScopeName } from './scope-groups.js'
export type { ParsedScopeName, ScopeEntry, ScopeGroup } from './scope-groups.js'
export { buildOpenApiSecurity, openApiPath } from './scope-openapi.js'
export type {
  OpenApiOAuthFlows,
  OpenApiOAuthFlowsWithScopes,
  OpenApiOptions,
  OpenApiSecurity,
  OpenApiSecurityRequirement,
} from './scope-openapi.js'
export { combineRequirements, joinRoutePath, prefixCovers, REQUIREMENT, requirementOf, routeMethods, tagRequirement } from './route-requirement.js'
export type { RouteRequirement } from './route-requirement.js'
