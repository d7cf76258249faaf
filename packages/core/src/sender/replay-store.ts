/**
 * Where DPoP proof identifiers are recorded so that each proof is accepted once (RFC 9449
 * §11.1). Every instance of an API that shares clients must share one store, or a proof
 * replayed to another instance is accepted there.
 */
export interface ReplayStore {
  /**
   * Records `key` for `ttlMs` milliseconds. Resolves `true` when the key was not recorded
   * yet (first use), `false` when it was (a replay). Must be atomic: of two concurrent calls
   * with one key, across every instance sharing the store, exactly one sees `true`. Throws or
   * rejects when the store cannot answer; the request is then refused with 503, never
   * accepted.
   */
  firstUse(key: string, ttlMs: number): boolean | Promise<boolean>
}
