import { metrics, trace } from '@opentelemetry/api'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ADAPTERS } from './support/adapters.js'

// OpenTelemetry with no scopeguard option set: the application registers an SDK (here the
// in-memory exporters), and every authentication becomes a span and counts in the metrics.

let issuer: FakeIssuer
const spans = new InMemorySpanExporter()
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
const meterProvider = new MeterProvider({ readers: [reader] })

beforeAll(async () => {
  issuer = await createFakeIssuer()
  trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)
})
afterAll(async () => {
  await issuer.close()
  await tracerProvider.shutdown()
  await meterProvider.shutdown()
  trace.disable()
  metrics.disable()
})
beforeEach(() => {
  spans.reset()
})

/** The data points of a metric, from a fresh collection. */
async function points(name: string): Promise<{ attributes: Record<string, unknown>; value: unknown }[]> {
  metricExporter.reset()
  await reader.forceFlush()
  const collected: ResourceMetrics[] = metricExporter.getMetrics()
  const metric = collected.at(-1)?.scopeMetrics.flatMap((scope) => scope.metrics).find((candidate) => candidate.descriptor.name === name)
  return (metric?.dataPoints ?? []).map((point) => ({ attributes: point.attributes, value: point.value }))
}

describe('OpenTelemetry: where scopeguard looks for a registered SDK', () => {
  it('the API keeps what is registered under Symbol.for("opentelemetry.js.api.1"), which scopeguard checks before any telemetry work', () => {
    // If a new major of @opentelemetry/api moves it, every span and metric test here fails too;
    // this one names the cause.
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')]).toMatchObject({ trace: expect.anything(), metrics: expect.anything() })
  })
})

describe.each(ADAPTERS.filter((adapter) => ['express 5', 'koa 3'].includes(adapter.name)))('$name: OpenTelemetry', (adapter) => {
  it('a span per authentication: outcome, cache hit, issuer; refusals with error.type; never the token', async () => {
    const app = adapter.app({ issuer: issuer.url, audience: issuer.audience as string, keys: issuer.signingKey.publicJwk })
    const token = await issuer.token({ scope: 'read:appointments' })
    for (let i = 0; i < 3; i++) await request(app).get('/appointments').set('Authorization', `Bearer ${token}`).expect(200)
    await request(app).get('/appointments').set('Authorization', `Bearer ${await issuer.bad.expired()}`).expect(401)

    const finished = spans.getFinishedSpans().filter((span) => span.name === 'scopeguard.authenticate')
    expect(finished).toHaveLength(4)
    expect(finished.map((span) => span.attributes['scopeguard.cache.hit'] ?? null)).toEqual([false, false, true, null])
    expect(finished[0]?.attributes).toMatchObject({ 'scopeguard.outcome': 'accepted', 'scopeguard.issuer': issuer.url, 'scopeguard.token.present': true })
    expect(finished[3]?.attributes).toMatchObject({ 'scopeguard.outcome': 'refused', 'error.type': 'token_expired' })
    const recorded = JSON.stringify(finished.map((span) => span.attributes))
    for (const part of token.split('.')) expect(recorded).not.toContain(part)
  })

  it('no spans while no tracer provider is registered; a provider registered later gets them', async () => {
    const app = adapter.app({ issuer: issuer.url, audience: issuer.audience as string, keys: issuer.signingKey.publicJwk })
    const token = await issuer.token({ scope: 'read:appointments' })
    trace.disable()
    try {
      for (let i = 0; i < 3; i++) await request(app).get('/appointments').set('Authorization', `Bearer ${token}`).expect(200)
      expect(spans.getFinishedSpans()).toHaveLength(0)
    } finally {
      trace.setGlobalTracerProvider(tracerProvider)
    }
    await request(app).get('/appointments').set('Authorization', `Bearer ${token}`).expect(200)
    const finished = spans.getFinishedSpans().filter((span) => span.name === 'scopeguard.authenticate')
    expect(finished.map((span) => span.attributes['scopeguard.cache.hit'])).toEqual([true])
  })

  it('metrics: decisions by step, outcome and code; cache lookups; verification duration; key fetches', async () => {
    const app = adapter.app({ issuer: issuer.url, audience: issuer.audience as string })
    const before = await points('scopeguard.auth.decisions')
    const count = (list: typeof before, attributes: Record<string, unknown>) =>
      Number(list.find((point) => JSON.stringify(point.attributes) === JSON.stringify(attributes))?.value ?? 0)
    const token = await issuer.token({ scope: 'profile' })
    for (let i = 0; i < 3; i++) await request(app).get('/appointments').set('Authorization', `Bearer ${token}`).expect(403)
    await request(app).get('/appointments').expect(401)
    const after = await points('scopeguard.auth.decisions')
    const grew = (attributes: Record<string, unknown>) => count(after, attributes) - count(before, attributes)
    expect(grew({ 'scopeguard.step': 'authenticate', 'scopeguard.outcome': 'accepted' })).toBe(3)
    expect(grew({ 'scopeguard.step': 'authorize', 'scopeguard.outcome': 'refused', 'error.type': 'scope_insufficient' })).toBe(3)
    expect(grew({ 'scopeguard.step': 'authenticate', 'scopeguard.outcome': 'refused', 'error.type': 'credentials_missing' })).toBe(1)
    expect((await points('scopeguard.token_cache.lookups')).map((point) => point.attributes['scopeguard.cache.hit'])).toEqual(expect.arrayContaining([true, false]))
    expect((await points('scopeguard.token.verification.duration')).length).toBeGreaterThan(0)
    expect(await points('scopeguard.keys.fetches')).toEqual(expect.arrayContaining([
      expect.objectContaining({ attributes: { 'scopeguard.resource': 'jwks', 'scopeguard.fetch.result': 'success' } }),
    ]))
  })
})
