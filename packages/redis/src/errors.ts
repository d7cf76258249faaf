/**
 * Redis did not answer within the helper's `timeout`. The helpers reject with it rather than
 * wait: node-redis queues commands while it reconnects, so without a deadline a request would
 * hang for as long as Redis is away. scopeguard turns the rejection into a 503 with
 * `Retry-After`; the request is never accepted.
 */
export class RedisTimeoutError extends Error {
  override readonly name = 'RedisTimeoutError'
  /** Stable, machine-readable. */
  readonly code = 'ERR_SCOPEGUARD_REDIS_TIMEOUT'

  constructor(
    /** The Redis command that went unanswered, e.g. `'SET'`. */
    readonly command: string,
    /** The deadline it missed, in milliseconds. */
    readonly timeout: number,
  ) {
    super(`Redis did not answer ${command} within ${timeout} ms`)
  }
}
