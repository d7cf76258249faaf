import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchJson, IssuerFetchError, type FetchPolicy } from './fetch-json.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

const MAX = 2048
const POLICY: FetchPolicy = { timeout: 200, maxBytes: MAX }
const json = (res: ServerResponse, body: string, status = 200, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

// 8 MiB of JSON whitespace compresses to about 8 KB.
const BOMB = gzipSync(Buffer.concat([Buffer.from('{"keys":['), Buffer.alloc(8 * 1024 * 1024, ' '), Buffer.from(']}')]))

const ROUTES: Record<string, Handler> = {
  '/ok': (_req, res) => json(res, '{"keys":[]}'),
  '/jwk-set': (_req, res) => json(res, '{"keys":[{"kty":"EC"}]}', 200, 'application/jwk-set+json'),
  '/charset': (_req, res) => json(res, '{"a":1}', 200, 'application/json; charset=utf-8'),
  '/exact': (_req, res) => json(res, `"${'x'.repeat(MAX - 2)}"`),
  '/accept': (req, res) => json(res, JSON.stringify({ accept: req.headers.accept, custom: req.headers['x-custom'] })),
  '/gzip-small': (_req, res) => {
    const body = gzipSync('{"issuer":"https://idp"}')
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length })
    res.end(body)
  },
  '/404': (_req, res) => json(res, '{"error":"not_found"}', 404),
  '/500': (_req, res) => json(res, '{}', 500),
  '/html': (_req, res) => json(res, '<!doctype html><title>login</title>', 200, 'text/html; charset=utf-8'),
  '/no-type': (_req, res) => res.end('{}'),
  '/text-json': (_req, res) => json(res, '{}', 200, 'text/json'),
  '/invalid-json': (_req, res) => json(res, '{"keys": ['),
  '/empty': (_req, res) => json(res, ''),
  '/stream-big': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    for (let i = 0; i < 8; i++) res.write('x'.repeat(1024))
    res.end()
  },
  '/declared-big': (_req, res) => json(res, `"${'x'.repeat(4094)}"`),
  '/gzip-bomb': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': BOMB.length })
    res.end(BOMB)
  },
  '/hang': () => {},
  '/stall-body': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"keys":[')
  },
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: '/ok' })
    res.end()
  },
  '/reset': (req) => req.socket.destroy(),
}

let server: Server
let base: string
const hits: string[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '')
    const route = ROUTES[req.url ?? '']
    if (route === undefined) json(res, '{}', 404)
    else route(req, res)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  server.close()
  await once(server, 'close')
})

async function failure(path: string, policy: FetchPolicy = POLICY): Promise<IssuerFetchError> {
  const error: unknown = await fetchJson(`${base}${path}`, policy).then(
    () => new Error(`expected ${path} to fail`),
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(IssuerFetchError)
  return error as IssuerFetchError
}

describe('fetchJson: accepted responses', () => {
  it.each([
    ['/ok', { keys: [] }],
    ['/jwk-set', { keys: [{ kty: 'EC' }] }],
    ['/charset', { a: 1 }],
    ['/gzip-small', { issuer: 'https://idp' }],
  ])('200 JSON %s', async (path, body) => {
    expect(await fetchJson(`${base}${path}`, POLICY)).toEqual(body)
  })

  it('a body of exactly maxBytes is accepted', async () => {
    expect(await fetchJson(`${base}/exact`, POLICY)).toBe('x'.repeat(MAX - 2))
  })

  it('asks for JSON and sends the extra headers', async () => {
    const body = await fetchJson(`${base}/accept`, { ...POLICY, headers: { 'x-custom': 'yes' } })
    expect(body).toEqual({ accept: 'application/json, application/jwk-set+json', custom: 'yes' })
  })
})

describe('fetchJson: refused responses', () => {
  it.each<[string, IssuerFetchError['reason'], RegExp]>([
    ['/404', 'status', /: expected status 200, got 404$/],
    ['/500', 'status', /: expected status 200, got 500$/],
    ['/html', 'content-type', /: expected a JSON content type, got "text\/html; charset=utf-8"$/],
    ['/no-type', 'content-type', /: expected a JSON content type, got ""$/],
    ['/text-json', 'content-type', /got "text\/json"$/],
    ['/invalid-json', 'json', /: body is not valid JSON$/],
    ['/empty', 'json', /: body is not valid JSON$/],
    ['/stream-big', 'too-large', /: body exceeds the limit of 2048 bytes$/],
    ['/declared-big', 'too-large', /: declared 4096 bytes, limit is 2048$/],
  ])('%s → %s', async (path, reason, message) => {
    const error = await failure(path)
    expect(error.reason).toBe(reason)
    expect(error.url).toBe(`${base}${path}`)
    expect(error.message).toMatch(new RegExp(`^${base.replace(/[.]/g, '\\.')}${path}`))
    expect(error.message).toMatch(message)
    expect(error.name).toBe('IssuerFetchError')
  })

  it('a gzip bomb (about 8 KB expanding to 8 MiB) stops at maxBytes after decoding', async () => {
    expect(BOMB.length).toBeLessThan(16 * 1024)
    const error = await failure('/gzip-bomb', { ...POLICY, timeout: 5000, maxBytes: 64 * 1024 })
    expect(error.reason).toBe('too-large')
    expect(error.message).toMatch(/body exceeds the limit of 65536 bytes/)
  })

  it('redirects are not followed: a 302 is a status error and the target is never fetched', async () => {
    const before = hits.filter((path) => path === '/ok').length
    const error = await failure('/redirect')
    expect(error.reason).toBe('status')
    expect(error.message).toMatch(/expected status 200, got 302/)
    expect(hits.filter((path) => path === '/ok').length).toBe(before)
  })
})

describe('fetchJson: timeouts and network errors', () => {
  it('a server that never answers → timeout within the configured time', async () => {
    const started = performance.now()
    const error = await failure('/hang')
    const elapsed = performance.now() - started
    expect(error.reason).toBe('timeout')
    expect(error.message).toMatch(/no response within 200 ms$/)
    expect(elapsed).toBeGreaterThanOrEqual(150)
    expect(elapsed).toBeLessThan(2000)
  })

  it('a body that stalls after the headers → timeout', async () => {
    const started = performance.now()
    const error = await failure('/stall-body')
    expect(error.reason).toBe('timeout')
    expect(error.message).toMatch(/body not received within 200 ms$/)
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('an outer abort signal ends the request early', async () => {
    const controller = new AbortController()
    const pending = fetchJson(`${base}/hang`, { ...POLICY, timeout: 10_000 }, controller.signal)
    setTimeout(() => controller.abort(), 50)
    const started = performance.now()
    await expect(pending).rejects.toBeInstanceOf(IssuerFetchError)
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('a connection closed without a response → network', async () => {
    const error = await failure('/reset', { ...POLICY, timeout: 5000 })
    expect(error.reason).toBe('network')
    expect(error.message).toMatch(/: request failed$/)
    expect(error.cause).toBeDefined()
  })

  it('nothing listening → network', async () => {
    const closed = createServer()
    closed.listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const { port } = closed.address() as AddressInfo
    closed.close()
    await once(closed, 'close')
    const error: unknown = await fetchJson(`http://127.0.0.1:${port}/ok`, { ...POLICY, timeout: 5000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IssuerFetchError)
    expect((error as IssuerFetchError).reason).toBe('network')
  })
})
