import type { ReplayStore } from '@scopeguard/core'
import { redisKey } from './lib/redis-key.js'
import { pxTtl } from './lib/ttl.js'
import { timeBoxed } from './lib/time-box.js'
import { resolveHelperOptions } from './lib/validate.js'
import type { RedisHelperOptions } from './options.js'

/** Options of {@link createRedisReplayStore}. */
export interface RedisReplayStoreOptions extends RedisHelperOptions {
  /** Prepended to every key this store writes. Default `'scopeguard:dpop:'`. */
  prefix?: string
}

/** The {@link ReplayStore} of {@link createRedisReplayStore}: always asynchronous. */
export interface RedisReplayStore extends ReplayStore {
  /**
   * `SET <prefix><key> 1 NX PX <ttlMs>`: `true` when this call recorded the key, `false` when
   * it was already there (a replay). Rejects when Redis fails or does not answer in time.
   */
  firstUse(key: string, ttlMs: number): Promise<boolean>
}

/**
 * A DPoP replay store (RFC 9449 §11.1) on Redis, shared by every instance of the API:
 * `dpop: { replayStore: createRedisReplayStore({ client }) }` in `auth()`.
 *
 * Each `firstUse(key, ttlMs)` is one `SET <prefix><key> 1 NX PX <ttlMs>`, atomic in Redis:
 * of any number of concurrent uses of one proof, on any instance, exactly one resolves `true`.
 * It rejects when Redis fails or does not answer within `timeout`; scopeguard then answers 503
 * and never accepts the proof.
 *
 * @throws TypeError at construction, for a missing client or an invalid `prefix` or `timeout`.
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): RedisReplayStore {
  const { client, prefix, timeout } = resolveHelperOptions('createRedisReplayStore', options, 'scopeguard:dpop:')
  return {
    async firstUse(key: string, ttlMs: number): Promise<boolean> {
      const ttl = pxTtl(ttlMs, 'firstUse()')
      const reply = await timeBoxed(() => client.set(redisKey(prefix, key), '1', { expiration: { type: 'PX', value: ttl }, condition: 'NX' }), 'SET', timeout)
      // 'OK' when this call set the key; null when NX found it already there: a replay.
      return reply !== null
    },
  }
}

