import type { SharedCache } from '@scopeguard/core'
import { redisKey } from './lib/redis-key.js'
import { timeBoxed } from './lib/time-box.js'
import { pxTtl } from './lib/ttl.js'
import { resolveHelperOptions } from './lib/validate.js'
import type { RedisHelperOptions } from './options.js'

/** Options of {@link createRedisSharedCache}. */
export interface RedisSharedCacheOptions extends RedisHelperOptions {
  /** Prepended to every key this cache writes. Default `'scopeguard:introspection:'`. */
  prefix?: string
}

/** The {@link SharedCache} of {@link createRedisSharedCache}: always asynchronous. */
export interface RedisSharedCache extends SharedCache {
  /** `GET <prefix><key>`: the value, or `undefined`. Rejects when Redis fails or does not answer in time. */
  get(key: string): Promise<string | undefined>
  /** `SET <prefix><key> <value> PX <ttlMs>`. Rejects when Redis fails or does not answer in time. */
  set(key: string, value: string, ttlMs: number): Promise<void>
}

/**
 * A cache of token introspection answers (RFC 7662) on Redis, shared by every instance of the
 * API: `introspection: { cache: { shared: createRedisSharedCache({ client }) } }` in `auth()`.
 * scopeguard stores each answer under a hash of the token, never the token itself.
 *
 * `get` is `GET <prefix><key>`, `set` is `SET <prefix><key> <value> PX <ttlMs>`. Both reject
 * when Redis fails or does not answer within `timeout`.
 *
 * @throws TypeError at construction, for a missing client or an invalid `prefix` or `timeout`.
 */
export function createRedisSharedCache(options: RedisSharedCacheOptions): RedisSharedCache {
  const { client, prefix, timeout } = resolveHelperOptions('createRedisSharedCache', options, 'scopeguard:introspection:')
  return {
    async get(key: string): Promise<string | undefined> {
      const reply = await timeBoxed(() => client.get(redisKey(prefix, key)), 'GET', timeout)
      return text(reply)
    },
    async set(key: string, value: string, ttlMs: number): Promise<void> {
      if (typeof value !== 'string') throw new TypeError(`scopeguard: the shared cache stores strings; set() got ${typeof value}.`)
      const ttl = pxTtl(ttlMs, 'set()')
      await timeBoxed(() => client.set(redisKey(prefix, key), value, { expiration: { type: 'PX', value: ttl } }), 'SET', timeout)
    },
  }
}

/** A GET reply as a string: node-redis gives a Buffer when the client maps strings to Buffers. */
function text(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined
  if (typeof reply === 'string') return reply
  if (reply instanceof Uint8Array) return Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength).toString('utf8')
  throw new TypeError(`scopeguard: Redis GET answered with ${typeof reply}, not a string; use a client without a custom type mapping.`)
}
