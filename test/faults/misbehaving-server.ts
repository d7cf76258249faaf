import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Transform } from 'node:stream'
import { constants, createBrotliCompress, createGzip } from 'node:zlib'
import { generateSigningKey, signToken, tokenClaims, type SigningKey, type TokenOptions } from '@scopeguard/testing'

// An issuer that misbehaves in the ways @scopeguard/testing's createFakeIssuer cannot: bodies
// without end, compression bombs, redirects, wrong JSON shapes, hand-made key sets. It serves
// OpenID Connect discovery naming itself as the issuer and a JWKS of one real key, so tokens
// from token() verify through the middleware's normal path until a test breaks something.

/** Where discovery looks first (OIDC Discovery §4), then second (RFC 8414 §3.1). */
export const OPENID = '/.well-known/openid-configuration'
export const OAUTH = '/.well-known/oauth-authorization-server'
export const JWKS = '/jwks'

/** How one path answers. */
export type Behaviour = (res: ServerResponse, req: IncomingMessage) => void

export interface MisbehavingIssuer {
  /** The issuer identifier, `http://127.0.0.1:<port>/`; tokens carry it as `iss`. */
  readonly url: string
  /** `http://127.0.0.1:<port>`, to build other paths. */
  readonly origin: string
  readonly jwksUri: string
  /** The real key: published in {@link jwks}, and signing {@link token}'s tokens. */
  readonly key: SigningKey
  readonly audience: string
  /** Mints a valid access token signed with {@link key}. */
  token(options?: TokenOptions): Promise<string>
  /** The metadata served at {@link OPENID}, read at each request: change it freely. */
  metadata: Record<string, unknown>
  /** The document served at {@link JWKS}, read at each request: change it freely. */
  jwks: unknown
  /** The normal answers, to mount at another path (e.g. a redirect target). */
  readonly serveMetadata: Behaviour
  readonly serveJwks: Behaviour
  /** Makes `path` answer with `behaviour` from now on. */
  on(path: string, behaviour: Behaviour): void
  /** How many requests `path` has received (any path, served or not). */
  requests(path: string): number
  /** Stops the server and drops every connection, hanging ones included. */
  close(): Promise<void>
}

export interface MisbehavingIssuerOptions {
  /** The real key. Default: a new ES256 key. */
  key?: SigningKey
}

