import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorizationLines, bearerRequestFromNode } from './bearer-request.js'

describe('authorizationLines', () => {
  it.each<[string, string[], string | string[] | undefined]>([
    ['no headers', [], undefined],
    ['no Authorization header', ['Host', 'api.example.com', 'Accept', '*/*'], undefined],
    ['one line: a string, not a list', ['Host', 'x', 'Authorization', 'Bearer abc'], 'Bearer abc'],
    ['the header name is case-insensitive', ['AUTHORIZATION', 'Bearer abc'], 'Bearer abc'],
    ['lower-case name', ['authorization', 'Bearer abc'], 'Bearer abc'],
    ['mixed case', ['AuThOrIzAtIoN', 'Bearer abc'], 'Bearer abc'],
    ['other 13-character names are not Authorization', ['Cache-Control', 'no-cache', 'If-None-Match', 'x'], undefined],
    ['an empty value is kept', ['Authorization', ''], ''],
    ['two lines, in order', ['Authorization', 'Bearer a', 'Host', 'x', 'authorization', 'Basic b'], ['Bearer a', 'Basic b']],
    ['three lines', ['Authorization', 'a', 'Authorization', 'b', 'Authorization', 'c'], ['a', 'b', 'c']],
    ['similar names are not Authorization', ['Proxy-Authorization', 'Basic x', 'Authorizations', 'y', 'X-Authorization', 'z'], undefined],
  ])('%s', (_case, rawHeaders, expected) => {
    expect(authorizationLines(rawHeaders)).toEqual(expected)
  })

  it('a value that looks like a header name is not mistaken for one', () => {
    // rawHeaders alternates name, value: only even indexes are names.
    expect(authorizationLines(['X-Note', 'Authorization', 'Authorization', 'Bearer abc'])).toBe('Bearer abc')
  })
})

describe('bearerRequestFromNode', () => {
  it('copies method, url, content type and body', () => {
    const body = { access_token: 'abc' }
    const request = bearerRequestFromNode(
      {
        rawHeaders: ['Content-Type', 'application/x-www-form-urlencoded', 'Authorization', 'Bearer abc'],
        method: 'POST',
        url: '/r?x=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      body,
    )
    expect(request).toEqual({
      authorization: 'Bearer abc',
      method: 'POST',
      url: '/r?x=1',
      contentType: 'application/x-www-form-urlencoded',
      body,
    })
  })

  it('without a body, body is undefined', () => {
    expect(bearerRequestFromNode({ rawHeaders: [], method: 'GET', url: '/', headers: {} })).toEqual({
      authorization: undefined,
      method: 'GET',
      url: '/',
      contentType: undefined,
      body: undefined,
    })
  })

  it('without a body, leaves req.headers alone (Node builds it on first access)', () => {
    const req = {
      rawHeaders: ['Authorization', 'Bearer abc'],
      method: 'GET',
      url: '/',
      get headers(): never {
        throw new Error('req.headers was read')
      },
    }
    expect(bearerRequestFromNode(req).authorization).toBe('Bearer abc')
  })
})

describe('a real node:http request with two Authorization lines', () => {
  let server: Server
  let port: number
  const seen: IncomingMessage[] = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req)
      res.end()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    port = (server.address() as AddressInfo).port
  })

  afterAll(async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  })

  it('RFC 6750 §3.1: Node keeps only the first line in req.headers; rawHeaders has both', async () => {
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.end(
      'GET /r HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer first\r\n' +
        'authorization: Bearer second\r\nConnection: close\r\n\r\n',
    )
    socket.resume()
    await once(socket, 'close')
    const req = seen.at(-1) as IncomingMessage
    expect(req.headers.authorization).toBe('Bearer first')
    expect(bearerRequestFromNode(req).authorization).toEqual(['Bearer first', 'Bearer second'])
  })
})
