import { LRUCache } from 'lru-cache'
import type { AuthResult } from '../token/auth-result.js'
import { tailHash } from './tail-hash.js'

/** Limits of the verified-token cache. */
export interface TokenCacheSettings {
  /** Most tokens kept. */
  readonly maxEntries: number
  /** Most bytes kept, estimated from each token's length. */
  readonly maxBytes: number
  /** Longest time a token is served from the cache before it is verified again, in milliseconds. */
  readonly ttl: number
  /** Clock tolerance applied to `exp`, in milliseconds. */
  readonly clockTolerance: number
  /** Maximum token age (`iat` + this), in milliseconds, if configured. */
  readonly maxTokenAge: number | undefined
  /** Current time in epoch milliseconds (the `clock` option). */
  readonly clock: () => number
}

/** A cached token, as {@link VerifiedTokenCache.find} hands it out. */
export interface CachedToken {
  /** The whole token; the map key is only its end. */
  readonly token: string
  /**
   * The `Authorization` line the token last came in, when it came in one: a client sends the
   * same line every time, and comparing it whole is cheaper than slicing the token out of it
   * first (V8 compares two flat strings in generated code, a sliced one in its runtime).
   */
  line: string | undefined
  /** The verified result, shared by every request presenting the token. */
  readonly result: AuthResult
  /** Epoch milliseconds after which the entry must not be used (exp, maxTokenAge or ttl). */
  readonly notAfter: number
  /** Key generation the token was verified under; a removed key bumps the generation. */
  readonly generation: number
}

type Entry = CachedToken

// Per-entry overhead beyond the token itself: claims object, header, scope set, LRU links.
const ENTRY_OVERHEAD_BYTES = 512

// Entries are found by a hash of the token's last characters and then compared in full. A
// number rather than the characters themselves: every request brings a fresh string, which V8
// hashes character by character on a Map lookup and then compares with the key it finds
// (about 900 instructions of a cache hit for a 32-character key, by callgrind); a small
// integer is its own hash. Two tokens with the same key only take each other's place.
const KEY_CHARS = 16

/** The cache key of a credential: a small integer (a V8 Smi, 30 bits) from its last characters. */
export const cacheKeyOf = (credential: string): number => tailHash(credential, KEY_CHARS, 0x811c9dc5) & 0x3fffffff

/**
 * Tokens already verified, so a client reusing its access token (as real clients do for its
 * whole lifetime) skips the signature check. Safe because the key is the exact token string,
 * which cannot be forged without the signing key; expiry is still checked on every use, an
 * entry never outlives the token's `exp`, `maxTokenAge` or the TTL, and entries from before a
 * key was removed from the JWKS are not used. Failures are never cached, so an attacker
 * cannot fill it with garbage: only tokens signed by the issuer get in, and the LRU bounds
 * entries and bytes.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<number, Entry>

  constructor(private readonly settings: TokenCacheSettings) {
    this.entries = new LRUCache<number, Entry>({
      max: settings.maxEntries,
      maxSize: settings.maxBytes,
      // The token and the line it came in: two strings of about its length, two bytes a character at most.
      sizeCalculation: (entry) => entry.token.length * 4 + ENTRY_OVERHEAD_BYTES,
    })
  }

  /** The cached result for `token`, if it may still be used. */
  get(token: string, generation: number): AuthResult | undefined {
    const entry = this.find(token, generation)
    // The whole token must match: a token sharing the last characters of a cached one (forged
    // or not) is a miss, verified in full, and leaves the cached entry alone.
    return entry !== undefined && entry.token === token ? entry.result : undefined
  }

  /**
   * The live entry whose token ends as `credential` does (a token, or an `Authorization` line,
   * which ends with its token), or one that merely shares its key; expired entries are dropped.
   * The caller compares {@link CachedToken.line} or {@link CachedToken.token} in full before
   * using it.
   */
  find(credential: string, generation: number): CachedToken | undefined {
    const key = cacheKeyOf(credential)
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (this.settings.clock() >= entry.notAfter || entry.generation !== generation) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }

  /**
   * Remembers a verified token until the earliest of its expiry, maximum age and the TTL,
   * with the `Authorization` line it came in (if any), which {@link find} callers compare.
   * `ttl` shortens the TTL for this entry (an introspected token's revocation delay).
   */
  set(token: string, result: AuthResult, generation: number, line?: string, ttl?: number): void {
    const now = this.settings.clock()
    const { exp, iat } = result.claims
    let notAfter = now + Math.min(this.settings.ttl, ttl ?? Infinity)
    if (typeof exp === 'number') notAfter = Math.min(notAfter, exp * 1000 + this.settings.clockTolerance)
    if (this.settings.maxTokenAge !== undefined && typeof iat === 'number') {
      notAfter = Math.min(notAfter, iat * 1000 + this.settings.maxTokenAge + this.settings.clockTolerance)
    }
    if (notAfter > now) this.entries.set(cacheKeyOf(token), { token, line, result, notAfter, generation })
  }

  /** Number of cached tokens. */
  get size(): number {
    return this.entries.size
  }
}
