import { base64url } from 'jose'
import { processWide } from '../lib/process-wide.js'
import { keySourceEvents, warnOnce } from './diagnostics.js'
import { describeErrorChain } from '../lib/error-chain.js'
import { recordVerification } from './telemetry.js'
import type { AccessTokenClaims, AuthResult } from '../token/auth-result.js'
import type { BearerRequest } from '../request/bearer-request.js'
import type { ChallengeParams } from '../errors/challenge.js'
import { AUTH_ERRORS, createAuthError, isAuthError, type AuthError, type AuthErrorCode } from '../errors/errors.js'
import { extractBearerToken, type TokenLocation, type TokenScheme } from '../request/extract-bearer-token.js'
import { createSenderCheck, ReplayStoreUnavailableError, type SenderEvidence } from './sender-check.js'
import { createIntrospectionPath } from './introspection-path.js'
import { IntrospectionUnavailableError } from '../introspection/introspect.js'
import { runClaimCheck } from '../token/claim-check.js'
import { Rejection, type RejectionDetail } from '../errors/rejection.js'
import { rejectionReason } from '../errors/rejection-reason.js'
import { unreadScopeClaimsNote } from '../scopes/granted-scopes.js'
import { readGrantedScopes } from '../scopes/granted-scopes.js'
import {
  customKeyResolver,
  KeysUnavailableError,
  localKeyResolver,
  remoteKeyResolver,
  secretKeyResolver,
  type KeyResolver,
} from '../keys/key-source.js'
import { resolveOptions, type AuthOptions, type ResolvedOptions } from '../options/options.js'
import { createProtectedResourceMetadataEndpoint, type ProtectedResourceMetadataEndpoint } from '../metadata/protected-resource-metadata.js'
import { compileRequirement, type CompiledRequirement, type ScopeRequirement } from '../scopes/requirement.js'
import { SecondUseAdmission } from '../cache/second-use-admission.js'
import { createAccessTokenVerifier } from '../token/verify-access-token.js'
import { VerifiedTokenCache } from '../cache/verified-token-cache.js'

/**
 * The framework-agnostic engine behind every adapter: finds the token in a request,
 * verifies it and checks scope requirements. Adapters reach it through the adapter kit
 * (`@scopeguard/core/adapter`); a server without a framework can call it directly.
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
   * The same decision as {@link authenticate}, made synchronously when no I/O is needed: a
   * token the verified-token cache holds, a request without credentials, a malformed one.
   * Returns the result (or `undefined` for an anonymous request in `optional` mode), or a
   * promise of it when the token must be verified; throws, or rejects, with an
   * {@link AuthError}. This is the one path every request takes: the `Authorization` lines
   * are read once, by one grammar, with one cache lookup.
   */
  resolve<K>(request: BearerRequest, evidence?: SenderEvidence<K>, native?: K): AuthResult | undefined | Promise<AuthResult | undefined>
  /**
   * The verified-token cache's result for a request whose only credential is an
   * `Authorization: Bearer` header with a cached token; `undefined` in every other case.
   * Never throws. {@link resolve} makes the same lookup itself.
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
  /**
   * Creates the error for `code` with this authenticator's challenges, and its reason
   * (`cause`) from `detail`; `scheme` is the one the request used (its challenge carries the
   * error).
   */
  error(code: AuthErrorCode, cause?: unknown, detail?: RejectionDetail, scheme?: TokenScheme): AuthError
  /** The same failure, its challenges naming `scope`: a route guard's 401 says what to ask for (RFC 6750 §3). */
  withScope(err: AuthError, scope: string): AuthError
  /**
   * The current RFC 9449 §8 server nonce, when `dpop.nonce` is on: adapters send it as
   * `DPoP-Nonce` on responses to DPoP requests so clients keep a fresh one.
   */
  dpopNonce(): string | undefined
}

// Which authenticator produced a result. Adapters look it up from `req.auth` instead of
// storing the authenticator on every request: in Express each request object has a hidden
// class of its own, so every property added to it costs about as much as the rest of a cache
// hit. A WeakMap entry per verified token costs nothing per request, and dies with the result.
// Process-wide, so that two copies of scopeguard in one app (ESM and CommonJS) agree.
const owners = processWide('result owners', () => new WeakMap<object, Authenticator>())

/**
 * The authenticator that produced `result` (what an adapter put on `req.auth` or
 * `ctx.state.auth`); `undefined` for anything else.
 */
export function authenticatorOf(result: unknown): Authenticator | undefined {
  return typeof result === 'object' && result !== null ? owners.get(result) : undefined
}

