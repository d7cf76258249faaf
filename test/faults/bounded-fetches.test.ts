import { IssuerFetchError, type AuthOptions, type KeySourceEvent } from '@scopeguard/core'
import { generateSigningKey, type SigningKey } from '@scopeguard/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { runsSlowCases } from './adapters.js'
import { serveApp, type AppClient } from './app-client.js'
import { closeAfterEach } from './cleanup.js'
import { eventLog, type EventLog } from './event-log.js'
import { expectOk, expectUnavailable, READ } from './expect-reply.js'
import { behave, compressionBomb, createMisbehavingIssuer, JWKS, type Behaviour, type Endless, type MisbehavingIssuer } from './misbehaving-server.js'

// Every request scopeguard makes to a JWKS endpoint is bounded in time (fetchTimeout), in
// size after decoding (maxResponseBytes), in content type and JSON shape, and does not follow
// redirects unless told to. Whatever the endpoint does, the client gets a prompt 503, never a
// 401 (its token may be fine) and never a 500, and the JWKS was requested exactly once.

const track = closeAfterEach()
const MiB = 1024 * 1024
// Short where the timeout is the point; elsewhere long enough that a busy machine cannot turn
// another failure into a timeout.
const SHORT_TIMEOUT = { fetchTimeout: 200 }

/** What a failed JWKS fetch reports through `onEvent`, `refresh_failed`'s `error`. */
type Failure = IssuerFetchError['reason'] | 'not a JWKS' | 'no usable keys'

/** Asserts why the (single) JWKS fetch failed, as `refresh_failed` reports it to operators. */
function expectFailure(log: EventLog, expected: Failure): void {
  const failed = log.events.find((event): event is Extract<KeySourceEvent, { type: 'refresh_failed' }> => event.type === 'refresh_failed')
  expect(failed?.resource).toBe('jwks')
  const error = failed?.error
  const actual: string = error instanceof IssuerFetchError
    ? error.reason
    : error instanceof TypeError
      ? 'not a JWKS'
      : /no usable signing keys/.test(String(error)) ? 'no usable keys' : String(error)
  expect(actual, String(error)).toBe(expected)
}

interface JwksFault {
  name: string
  behaviour: (issuer: MisbehavingIssuer) => Behaviour
  failure: Failure
  options?: Partial<AuthOptions>
  /** Waits out fetchTimeout: run against SLOW_CASE_ADAPTERS only. */
  slow?: boolean
}

const JWKS_FAULTS: readonly JwksFault[] = [
  { name: 'no answer at all (fetchTimeout: 200)', behaviour: () => behave.hang(), failure: 'timeout', options: SHORT_TIMEOUT, slow: true },
  { name: 'headers at once, then one byte every 20 ms for ever (fetchTimeout: 200)', behaviour: () => behave.drip(20), failure: 'timeout', options: SHORT_TIMEOUT, slow: true },
  { name: 'Content-Length: 300 MB', behaviour: () => behave.declaredLength(300 * MiB), failure: 'too-large' },
  { name: 'the connection dropped', behaviour: () => behave.reset(), failure: 'network' },
  { name: 'status 503', behaviour: () => behave.status(503), failure: 'status' },
  { name: 'status 500', behaviour: () => behave.status(500), failure: 'status' },
  { name: 'status 404', behaviour: () => behave.status(404), failure: 'status' },
  { name: 'status 204', behaviour: () => behave.text('', 'application/json', 204), failure: 'status' },
  { name: 'a 302 redirect to a valid JWKS (followRedirects defaults to false)', behaviour: (issuer) => behave.redirect(`${issuer.origin}/moved`), failure: 'status' },
  { name: 'an HTML page', behaviour: () => behave.text('<html><body>Sign in</body></html>', 'text/html; charset=utf-8'), failure: 'content-type' },
  { name: 'a valid JWKS as text/plain', behaviour: (issuer) => behave.text(JSON.stringify(issuer.jwks), 'text/plain'), failure: 'content-type' },
  { name: 'truncated JSON', behaviour: () => behave.text('{"keys":[{"kty":"EC"', 'application/json'), failure: 'json' },
  { name: '{}', behaviour: () => behave.json({}), failure: 'not a JWKS' },
  { name: '{"keys":"x"}', behaviour: () => behave.json({ keys: 'x' }), failure: 'not a JWKS' },
  { name: '[]', behaviour: () => behave.json([]), failure: 'not a JWKS' },
  { name: 'null', behaviour: () => behave.json(null), failure: 'not a JWKS' },
  { name: '{"keys":[]}', behaviour: () => behave.json({ keys: [] }), failure: 'no usable keys' },
]

// One key for the whole file, so the compression bombs, which hold it, are built once.
let key: SigningKey
const bombs = new Map<'gzip' | 'br', Buffer>()
beforeAll(async () => {
  key = await generateSigningKey('ES256')
  for (const encoding of ['gzip', 'br'] as const) bombs.set(encoding, await compressionBomb(encoding, key.publicJwk, 300))
})

