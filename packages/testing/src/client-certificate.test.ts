import { createHash, createPrivateKey, X509Certificate } from 'node:crypto'
import { createServer, request, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certificateThumbprint } from './certificate-thumbprint.js'
import { generateClientCertificate, type ClientCertificate } from './client-certificate.js'
import { generateDpopKey } from './dpop-key.js'
import { createFakeIssuer, type FakeIssuer } from './fake-issuer.js'

let issuer: FakeIssuer
let client: ClientCertificate
beforeAll(async () => {
  ;[issuer, client] = await Promise.all([createFakeIssuer(), generateClientCertificate()])
})
afterAll(() => issuer.close())

describe('generateClientCertificate', () => {
  it('makes a self-signed X.509 v3 P-256 certificate for client authentication, with its key', () => {
    const x509 = new X509Certificate(client.certPem)
    expect(x509.subject).toBe('CN=client')
    expect(x509.issuer).toBe('CN=client')
    expect(x509.verify(x509.publicKey)).toBe(true)
    expect(x509.checkPrivateKey(createPrivateKey(client.keyPem))).toBe(true)
    expect(x509.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' })
    expect(x509.ca).toBe(false)
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']) // extendedKeyUsage: clientAuth
    const lifetime = Date.parse(x509.validTo) - Date.parse(x509.validFrom)
    expect(lifetime).toBeGreaterThanOrEqual(86_400_000)
    expect(lifetime).toBeLessThanOrEqual(86_400_000 + 10 * 60_000)
    expect(Buffer.from(client.der).equals(x509.raw)).toBe(true)
  })

  it('RFC 8705 §3.1: thumbprint is base64url(SHA-256(DER))', () => {
    expect(client.thumbprint).toBe(createHash('sha256').update(client.der).digest('base64url'))
    expect(certificateThumbprint(client.certPem)).toBe(client.thumbprint)
    expect(certificateThumbprint(client.der)).toBe(client.thumbprint)
  })

  it('takes a common name and a lifetime, and checks them', async () => {
    const short = new X509Certificate((await generateClientCertificate({ commonName: 'svc-a', validFor: 60 })).certPem)
    expect(short.subject).toBe('CN=svc-a')
    expect(Date.parse(short.validTo) - Date.now()).toBeLessThanOrEqual(60_000)
    // A long name takes the DER long length forms (0x81, 0x82) in the name and around it.
    const long = 'x'.repeat(300)
    expect(new X509Certificate((await generateClientCertificate({ commonName: long })).certPem).subject).toBe(`CN=${long}`)
    await expect(generateClientCertificate({ validFor: 0 })).rejects.toThrow(TypeError)
    await expect(generateClientCertificate({ commonName: '' })).rejects.toThrow(TypeError)
  })

  it('makes a new key and serial every time', async () => {
    const other = await generateClientCertificate()
    expect(other.thumbprint).not.toBe(client.thumbprint)
    expect(new X509Certificate(other.certPem).serialNumber).not.toBe(new X509Certificate(client.certPem).serialNumber)
  })
})

describe('certificate-bound tokens (RFC 8705 §3.1)', () => {
  it("token({ certificate }) sets cnf['x5t#S256'] from DER or PEM; with dpop, cnf holds both", async () => {
    expect(decodeJwt(await issuer.token({ certificate: client.der })).cnf).toEqual({ 'x5t#S256': client.thumbprint })
    expect(issuer.claims({ certificate: client.certPem }).cnf).toEqual({ 'x5t#S256': client.thumbprint })
    const key = await generateDpopKey()
    expect(issuer.claims({ certificate: client.der, dpop: key }).cnf).toEqual({ 'x5t#S256': client.thumbprint, jkt: key.thumbprint })
  })

  it('refuses what is not a certificate, so no token is bound to an impossible thumbprint', () => {
    expect(() => issuer.claims({ certificate: client.keyPem })).toThrow(/X\.509 certificate/)
    expect(() => certificateThumbprint(new Uint8Array([1, 2, 3]))).toThrow(TypeError)
  })

  it.each([
    ['RFC 8705 §2.2 self-signed mode (no chain validation)', false],
    ['the certificate as its own trust anchor', true],
  ])('a TLS server sees the certificate the token is bound to: %s', async (_name, trustAnchor) => {
    const server = await listen(createServer({
      ...(await generateClientCertificate({ commonName: 'localhost' }).then((tls) => ({ cert: tls.certPem, key: tls.keyPem }))),
      requestCert: true,
      rejectUnauthorized: trustAnchor,
      ...(trustAnchor ? { ca: client.certPem } : {}),
    }, (req, res) => {
      const socket = req.socket as TLSSocket
      const presented = certificateThumbprint(socket.getPeerCertificate().raw)
      const bound = (decodeJwt((req.headers.authorization ?? '').slice(7)).cnf as Record<string, string>)['x5t#S256']
      res.end(JSON.stringify({ authorized: socket.authorized, matches: presented === bound }))
    }))
    try {
      const token = await issuer.token({ certificate: client.der })
      const body = await new Promise<string>((resolve, reject) => {
        const port = (server.address() as AddressInfo).port
        request({ host: '127.0.0.1', port, path: '/', cert: client.certPem, key: client.keyPem, rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
          let text = ''
          res.on('data', (chunk: Buffer) => (text += chunk.toString()))
          res.on('end', () => resolve(text))
        }).on('error', reject).end()
      })
      expect(JSON.parse(body)).toEqual({ authorized: trustAnchor, matches: true })
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
  })
})

async function listen(server: Server): Promise<Server> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return server
}
