import type { AuthErrorCode } from './error-codes.js'

/** What a check found wrong, for logs: the claim or header it read, what it wanted, what it got. */
export interface RejectionDetail {
  /** The claim or header parameter checked (`aud`, `exp`, `alg`, a `claims` option key…). */
  readonly claim?: string
  /** What was expected, in words or values. */
  readonly expected?: string
  /** What was found; shortened, never the token or a signature. */
  readonly found?: unknown
  /** Anything else worth knowing. */
  readonly note?: string
}

/**
 * Internal signal thrown by the verification steps and turned into an {@link AuthError}
 * (with the configured challenge) in one place. Not an `Error`: no stack is captured on
 * the rejection path, which an attacker controls the rate of.
 */
export class Rejection {
  constructor(
    readonly code: AuthErrorCode,
    readonly cause?: unknown,
    readonly detail?: RejectionDetail,
  ) {}
}
