import { authenticatorOf, createAuthenticator, type Authenticator } from '../authenticator/authenticator.js'
import { authLog } from '../authenticator/diagnostics.js'
import { recordAccepted, recordAuthorization, recordRefused, startAuthSpan } from '../authenticator/telemetry.js'
import { processWide } from '../lib/process-wide.js'
import { isAuthError } from '../errors/errors.js'
import type { AuthOptions } from '../options/options.js'
import type { BearerRequest } from '../request/bearer-request.js'
import { bodyMayCarryToken } from '../request/extract-bearer-token.js'
import type { CompiledRequirement, ScopeRequirement } from '../scopes/requirement.js'
import type { AuthResult } from '../token/auth-result.js'
import { CONTINUE, CONTINUE_PRIVATE, failureDecision, metadataReplies, type Decision } from './decision.js'
import type { RequestBinding } from './request-binding.js'

/**
 * Every decision an adapter makes, written once. An adapter builds one kit per `auth()`,
 * then for each request calls one of its methods and acts on the {@link Decision}. Every
 * method answers synchronously when it can (a cached token, a metadata request, a missing
 * or malformed credential) and with a promise only when a token must be verified; neither
 * throws nor rejects: failures come back as decisions.
 */
export interface AdapterKit<K extends object> {
  /** The engine behind the kit, with the validated options. */
  readonly authenticator: Authenticator
  /** Whether the kit serves the RFC 9728 metadata (the `resourceMetadata` option is set). */
  readonly servesMetadata: boolean
  /**
   * The app-wide middleware: answers the RFC 9728 metadata document (public, so before
   * authenticating), else authenticates the request and stores the result.
   */
  middleware(request: K): Decision | Promise<Decision>
  /** The metadata document alone: its answer for a metadata request, {@link CONTINUE} for any other. */
  metadata(request: K): Decision
  /**
   * A route guard: authenticates with this kit (unless the app-wide middleware of this same
   * kit already did) and checks the requirement. Compiled now, against the scope catalogue
   * when `auth()` was given one; a malformed or undeclared scope throws a `TypeError`.
   */
  routeGuard(requirements: readonly ScopeRequirement[]): RouteGuard<K>
}

/** A compiled route guard; adapters tag their middleware with its `requirement` for `listRoutes()`. */
export interface RouteGuard<K extends object> {
  (request: K): Decision | Promise<Decision>
  readonly requirement: CompiledRequirement
}

// Requests an authenticator let through without a token (optional mode), so that a
// requirement check after it can answer them with its 401. Authenticated requests need no
// entry: their result leads back to the authenticator (`authenticatorOf`). Process-wide, as
// the owners of results are (see authenticator.ts).
const anonymous = processWide('anonymous requests', () => new WeakMap<object, Authenticator>())

