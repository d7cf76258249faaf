// The process `introspection.ts` measures: one authenticator with introspection (RFC 7662)
// against the parent's fake issuer, driven over IPC. Started under callgrind for the
// instructions of cache hits, and under `node --expose-gc` for the first-request and flood
// figures. Never run by hand: its settings come from the parent, as JSON in its argument.
import { randomBytes } from 'node:crypto'
import { createAuthenticator, type AuthResult } from '@scopeguard/core'

/** What the parent passes: its fake issuer and the client the API introspects as. */
export interface ChildSettings {
  readonly issuer: string
  readonly audience: string
  readonly publicJwk: Record<string, unknown>
  readonly algorithm: string
  /** Only to recognise introspection requests among the fetches; the authenticator finds it in the metadata. */
  readonly introspectionEndpoint: string
  readonly clientId: string
  readonly clientSecret: string
}

/** A request from the parent; it comes with an `id`, and is answered with `{ id, ...reply }`. */
export type ChildRequest =
  /**
   * Two uses of each token, in this order (the cache admits a token on its second use), then
   * `rounds` × `n` unmeasured resolves of each, in each line mode.
   */
  | { readonly do: 'warm'; readonly tokens: readonly (readonly [kind: string, token: string])[]; readonly rounds: number; readonly n: number }
  /** `n` resolves of one warmed token; `fresh`: each with a new copy of the header line (as an HTTP parser makes), `copy`: the copies alone. */
  | { readonly do: 'loop'; readonly kind: string; readonly n: number; readonly line: 'same' | 'fresh' | 'copy' }
  /** `count` concurrent first requests with one token. */
  | { readonly do: 'concurrent'; readonly token: string; readonly count: number }
  /** `total` distinct made-up opaque tokens, `batch` concurrent requests at a time. */
  | { readonly do: 'flood'; readonly total: number; readonly batch: number }
  /** Sends `count` of the flood's tokens again, one at a time. */
  | { readonly do: 'again'; readonly count: number }
  /** A full GC (needs --expose-gc), before a measured loop: it starts with an empty young generation and a heap far from its next major GC. */
  | { readonly do: 'gc' }
  /** Heap used after a full GC (needs --expose-gc), and RSS. */
  | { readonly do: 'memory' }

export interface FloodReply {
  readonly sent: number
  /** By the error code each request got (`ok` for a success, which a made-up token must not get). */
  readonly outcomes: Record<string, number>
  /** How many got status 503. */
  readonly unavailable: number
  /** Introspection requests the authenticator sent, and the most at once (sent and not yet answered). */
  readonly introspections: number
  readonly peakInFlight: number
  /** Heap used (no GC) after each batch: the largest. */
  readonly peakHeapUsed: number
  readonly milliseconds: number
}

const settings = JSON.parse(process.argv[2] ?? 'null') as ChildSettings | null
if (settings === null || process.send === undefined) throw new Error('introspection-child.ts is started by introspection.ts, with its settings')
// As in production: with source maps on, every error.stack costs a lookup (a refused request makes one).
process.setSourceMapsEnabled(false)

// Counts the introspection requests this authenticator sends, and how many are out at once.
let introspections = 0
let inFlight = 0
let peakInFlight = 0
const countingFetch: typeof fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  if (url !== settings.introspectionEndpoint) return fetch(input, init)
  introspections++
  peakInFlight = Math.max(peakInFlight, ++inFlight)
  try {
    return await fetch(input, init)
  } finally {
    inFlight--
  }
}

// Both caches hold an entry for an hour: a run under valgrind is slow, and every measured
// resolve must be a hit (each loop checks it gets the cached result itself).
const authenticator = createAuthenticator({
  issuer: settings.issuer,
  audience: settings.audience,
  keys: settings.publicJwk,
  algorithms: [settings.algorithm],
  tokenCache: { ttl: 3_600_000 },
  introspection: { clientId: settings.clientId, clientSecret: settings.clientSecret, cache: { ttl: 3_600_000 } },
  fetch: countingFetch,
})

const gc = (globalThis as { gc?: () => void }).gc
const lines = new Map<string, { line: string; bytes: Buffer; result: AuthResult }>()
let sink: unknown

/** `n` resolves of `kind`'s line; every one must be the cached result, answered synchronously. */
function loop(kind: string, n: number, mode: 'same' | 'fresh' | 'copy'): number {
  const entry = lines.get(kind)
  if (entry === undefined) throw new Error(`no warmed token ${kind}`)
  const { line, bytes, result } = entry
  let misses = 0
  if (mode === 'same') {
    for (let i = 0; i < n; i++) if (authenticator.resolve({ authorization: line }) !== result) misses++
  } else if (mode === 'fresh') {
    for (let i = 0; i < n; i++) if (authenticator.resolve({ authorization: bytes.toString('latin1') }) !== result) misses++
  } else {
    for (let i = 0; i < n; i++) sink = bytes.toString('latin1')
  }
  return misses
}

