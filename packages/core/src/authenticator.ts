import { base64url } from 'jose'
import type { AuthResult } from './auth-result.js'
import type { BearerRequest } from './bearer-request.js'
import type { ChallengeParams } from './challenge.js'
import { createAuthError, type AuthError, type AuthErrorCode } from './errors.js'
import { extractBearerToken } from './extract-bearer-token.js'
import { Failure } from './failure.js'
import { readGrantedScopes } from './granted-scopes.js'
import {
  customKeyResolver,
  KeysUnavailableError,
  localKeyResolver,
  remoteKeyResolver,
  secretKeyResolver,
  type KeyResolver,
} from './key-source.js'
import { resolveOptions, type AuthOptions, type ResolvedOptions } from './options.js'
import { createProtectedResourceMetadataEndpoint, type ProtectedResourceMetadataEndpoint } from './protected-resource-metadata.js'
import { compileRequirement, type CompiledRequirement, type ScopeRequirement } from './requirement.js'
import { recordOwner } from './result-owner.js'
import { SecondSightAdmission } from './token-admission.js'
import { createAccessTokenVerifier } from './verify-access-token.js'
import { VerifiedTokenCache } from './verified-token-cache.js'

/**
 * The framework-agnostic engine behind every adapter: finds the token in a request,
 * verifies it and checks scope requirements. Adapters translate requests and responses only.
 */
export interface Authenticator {
  /** The validated options. */
  readonly options: ResolvedOptions
  /**
   * The RFC 9728 metadata endpoint when `resourceMetadata` is configured: adapters answer
   * requests it {@link ProtectedResourceMetadataEndpoint.matches} with its pre-built body,
   * before authenticating (the document is public).
   */
  readonly resourceMetadata: ProtectedResourceMetadataEndpoint | undefined
  /**
   * Authenticates a request. Resolves to the verified result, or to `undefined` for an
   * anonymous request in `optional` mode; rejects with an {@link AuthError} otherwise.
   */
  authenticate(request: BearerRequest): Promise<AuthResult | undefined>
  /**
   * The verified-token cache's result for a request whose only credential is an
   * `Authorization: Bearer` header with a cached token (pass every `Authorization` line;
   * tokens enter the cache on their second use); `undefined` in every other case (then call
   * {@link authenticate}). Never throws. Lets adapters answer the common case, a client
   * reusing its token, synchronously: no promise, no extra turn of the event loop.
   */
  cachedResult(authorization: BearerRequest['authorization']): AuthResult | undefined
  /**
   * Checks a compiled requirement against an authentication result: throws a 401 without
   * error code when there is none (anonymous request), a 403 `insufficient_scope` naming the
   * scope to request when the scopes fall short.
   */
  authorize(result: AuthResult | undefined, requirement: CompiledRequirement): void
  /**
   * Compiles `requireScopes()` arguments for this authenticator: against its scope catalogue
   * when it has one (a scope it does not declare throws, implications count), else as given.
   * Throws a `TypeError` at start-up for a malformed or undeclared scope.
   */
  compile(requirements: readonly ScopeRequirement[]): CompiledRequirement
  /** Creates the error for `code` with this authenticator's challenge parameters. */
  error(code: AuthErrorCode, cause?: unknown): AuthError
}

