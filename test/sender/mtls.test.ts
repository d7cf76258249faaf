import { request as httpsRequest, createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, generateClientCertificate, parseChallenge, type ClientCertificate, type FakeIssuer } from '@scopeguard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'

// RFC 8705 §3 end to end on every adapter: a real TLS server asking for client certificates,
// real self-signed certificates, tokens bound to one of them.
let issuer: FakeIssuer
let server: ClientCertificate
let alice: ClientCertificate
let mallory: ClientCertificate
beforeAll(async () => {
  issuer = await createFakeIssuer()
  ;[server, alice, mallory] = await Promise.all([generateClientCertificate(), generateClientCertificate(), generateClientCertificate()])
})
afterAll(() => issuer.close())

interface Reply { status: number; challenge: string | undefined; body: string }

async function withTlsServer(listener: Parameters<typeof createServer>[1], run: (port: number) => Promise<void>): Promise<void> {
  // RFC 8705 §3: the certificate proves possession; it need not chain to a CA, so the server
  // asks for one without rejecting self-signed certificates.
  const tls: Server = createServer({ key: server.keyPem, cert: server.certPem, requestCert: true, rejectUnauthorized: false }, listener)
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve))
  try {
    await run((tls.address() as AddressInfo).port)
  } finally {
    tls.closeAllConnections()
    await new Promise((resolve) => tls.close(resolve))
  }
}

function get(port: number, headers: Record<string, string>, client?: ClientCertificate): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: '/me', headers, rejectUnauthorized: false, agent: false, timeout: 5000,
      ...(client === undefined ? {} : { key: client.keyPem, cert: client.certPem }),
    }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => {
        resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] as string | undefined, body })
      })
    })
    req.on('timeout', () => req.destroy(new Error('timed out'))).on('error', reject).end()
  })
}

describe.each(ADAPTERS)('$name: certificate-bound tokens (RFC 8705)', (adapter) => {
  const options = { issuer: '', audience: 'https://api.example.com' }

  it('a token bound to the TLS client certificate is accepted only over a connection with that certificate', async () => {
    const listener = adapter.app({ ...options, issuer: issuer.url } as AuthOptions)
    const token = await issuer.token({ certificate: alice.der })
    await withTlsServer(listener as never, async (port) => {
      const ok = await get(port, { Authorization: `Bearer ${token}` }, alice)
      expect(ok.status, ok.body).toBe(200)
      expect(JSON.parse(ok.body).auth.binding).toEqual({ scheme: 'Bearer', x5tS256: alice.thumbprint })
      for (const [name, client] of [['another certificate', mallory], ['no certificate', undefined]] as const) {
        const refused = await get(port, { Authorization: `Bearer ${token}` }, client)
        expect(refused.status, name).toBe(401)
        expect(parseChallenge(refused.challenge).params.error, name).toBe('invalid_token')
      }
      // An unbound token needs no certificate.
      expect((await get(port, { Authorization: `Bearer ${await issuer.token()}` })).status).toBe(200)
    })
  })

  it("certificateFrom: 'client-cert-header' reads RFC 9440 Client-Cert from a trusted proxy", async () => {
    const listener = adapter.app({ ...options, issuer: issuer.url, mtls: { certificateFrom: 'client-cert-header' } } as AuthOptions)
    const token = await issuer.token({ certificate: alice.der })
    const header = (cert: ClientCertificate) => `:${Buffer.from(cert.der).toString('base64')}:`
    await withTlsServer(listener as never, async (port) => {
      expect((await get(port, { Authorization: `Bearer ${token}`, 'Client-Cert': header(alice) })).status).toBe(200)
      expect((await get(port, { Authorization: `Bearer ${token}`, 'Client-Cert': header(mallory) })).status).toBe(401)
      expect((await get(port, { Authorization: `Bearer ${token}`, 'Client-Cert': ':bm90IGEgY2VydA==:' })).status).toBe(401)
      // The socket's certificate does not count in this mode: the proxy's header is the truth.
      expect((await get(port, { Authorization: `Bearer ${token}` }, alice)).status).toBe(401)
    })
  })

  it('a cnf the API cannot check is refused, not taken for a bearer token', async () => {
    const listener = adapter.app({ ...options, issuer: issuer.url } as AuthOptions)
    const token = await issuer.token({ claims: { cnf: { 'x5t#S512': 'abc' } } })
    await withTlsServer(listener as never, async (port) => {
      const res = await get(port, { Authorization: `Bearer ${token}` }, alice)
      expect(res.status).toBe(401)
      expect(parseChallenge(res.challenge).params.error).toBe('invalid_token')
    })
  })
})
