import { INVALID_SPAN_CONTEXT, metrics, ProxyTracerProvider, SpanStatusCode, trace, type Attributes, type Meter, type MeterProvider, type Span } from '@opentelemetry/api'
import type { AuthErrorCode } from '../errors/error-codes.js'
import { AUTH_ERRORS, isAuthError } from '../errors/errors.js'
import type { KeySourceEvent } from '../keys/key-source-event.js'
import type { AuthResult } from '../token/auth-result.js'

// OpenTelemetry through @opentelemetry/api only: without an SDK registered by the application
// every call below is a no-op. Names follow the semantic conventions where they have one
// (`error.type`); the rest live under `scopeguard.*`. Never the token, never a claim value:
// the issuer recorded is one of the configured issuers, which the token's `iss` matched.

// The tracer is a proxy that follows a provider registered later; a meter is not, so the
// instruments are made again whenever the global meter provider changes (one comparison
// per use), and an SDK registered after scopeguard was imported still gets its metrics.
const tracer = trace.getTracer('scopeguard')

function createInstruments(meter: Meter) {
  return {
    decisions: meter.createCounter('scopeguard.auth.decisions', {
      description: 'Decisions, by step (authenticate: the token; authorize: the scopes), outcome and failure code',
      unit: '{decision}',
    }),
    cacheLookups: meter.createCounter('scopeguard.token_cache.lookups', {
      description: 'Verified-token cache lookups for requests with a token, by hit or miss',
      unit: '{lookup}',
    }),
    verifications: meter.createHistogram('scopeguard.token.verification.duration', {
      description: 'Time to verify a token the cache did not hold: key lookup, signature and claims',
      unit: 's',
    }),
    keyFetches: meter.createCounter('scopeguard.keys.fetches', {
      description: 'Fetches of issuer metadata and JWKS, by resource and result',
      unit: '{fetch}',
    }),
  }
}

let provider: MeterProvider | undefined
let instruments: ReturnType<typeof createInstruments> | undefined

function current(): ReturnType<typeof createInstruments> {
  const now = metrics.getMeterProvider()
  if (now !== provider || instruments === undefined) {
    provider = now
    instruments = createInstruments(now.getMeter('scopeguard'))
  }
  return instruments
}

// Attribute sets are built once: a request adds no allocation for them.
type Step = 'authenticate' | 'authorize'
const ACCEPTED: Readonly<Record<Step, Attributes>> = {
  authenticate: Object.freeze({ 'scopeguard.step': 'authenticate', 'scopeguard.outcome': 'accepted' }),
  authorize: Object.freeze({ 'scopeguard.step': 'authorize', 'scopeguard.outcome': 'accepted' }),
}
const refusedAttributes = new Map<string, Attributes>()
const refusedWith = (code: string, step: Step): Attributes => {
  const key = `${step} ${code}`
  let attributes = refusedAttributes.get(key)
  if (attributes === undefined) {
    attributes = Object.freeze({ 'scopeguard.step': step, 'scopeguard.outcome': 'refused', 'error.type': code })
    refusedAttributes.set(key, attributes)
  }
  return attributes
}
const HIT: Attributes = Object.freeze({ 'scopeguard.cache.hit': true })
const MISS: Attributes = Object.freeze({ 'scopeguard.cache.hit': false })

// @opentelemetry/api keeps whatever an application registers (tracer and meter providers, a
// context manager) on one global object, under a registry symbol named for the API's major
// version: the contract every copy of the API in a process shares. Until that object exists
// nothing is registered, and a request needs no telemetry work at all; asking the API itself
// (the proxy tracer, the context manager, the meter provider) costs about 500 instructions of a
// cached request of about 3 000, by callgrind. test/telemetry.test.ts checks the symbol.
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1')

/** Whether anything is registered with the OpenTelemetry API in this process. */
export function telemetryRegistered(): boolean {
  return (globalThis as { [API_GLOBAL]?: unknown })[API_GLOBAL] !== undefined
}

// With the API in use but no tracer provider (metrics only, say), a span would still cost a trip
// through the proxy tracer and the context manager to a new no-op span; one look at the
// global provider tells the same. A provider of another copy of the API is not ours to read:
// it gets the full call.
const NO_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate()
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT)

/**
 * Starts the span of one authentication: `undefined` while nothing is registered with the
 * OpenTelemetry API (the decision is then neither traced nor counted), a shared no-op span
 * while no tracer provider is.
 */
export function startAuthSpan(): Span | undefined {
  if (!telemetryRegistered()) return undefined
  const provider = trace.getTracerProvider()
  if (provider instanceof ProxyTracerProvider && provider.getDelegate() === NO_TRACER_PROVIDER) return NO_SPAN
  return tracer.startSpan('scopeguard.authenticate')
}

/** Ends an authentication's span and counts the decision: accepted (with or without a token). */
export function recordAccepted(span: Span | undefined, result: AuthResult | undefined, cacheHit: boolean): void {
  if (span === undefined) return
  const { decisions, cacheLookups } = current()
  decisions.add(1, ACCEPTED.authenticate)
  if (result !== undefined) cacheLookups.add(1, cacheHit ? HIT : MISS)
  if (span.isRecording()) {
    span.setAttribute('scopeguard.outcome', 'accepted')
    span.setAttribute('scopeguard.cache.hit', cacheHit)
    span.setAttribute('scopeguard.token.present', result !== undefined)
    if (result !== undefined) span.setAttribute('scopeguard.issuer', result.claims.iss)
  }
  span.end()
}

/** Ends an authentication's span and counts the decision: refused, with its code. */
export function recordRefused(span: Span | undefined, err: unknown): void {
  if (span === undefined) return
  const code = isAuthError(err) ? err.code : 'internal'
  current().decisions.add(1, refusedWith(code, 'authenticate'))
  if (span.isRecording()) {
    span.setAttribute('scopeguard.outcome', 'refused')
    span.setAttribute('error.type', code)
    // A refused token is the client's business; the issuer being down is ours.
    if (code === 'internal' || AUTH_ERRORS[code].status === 503) span.setStatus({ code: SpanStatusCode.ERROR })
  }
  span.end()
}

/** Counts a scope decision made after authentication (a route guard behind the app-wide middleware). */
export function recordAuthorization(code: AuthErrorCode | undefined): void {
  if (!telemetryRegistered()) return
  current().decisions.add(1, code === undefined ? ACCEPTED.authorize : refusedWith(code, 'authorize'))
}

/** Records how long verifying an uncached token took, in seconds. */
export function recordVerification(seconds: number, err: unknown): void {
  current().verifications.record(seconds, err === undefined ? ACCEPTED.authenticate : refusedWith(isAuthError(err) ? err.code : 'internal', 'authenticate'))
}

/** Counts key-source fetches from its events. */
export function recordKeyEvent(event: KeySourceEvent): void {
  const { keyFetches } = current()
  if (event.type === 'keys_fetched') keyFetches.add(1, { 'scopeguard.resource': 'jwks', 'scopeguard.fetch.result': 'success' })
  else if (event.type === 'metadata_fetched') keyFetches.add(1, { 'scopeguard.resource': 'metadata', 'scopeguard.fetch.result': 'success' })
  else if (event.type === 'refresh_failed') keyFetches.add(1, { 'scopeguard.resource': event.resource, 'scopeguard.fetch.result': 'failure' })
}