/** Creates an {@link Authenticator}; validates every option now and throws a `TypeError` explaining any mistake. */
export function createAuthenticator(input: AuthOptions): Authenticator {
  const options = resolveOptions(input)
  const resolver = createKeyResolver(options)
  const verify = createAccessTokenVerifier(options, resolver)
  const generation = resolver.generation ?? (() => 0)
  const cache = options.tokenCache === undefined
    ? undefined
    : new VerifiedTokenCache({
        ...options.tokenCache,
        clock: options.clock,
        clockTolerance: options.clockTolerance * 1000,
        maxTokenAge: options.maxTokenAge === undefined ? undefined : options.maxTokenAge * 1000,
      })
  const admission = cache === undefined ? undefined : new SecondSightAdmission(options.tokenCache?.maxEntries ?? 0)
  const resourceMetadata = options.resourceMetadata === undefined
    ? undefined
    : createProtectedResourceMetadataEndpoint({
        resourceMetadata: options.resourceMetadata,
        issuers: options.issuers,
        scopes: options.scopes?.scopes,
        acceptBodyToken: options.acceptBodyToken,
        acceptQueryToken: options.acceptQueryToken,
      })
  // RFC 9728 §5.1: every challenge points at the metadata, so a client without a token can
  // find the authorization server from the 401 alone.
  const challenge: ChallengeParams = {
    realm: options.realm,
    resourceMetadata: options.resourceMetadata?.challenge === true ? resourceMetadata?.url : undefined,
  }
  // Body and query tokens need the full RFC 6750 §2 checks (one method per request).
  const fastPathClosed = cache === undefined || options.acceptBodyToken || options.acceptQueryToken
  const extractOptions = {
    acceptBodyToken: options.acceptBodyToken,
    acceptQueryToken: options.acceptQueryToken,
    maxTokenLength: options.maxTokenLength,
  }

  const error = (code: AuthErrorCode, cause?: unknown): AuthError =>
    code === 'keys_unavailable'
      ? createAuthError(code, { status: options.unavailableStatus, retryAfter: options.retryAfter, cause })
      : createAuthError(code, { challenge, cause })

  const authenticator: Authenticator = {
    options,
    resourceMetadata,
    error,
    cachedResult(authorization) {
      if (fastPathClosed || typeof authorization !== 'string') return undefined
      // Only "Bearer" + spaces + a token exactly as cached: the cache holds nothing but tokens
      // that passed extraction, so any other shape (tabs, repeats, other schemes) takes the
      // full path and gets its proper answer there.
      if (authorization.length < 8 || !BEARER_PREFIX.test(authorization)) return undefined
      let start = 7
      while (authorization.charCodeAt(start) === 0x20) start++
      const hit = cache?.get(authorization.slice(start), generation())
      return hit?.location === 'header' ? hit : undefined
    },
    async authenticate(request) {
      try {
        const found = extractBearerToken(request, extractOptions)
        if (found === undefined) {
          if (options.optional) return undefined
          throw new Failure('credentials_missing')
        }
        const cached = cache?.get(found.token, generation())
        if (cached !== undefined) {
          if (cached.location === found.location) return cached
          const moved: AuthResult = Object.freeze({ ...cached, location: found.location })
          recordOwner(moved, authenticator)
          return moved
        }
        const keysBefore = generation()
        const { header, claims } = await verify(found.token)
        // Frozen: a cached result is shared by every request that presents the same token.
        const result: AuthResult = Object.freeze({
          token: found.token,
          location: found.location,
          header: Object.freeze(header),
          claims: Object.freeze(claims),
          scopes: readGrantedScopes(claims, options.scopeClaims),
        })
        recordOwner(result, authenticator)
        if (admission?.admit(found.token)) cache?.set(found.token, result, keysBefore)
        return result
      } catch (thrown) {
        if (thrown instanceof Failure) {
          if (thrown.code === 'scheme_unsupported' && options.optional) return undefined
          throw error(thrown.code, thrown.cause)
        }
        if (thrown instanceof KeysUnavailableError) throw error('keys_unavailable', thrown)
        // Anything else is a defect on our side; still never let it echo or crash: report
        // the token as malformed and keep the original for the operator.
        throw error('token_malformed', thrown)
      }
    },
    compile(requirements) {
      return options.scopes?.compile(requirements, 'requireScopes()') ?? compileRequirement(requirements, 'requireScopes()')
    },
    authorize(result, requirement) {
      if (result === undefined) throw error('credentials_missing')
      if (requirement.isSatisfiedBy(result.scopes)) return
      // RFC 6750 §3: the scope attribute names what the resource needs.
      throw createAuthError('scope_insufficient', {
        challenge: { ...challenge, scope: requirement.scopeToRequest(result.scopes) },
      })
    },
  }
  return authenticator
}

const BEARER_PREFIX = /^bearer /i

function createKeyResolver(options: ResolvedOptions): KeyResolver {
  const source = options.keySource
  if (source.kind === 'secret') return secretKeyResolver(source.secret)
  if (source.kind === 'local') return localKeyResolver(source.keys)
  if (source.kind === 'custom') return customKeyResolver(source.getKey)
  const settings = {
    jwksUri: source.jwksUri,
    policy: {
      timeout: options.fetchTimeout,
      maxBytes: options.maxResponseBytes,
      followRedirects: options.followRedirects,
      allowHttp: options.allowHttp,
    },
    allowHttp: options.allowHttp,
    algorithms: options.algorithms,
    refresh: {
      maxAge: options.jwksCacheMaxAge,
      staleIfError: options.jwksStaleIfError,
      retryMin: options.fetchRetryMin,
      retryMax: options.fetchRetryMax,
    },
    metadataMaxAge: options.metadataCacheMaxAge,
    cooldown: options.jwksCooldown,
    clock: options.clock,
    onEvent: options.onEvent,
  }
  const [first] = options.issuers
  if (options.issuers.length === 1 && first !== undefined) return remoteKeyResolver({ ...settings, issuer: first })
  // Several issuers: the (not yet verified) `iss` picks whose keys to use; jose then checks
  // the signature with that issuer's key and `iss` against the allowlist.
  const byIssuer = new Map(options.issuers.map((issuer) => [issuer, remoteKeyResolver({ ...settings, issuer })]))
  const resolvers = [...byIssuer.values()]
  const resolve = (header: Parameters<KeyResolver>[0], token: Parameters<KeyResolver>[1]): ReturnType<KeyResolver> => {
    const resolver = byIssuer.get(unverifiedIssuer(token.payload))
    if (resolver === undefined) throw new Failure('issuer_invalid')
    return resolver(header, token)
  }
  return Object.assign(resolve, {
    generation: () => resolvers.reduce((sum, resolver) => sum + (resolver.generation?.() ?? 0), 0),
  })
}

function unverifiedIssuer(payload: string | Uint8Array): string {
  try {
    const bytes = typeof payload === 'string' ? base64url.decode(payload) : payload
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes))
    if (typeof claims === 'object' && claims !== null && typeof (claims as { iss?: unknown }).iss === 'string') {
      return (claims as { iss: string }).iss
    }
  } catch {
    // Fall through: a payload that is not JSON has no issuer we trust.
  }
  throw new Failure('issuer_invalid')
}
