// @scopeguard/core/adapter: what a framework adapter is built from. Applications import the
// framework packages (@scopeguard/express, @scopeguard/koa) instead; docs/writing-an-adapter.md
// shows how the pieces fit.
export { createAdapterKit, createRequirementCheck } from './adapter-kit.js'
export type { AdapterKit, RouteGuard } from './adapter-kit.js'
export { CONTINUE } from './decision.js'
export type { ContinueDecision, Decision, ErrorDecision, ReplyDecision } from './decision.js'
export { headerValue, nodeAuthorization } from './request-binding.js'
export type { NodeRequestLike, RequestBinding } from './request-binding.js'
export { assembleAuth, defineScopesWith } from './framework-api.js'
export type { AuthMiddlewareMembers, CatalogueScopes } from './framework-api.js'
export { combineRequirements, joinRoutePath, prefixCovers, requirementOf, routeMethods, tagRequirement } from '../scopes/route-requirement.js'
export { compileRequirement } from '../scopes/requirement.js'
export type { CompiledRequirement } from '../scopes/requirement.js'
export { authenticatorOf } from '../authenticator/authenticator.js'
export type { ResolvedOptions } from '../options/options.js'
export type { ProtectedResourceMetadataEndpoint } from '../metadata/protected-resource-metadata.js'
export { createAuthError, errorBody } from '../errors/errors.js'
export { processWide } from '../lib/process-wide.js'
