import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useRedisServer, type RedisClient as Client } from '../../../test/support/redis-fixture.js'
import { createRedisDenyList } from './deny-list.js'
import { RedisTimeoutError } from './errors.js'
import { createRedisReplayStore } from './replay-store.js'
import { createRedisSharedCache } from './shared-cache.js'

// Fail-closed behaviour against a real redis-server that is killed, restarted and frozen.
// Durations are bounds against hanging, with wide margins, never measurements of speed.

const TIMEOUT = 300
/** How far past `timeout` a rejection may come: scheduling noise, never a hang. */
const MARGIN = 2000

const { connect, server } = useRedisServer()

function helpers(client: Client) {
  return {
    store: createRedisReplayStore({ client, timeout: TIMEOUT }),
    cache: createRedisSharedCache({ client, timeout: TIMEOUT }),
    denyList: createRedisDenyList({ client, timeout: TIMEOUT }),
  }
}

/** Every helper call, each expected to reject within TIMEOUT + MARGIN; returns the errors. */
async function expectAllReject({ store, cache, denyList }: ReturnType<typeof helpers>): Promise<unknown[]> {
  const calls: (() => Promise<unknown>)[] = [
    () => store.firstUse(randomUUID(), 60_000),
    () => cache.get(randomUUID()),
    () => cache.set(randomUUID(), 'v', 60_000),
    () => denyList.isRevoked({ jti: randomUUID() }),
    () => denyList.revoke(randomUUID(), Math.floor(Date.now() / 1000) + 60),
  ]
  return Promise.all(calls.map(async (call) => {
    const started = Date.now()
    const outcome = await call().then(() => 'resolved', (err: unknown) => err)
    expect(outcome).toBeInstanceOf(Error)
    expect(Date.now() - started).toBeLessThan(TIMEOUT + MARGIN)
    return outcome
  }))
}

/** Waits, at most 10 s, until the client has reconnected. */
async function reconnected(client: Client): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!client.isReady) {
    if (Date.now() > deadline) throw new Error('the client did not reconnect within 10 s')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function expectWorking({ store, cache, denyList }: ReturnType<typeof helpers>): Promise<void> {
  const key = randomUUID()
  expect(await store.firstUse(key, 60_000)).toBe(true)
  expect(await store.firstUse(key, 60_000)).toBe(false)
  await cache.set(key, 'back', 60_000)
  expect(await cache.get(key)).toBe('back')
  await denyList.revoke(key, Math.floor(Date.now() / 1000) + 60)
  expect(await denyList.isRevoked({ jti: key })).toBe(true)
}

describe('when Redis is down', () => {
  it('killed: every call rejects within the timeout (commands queued offline are not waited for); after a restart it works again', async () => {
    const clientsOf = [await connect(), await connect({ disableOfflineQueue: true })]
    const [defaults, noQueue] = clientsOf.map(helpers) as [ReturnType<typeof helpers>, ReturnType<typeof helpers>]
    await expectWorking(defaults)

    await server().kill()
    await expectAllReject(defaults)
    await expectAllReject(noQueue)
    // Once the client knows the connection is gone, the offline queue holds commands: only the
    // timeout ends them.
    for (const err of await expectAllReject(defaults)) expect(err).toBeInstanceOf(RedisTimeoutError)

    await server().restart()
    for (const client of clientsOf) await reconnected(client)
    await expectWorking(defaults)
    await expectWorking(noQueue)
  })

  it('hung (SIGSTOP, the connection stays open): every call rejects with RedisTimeoutError; it works again once Redis answers', async () => {
    const client = await connect()
    const all = helpers(client)
    await expectWorking(all)

    await server().pause()
    try {
      for (const err of await expectAllReject(all)) {
        expect(err).toBeInstanceOf(RedisTimeoutError)
        expect(err).toMatchObject({ code: 'ERR_SCOPEGUARD_REDIS_TIMEOUT', timeout: TIMEOUT })
      }
    } finally {
      await server().resume()
    }
    await reconnected(client)
    await expectWorking(all)
  })
})