/** Creates an {@link Authenticator}; validates every option now and throws a `TypeError` explaining any mistake. */
export function createAuthenticator(input: AuthOptions): Authenticator {
  const options = resolveOptions(input)
  const resolver = createKeyResolver(options)
  const sender = createSenderCheck(options)
  const introspection = createIntrospectionPath(options, resolver)
  const { isRevoked } = options
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
  const admission = cache === undefined ? undefined : new SecondUseAdmission(options.tokenCache?.maxEntries ?? 0)
  const resourceMetadata = options.resourceMetadata === undefined
    ? undefined
    : createProtectedResourceMetadataEndpoint({
        resourceMetadata: options.resourceMetadata,
        issuers: options.issuers,
        scopes: options.scopes?.scopes,
        acceptBodyToken: options.acceptBodyToken,
        acceptQueryToken: options.acceptQueryToken,
        dpopAlgorithms: sender.acceptsDpop ? options.dpop.algorithms : undefined,
        dpopRequired: options.dpop.mode === 'required',
        certificateBound: options.mtls.configured,
      })
  // RFC 9728 §5.1: every challenge points at the metadata, so a client without a token can
  // find the authorization server from the 401 alone.
  const challenge: ChallengeParams = {
    realm: options.realm,
    algs: undefined,
    resourceMetadata: options.resourceMetadata?.challenge === true ? resourceMetadata?.url : undefined,
  }
  // Body and query tokens need the full RFC 6750 §2 checks (one method per request) before
  // the cache may answer; with the header alone, a line seen before is answered as it is.
  const headerOnly = !options.acceptBodyToken && !options.acceptQueryToken
  const extractOptions = {
    acceptBodyToken: options.acceptBodyToken,
    acceptQueryToken: options.acceptQueryToken,
    maxTokenLength: options.maxTokenLength,
    acceptBearerScheme: sender.acceptsBearer,
    acceptDpopScheme: sender.acceptsDpop,
  }
  const schemes = { bearer: sender.acceptsBearer, dpopAlgs: sender.dpopAlgs }

  const error = (code: AuthErrorCode, cause?: unknown, detail?: RejectionDetail, scheme?: TokenScheme): AuthError => {
    // Every error says why, for the application's logs (its `cause`); the client gets the
    // fixed RFC 6750 description only.
    const reason = rejectionReason(code, detail, cause)
    if (AUTH_ERRORS[code].status === 503) return createAuthError(code, { status: options.unavailableStatus, retryAfter: options.retryAfter, cause: reason })
    // RFC 9449 §9: a proof without a valid nonce is answered with one to use.
    const nonce = code === 'dpop_proof_nonce_invalid' ? sender.nonces?.current() : undefined
    return createAuthError(code, {
      challenge,
      cause: reason,
      schemes,
      errorScheme: scheme,
      headers: nonce === undefined ? undefined : { 'DPoP-Nonce': nonce },
    })
  }

  /** Maps anything the pipeline threw to the AuthError the client gets. */
  const toAuthError = (thrown: unknown, scheme?: TokenScheme): AuthError => {
    if (thrown instanceof Rejection) return error(thrown.code, thrown.cause, thrown.detail, scheme)
    if (thrown instanceof KeysUnavailableError) return error('keys_unavailable', thrown)
    if (thrown instanceof ReplayStoreUnavailableError) return error('replay_store_unavailable', thrown)
    if (thrown instanceof IntrospectionUnavailableError) return error('introspection_unavailable', thrown)
    if (isAuthError(thrown)) return thrown
    // Anything else is a defect on our side; still never let it echo or crash: report
    // the token as malformed and keep the original for the operator.
    return error('token_malformed', thrown, undefined, scheme)
  }

  /** The `isRevoked` hook, time-boxed; 503 when it cannot answer (never blame the token). */
  function revocationChecked(result: AuthResult, scheme: TokenScheme): AuthResult | Promise<AuthResult> {
    if (isRevoked === undefined) return result
    const revoked = (answer: unknown): AuthResult => {
      if (answer === false) return result
      if (answer === true) throw error('token_revoked', undefined, { claim: 'jti', found: result.claims.jti, note: 'isRevoked() returned true' }, scheme)
      throw error('revocation_unavailable', new TypeError(`isRevoked() must return true or false; it returned ${typeof answer}`))
    }
    let answer
    try {
      answer = isRevoked(result)
    } catch (err) {
      throw error('revocation_unavailable', err)
    }
    if (typeof (answer as PromiseLike<boolean> | undefined)?.then !== 'function') return revoked(answer)
    return timeBoxed(answer as PromiseLike<boolean>, options.fetchTimeout, 'isRevoked()').then(revoked, (err: unknown) => {
      throw isAuthError(err) ? err : error('revocation_unavailable', err)
    })
  }

  /** The per-request checks on an accepted token: its sender (DPoP proof, certificate), then revocation. */
  function checked<K>(result: AuthResult, scheme: TokenScheme, evidence: SenderEvidence<K> | undefined, native: K | undefined): AuthResult | Promise<AuthResult> {
    if (result.binding === undefined) {
      // RFC 9449 §7.1: the DPoP scheme is for DPoP-bound tokens only.
      if (scheme === 'DPoP') throw error('token_not_bound', undefined, { claim: 'cnf.jkt', note: 'sent with the DPoP scheme, but not bound to a key' }, scheme)
      return revocationChecked(result, scheme)
    }
    return sender.confirm(result, scheme, evidence, native as K).then(
      () => revocationChecked(result, scheme),
      (thrown: unknown) => {
        throw toAuthError(thrown, scheme)
      },
    )
  }

  const own = (result: AuthResult): AuthResult => {
    owners.set(result, authenticator)
    return result
  }

  /**
   * A process warning (once per cause) when the configuration, not the client, makes requests
   * fail: the introspection endpoint cannot be used, or DPoP-bound tokens arrive while DPoP
   * has no origin to check their proofs against.
   */
  function warnAboutSetup(err: AuthError): void {
    if (!options.warnings) return
    // Refused at the in-flight limit is load, not configuration.
    if (err.code === 'introspection_unavailable' && (err.cause?.cause as { reason?: unknown } | undefined)?.reason !== 'busy') {
      warnOnce(true, 'SCOPEGUARD_INTROSPECTION_UNAVAILABLE', `scopeguard: token introspection failed, so requests with tokens it checks get 503: ${describeErrorChain(err.cause?.cause)}`)
    } else if (err.code === 'token_binding_unsupported' && err.cause?.claim === 'cnf.jkt' && options.dpop.mode !== 'off') {
      warnOnce(true, 'SCOPEGUARD_DPOP_ORIGIN', 'scopeguard: a DPoP-bound token was refused because DPoP proofs cannot be checked: set dpop.origin (or resourceMetadata.resource) to the URL clients call.')
    }
  }

  /** Asks the authorization server about a token (RFC 7662), and runs the `claims` checks on its answer. */
  async function introspect(token: string): Promise<{ header: undefined; claims: AccessTokenClaims }> {
    const claims = await (introspection as NonNullable<typeof introspection>).claims(token)
    for (const [name, check] of options.claimChecks) runClaimCheck(name, check, claims)
    return { header: undefined, claims }
  }

  /** Verifies a token the cache does not hold, and offers the result to the cache. */
  async function verifyToken(token: string, location: TokenLocation, line: string | undefined, scheme: TokenScheme): Promise<AuthResult> {
    const started = performance.now()
    try {
      const keysBefore = generation()
      const introspected = introspection?.applies(token) === true
      const { header, claims } = introspected ? await introspect(token) : await verify(token)
      const binding = sender.bindingOf(claims)
      recordVerification((performance.now() - started) / 1000, undefined)
      // Frozen: a cached result is shared by every request that presents the same token.
      const result = own(Object.freeze({
        token,
        location,
        header: Object.freeze(header),
        claims: Object.freeze(claims),
        scopes: readGrantedScopes(claims, options.scopeClaims),
        binding,
        source: introspected ? 'introspection' : 'jwt',
      } satisfies AuthResult))
      // An introspected answer is served from this cache no longer than from the introspection cache.
      const ttl = introspected ? introspection?.cacheTtl ?? 0 : undefined
      if (ttl !== 0 && admission?.admit(token)) cache?.set(token, result, keysBefore, line, ttl)
      return result
    } catch (thrown) {
      const err = toAuthError(thrown, scheme)
      recordVerification((performance.now() - started) / 1000, err)
      warnAboutSetup(err)
      throw err
    }
  }

  const authenticator: Authenticator = {
    options,
    resourceMetadata,
    error,
    withScope(err, scope) {
      if (err.status !== 401) return err
      return createAuthError(err.code, { challenge: { ...challenge, scope }, cause: err.cause, schemes, errorScheme: err.headers['WWW-Authenticate']?.startsWith('DPoP') ? 'DPoP' : undefined })
    },
    dpopNonce() {
      return sender.nonces?.current()
    },
    resolve(request, evidence, native) {
      const { authorization } = request
      const line = typeof authorization === 'string' ? authorization : undefined
      // One cache lookup per request. A token is the end of its line, so with the header as the
      // only accepted location the line itself finds the entry, before any parsing: a client
      // reusing its token sends the very line it sent before, and is answered here.
      let cached = headerOnly && line !== undefined ? cache?.find(line, generation()) : undefined
      if (cached !== undefined && line !== undefined && cached.line === line) {
        const { result } = cached
        // No per-request check applies to a bearer token sent as one, without isRevoked.
        if (result.binding === undefined && isRevoked === undefined && !isDpopLine(line)) return result
        return checked(result, isDpopLine(line) ? 'DPoP' : 'Bearer', evidence, native)
      }
      let found
      try {
        found = extractBearerToken(request, extractOptions)
      } catch (thrown) {
        if (thrown instanceof Rejection && thrown.code === 'scheme_unsupported' && options.optional) return undefined
        throw toAuthError(thrown)
      }
      if (found === undefined) {
        if (options.optional) return undefined
        throw error('credentials_missing', undefined, { note: 'the request carries no access token' })
      }
      const foundLine = found.location === 'header' ? line : undefined
      if (!headerOnly) cached = cache?.find(found.token, generation())
      if (cached !== undefined && cached.token === found.token) {
        // The same token in another spelling of the header, or from another RFC 6750 §2 location.
        if (foundLine !== undefined) cached.line = foundLine
        const { result } = cached
        return checked(result.location === found.location ? result : own(Object.freeze({ ...result, location: found.location })), found.scheme, evidence, native)
      }
      return verifyToken(found.token, found.location, foundLine, found.scheme).then((result) => checked(result, found.scheme, evidence, native))
    },
    async authenticate(request) {
      return authenticator.resolve(request)
    },
    cachedResult(authorization) {
      if (!headerOnly || cache === undefined || typeof authorization !== 'string') return undefined
      const cached = cache.find(authorization, generation())
      if (cached === undefined) return undefined
      if (cached.line === authorization) return cached.result
      // Only "Bearer" + spaces + a token exactly as cached: any other shape (tabs, repeats,
      // other schemes) takes the full path and gets its proper answer there.
      if (authorization.length < 8 || !BEARER_PREFIX.test(authorization)) return undefined
      let start = 7
      while (authorization.charCodeAt(start) === 0x20) start++
      return cached.token === authorization.slice(start) && cached.result.location === 'header' ? cached.result : undefined
    },
    compile(requirements) {
      return options.scopes?.compile(requirements, 'requireScopes()') ?? compileRequirement(requirements, 'requireScopes()')
    },
    authorize(result, requirement) {
      if (result === undefined) throw error('credentials_missing', undefined, { note: 'optional: true let the request through without a token; this route requires one' })
      if (requirement.isSatisfiedBy(result.scopes)) return
      // RFC 6750 §3: the scope attribute names what the resource needs.
      const scope = requirement.scopeToRequest(result.scopes)
      const unread = unreadScopeClaimsNote(result.claims, options.scopeClaims)
      if (unread !== undefined) warnOnce(options.warnings, 'SCOPEGUARD_SCOPE_CLAIMS', `scopeguard: a token fell short of a scope requirement and ${unread}`)
      throw createAuthError('scope_insufficient', {
        challenge: { ...challenge, scope },
        schemes,
        errorScheme: result.binding?.scheme,
        cause: rejectionReason('scope_insufficient', { claim: 'scopes', expected: scope, found: [...result.scopes].join(' '), note: unread }, undefined),
      })
    },
  }
  return authenticator
}

