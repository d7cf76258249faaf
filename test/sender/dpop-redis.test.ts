import type { AuthOptions } from '@scopeguard/core'
import { createRedisReplayStore } from '@scopeguard/redis'
import { createDpopProof, createFakeIssuer, generateDpopKey, type FakeIssuer } from '@scopeguard/testing'
import { createClient } from 'redis'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { startRedisServer, type RedisServer } from '../support/redis-server.js'

// Two instances of one API behind a load balancer share a real redis-server: a proof used on
// one is refused on the other (RFC 9449 §11.1), and a store that cannot answer fails closed.
const ORIGIN = 'https://api.example.com'

let issuer: FakeIssuer
let redis: RedisServer
beforeAll(async () => {
  issuer = await createFakeIssuer()
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
  await issuer?.close()
})

const express = ADAPTERS.find((adapter) => adapter.name.startsWith('express'))
const koa = ADAPTERS.find((adapter) => adapter.name.startsWith('koa'))

describe('DPoP replay store on Redis', () => {
  it('a proof replayed from one instance to another is refused; Redis down → 503 with Retry-After, then recovery', async () => {
    if (express === undefined || koa === undefined) throw new Error('the express and koa adapters are needed')
    // Fail fast while Redis is down instead of queueing commands (see @scopeguard/redis).
    const clients = [0, 1].map(() => createClient({ url: redis.url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50 } }))
    for (const client of clients) client.on('error', () => {})
    await Promise.all(clients.map((client) => client.connect()))
    try {
      const options = (client: (typeof clients)[number]) => ({
        issuer: issuer.url,
        audience: 'https://api.example.com',
        dpop: { origin: ORIGIN, replayStore: createRedisReplayStore({ client, timeout: 500 }) },
      }) as AuthOptions
      const instances = [express.app(options(clients[0] as never)), koa.app(options(clients[1] as never))] as const
      const key = await generateDpopKey()
      const token = await issuer.token({ dpop: key })
      const send = (instance: 0 | 1, proof: string) => request(instances[instance]).get('/me').set('Authorization', `DPoP ${token}`).set('DPoP', proof)
      const proof = () => createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token })

      const first = await proof()
      expect((await send(0, first)).status).toBe(200)
      expect((await send(1, first)).status).toBe(401)
      const second = await proof()
      expect((await send(1, second)).status).toBe(200)
      expect((await send(0, second)).status).toBe(401)

      await redis.kill()
      const down = await send(0, await proof())
      expect(down.status).toBe(503)
      expect(down.headers['retry-after']).toBe('10')
      expect(down.body.error).toBe('temporarily_unavailable')

      await redis.restart()
      // Bounded wait for the client to reconnect.
      let status = 0
      for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
        status = (await send(0, await proof())).status
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(status).toBe(200)
    } finally {
      await Promise.all(clients.map((client) => client.destroy()))
    }
  }, 30_000)
})
