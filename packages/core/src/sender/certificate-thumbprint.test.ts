import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { Socket, type AddressInfo } from 'node:net'
import { connect, createServer, type TLSSocket } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { certificateThumbprint, clientCertFromHeader, peerCertificateDer } from './certificate-thumbprint.js'

// Self-signed P-256 certificates made for these tests with
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
//     -subj "/CN=scopeguard test client" -keyout client.key -out client.pem
// and the same for "server". Test keys only; they protect nothing.
const CLIENT_CERT = `-----BEGIN CERTIFICATE-----
MIIBmjCCAT+gAwIBAgIUXaQ/w065ev7viDW0PKEyFHSvLDIwCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWc2NvcGVndWFyZCB0ZXN0IGNsaWVudDAgFw0yNjEyMDMxMTQy
NTZaGA8yMTI2MTEwOTExNDI1NlowITEfMB0GA1UEAwwWc2NvcGVndWFyZCB0ZXN0
IGNsaWVudDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAKkl+3XEwOEu+okqfRz
nZe3STUdjR9nWOcfOS7pUuIt3Z0rKnsqK1P3/zr9WoTFLCD7ODvhm5gqmImGHgtw
jdGjUzBRMB0GA1UdDgQWBBRY/eLPJitY3Pko6dauwn+wbHdPbzAfBgNVHSMEGDAW
gBRY/eLPJitY3Pko6dauwn+wbHdPbzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49
BAMCA0kAMEYCIQCXk+TXO9KuAVDuiDTaryj5OIEqTG9YMNMpZTz5zqLkBgIhAJDA
eqfOxzTjq1Usd1Lom4b8zxRRwJ1H3yFoUNBGQq5p
-----END CERTIFICATE-----
`
const CLIENT_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgUuBDrQf9vwI9anha
6D6DNGzczQR5xRwOKRgcvwjyXZOhRANCAAQCpJft1xMDhLvqJKn0c52Xt0k1HY0f
Z1jnHzku6VLiLd2dKyp7KitT9/86/VqExSwg+zg74ZuYKpiJhh4LcI3R
-----END PRIVATE KEY-----
`
const SERVER_CERT = `-----BEGIN CERTIFICATE-----
MIIBmDCCAT+gAwIBAgIUfDAS14BZ+z0D3ztCX/WEUeWPGzswCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWc2NvcGVndWFyZCB0ZXN0IHNlcnZlcjAgFw0yNjEyMDMxMTQy
NTZaGA8yMTI2MTEwOTExNDI1NlowITEfMB0GA1UEAwwWc2NvcGVndWFyZCB0ZXN0
IHNlcnZlcjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGqGRQ427NFLKJwgGc6G
2Cpc0GrMkquKkhUsGRmLzwl3bXQyG9lQCXYKH87H6Kf5ely4e1mi+LBPAwWsMA1J
j/SjUzBRMB0GA1UdDgQWBBR0w9vNsR1pT7Nlm/It3VvcEp23WzAfBgNVHSMEGDAW
gBR0w9vNsR1pT7Nlm/It3VvcEp23WzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49
BAMCA0cAMEQCIA5MS0L6w6WEgZRl6n6D0vnURZfWLa2dqwbwT4s/K3cAAiBE9l7M
HNFq5Hm1/p4aH0o5MxbZh8c3n5DjXhjh0/8kPw==
-----END CERTIFICATE-----
`
const SERVER_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqaSsAyHbq9ZRHxlF
/QD6dtiaYr01EtWckfhhHXO3NCShRANCAARqhkUONuzRSyicIBnOhtgqXNBqzJKr
ipIVLBkZi88Jd210MhvZUAl2Ch/Ox+in+XpcuHtZoviwTwMFrDANSY/0
-----END PRIVATE KEY-----
`
// openssl x509 -in client.pem -outform der | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '='
const CLIENT_THUMBPRINT = '-x_0hKctmLlNBO0y17Y4XwjyOG5wkPiZ_BjmsxItDvo'

const clientDer = new X509Certificate(CLIENT_CERT).raw
const serverDer = new X509Certificate(SERVER_CERT).raw
const sfBinary = (bytes: Uint8Array): string => `:${Buffer.from(bytes).toString('base64')}:`

describe('certificateThumbprint (RFC 8705 §3.1)', () => {
  it('is base64url(SHA-256(DER)), as openssl computes it', () => {
    expect(certificateThumbprint(clientDer)).toBe(CLIENT_THUMBPRINT)
  })

  it('matches Node\'s own SHA-256 fingerprint of the certificate', () => {
    const fingerprint = Buffer.from(new X509Certificate(SERVER_CERT).fingerprint256.replaceAll(':', ''), 'hex')
    expect(certificateThumbprint(serverDer)).toBe(fingerprint.toString('base64url'))
  })
})