const BEARER_PREFIX = /^bearer /i

/** Whether an `Authorization` line that passed extraction uses the DPoP scheme (else Bearer). */
function isDpopLine(line: string): boolean {
  const first = line.charCodeAt(0)
  return first === 0x44 || first === 0x64
}

function timeBoxed<T>(value: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)
    timer.unref()
  })
  return Promise.race([Promise.resolve(value), timeout]).finally(() => clearTimeout(timer))
}

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
      fetch: options.fetch,
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
    onEvent: keySourceEvents(options.onEvent, options.warnings),
  }
  const [first] = options.issuers
  if (options.issuers.length === 1 && first !== undefined) return remoteKeyResolver({ ...settings, issuer: first })
  // Several issuers: the (not yet verified) `iss` picks whose keys to use; jose then checks
  // the signature with that issuer's key and `iss` against the allowlist.
  const byIssuer = new Map(options.issuers.map((issuer) => [issuer, remoteKeyResolver({ ...settings, issuer })]))
  const resolvers = [...byIssuer.values()]
  const resolve = (header: Parameters<KeyResolver>[0], token: Parameters<KeyResolver>[1]): ReturnType<KeyResolver> => {
    const resolver = byIssuer.get(unverifiedIssuer(token.payload))
    if (resolver === undefined) throw new Rejection('issuer_invalid')
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
  throw new Rejection('issuer_invalid')
}
