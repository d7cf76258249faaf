import type { ReplayStore } from './replay-store.js'

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /**
   * Most keys held at once. Each is a proof identifier kept for the proof's acceptance window,
   * so this bounds the proofs accepted per window; each costs its key's length plus a few
   * dozen bytes. Default 100 000.
   */
  readonly maxEntries?: number
  /** The current time in epoch milliseconds. Default `Date.now`. */
  readonly clock?: () => number
}

const DEFAULT_MAX_ENTRIES = 100_000

/**
 * A {@link ReplayStore} in this process's memory: bounded, expiring, exactly-once within the
 * process (each call runs to completion before the next, so checking and recording a key is
 * atomic). Instances of an API do not share it: with more than one, use a shared store.
 *
 * When it holds `maxEntries` keys that have not expired, `firstUse` throws (the request is
 * refused with 503) rather than forgetting one of them.
 *
 * @throws TypeError when `maxEntries` is not a positive integer or `clock` not a function.
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  const clock = options.clock ?? Date.now
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError(`\`maxEntries\` of the memory replay store must be a positive integer, e.g. maxEntries: 100_000; got ${String(maxEntries)}.`)
  }
  if (typeof clock !== 'function') throw new TypeError('`clock` of the memory replay store must be a function returning the time in epoch milliseconds, e.g. clock: Date.now.')

  // Key → expiry (epoch ms), in insertion order. Callers record every proof with the same TTL
  // (the proof acceptance window), so insertion order is expiry order and expired keys are
  // always at the front: each call drops them from there, at amortised constant cost.
  const expiries = new Map<string, number>()
  // No key in the map expires before this: a lower bound, kept so that a full store with keys
  // of differing TTLs is swept only when a sweep can free something.
  let earliestExpiry = Infinity

  const dropExpiredFromFront = (now: number): void => {
    for (const [key, expiry] of expiries) {
      if (expiry > now) return
      expiries.delete(key)
    }
  }
  // Keys recorded with a shorter TTL than those before them expire behind the front; they are
  // looked for only when the store is full.
  const sweep = (now: number): void => {
    earliestExpiry = Infinity
    for (const [key, expiry] of expiries) {
      if (expiry <= now) expiries.delete(key)
      else if (expiry < earliestExpiry) earliestExpiry = expiry
    }
  }

  return {
    firstUse(key, ttlMs) {
      if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) throw new TypeError(`a replay key's TTL must be a positive number of milliseconds; got ${String(ttlMs)}.`)
      const now = clock()
      dropExpiredFromFront(now)
      const recorded = expiries.get(key)
      if (recorded !== undefined) {
        if (recorded > now) return false
        // Expired but not yet at the front: a first use again, recorded anew at the back.
        expiries.delete(key)
      }
      if (expiries.size >= maxEntries && earliestExpiry <= now) sweep(now)
      if (expiries.size >= maxEntries) {
        // Never evict a key that has not expired: the proof it stands for is still inside its
        // acceptance window, so forgetting it would let that proof be replayed. Refusing (503)
        // is safe; a flood of proofs cannot buy a replay by pushing real ones out.
        throw new Error(`the memory replay store holds ${maxEntries} unexpired DPoP proof identifiers; raise \`maxEntries\` or use a shared replay store.`)
      }
      const expiry = now + ttlMs
      expiries.set(key, expiry)
      if (expiry < earliestExpiry) earliestExpiry = expiry
      return true
    },
  }
}
