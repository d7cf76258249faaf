import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import request from 'supertest'
import { fetch as undiciFetch, ProxyAgent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from './support/adapters.js'

// The `fetch` option: discovery and JWKS requests through a corporate proxy (or with a private
// CA), here undici's ProxyAgent against a real CONNECT proxy on 127.0.0.1 that counts what it
// forwards.

/** A forwarding proxy (CONNECT tunnels, as undici's ProxyAgent opens) that records its tunnels. */
async function startProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((_req, res) => {
    res.statusCode = 405
    res.end()
  })
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? ''
    tunnels.push(target)
    const [host, port] = target.split(':')
    // Loopback only: this proxy forwards nowhere else.
    if (host !== '127.0.0.1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client).pipe(upstream)
    })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => socket.destroy())
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(async () => {
  await issuer.close()
})

describe.each(ADAPTERS.filter((adapter) => ['express 5', 'koa 3'].includes(adapter.name)))('$name: the fetch option', (adapter) => {
  it('sends discovery and the JWKS request through the proxy it was given', async () => {
    const proxy = await startProxy()
    const dispatcher = new ProxyAgent(proxy.url)
    try {
      const before = { ...issuer.requests }
      const app = adapter.app({
        issuer: issuer.url,
        audience: issuer.audience as string,
        fetch: ((url, init) => undiciFetch(url as string, { ...(init as object), dispatcher })) as typeof fetch,
      })
      await request(app).get('/appointments').set('Authorization', `Bearer ${await issuer.token({ scope: 'read:appointments' })}`).expect(200)
      expect(issuer.requests.discovery - before.discovery).toBe(1)
      expect(issuer.requests.jwks - before.jwks).toBe(1)
      const origin = new URL(issuer.url).host
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1)
      expect(proxy.tunnels.every((tunnel) => tunnel === origin)).toBe(true)
    } finally {
      await dispatcher.close()
      await proxy.close()
    }
  })

  it('a proxy that is down is an outage of the issuer: 503, never the token’s fault', async () => {
    const proxy = await startProxy()
    await proxy.close()
    const dispatcher = new ProxyAgent(proxy.url)
    try {
      const app = adapter.app({
        issuer: issuer.url,
        audience: issuer.audience as string,
        warnings: false,
        fetch: ((url, init) => undiciFetch(url as string, { ...(init as object), dispatcher })) as typeof fetch,
      })
      const res = await request(app).get('/appointments').set('Authorization', `Bearer ${await issuer.token({ scope: 'read:appointments' })}`)
      expect(res.status).toBe(503)
      expect(res.headers['retry-after']).toBeDefined()
    } finally {
      await dispatcher.close()
    }
  })
})
