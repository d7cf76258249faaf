import { randomUUID } from 'node:crypto'
import { RESP_TYPES } from 'redis'
import { describe, expect, it } from 'vitest'
import { useRedisServer } from '../../../test/support/redis-fixture.js'
import { createRedisSharedCache } from './shared-cache.js'

const { connect } = useRedisServer()

describe('createRedisSharedCache', () => {
  it('get of an unknown key is undefined; set then get returns the value', async () => {
    const cache = createRedisSharedCache({ client: await connect() })
    const key = randomUUID()
    expect(await cache.get(key)).toBeUndefined()
    const value = JSON.stringify({ active: true, scope: 'read:files', sub: 'ünïcødé ✓' })
    await cache.set(key, value, 60_000)
    expect(await cache.get(key)).toBe(value)
  })

  it('is shared: what one instance stores, another reads', async () => {
    const key = randomUUID()
    await createRedisSharedCache({ client: await connect() }).set(key, 'answer', 60_000)
    expect(await createRedisSharedCache({ client: await connect() }).get(key)).toBe('answer')
  })

  it('writes <prefix><key> with a PX time to live of ttlMs', async () => {
    const client = await connect()
    const key = randomUUID()
    await createRedisSharedCache({ client }).set(key, 'v', 30_000)
    expect(await client.get(`scopeguard:introspection:${key}`)).toBe('v')
    const pttl = await client.pTTL(`scopeguard:introspection:${key}`)
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(30_000)
    await createRedisSharedCache({ client, prefix: 'api-7:introspection:' }).set(key, 'w', 30_000)
    expect(await client.get(`api-7:introspection:${key}`)).toBe('w')
  })

  it('an entry is gone once its time to live has passed', async () => {
    const cache = createRedisSharedCache({ client: await connect() })
    const key = randomUUID()
    await cache.set(key, 'short-lived', 200)
    expect(await cache.get(key)).toBe('short-lived')
    const deadline = Date.now() + 5000
    while ((await cache.get(key)) !== undefined) {
      if (Date.now() > deadline) throw new Error('the entry outlived its time to live by 5 s')
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  })

  it('reads strings from a client that maps replies to Buffers', async () => {
    const client = (await connect()).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
    const cache = createRedisSharedCache({ client })
    const key = randomUUID()
    await cache.set(key, 'ünïcødé', 60_000)
    expect(await cache.get(key)).toBe('ünïcødé')
  })

  it('rejects, never throws, for arguments the core would not pass', async () => {
    const cache = createRedisSharedCache({ client: await connect() })
    await expect(cache.set(randomUUID(), 'v', -1)).rejects.toThrow(/set\(\) needs ttlMs/)
    await expect(cache.set(randomUUID(), 42 as unknown as string, 1000)).rejects.toThrow(/stores strings/)
    await expect(cache.get('')).rejects.toThrow(/non-empty string/)
  })
})
