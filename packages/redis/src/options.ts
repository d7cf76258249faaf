/**
 * The part of a node-redis client the helpers use: `get` and `set`, with node-redis 5 and 6
 * signatures. A client from `createClient()`, a cluster from `createCluster()`, a sentinel from
 * `createSentinel()` and a pool from `createClientPool()` all fit; every command names one key,
 * so a cluster routes each to the node that owns it.
 */
export interface RedisClientLike {
  /** `GET key`: the value, `null` when there is none. */
  get(key: string): Promise<unknown>
  /** `SET key value PX|EXAT n [NX]`: `'OK'` when set, `null` when `NX` found the key. */
  set(key: string, value: string, options: RedisSetOptions): Promise<unknown>
}

/** The `SET` options the helpers send, in node-redis 5 and 6 form. */
export interface RedisSetOptions {
  /** `PX`: expire after `value` milliseconds; `EXAT`: at `value` seconds since the epoch. */
  expiration: { type: 'PX' | 'EXAT'; value: number }
  /** `NX`: set only when the key does not exist yet. */
  condition?: 'NX'
}

/** Options every helper takes. */
export interface RedisHelperOptions {
  /**
   * A node-redis client (`createClient()` from `redis`, 5 or 6), or a cluster, sentinel or pool.
   * Connect it yourself and give it an `'error'` listener; see the package README for the
   * settings to use (`disableOfflineQueue: true`, a `reconnectStrategy`).
   */
  client: RedisClientLike
  /**
   * How long Redis may take to answer, in milliseconds; the call then rejects with
   * `RedisTimeoutError` and scopeguard answers 503. node-redis queues commands while it is
   * disconnected, so this deadline is what fails a request closed instead of leaving it
   * hanging. Keep it below scopeguard's own limit (2 s for the replay store, `fetchTimeout`
   * for `isRevoked`). Default 1000.
   */
  timeout?: number
}