/** Creates the kit for one `auth(options)`; every option is validated now (a `TypeError` explains any mistake). */
export function createAdapterKit<K extends object>(options: AuthOptions, binding: RequestBinding<K>): AdapterKit<K> {
  const authenticator = createAuthenticator(options)
  const { acceptBodyToken, acceptQueryToken, handleErrors } = authenticator.options
  const readBody = binding.readBody?.bind(binding)
  const endpoint = authenticator.resourceMetadata
  const replies = endpoint === undefined ? undefined : metadataReplies(endpoint)
  // Until the app-wide middleware has run once, no request can reach a route guard already
  // authenticated by it, so the guards need not read the request's result to look.
  let middlewareHasRun = false

  function bearerRequest(request: K, body: unknown): BearerRequest {
    const authorization = binding.authorization(request)
    if (!acceptBodyToken && !acceptQueryToken) return { authorization }
    return {
      authorization,
      method: binding.method(request),
      url: binding.url(request),
      // Only a body token needs it; Node builds `req.headers` on first access.
      contentType: body === undefined ? undefined : binding.contentType(request),
      body,
    }
  }

  function metadataDecision(request: K): Decision | undefined {
    // RFC 9728 §3: the document is public, so it is answered before authenticating.
    if (replies === undefined || endpoint === undefined) return undefined
    const method = binding.method(request)
    if (!endpoint.matches(method, binding.url(request))) return undefined
    return method === 'OPTIONS' ? replies.preflight : method === 'HEAD' ? replies.head : replies.get
  }

  /** Stores the result (or records the anonymous request) and checks the requirement, if any. */
  function admitted(request: K, result: AuthResult | undefined, requirement: CompiledRequirement | undefined): Decision {
    if (result !== undefined) binding.writeResult(request, result)
    else anonymous.set(request, authenticator)
    if (requirement !== undefined) return withNonce(result, authorized(request, result, requirement))
    if (authLog.enabled) logDecision(binding, request, result, undefined)
    return withNonce(result, result?.location === 'query' ? CONTINUE_PRIVATE : CONTINUE)
  }

  /** RFC 9449 §8.2: responses to DPoP requests carry the current nonce, so clients keep a fresh one. */
  function withNonce(result: AuthResult | undefined, decision: Decision): Decision {
    if (result?.binding?.jkt === undefined || decision.kind === 'error') return decision
    const nonce = authenticator.dpopNonce()
    if (nonce === undefined) return decision
    return { ...decision, headers: { ...decision.headers, 'DPoP-Nonce': nonce } }
  }

  function authorized(request: K, result: AuthResult | undefined, requirement: CompiledRequirement): Decision {
    const decision = authorizationDecision(authenticator, result, requirement)
    if (authLog.enabled) logDecision(binding, request, result, decision)
    return decision === CONTINUE && result?.location === 'query' ? CONTINUE_PRIVATE : decision
  }

  function refused(request: K, err: unknown, requirement: CompiledRequirement | undefined): Decision {
    // The app-wide gate lets a CORS preflight on to the application's CORS handling, as an
    // anonymous request: a guarded route it reaches still answers it 401.
    if (requirement === undefined && isAuthError(err) && err.code === 'credentials_missing' && isPreflight(binding, request)) {
      anonymous.set(request, authenticator)
      return CONTINUE
    }
    // A route guard knows what its route needs: its 401s name the scope to ask for (RFC 6750
    // §3, and the MCP authorization spec), where the app-wide middleware cannot.
    const failure = requirement !== undefined && isAuthError(err) && err.status === 401 ? authenticator.withScope(err, requirement.scopeToRequest(NO_SCOPES)) : err
    const decision = failureDecision(failure, handleErrors)
    if (authLog.enabled) logDecision(binding, request, undefined, decision, failure)
    return decision
  }

  /** Authenticates, once the body is at hand when a body token may be in it. */
  function authenticate(request: K, requirement: CompiledRequirement | undefined): Decision | Promise<Decision> {
    if (!acceptBodyToken) return decide(request, requirement, undefined)
    if (readBody === undefined) return decide(request, requirement, binding.body(request))
    if (!bodyMayCarryToken(binding.method(request), binding.contentType(request))) return decide(request, requirement, undefined)
    // A body that cannot be read (a size limit, a client gone mid-body) is the framework's to
    // answer, as it would be in the route: handed on as it is, not blamed on the token.
    return readBody(request).then((body) => decide(request, requirement, body), (error: unknown): Decision => ({ kind: 'error', error }))
  }

  function decide(request: K, requirement: CompiledRequirement | undefined, body: unknown): Decision | Promise<Decision> {
    const span = startAuthSpan()
    let outcome
    try {
      outcome = authenticator.resolve(bearerRequest(request, body), binding, request)
    } catch (err) {
      recordRefused(span, err)
      return refused(request, err, requirement)
    }
    if (outcome instanceof Promise) {
      return outcome.then(
        (result) => {
          recordAccepted(span, result, false)
          return admitted(request, result, requirement)
        },
        (err: unknown) => {
          recordRefused(span, err)
          return refused(request, err, requirement)
        },
      )
    }
    // Answered without waiting: a token from the cache, or none (optional mode).
    recordAccepted(span, outcome, true)
    return admitted(request, outcome, requirement)
  }

  return {
    authenticator,
    servesMetadata: replies !== undefined,
    middleware(request) {
      const metadata = metadataDecision(request)
      if (metadata !== undefined) return metadata
      middlewareHasRun = true
      return authenticate(request, undefined)
    },
    metadata(request) {
      return metadataDecision(request) ?? CONTINUE
    },
    routeGuard(requirements) {
      const requirement = authenticator.compile(requirements)
      const guard = (request: K): Decision | Promise<Decision> => {
        if (middlewareHasRun) {
          // Behind the app-wide middleware of this same kit the request is authenticated already.
          const result = binding.readResult(request)
          if (ownerOf(request, result) === authenticator) return authorized(request, result as AuthResult | undefined, requirement)
        }
        return authenticate(request, requirement)
      }
      return Object.assign(guard, { requirement })
    },
  }
}

