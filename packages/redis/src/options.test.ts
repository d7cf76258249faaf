import { createClient } from 'redis'
import type { createClientPool, createCluster, createSentinel } from 'redis'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { createRedisDenyList } from './deny-list.js'
import type { RedisClientLike } from './options.js'
import { createRedisReplayStore } from './replay-store.js'
import { createRedisSharedCache } from './shared-cache.js'

// Construction only: no command is sent, so an unconnected client will do.
const client = createClient()

const factories = [
  ['createRedisReplayStore', createRedisReplayStore, 'scopeguard:dpop:'],
  ['createRedisSharedCache', createRedisSharedCache, 'scopeguard:introspection:'],
  ['createRedisDenyList', createRedisDenyList, 'scopeguard:revoked:'],
] as const

describe.each(factories)('%s() validates its options at construction', (name, factory, defaultPrefix) => {
  const create = factory as (options: unknown) => unknown

  it('accepts a node-redis client with the defaults', () => {
    expect(() => create({ client })).not.toThrow()
    expect(() => create({ client, prefix: 'api:', timeout: 250 })).not.toThrow()
  })

  it.each([
    ['no options', undefined, /needs an options object with a node-redis client, e\.g\. .*\(\{ client \}\).*; got undefined/],
    ['no client', {}, /`client` must be a node-redis client, e\.g\. client: await createClient\(.*\)\.connect\(\).*; got undefined/],
    ['a URL for a client', { client: 'redis://localhost:6379' }, /`client` must be a node-redis client.*; got "redis:\/\/localhost:6379"/],
    ['an object without get() and set()', { client: { connect() {} } }, /this object has no get\(\) or set\(\)/],
    ['an object without set()', { client: { get() {} } }, /this object has no set\(\)/],
    ['an ioredis-shaped client', { client: { get() {}, set() {}, defineCommand() {} } }, /looks like an ioredis client; give a node-redis client instead/],
    ['an empty prefix', { client, prefix: '' }, new RegExp(`\`prefix\` must be a non-empty string, e\\.g\\. prefix: '${defaultPrefix}' \\(the default\\); got ""`)],
    ['a prefix that is not a string', { client, prefix: 7 }, /`prefix` must be a non-empty string.*; got 7/],
    ['a zero timeout', { client, timeout: 0 }, /`timeout` must be a positive number of milliseconds \(at most 2147483647\), e\.g\. timeout: 1000 \(the default\); got 0/],
    ['a negative timeout', { client, timeout: -5 }, /`timeout` must be a positive number of milliseconds.*got -5/],
    ['an infinite timeout', { client, timeout: Number.POSITIVE_INFINITY }, /`timeout`.*got Infinity/],
    ['a NaN timeout', { client, timeout: Number.NaN }, /`timeout`.*got NaN/],
    ['a timeout as a string', { client, timeout: '1000' }, /`timeout`.*got "1000"/],
    ['a timeout setTimeout cannot wait', { client, timeout: 2 ** 31 }, /`timeout`.*got 2147483648/],
    ['an unknown option', { client, ttl: 5 }, /unknown option `ttl`; known: client, prefix, timeout/],
  ])('refuses %s', (_case, options, message) => {
    expect(() => create(options)).toThrow(TypeError)
    expect(() => create(options)).toThrow(message)
    expect(() => create(options)).toThrow(`scopeguard: ${name}(): `)
  })
})

describe('createRedisDenyList() keepAfterExpiry', () => {
  it.each([[-1], [1.5], [86_401], ['300']])('refuses %j', (keepAfterExpiry) => {
    expect(() => createRedisDenyList({ client, keepAfterExpiry: keepAfterExpiry as number })).toThrow(
      /`keepAfterExpiry` must be a whole number of seconds from 0 to 86400, at least auth\(\)'s clockTolerance/,
    )
  })

  it('accepts 0 and is listed among the known options', () => {
    expect(() => createRedisDenyList({ client, keepAfterExpiry: 0 })).not.toThrow()
    expect(() => createRedisDenyList({ client, ttl: 1 } as never)).toThrow(/known: client, prefix, timeout, keepAfterExpiry/)
  })
})

describe('the client type', () => {
  it('takes node-redis clients, clusters, sentinels and pools', () => {
    expectTypeOf<ReturnType<typeof createClient>>().toExtend<RedisClientLike>()
    expectTypeOf<ReturnType<typeof createCluster>>().toExtend<RedisClientLike>()
    expectTypeOf<ReturnType<typeof createSentinel>>().toExtend<RedisClientLike>()
    expectTypeOf<ReturnType<typeof createClientPool>>().toExtend<RedisClientLike>()
    // @ts-expect-error a URL is not a client
    expect(() => createRedisReplayStore({ client: 'redis://localhost:6379' })).toThrow(TypeError)
  })
})
