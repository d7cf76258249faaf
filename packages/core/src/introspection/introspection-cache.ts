import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { IntrospectionUnavailableError, type IntrospectionResponse } from './introspect.js'
import type { SharedCache } from './shared-cache.js'

/** Settings of {@link createIntrospectionCache}; every time is in milliseconds. */
export interface IntrospectionCacheOptions {
  /** Most answers kept in memory. Default 10 000. */
  readonly maxEntries?: number
  /** Most memory for answers, in bytes, estimated from each answer's JSON length. Default 16 MiB. */
  readonly maxBytes?: number
  /**
   * Longest time an active answer is used, in milliseconds: a revoked token is accepted at
   * most this long after its revocation. Never longer than the token's `exp`. Default 60 000,
   * at most 3 600 000.
   */
  readonly maxTtl?: number
  /**
   * How long an inactive answer is used, in milliseconds. Default 0: not cached. At most
   * 10 000, because a token asked about just before the server's replicas know it is briefly
   * inactive there, and must not stay refused once they do.
   */
  readonly inactiveTtl?: number
  /**
   * Most introspections running at once (each distinct token not cached is one). Past it a
   * lookup fails at once with {@link IntrospectionUnavailableError} `busy` (503) instead of
   * queueing. Default 64.
   */
  readonly maxInFlight?: number
  /**
   * Answers shared by the instances of the API (read-through and write-through, as JSON under
   * the same hashed key, with the same lifetime). An optimisation only: when it fails or is
   * slower than `sharedTimeout`, the endpoint is asked instead.
   */
  readonly shared?: SharedCache
  /** Longest wait for the shared cache to answer a read, in milliseconds. Default 250. */
  readonly sharedTimeout?: number
  /** Told of every failure of the shared cache (which is then passed over), for logs. */
  readonly onSharedCacheError?: (error: unknown) => void
  /** Current time in epoch milliseconds. Default `Date.now`. */
  readonly clock?: () => number
}

/** Introspection answers by token, with one load per token at a time. */
export interface IntrospectionCache {
  /**
   * The answer for `token`: from memory, else from the shared cache, else from `load`, whose
   * answer is then kept. Concurrent lookups of one token share one load; a failed load is
   * not kept, and every waiter gets its error. Rejects only with
   * {@link IntrospectionUnavailableError}.
   */
  lookup(token: string, load: (token: string) => Promise<IntrospectionResponse>): Promise<IntrospectionResponse>
  /** The cached answer for `token` if it is active and still fresh, synchronously; else `undefined`. */
  peek(token: string): IntrospectionResponse | undefined
  /** Answers held in memory, fresh or not yet evicted. */
  readonly size: number
  /** Loads running now. */
  readonly inFlight: number
}

interface Entry {
  readonly response: IntrospectionResponse
  /** Epoch milliseconds after which the answer must not be used. */
  readonly notAfter: number
  readonly bytes: number
}

/** What the shared cache holds: the answer and when it stops being usable, on any instance. */
interface SharedEntry {
  readonly notAfter: number
  readonly response: IntrospectionResponse
}

// Per-entry overhead beyond the answer's JSON: the key, the entry, the LRU links.
const ENTRY_OVERHEAD_BYTES = 256

/**
 * An introspection cache. Keys are the SHA-256 of the token (base64url), so neither memory
 * dumps nor the shared store hold usable tokens. An active answer lives until
 * min(exp, now + maxTtl); an inactive one for `inactiveTtl`. Memory is bounded by the LRU
 * (entries and bytes) and by `maxInFlight`: a flood of distinct made-up tokens, each a miss,
 * would otherwise queue without limit in front of an authorization server already
 * overloaded, holding every request's memory and socket. Failing fast gives those requests a
 * 503 with `Retry-After` while cached tokens, and tokens already being loaded, still pass.
 */