const NO_SCOPES: ReadonlySet<string> = new Set()

/**
 * The check behind a standalone `requireScopes()` (not bound to an `auth()`): it reads the
 * result the app-wide middleware stored and checks the requirement with that middleware's
 * authenticator. A request no `auth()` let through is a wiring mistake, handed to the
 * application as an error that says how to fix it.
 */
export function createRequirementCheck<K extends object>(
  requirement: CompiledRequirement,
  binding: Pick<RequestBinding<K>, 'readResult' | 'resultName' | 'mountHint' | 'method' | 'url'>,
): (request: K) => Decision {
  const notAuthenticated =
    `scopeguard: requireScopes() ran on a request that auth() did not let through (${binding.resultName} is not its result); ` +
    `${binding.mountHint ?? 'add app.use(auth({...})) before this route'}; or guard the route with the one-middleware form ` +
    `authenticate.requireScopes(...) (authenticate = auth({...})), which authenticates by itself; and do not replace ${binding.resultName}.`
  return (request) => {
    const result = binding.readResult(request)
    const authenticator = ownerOf(request, result)
    if (authenticator === undefined) return { kind: 'error', error: new Error(notAuthenticated) }
    const decision = authorizationDecision(authenticator, result as AuthResult | undefined, requirement)
    if (authLog.enabled) logDecision(binding, request, result as AuthResult | undefined, decision)
    return decision
  }
}

/**
 * Whether a request refused for want of a token is a CORS preflight: `OPTIONS` with
 * `Access-Control-Request-Method` (Fetch standard, CORS protocol). Browsers never send
 * credentials on one, so the app-wide `auth()` answering it 401 would break every cross-origin
 * client unless CORS was mounted first; it goes on, unauthenticated, to the application's CORS
 * handling. The request it precedes is checked as usual.
 */
function isPreflight<K extends object>(binding: Pick<RequestBinding<K>, 'method' | 'header'>, request: K): boolean {
  return binding.header !== undefined && binding.method(request) === 'OPTIONS' &&
    binding.header(request, 'access-control-request-method') !== undefined
}

/** The authenticator that let this request through (with this result), if any. */
function ownerOf(request: object, result: unknown): Authenticator | undefined {
  return authenticatorOf(result) ?? anonymous.get(request)
}

function authorizationDecision(authenticator: Authenticator, result: AuthResult | undefined, requirement: CompiledRequirement): Decision {
  try {
    authenticator.authorize(result, requirement)
    recordAuthorization(undefined)
    return CONTINUE
  } catch (err) {
    recordAuthorization(isAuthError(err) ? err.code : undefined)
    return failureDecision(err, authenticator.options.handleErrors)
  }
}

/** The `scopeguard:auth` line for one decision: the request, the outcome, and why. */
function logDecision<K extends object>(
  binding: Pick<RequestBinding<K>, 'method' | 'url'>,
  request: K,
  result: AuthResult | undefined,
  decision: Decision | undefined,
  err?: unknown,
): void {
  const target = `${binding.method(request) ?? '?'} ${(binding.url(request) ?? '?').split('?')[0]}`
  const error = err ?? (decision?.kind === 'reply' || decision?.kind === 'error' ? (decision.kind === 'reply' ? decision.failure : decision.error) : undefined)
  if (error === undefined) {
    const who = result === undefined ? 'anonymous' : `sub ${JSON.stringify(result.claims.sub ?? null)}`
    authLog('%s: continue (%s)', target, who)
    return
  }
  const reason = isAuthError(error) ? error.cause?.message ?? error.message : String(error)
  const code = isAuthError(error) ? `${error.status} ${error.code}` : 'error'
  authLog('%s: %s%s: %s', target, code, decision?.kind === 'error' ? ' (handed to the application)' : '', reason)
}
