import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import { describe, expect, it, vi } from 'vitest'
import { ADAPTERS, type AdapterUnderTest } from '../support/adapters.js'
import { serveApp, type AppClient } from './app-client.js'
import { closeAfterEach } from './cleanup.js'
import { eventLog, type EventLog } from './event-log.js'
import { expectOk, expectUnavailable, READ } from './expect-reply.js'
import { fakeClock, type FakeClock } from './fake-clock.js'

// What operators see through onEvent, in order, for each way of getting (or not getting)
// keys; and that a logging hook which throws changes no response.

const track = closeAfterEach()

interface Setup {
  issuer: FakeIssuer
  app: AppClient
  log: EventLog
  clock: FakeClock
}

async function start(adapter: AdapterUnderTest, options: Partial<AuthOptions> = {}): Promise<Setup> {
  const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
  const clock = fakeClock()
  const log = eventLog()
  const app = track(await serveApp(adapter.app({
    issuer: issuer.url,
    audience: issuer.audience,
    jwksCacheMaxAge: 60_000,
    clock: clock.now,
    onEvent: log.onEvent,
    ...options,
  })))
  return { issuer, app, log, clock }
}

const anyError = expect.anything() as unknown

describe.each(ADAPTERS)('$name: key source events', (adapter) => {
  it('cold fetch → metadata_fetched, keys_fetched', async () => {
    const { issuer, app, log } = await start(adapter)
    expectOk(await app.get(await issuer.token(READ)))
    expect(log.events).toEqual([
      { type: 'metadata_fetched', issuer: issuer.url, jwksUri: issuer.jwksUri },
      { type: 'keys_fetched', issuer: issuer.url, url: issuer.jwksUri, keys: 1, skipped: 0 },
    ])
  })

  it('failed refresh while cached keys serve → refresh_failed, serving_stale (with their age)', async () => {
    const { issuer, app, log, clock } = await start(adapter)
    expectOk(await app.get(await issuer.token(READ)))
    issuer.fail('jwks', 'garbage')
    clock.advance(61_000)
    expectOk(await app.get(await issuer.token(READ)))
    await log.until('serving_stale', 1)
    expect(log.events.slice(2)).toEqual([
      { type: 'refresh_failed', issuer: issuer.url, resource: 'jwks', error: anyError, retryIn: 1000 },
      { type: 'serving_stale', issuer: issuer.url, age: 61_000 },
    ])
  })

  it('cold failure of the JWKS → metadata_fetched, refresh_failed, keys_unavailable', async () => {
    const { issuer, app, log } = await start(adapter)
    issuer.fail('jwks', { status: 503 })
    expectUnavailable(await app.get(await issuer.token(READ)))
    expect(log.events).toEqual([
      { type: 'metadata_fetched', issuer: issuer.url, jwksUri: issuer.jwksUri },
      { type: 'refresh_failed', issuer: issuer.url, resource: 'jwks', error: anyError, retryIn: 1000 },
      { type: 'keys_unavailable', issuer: issuer.url, error: anyError },
    ])
  })

  it('cold failure of discovery → refresh_failed (metadata), refresh_failed (jwks), keys_unavailable', async () => {
    const { issuer, app, log } = await start(adapter)
    issuer.fail('discovery', 'reset')
    expectUnavailable(await app.get(await issuer.token(READ)))
    expect(log.events).toEqual([
      { type: 'refresh_failed', issuer: issuer.url, resource: 'metadata', error: anyError, retryIn: 1000 },
      { type: 'refresh_failed', issuer: issuer.url, resource: 'jwks', error: anyError, retryIn: 1000 },
      { type: 'keys_unavailable', issuer: issuer.url, error: anyError },
    ])
  })

  it('an onEvent handler that throws changes no response: 200 cold, 200 stale, 503 unavailable', async () => {
    let calls = 0
    const onEvent = (): void => {
      calls++
      throw new Error('the logging pipeline is down')
    }
    const { issuer, app, clock } = await start(adapter, { onEvent, jwksStaleIfError: 120_000 })
    expectOk(await app.get(await issuer.token(READ)))
    issuer.fail('jwks', { status: 500 })
    clock.advance(60_000)
    expectOk(await app.get(await issuer.token(READ)))
    await vi.waitFor(() => expect(calls).toBe(4), { timeout: 3000, interval: 5 })
    clock.advance(120_000)
    expectUnavailable(await app.get(await issuer.token(READ)))
    // metadata_fetched, keys_fetched; refresh_failed, serving_stale; refresh_failed, keys_unavailable
    expect(calls).toBe(6)
  })
})
