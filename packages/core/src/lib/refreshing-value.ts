/** Timing rules of a {@link RefreshingValue}, in milliseconds. */
export interface RefreshPolicy {
  /** Age after which a refresh is due; until then the value is served without any fetch. */
  readonly maxAge: number
  /**
   * How long past `maxAge` the old value may still be served while refreshes fail
   * (stale-if-error, as RFC 5861 names it for HTTP caches). Past it, requests wait for a fetch.
   */
  readonly staleIfError: number
  /** Delay before retrying after the first failure; doubles per failure up to `retryMax`. */
  readonly retryMin: number
  readonly retryMax: number
}

/** What a {@link RefreshingValue} tells its owner, for events and logging. */
export interface RefreshHooks<T> {
  loaded(value: T): void
  /** A fetch failed. `stale` is the age in ms of the value still being served, or undefined when there is none. */
  failed(error: unknown, stale: number | undefined, retryIn: number): void
}

/**
 * A remotely loaded value (issuer metadata, a JWKS) that stays available while its source
 * misbehaves:
 * - single flight: concurrent callers share one fetch;
 * - stale-while-revalidate: past `maxAge` the cached value is returned at once while one
 *   refresh runs in the background;
 * - stale-if-error: when refreshes fail, the cached value keeps serving for `staleIfError`;
 * - failures are retried with exponential backoff, never on every request: during the
 *   backoff a caller without a usable value fails fast, without a fetch;
 * - nothing is cached from a failure beyond the backoff, so the first call after it fetches.
 *
 * Written here because jose's remote JWKS refetches on every call once its cache expires
 * and throws when that fails (no stale serving, no backoff), which is the failure mode we
 * exist to avoid. Time comes from `clock`, so tests need no sleeps.
 */
export class RefreshingValue<T> {
  private value: T | undefined
  private fetchedAt = -Infinity
  private pending: Promise<T> | undefined
  private failures = 0
  private retryAt = -Infinity
  private lastError: unknown

  constructor(
    private readonly load: () => Promise<T>,
    private readonly policy: RefreshPolicy,
    private readonly clock: () => number,
    private readonly hooks: RefreshHooks<T>,
  ) {}

  /** The value, fetching it only when there is none that may still be served. */
  get(): Promise<T> {
    const now = this.clock()
    if (this.value !== undefined) {
      const age = now - this.fetchedAt
      if (age < this.policy.maxAge) return Promise.resolve(this.value)
      if (age < this.policy.maxAge + this.policy.staleIfError) {
        if (this.pending === undefined && now >= this.retryAt) this.start().catch(() => {})
        return Promise.resolve(this.value)
      }
    }
    if (this.pending !== undefined) return this.pending
    if (now < this.retryAt) return Promise.reject(this.lastError)
    return this.start()
  }

  /**
   * Refetches when the value is older than `minAge` (a cooldown), e.g. for a token naming an
   * unknown key. Says whether it refreshed, was not allowed to yet (`cooling`), or could not
   * (`failed`: the fetch failed, or a backoff after earlier failures is running).
   */
  async refreshIfOlderThan(minAge: number): Promise<{ readonly refreshed: T } | 'cooling' | 'failed'> {
    const now = this.clock()
    let fetch = this.pending
    if (fetch === undefined) {
      if (now - this.fetchedAt < minAge) return 'cooling'
      if (now < this.retryAt) return 'failed'
      fetch = this.start()
    }
    return fetch.then((refreshed) => ({ refreshed }), () => 'failed' as const)
  }

  /** Milliseconds since the last successful fetch (Infinity before the first). */
  age(): number {
    return this.clock() - this.fetchedAt
  }

  private start(): Promise<T> {
    const fetch = this.load().then(
      (value) => {
        this.value = value
        this.fetchedAt = this.clock()
        this.failures = 0
        this.retryAt = -Infinity
        this.hooks.loaded(value)
        return value
      },
      (error: unknown) => {
        this.failures++
        const retryIn = Math.min(this.policy.retryMax, this.policy.retryMin * 2 ** (this.failures - 1))
        this.retryAt = this.clock() + retryIn
        this.lastError = error
        this.hooks.failed(error, this.value === undefined ? undefined : this.clock() - this.fetchedAt, retryIn)
        throw error
      },
    )
    this.pending = fetch
    const clear = (): void => {
      if (this.pending === fetch) this.pending = undefined
    }
    fetch.then(clear, clear)
    return fetch
  }
}
