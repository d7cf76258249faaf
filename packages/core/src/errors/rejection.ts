import type { AuthErrorCode } from './errors.js'

/**
 * Internal signal thrown by the verification steps and turned into an {@link AuthError}
 * (with the configured challenge) in one place. Not an `Error`: no stack is captured on
 * the rejection path, which an attacker controls the rate of.
 */
export class Rejection {
  constructor(
    readonly code: AuthErrorCode,
    readonly cause?: unknown,
  ) {}
}