const made = (): string => `opaque_${randomBytes(32).toString('base64url')}`
let flooded: string[] = []

async function flood(total: number, batch: number): Promise<FloodReply> {
  const outcomes: Record<string, number> = {}
  let unavailable = 0
  let peakHeapUsed = 0
  const before = introspections
  peakInFlight = 0
  const started = performance.now()
  for (let sent = 0; sent < total; sent += batch) {
    // Made per batch, so the driver holds no more than one batch of tokens.
    const tokens = Array.from({ length: Math.min(batch, total - sent) }, made)
    const settled = await Promise.allSettled(tokens.map((token) => authenticator.authenticate({ authorization: `Bearer ${token}` })))
    for (const outcome of settled) {
      const error = outcome.status === 'rejected' ? (outcome.reason as { code?: string; status?: number }) : undefined
      const code = error === undefined ? 'ok' : (error.code ?? String(error))
      outcomes[code] = (outcomes[code] ?? 0) + 1
      if (error?.status === 503) unavailable++
    }
    peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed)
    flooded = tokens
  }
  return { sent: total, outcomes, unavailable, introspections: introspections - before, peakInFlight, peakHeapUsed, milliseconds: performance.now() - started }
}


async function handle(request: ChildRequest & { readonly id: number }): Promise<Record<string, unknown>> {
  switch (request.do) {
    case 'warm': {
      for (const [kind, token] of request.tokens) {
        const line = `Bearer ${token}`
        await authenticator.resolve({ authorization: line })
        await authenticator.resolve({ authorization: line })
        const result = authenticator.resolve({ authorization: line })
        if (result === undefined || result instanceof Promise) throw new Error(`${kind}: not answered from the cache on its third use`)
        lines.set(kind, { line, bytes: Buffer.from(line, 'latin1'), result })
      }
      let misses = 0
      for (let round = 0; round < request.rounds; round++) {
        for (const kind of lines.keys()) for (const mode of ['same', 'fresh', 'copy'] as const) misses += loop(kind, request.n, mode)
      }
      return { misses, sources: Object.fromEntries([...lines].map(([kind, entry]) => [kind, entry.result.source])) }
    }
    case 'loop':
      return { misses: loop(request.kind, request.n, request.line) }
    case 'concurrent': {
      const before = introspections
      const settled = await Promise.allSettled(Array.from({ length: request.count }, () => authenticator.authenticate({ authorization: `Bearer ${request.token}` })))
      const results = settled.flatMap((outcome) => (outcome.status === 'fulfilled' && outcome.value !== undefined ? [outcome.value] : []))
      const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [String((outcome.reason as { code?: string }).code ?? outcome.reason)] : []))
      return { accepted: results.length, sources: [...new Set(results.map((result) => result.source))], sameClaims: new Set(results.map((result) => JSON.stringify(result.claims))).size === 1, failures, introspections: introspections - before }
    }
    case 'flood':
      return { ...(await flood(request.total, request.batch)) }
    case 'again': {
      const before = introspections
      const outcomes: Record<string, number> = {}
      for (const token of flooded.slice(0, request.count)) {
        const code = await authenticator.authenticate({ authorization: `Bearer ${token}` }).then(() => 'ok', (error: { code?: string }) => error.code ?? String(error))
        outcomes[code] = (outcomes[code] ?? 0) + 1
      }
      return { sent: Math.min(request.count, flooded.length), outcomes, introspections: introspections - before }
    }
    case 'gc':
      if (gc === undefined) throw new Error('gc needs node --expose-gc')
      gc()
      return {}
    case 'memory': {
      if (gc === undefined) throw new Error('memory needs node --expose-gc')
      // Twice: weak references and finalizers cleared by the first are collected by the second.
      gc()
      await new Promise((resolve) => setTimeout(resolve, 50))
      gc()
      const usage = process.memoryUsage()
      return { heapUsed: usage.heapUsed, rss: usage.rss }
    }
  }
}

process.on('disconnect', () => process.exit(0))
process.on('message', (message: (ChildRequest & { readonly id: number }) | 'exit') => {
  if (message === 'exit') process.exit(0)
  handle(message).then(
    (reply) => process.send?.({ id: message.id, ...reply }),
    (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
  )
})
process.send?.({ ready: true })
void sink