export function createIntrospectionCache(options: IntrospectionCacheOptions = {}): IntrospectionCache {
  const maxEntries = integer(options.maxEntries, 'maxEntries', 10_000, 1, 10_000_000)
  const maxBytes = integer(options.maxBytes, 'maxBytes', 16 * 1024 * 1024, 1024, 2 ** 40)
  const maxTtl = integer(options.maxTtl, 'maxTtl', 60_000, 0, 3_600_000)
  const inactiveTtl = integer(options.inactiveTtl, 'inactiveTtl', 0, 0, 10_000)
  const maxInFlight = integer(options.maxInFlight, 'maxInFlight', 64, 1, 100_000)
  const sharedTimeout = integer(options.sharedTimeout, 'sharedTimeout', 250, 1, 60_000)
  const { shared, onSharedCacheError } = options
  const clock = options.clock ?? Date.now

  const entries = new LRUCache<string, Entry>({ max: maxEntries, maxSize: maxBytes, sizeCalculation: (entry) => entry.bytes })
  const loads = new Map<string, Promise<IntrospectionResponse>>()

  /** The latest time an answer obtained now may be used, bounded by `limit` (a shared entry's own). */
  const usableUntil = (response: IntrospectionResponse, now: number, limit = Infinity): number => {
    if (!response.active) return Math.min(limit, now + inactiveTtl)
    const { exp } = response
    const expires = typeof exp === 'number' ? exp * 1000 : Infinity
    return Math.min(limit, expires, now + maxTtl)
  }

  const fresh = (key: string): Entry | undefined => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (clock() < entry.notAfter) return entry
    entries.delete(key)
    return undefined
  }

  const keep = (key: string, response: IntrospectionResponse, notAfter: number, json: string): void => {
    entries.set(key, { response, notAfter, bytes: json.length * 2 + ENTRY_OVERHEAD_BYTES })
  }

  const report = (error: unknown): void => {
    try {
      onSharedCacheError?.(error)
    } catch {
      // A logging hook must not turn a cache hiccup into a failed request.
    }
  }

  const readShared = async (key: string, cache: SharedCache): Promise<SharedEntry | undefined> => {
    let text: string | undefined
    try {
      text = await withTimeout(Promise.resolve().then(() => cache.get(key)), sharedTimeout)
    } catch (error) {
      report(error)
      return undefined
    }
    if (text === undefined || text === null) return undefined
    const entry = parseSharedEntry(text)
    if (entry === undefined) report(new Error(`introspection cache: the shared entry ${key} is not an introspection answer; ignored`))
    return entry
  }

  const writeShared = (key: string, cache: SharedCache, json: string, ttl: number): void => {
    try {
      // Not awaited: the answer is ready, and a slow store must not hold the request.
      Promise.resolve(cache.set(key, json, ttl)).catch(report)
    } catch (error) {
      report(error)
    }
  }

  const load = async (key: string, token: string, loader: (token: string) => Promise<IntrospectionResponse>): Promise<IntrospectionResponse> => {
    if (shared !== undefined) {
      const found = await readShared(key, shared)
      if (found !== undefined) {
        const now = clock()
        const notAfter = usableUntil(found.response, now, found.notAfter)
        if (notAfter > now) {
          keep(key, found.response, notAfter, JSON.stringify(found.response))
          return found.response
        }
      }
    }
    let response: IntrospectionResponse
    try {
      response = await loader(token)
    } catch (error) {
      if (error instanceof IntrospectionUnavailableError) throw error
      throw new IntrospectionUnavailableError(undefined, 'load', 'the introspection failed', { cause: error })
    }
    const now = clock()
    const notAfter = usableUntil(response, now)
    if (notAfter > now) {
      const json = JSON.stringify({ notAfter, response } satisfies SharedEntry)
      keep(key, response, notAfter, json)
      if (shared !== undefined) writeShared(key, shared, json, Math.max(1, Math.floor(notAfter - now)))
    }
    return response
  }

  return {
    lookup(token, loader) {
      const key = hashToken(token)
      const entry = fresh(key)
      if (entry !== undefined) return Promise.resolve(entry.response)
      const running = loads.get(key)
      if (running !== undefined) return running
      if (loads.size >= maxInFlight) {
        return Promise.reject(new IntrospectionUnavailableError(undefined, 'busy', `${maxInFlight} introspections already in flight (maxInFlight); refused rather than queued`))
      }
      // The answer is kept before the load leaves the map, so no lookup falls between the two.
      const promise = load(key, token, loader).finally(() => loads.delete(key))
      loads.set(key, promise)
      return promise
    },
    peek(token) {
      const entry = fresh(hashToken(token))
      return entry?.response.active === true ? entry.response : undefined
    },
    get size() {
      return entries.size
    },
    get inFlight() {
      return loads.size
    },
  }
}

/** The cache key of a token: its SHA-256, base64url. The token itself is never stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

function parseSharedEntry(text: string): SharedEntry | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { notAfter, response } = value as Partial<Record<keyof SharedEntry, unknown>>
  if (typeof notAfter !== 'number' || !Number.isFinite(notAfter)) return undefined
  if (typeof response !== 'object' || response === null || Array.isArray(response)) return undefined
  if (typeof (response as { active?: unknown }).active !== 'boolean') return undefined
  return { notAfter, response: response as IntrospectionResponse }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`introspection cache: the shared cache did not answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

function integer(value: number | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`scopeguard: introspection cache \`${name}\` must be a whole number from ${min} to ${max}; got ${String(value)}.`)
  }
  return value
}
