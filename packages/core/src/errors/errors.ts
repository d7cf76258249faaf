import createHttpError, { type HttpError } from 'http-errors'
import { buildChallenge, type ChallengeParams } from './challenge.js'
import { AUTH_ERRORS, type AuthErrorCode, type BearerErrorCode } from './error-codes.js'
import type { RejectionReason } from './rejection-reason.js'

export { AUTH_ERRORS, type AuthErrorCode, type BearerErrorCode } from './error-codes.js'

/**
 * A failure to authenticate or authorise a request: an `http-errors` object, so Express
 * error handlers and Koa's default handler honour its `status`, `expose` and `headers`.
 */
export interface AuthError extends HttpError {
  /** Stable, machine-readable failure code. */
  readonly code: AuthErrorCode
  /** RFC 6750 §3.1 error code, when the failure has one. */
  readonly error: BearerErrorCode | undefined
  /** Response headers to send: `WWW-Authenticate`, and `Retry-After` for 503. */
  readonly headers: Record<string, string>
  /** Why, for logs: the failing claim, what was expected and what was found. Never sent to the client. */
  readonly cause?: RejectionReason
  /** Always true: the message is one of our fixed descriptions, safe to show a client. */
  readonly expose: true
}

const AUTH_ERROR = Symbol.for('scopeguard.AuthError')

/** Extra context for {@link createAuthError}. */
export interface AuthErrorContext {
  /** Challenge parameters that do not come from the error kind: realm, scope, metadata URL. */
  readonly challenge?: Omit<ChallengeParams, 'error' | 'errorDescription'>
  /** HTTP status used instead of the default (only for the 503 kinds: a dependency is unavailable). */
  readonly status?: number
  /** `Retry-After` seconds (only for the 503 kinds: a dependency is unavailable). */
  readonly retryAfter?: number
  /** Why, kept for logging; never sent to the client. */
  readonly cause?: RejectionReason
  /**
   * The schemes to challenge with: `Bearer` unless DPoP is required; `DPoP` (with `algs`)
   * when DPoP is accepted (RFC 9449 §7.1, §7.2: both, when both are). Default: Bearer only.
   */
  readonly schemes?: ChallengeSchemes
  /** The scheme the request used, whose challenge carries the error. Default `Bearer`. */
  readonly errorScheme?: 'Bearer' | 'DPoP'
  /** More response headers, e.g. RFC 9449 §8 `DPoP-Nonce`. */
  readonly headers?: Readonly<Record<string, string>>
}

/** Which challenges a 401 or 403 carries. */
export interface ChallengeSchemes {
  readonly bearer: boolean
  /** The DPoP proof algorithms, space-separated; undefined when DPoP is not accepted. */
  readonly dpopAlgs: string | undefined
}

/** Creates the error for `code`, with its `WWW-Authenticate` challenge pre-built. */
export function createAuthError(code: AuthErrorCode, context: AuthErrorContext = {}): AuthError {
  const kind = AUTH_ERRORS[code]
  const headers: Record<string, string> = {}
  if (kind.status === 503) {
    if (context.retryAfter !== undefined) headers['Retry-After'] = String(context.retryAfter)
  } else {
    headers['WWW-Authenticate'] = challenges(kind, context)
  }
  if (context.headers !== undefined) Object.assign(headers, context.headers)
  const props: Record<string, unknown> = { code, error: kind.error, headers, expose: true }
  if (context.cause !== undefined) props.cause = context.cause
  const err = createHttpError(context.status ?? kind.status, kind.description, props)
  // http-errors copies only string keys, so the brand is set afterwards.
  Object.defineProperty(err, AUTH_ERROR, { value: true })
  return err as AuthError
}

function challenges(kind: (typeof AUTH_ERRORS)[AuthErrorCode], context: AuthErrorContext): string {
  const error = { error: kind.error, errorDescription: kind.error === undefined ? undefined : kind.description }
  const { schemes } = context
  if (schemes === undefined || schemes.dpopAlgs === undefined) return buildChallenge({ ...context.challenge, ...error })
  // RFC 9449 §7.1, §7.2: a challenge per accepted scheme; the error goes in the challenge of
  // the scheme the request used (a DPoP proof error always in the DPoP one).
  const dpopError = context.errorScheme === 'DPoP' || !schemes.bearer || kind.error === 'invalid_dpop_proof' || kind.error === 'use_dpop_nonce'
  const dpop = buildChallenge({ ...context.challenge, ...(dpopError ? error : {}), algs: schemes.dpopAlgs }, 'DPoP')
  if (!schemes.bearer) return dpop
  return `${buildChallenge({ ...context.challenge, ...(dpopError ? {} : error) })}, ${dpop}`
}

/** Whether `value` is an error created by scopeguard. */
export function isAuthError(value: unknown): value is AuthError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[AUTH_ERROR] === true
}

/**
 * The JSON body adapters send: `{ error, error_description }`. For failures without an
 * RFC 6750 code the `error` member names the HTTP situation instead.
 */
export function errorBody(err: AuthError): { error: string; error_description: string } {
  const error = err.error ?? (AUTH_ERRORS[err.code].status === 503 ? 'temporarily_unavailable' : 'unauthorized')
  return { error, error_description: err.message }
}
