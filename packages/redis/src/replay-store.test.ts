import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useRedisServer } from '../../../test/support/redis-fixture.js'
import { createRedisReplayStore } from './replay-store.js'

const { connect } = useRedisServer()

/** Polls `check` until it resolves true, for at most `within` ms. */
async function eventually(check: () => Promise<boolean>, within = 5000): Promise<void> {
  const deadline = Date.now() + within
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${within} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('createRedisReplayStore', () => {
  it('RFC 9449 §11.1: the first use of a proof is accepted, the second is a replay', async () => {
    const store = createRedisReplayStore({ client: await connect() })
    const key = randomUUID()
    expect(await store.firstUse(key, 60_000)).toBe(true)
    expect(await store.firstUse(key, 60_000)).toBe(false)
    expect(await store.firstUse(randomUUID(), 60_000)).toBe(true)
  })

  it('writes <prefix><key> with a PX time to live of ttlMs', async () => {
    const client = await connect()
    const key = randomUUID()
    await createRedisReplayStore({ client }).firstUse(key, 60_000)
    expect(await client.get(`scopeguard:dpop:${key}`)).toBe('1')
    const pttl = await client.pTTL(`scopeguard:dpop:${key}`)
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(60_000)

    await createRedisReplayStore({ client, prefix: 'api-7:proofs:' }).firstUse(key, 60_000)
    expect(await client.get(`api-7:proofs:${key}`)).toBe('1')
  })

  it('stores with different prefixes do not see each other', async () => {
    const client = await connect()
    const key = randomUUID()
    expect(await createRedisReplayStore({ client, prefix: 'one:' }).firstUse(key, 60_000)).toBe(true)
    expect(await createRedisReplayStore({ client, prefix: 'two:' }).firstUse(key, 60_000)).toBe(true)
  })

  it('a key is accepted again once its time to live has passed', async () => {
    const store = createRedisReplayStore({ client: await connect() })
    const key = randomUUID()
    expect(await store.firstUse(key, 200)).toBe(true)
    expect(await store.firstUse(key, 200)).toBe(false)
    // A false answer leaves the entry's expiry alone, so polling with firstUse itself ends.
    await eventually(() => store.firstUse(key, 200))
  })

  it('atomic: 50 concurrent uses of one key over two connections, exactly one is first', async () => {
    const stores = [createRedisReplayStore({ client: await connect() }), createRedisReplayStore({ client: await connect() })]
    const key = randomUUID()
    const answers = await Promise.all(Array.from({ length: 50 }, (_, index) => stores[index % 2]!.firstUse(key, 60_000)))
    expect(answers.filter((answer) => answer)).toHaveLength(1)
  })

  it('a key longer than 256 characters is stored under its hash, still once', async () => {
    const client = await connect()
    const prefix = `long-${randomUUID()}:`
    const store = createRedisReplayStore({ client, prefix })
    const key = 'k'.repeat(100_000)
    expect(await store.firstUse(key, 60_000)).toBe(true)
    expect(await store.firstUse(key, 60_000)).toBe(false)
    expect(await store.firstUse(`${key}!`, 60_000)).toBe(true)
    const stored = await client.keys(`${prefix}*`)
    expect(stored).toHaveLength(2)
    for (const name of stored) expect(name.length).toBeLessThan(prefix.length + 60)
  })

  it('rejects, never throws, for a key or ttlMs the core would not pass', async () => {
    const store = createRedisReplayStore({ client: await connect() })
    await expect(store.firstUse('', 1000)).rejects.toThrow(/key must be a non-empty string/)
    await expect(store.firstUse(randomUUID(), 0)).rejects.toThrow(/firstUse\(\) needs ttlMs, a positive number of milliseconds; got 0/)
    await expect(store.firstUse(randomUUID(), Number.NaN)).rejects.toThrow(TypeError)
  })
})