describe('clientCertFromHeader (RFC 9440 §2, RFC 8941 §3.3.5)', () => {
  it('no header, or no lines: undefined', () => {
    expect(clientCertFromHeader(undefined)).toBeUndefined()
    expect(clientCertFromHeader([])).toBeUndefined()
  })

  it('one Byte Sequence holding a certificate: its DER bytes', () => {
    expect(Buffer.from(clientCertFromHeader(sfBinary(clientDer)) as Uint8Array)).toEqual(clientDer)
    expect(Buffer.from(clientCertFromHeader([sfBinary(serverDer)]) as Uint8Array)).toEqual(serverDer)
  })

  it('RFC 8941 §4.2.7: missing "=" padding is accepted', () => {
    const padded = sfBinary(serverDer)
    expect(padded).toMatch(/=:$/)
    expect(Buffer.from(clientCertFromHeader(padded.replace(/=+:$/, ':')) as Uint8Array)).toEqual(serverDer)
  })

  it('whitespace around the value is ignored (RFC 9110 §5.5)', () => {
    expect(Buffer.from(clientCertFromHeader(` ${sfBinary(clientDer)}\t`) as Uint8Array)).toEqual(clientDer)
  })

  const base64 = clientDer.toString('base64')
  it.each([
    ['two header lines', [sfBinary(clientDer), sfBinary(serverDer)]],
    ['two values joined by the framework', `${sfBinary(clientDer)}, ${sfBinary(serverDer)}`],
    ['a value that is not a string', [42 as unknown as string]],
    ['an empty value', ''],
    ['no colons (bare base64)', base64],
    ['one colon missing', `:${base64}`],
    ['an empty Byte Sequence', '::'],
    ['Structured Field parameters', `${sfBinary(clientDer)};proxy=1`],
    ['the base64url alphabet', `:${base64.replaceAll('+', '-').replaceAll('/', '_')}:`],
    ['characters outside base64', `:${base64.slice(0, 8)}*${base64.slice(8)}:`],
    ['padding in the middle', `:${base64.slice(0, 8)}==${base64.slice(8)}:`],
    ['padded to a length that is no multiple of 4', `:${base64}=:`],
    ['a lone last character', `:${base64}A:`],
    ['a PEM certificate instead of DER', CLIENT_CERT],
    ['a PEM certificate wrapped as a Byte Sequence', sfBinary(Buffer.from(CLIENT_CERT))],
    ['a DER certificate with bytes after it', sfBinary(Buffer.concat([clientDer, Buffer.from([0, 0])]))],
    ['a truncated certificate', sfBinary(clientDer.subarray(0, clientDer.length - 10))],
    ['bytes that are no certificate', sfBinary(Buffer.from('not a certificate'))],
  ])('%s: malformed', (_name, value) => {
    expect(clientCertFromHeader(value as string | string[])).toBe('malformed')
  })
})

describe('peerCertificateDer', () => {
  it('anything that is not a TLS socket with a peer certificate: undefined, never a throw', () => {
    const throwing = Object.defineProperty({}, 'getPeerCertificate', { get() { throw new Error('destroyed') } })
    const values: unknown[] = [
      undefined, null, 42, 'socket', {}, new Socket(),
      { getPeerCertificate: 'not a function' },
      { getPeerCertificate: () => ({}) }, // Node's answer when the client sent no certificate
      { getPeerCertificate: () => null },
      { getPeerCertificate: () => ({ raw: 'not bytes' }) },
      { getPeerCertificate: () => ({ raw: Buffer.alloc(0) }) },
      { getPeerCertificate: () => { throw new Error('no handshake') } },
      throwing,
      new Proxy({}, { get() { throw new Error('trap') } }),
    ]
    for (const value of values) expect(peerCertificateDer(value)).toBeUndefined()
  })

  it('RFC 8705 §3: the certificate a client presented over real TLS on 127.0.0.1', async () => {
    // The server asks for certificates and takes self-signed ones (RFC 8705 §2.2): the
    // token's thumbprint, not a CA, is what binds them.
    const seen: (Uint8Array | undefined)[] = []
    const server = createServer({ key: SERVER_KEY, cert: SERVER_CERT, requestCert: true, rejectUnauthorized: false }, (socket) => {
      seen.push(peerCertificateDer(socket))
      socket.end()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const handshake = async (options: { key?: string; cert?: string }): Promise<void> => {
      const client: TLSSocket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options })
      client.resume()
      await once(client, 'close')
    }
    try {
      await handshake({ key: CLIENT_KEY, cert: CLIENT_CERT })
      await handshake({})
    } finally {
      server.close()
      await once(server, 'close')
    }
    expect(seen).toHaveLength(2)
    expect(Buffer.from(seen[0] as Uint8Array)).toEqual(clientDer)
    expect(certificateThumbprint(seen[0] as Uint8Array)).toBe(CLIENT_THUMBPRINT)
    expect(seen[1]).toBeUndefined()
  })
})
