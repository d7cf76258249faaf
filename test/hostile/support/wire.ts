import { createServer, type IncomingMessage, type RequestListener, type ServerOptions } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import type { ResponseLike } from '../../support/expect-challenge.js'

/** One request, as it goes on the wire. */
export interface WireRequest {
  /** Default `GET`. */
  readonly method?: string
  /** The request target, sent as is (so it may hold anything a client can put there). */
  readonly path: string
  /**
   * Header lines after `Host`, in order and as many as given. A string value goes out as its
   * UTF-8 bytes; a `Uint8Array` goes out byte for byte (control characters, CR, NUL...).
   */
  readonly headers?: readonly (readonly [name: string, value: string | Uint8Array])[]
  /** An `application/x-www-form-urlencoded` body. */
  readonly form?: string
}

/** A response read off the socket. */
export interface WireResponse extends ResponseLike {
  /** Every header line, in order, names as sent. */
  readonly rawHeaders: readonly (readonly [name: string, value: string])[]
  /** The body as text. */
  readonly text: string
  /** The whole response, head and body, decoded as latin1 so that every byte is visible. */
  readonly wire: string
  /**
   * `req.auth` as it stood when the response finished. Express sets it on the request object
   * itself, so a leak shows here; Koa keeps `ctx.state`, which the body check covers instead.
   */
  readonly reqAuth: unknown
}

/** A server for one app on 127.0.0.1, and a client that writes raw bytes to it. */
export interface WireServer {
  send(request: WireRequest): Promise<WireResponse>
  close(): Promise<void>
}

const TIMEOUT_MS = 5000

/**
 * Serves `listener` on a free loopback port. Requests go through a plain TCP socket, not an
 * HTTP client: Node's client refuses header values with control characters, and supertest
 * keeps one value per header name, while an attacker is bound by neither. Every request
 * carries `Connection: close` and must be answered within 5 s, so a hang fails the test.
 */
export async function serve(listener: RequestListener, options: ServerOptions = {}): Promise<WireServer> {
  // Keyed by a request id header, so concurrent requests to one server stay apart. The
  // server's own 'finish' listener (which closes the connection) was added before ours, but
  // the client can only see the close on a later tick, so the entry exists when it reads it.
  const authAtFinish = new Map<string, unknown>()
  const server = createServer(options, (req, res) => {
    res.on('finish', () => authAtFinish.set(String(req.headers['x-wire-id']), (req as IncomingMessage & { auth?: unknown }).auth))
    listener(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  let sequence = 0

  return {
    async send(request) {
      const id = String(++sequence)
      const response = parseResponse(await exchange(port, encodeRequest(request, port, id)))
      const reqAuth = authAtFinish.get(id)
      authAtFinish.delete(id)
      return { ...response, reqAuth }
    },
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

function encodeRequest(request: WireRequest, port: number, id: string): Buffer {
  const lines: Buffer[] = [Buffer.from(`${request.method ?? 'GET'} ${request.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nX-Wire-Id: ${id}\r\n`, 'latin1')]
  for (const [name, value] of request.headers ?? []) {
    lines.push(Buffer.from(`${name}: `, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value), Buffer.from('\r\n'))
  }
  const body = request.form === undefined ? Buffer.alloc(0) : Buffer.from(request.form, 'utf8')
  if (request.form !== undefined) {
    lines.push(Buffer.from(`Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n`, 'latin1'))
  }
  lines.push(Buffer.from('\r\n'), body)
  return Buffer.concat(lines)
}

/** Writes the request and reads until the server closes the connection (`Connection: close`). */
function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect({ host: '127.0.0.1', port })
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`no complete answer within ${TIMEOUT_MS} ms`)))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => resolve(Buffer.concat(chunks)))
    socket.on('error', (error) => {
      // Node may reset the connection right after answering an oversized request (431)
      // while the rest of it is still being written: the answer is what counts.
      const received = Buffer.concat(chunks)
      if (received.includes('\r\n\r\n')) resolve(received)
      else reject(error)
    })
    // No half-close: Node's server aborts a request whose client ends its side early.
    socket.write(bytes)
  })
}

function parseResponse(wire: Buffer): Omit<WireResponse, 'reqAuth'> {
  const headEnd = wire.indexOf('\r\n\r\n')
  if (headEnd < 0) throw new Error(`not an HTTP response: ${JSON.stringify(wire.toString('latin1').slice(0, 200))}`)
  const [statusLine = '', ...headerLines] = wire.subarray(0, headEnd).toString('latin1').split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
  const rawHeaders = headerLines.map((line): [string, string] => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon), line.slice(colon + 1).trim()]
  })
  const headers: Record<string, string | string[] | undefined> = {}
  for (const [name, value] of rawHeaders) {
    const key = name.toLowerCase()
    const seen = headers[key]
    headers[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value]
  }
  let body = wire.subarray(headEnd + 4)
  if (String(headers['transfer-encoding']).toLowerCase() === 'chunked') body = dechunk(body)
  const text = body.toString('utf8')
  let parsed: Record<string, unknown> = {}
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    // not JSON (Node's own 400/431 has no body): the assertions say what was expected
  }
  return { status, headers, rawHeaders, body: parsed, text, wire: wire.toString('latin1') }
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = []
  let offset = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset)
    const size = parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16)
    if (!(size > 0)) return Buffer.concat(parts)
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size))
    offset = lineEnd + 2 + size + 2
  }
}

/**
 * One server per app configuration, started on first use and kept for later rows: building
 * an app and fetching the issuer's keys per row would dominate the run. Rows that share a
 * configuration share a server, as requests to a real deployment do.
 */
export interface ServerPool {
  /** Sends `request` to the server for `options`, building the app with `app(options)` the first time. */
  send<O>(app: (options: O) => RequestListener, options: O, request: WireRequest): Promise<WireResponse>
  close(): Promise<void>
}

export function serverPool(serverOptions: ServerOptions = {}): ServerPool {
  const servers = new Map<string, Promise<WireServer>>()
  return {
    async send(app, options, request) {
      const key = JSON.stringify(options ?? null, (_name, value: unknown) => {
        if (typeof value === 'function') throw new TypeError('serverPool: options holding functions cannot be told apart; resolve them first')
        return value
      })
      let server = servers.get(key)
      if (server === undefined) servers.set(key, (server = serve(app(options), serverOptions)))
      return (await server).send(request)
    },
    async close() {
      await Promise.all([...servers.values()].map(async (server) => (await server).close()))
      servers.clear()
    },
  }
}

/** `GET <path>` with `Authorization: Bearer <token>`. */
export function bearer(token: string, path = '/me'): WireRequest {
  return { path, headers: [['Authorization', `Bearer ${token}`]] }
}
