/**
 * A string cache shared by the instances of an API (for example on Redis), holding
 * introspection answers under a hash of the token, never the token. Throws or rejects when it
 * cannot answer; a request that then has no other way to be decided is refused with 503.
 */
export interface SharedCache {
  /** The value stored under `key`, or `undefined`. */
  get(key: string): string | undefined | Promise<string | undefined>
  /** Stores `value` under `key` for `ttlMs` milliseconds. */
  set(key: string, value: string, ttlMs: number): void | Promise<void>
}
