import { createClient, type RedisClientOptions } from 'redis'
import { afterAll, beforeAll } from 'vitest'
import { startRedisServer, type RedisServer } from './redis-server.js'

/** A node-redis client connected to the file's redis-server. */
export type RedisClient = ReturnType<typeof createClient>

/** What {@link useRedisServer} gives a test file. */
export interface RedisFixture {
  /** The server, to kill, restart, pause or resume it. Available once the file's tests run. */
  readonly server: () => RedisServer
  /**
   * A client connected to it, destroyed after the file's tests. Its `error` events (reconnect
   * attempts while the server is down) are ignored: the tests assert on what the calls return.
   */
  connect(options?: Pick<RedisClientOptions, 'disableOfflineQueue'>): Promise<RedisClient>
}

/**
 * A real redis-server on 127.0.0.1 for the calling test file: started before its tests,
 * stopped after them, with every client {@link RedisFixture.connect} made.
 */
export function useRedisServer(): RedisFixture {
  let redis: RedisServer | undefined
  const clients: RedisClient[] = []
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(async () => {
    for (const client of clients.splice(0)) client.destroy()
    await redis?.stop()
  })
  const server = (): RedisServer => {
    if (redis === undefined) throw new Error('useRedisServer(): the server starts in beforeAll; use it inside a test')
    return redis
  }
  return {
    server,
    async connect(options = {}) {
      const client: RedisClient = createClient({ url: server().url, ...options })
      client.on('error', () => {})
      clients.push(client)
      await client.connect()
      return client
    },
  }
}
