import { AUTH_ERRORS, type AuthErrorCode } from './error-codes.js'
import type { RejectionDetail } from './rejection.js'

/**
 * Why a request was refused, for the application's logs: the `cause` of every {@link AuthError}
 * scopeguard creates. Clients never see it; they get the fixed RFC 6750 descriptions.
 */
export interface RejectionReason {
  /** The failure code, as on the error. */
  readonly code: AuthErrorCode
  /** One line for a log, e.g. `The access token audience is invalid: aud expected one of "https://api.example.com", found "https://other.example.com"`. */
  readonly message: string
  /** The claim or header parameter that failed, where one did. */
  readonly claim?: string
  /** What was expected, where that applies. */
  readonly expected?: string
  /** What was found, shortened (at most 80 characters); never the token or a signature. */
  readonly found?: string
  /** The underlying error (a predicate's exception, a key source failure), if any. */
  readonly cause?: unknown
}

const MAX_SHOWN = 80

/** A value as a log shows it: JSON, cut at 80 characters. */
export function shorten(value: unknown): string {
  let text: string
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value)
  } catch {
    text = Object.prototype.toString.call(value)
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text
}

/** Builds the {@link RejectionReason} for a failure code and what the check found. */
export function rejectionReason(code: AuthErrorCode, detail: RejectionDetail | undefined, cause: unknown): RejectionReason {
  const found = detail !== undefined && 'found' in detail ? shorten(detail.found) : undefined
  let said = detail?.claim ?? ''
  if (detail?.expected !== undefined) said += `${said === '' ? '' : ' '}expected ${detail.expected}`
  if (found !== undefined) said += `${detail?.expected !== undefined ? ', ' : said === '' ? '' : ' '}found ${found}`
  let message = AUTH_ERRORS[code].description
  if (said !== '') message += `: ${said}`
  if (detail?.note !== undefined) message += ` (${detail.note})`
  if (cause instanceof Error && cause.message !== '') message += `; ${cause.message}`
  const reason: { -readonly [K in keyof RejectionReason]: RejectionReason[K] } = { code, message }
  if (detail?.claim !== undefined) reason.claim = detail.claim
  if (detail?.expected !== undefined) reason.expected = detail.expected
  if (found !== undefined) reason.found = found
  if (cause !== undefined) reason.cause = cause
  return Object.freeze(reason)
}