/** Starts a misbehaving issuer on 127.0.0.1 on a free port; it behaves until told otherwise with `on()`. */
export async function createMisbehavingIssuer(options: MisbehavingIssuerOptions = {}): Promise<MisbehavingIssuer> {
  const key = options.key ?? (await generateSigningKey('ES256'))
  const counts = new Map<string, number>()
  const routes = new Map<string, Behaviour>()
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    counts.set(path, (counts.get(path) ?? 0) + 1)
    const behaviour = routes.get(path) ?? behave.status(404)
    behaviour(res, req)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const audience = 'https://api.example.com'

  const issuer: MisbehavingIssuer = {
    url: `${origin}/`,
    origin,
    jwksUri: `${origin}${JWKS}`,
    key,
    audience,
    token: (tokenOptions = {}) => signToken(key, tokenClaims(`${origin}/`, audience, tokenOptions)),
    metadata: { issuer: `${origin}/`, jwks_uri: `${origin}${JWKS}`, response_types_supported: ['code'] },
    jwks: { keys: [key.publicJwk] },
    serveMetadata: (res, req) => behave.json(issuer.metadata)(res, req),
    serveJwks: (res, req) => behave.json(issuer.jwks, 'application/jwk-set+json')(res, req),
    on: (path, behaviour) => routes.set(path, behaviour),
    requests: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  routes.set(OPENID, issuer.serveMetadata)
  routes.set(JWKS, issuer.serveJwks)
  return issuer
}

/** A behaviour that answers only once released. */
export interface Held extends Behaviour {
  release(): void
}

/** A body that goes on until the client hangs up, with how much of it was sent. */
export interface Endless extends Behaviour {
  /** Bytes written so far. */
  readonly written: number
  /** Settles when the client has closed the connection. */
  readonly disconnected: Promise<void>
}

const MiB = 1024 * 1024

export const behave = {
  json: (value: unknown, contentType = 'application/json'): Behaviour => behave.text(JSON.stringify(value), contentType),

  text: (body: string, contentType: string, status = 200): Behaviour => (res) => {
    res.writeHead(status, { 'content-type': contentType }).end(body)
  },

  status: (status: number): Behaviour => behave.text('upstream failure', 'text/plain', status),

  /** Accepts the request and never answers; close() drops the connection. */
  hang: (): Behaviour => () => {},

  /**
   * Holds every request until {@link Held.release}, then answers them (and all later ones) as
   * `then` does: a slow issuer whose slowness the test controls, instead of a delay it hopes
   * is long enough.
   */
  held: (then: Behaviour): Held => {
    let waiting: (() => void)[] | undefined = []
    const behaviour: Behaviour = (res, req) => {
      if (waiting === undefined) then(res, req)
      else waiting.push(() => then(res, req))
    }
    return Object.assign(behaviour, {
      release() {
        const release = waiting ?? []
        waiting = undefined
        for (const answer of release) answer()
      },
    })
  },

  redirect: (location: string, status = 302): Behaviour => (res) => {
    res.writeHead(status, { location, 'content-type': 'text/plain' }).end('moved')
  },

  /** Drops the connection without an answer. */
  reset: (): Behaviour => (res) => {
    res.socket?.destroy()
  },

  /** Starts a JWKS, then sends one space every `everyMs` for ever: the headers come fast, the body never ends. */
  drip: (everyMs: number): Behaviour => (res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"keys":[')
    const timer = setInterval(() => res.write(' '), everyMs)
    res.on('close', () => clearInterval(timer))
  },

  /** Declares a body of `bytes` in `Content-Length`, then waits: a client that trusts the header would allocate it. */
  declaredLength: (bytes: number): Behaviour => (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes) })
    res.write('{"keys":[')
  },

  /**
   * `document` as JSON, padded with whitespace to exactly `bytes`; sent with its
   * `Content-Length`, or chunked in two writes so that only counting can find its size.
   */
  padded: (document: unknown, bytes: number, { chunked }: { chunked: boolean }): Behaviour => (res) => {
    const json = JSON.stringify(document)
    const body = `${json.slice(0, -1)}${' '.repeat(bytes - json.length)}}`
    if (chunked) {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
      res.write(body.slice(0, bytes / 2))
      res.end(body.slice(bytes / 2))
    } else {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes) }).end(body)
    }
  },

  /** A precompressed body (see {@link compressionBomb}), sent whole with its small `Content-Length`. */
  compressed: (encoding: string, body: Buffer): Behaviour => (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': String(body.byteLength) })
    res.end(body)
  },

  /**
   * A JWKS holding `jwk` followed by `totalBytes` of whitespace, streamed in 64 KiB chunks
   * under backpressure (the server itself never holds more than a chunk) and stopped as soon
   * as the client disconnects. Read to the end it would be a valid JWKS: only a size limit
   * can refuse it.
   */
  endless: (jwk: unknown, totalBytes = 300 * MiB): Endless => {
    let written = 0
    let hungUp!: () => void
    const disconnected = new Promise<void>((resolve) => (hungUp = resolve))
    const chunk = Buffer.alloc(64 * 1024, ' ')
    const behaviour: Behaviour = (res) => {
      let open = true
      res.on('close', () => {
        open = false
        hungUp()
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write(`{"keys":[${JSON.stringify(jwk)}]`)
      const pump = (): void => {
        while (open) {
          if (written >= totalBytes) {
            res.end('}')
            return
          }
          written += chunk.byteLength
          if (!res.write(chunk)) {
            res.once('drain', pump)
            return
          }
        }
      }
      pump()
    }
    return Object.defineProperties(behaviour, {
      written: { get: () => written },
      disconnected: { value: disconnected },
    }) as Endless
  },
}

/**
 * A compression bomb: a JWKS holding `jwk` followed by `megabytes` MiB of whitespace,
 * compressed (gzip with run-length strategy, or brotli) to a few hundred KiB at most, so its
 * `Content-Length` passes any size check made before decoding. Built from one reused 1 MiB
 * buffer, so making it never holds the expanded body either.
 */
export async function compressionBomb(encoding: 'gzip' | 'br', jwk: unknown, megabytes: number): Promise<Buffer> {
  const stream: Transform = encoding === 'gzip'
    ? createGzip({ level: 9, strategy: constants.Z_RLE })
    : createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 1 } })
  const parts: Buffer[] = []
  stream.on('data', (part: Buffer) => parts.push(part))
  const ended = new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject))
  const spaces = Buffer.alloc(MiB, ' ')
  const write = async (data: Buffer | string): Promise<void> => {
    if (!stream.write(data)) await new Promise((resolve) => stream.once('drain', resolve))
  }
  await write(`{"keys":[${JSON.stringify(jwk)}]`)
  for (let i = 0; i < megabytes; i++) await write(spaces)
  stream.end('}')
  await ended
  return Buffer.concat(parts)
}