describe.each(ADAPTERS)('$name: every JWKS fetch is bounded', (adapter) => {
  async function start(behaviour: (issuer: MisbehavingIssuer) => Behaviour, options: Partial<AuthOptions> = {}): Promise<{ issuer: MisbehavingIssuer; app: AppClient; log: EventLog }> {
    const issuer = track(await createMisbehavingIssuer({ key }))
    issuer.on(JWKS, behaviour(issuer))
    issuer.on('/moved', issuer.serveJwks)
    const log = eventLog()
    const app = track(await serveApp(adapter.app({
      issuer: issuer.url, audience: issuer.audience, jwksUri: issuer.jwksUri, fetchTimeout: 3000, onEvent: log.onEvent, ...options,
    })))
    return { issuer, app, log }
  }

  it.each(JWKS_FAULTS.filter((fault) => !fault.slow || runsSlowCases(adapter)))('JWKS answering $name → 503 promptly, after exactly one fetch', async ({ behaviour, failure, options }) => {
    const { issuer, app, log } = await start(behaviour, options)
    const reply = await app.get(await issuer.token(READ))
    expectUnavailable(reply)
    expect(reply.ms).toBeLessThan(2000)
    expect(issuer.requests(JWKS)).toBe(1)
    expect(issuer.requests('/moved')).toBe(0)
    expect(log.types()).toEqual(['refresh_failed', 'keys_unavailable'])
    expectFailure(log, failure)
  })

  it.each([
    { bytes: 512 * 1024, chunked: false, status: 200 },
    { bytes: 512 * 1024 + 1, chunked: false, status: 503 },
    { bytes: 512 * 1024, chunked: true, status: 200 },
    { bytes: 512 * 1024 + 1, chunked: true, status: 503 },
  ])('maxResponseBytes defaults to 512 KiB: a JWKS of $bytes bytes, chunked: $chunked → $status', async ({ bytes, chunked, status }) => {
    const { issuer, app, log } = await start((issuer) => behave.padded(issuer.jwks, bytes, { chunked }))
    const reply = await app.get(await issuer.token(READ))
    if (status === 200) {
      expectOk(reply)
    } else {
      expectUnavailable(reply)
      expectFailure(log, 'too-large')
    }
  })

  it('followRedirects: true → the same 302 is followed and the token verifies', async () => {
    const { issuer, app } = await start((issuer) => behave.redirect(`${issuer.origin}/moved`), { followRedirects: true })
    expectOk(await app.get(await issuer.token(READ)))
    expect([issuer.requests(JWKS), issuer.requests('/moved')]).toEqual([1, 1])
  })

  it('followRedirects: true and a redirect loop → 503 after at most 5 redirects', async () => {
    const { issuer, app, log } = await start((issuer) => behave.redirect(issuer.jwksUri), { followRedirects: true })
    expectUnavailable(await app.get(await issuer.token(READ)))
    expect(issuer.requests(JWKS)).toBe(5)
    expectFailure(log, 'status')
  })

  it('followRedirects: true never follows a redirect to a target a configured URL could not have', async () => {
    const { issuer, app, log } = await start(() => behave.redirect('http://keys.example.com/jwks'), { followRedirects: true })
    expectUnavailable(await app.get(await issuer.token(READ)))
    expect(issuer.requests(JWKS)).toBe(1)
    expectFailure(log, 'status')
  })

  it('a 300 MB JWKS streamed without end → 503; the body is abandoned at maxResponseBytes and memory stays flat', async () => {
    // A valid JWKS holding the real key, padded with whitespace: read to the end it would verify.
    let endless: Endless | undefined
    const { issuer, app, log } = await start((issuer) => (endless = behave.endless(issuer.key.publicJwk, 300 * MiB)))
    const rss = process.memoryUsage().rss
    expectUnavailable(await app.get(await issuer.token(READ)))
    expectFailure(log, 'too-large')
    // The client hung up: the server stopped writing long before 300 MB.
    await endless?.disconnected
    expect(endless?.written).toBeLessThan(64 * MiB)
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * MiB)
  })

  it('control: the same stream ending after 100 KiB is a valid JWKS', async () => {
    const { issuer, app } = await start((issuer) => behave.endless(issuer.key.publicJwk, 100 * 1024))
    expectOk(await app.get(await issuer.token(READ)))
  })

  it.each(['gzip', 'br'] as const)('a %s bomb (a few hundred KiB expanding to 300 MB) → 503; the limit applies after decoding', async (encoding) => {
    const bomb = bombs.get(encoding) as Buffer
    expect(bomb.byteLength).toBeLessThan(512 * 1024)
    const { issuer, app, log } = await start(() => behave.compressed(encoding, bomb))
    const rss = process.memoryUsage().rss
    expectUnavailable(await app.get(await issuer.token(READ)))
    expectFailure(log, 'too-large')
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * MiB)
  })

  it.each(['gzip', 'br'] as const)('control: a %s body expanding to 1 MiB is decoded and verifies (maxResponseBytes: 2 MiB)', async (encoding) => {
    const { issuer, app } = await start((issuer) => issuer.serveJwks, { maxResponseBytes: 2 * MiB })
    issuer.on(JWKS, behave.compressed(encoding, await compressionBomb(encoding, issuer.key.publicJwk, 1)))
    expectOk(await app.get(await issuer.token(READ)))
  })
})
