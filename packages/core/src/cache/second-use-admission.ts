import { tailHash } from './tail-hash.js'

/**
 * Decides which verified tokens enter the verified-token cache: those seen for the second
 * time. A client reuses its access token for its whole lifetime, so it pays one extra
 * signature check and is cached from its second request on; a token used once (a flood of
 * distinct tokens, valid or not yet known) never enters. Without this, every one-off token
 * would be kept until evicted: long enough to be promoted to V8's old generation, so a stream
 * of distinct tokens turned the cache into steady major-GC work and worse tail latency than
 * no cache at all (`pnpm bench`, distinct tokens; see bench/README.md).
 *
 * The record of first sightings is a fixed table of 32-bit fingerprints: no allocation per
 * token, a constant memory cost. It holds about half as many tokens as the cache: a token that
 * comes back only after more distinct tokens than the cache holds would have been evicted
 * before its next use anyway (the working set is larger than the cache), so it is rarely let
 * in to churn the cache, while a token reused among a few thousand others almost always is.
 * It is lossy on purpose. A fingerprint collision only lets a token in one use early, and a
 * slot overwritten between two uses only delays admission; neither affects what is
 * accepted, since only verified tokens are offered, and the cache is keyed by the whole token.
 */
export class SecondUseAdmission {
  private readonly slots: Int32Array
  private readonly mask: number

  /** @param capacity Entries of the cache this admits for. */
  constructor(capacity: number) {
    const size = Math.min(1 << 20, Math.max(1 << 10, nextPowerOfTwo(capacity) / 2))
    this.slots = new Int32Array(size)
    this.mask = size - 1
  }

  /** Records a verified token; true when it was seen before and should be cached now. */
  admit(token: string): boolean {
    // Slot and stored value from independent hashes: a one-off token is let in only if its
    // 32-bit value matches the occupant of its slot, one chance in 2^32.
    const hash = fingerprint(token, 0x811c9dc5)
    const slot = (fingerprint(token, 0x050c5d1f) >>> 12) & this.mask
    if (this.slots[slot] === hash) {
      this.slots[slot] = 0
      return true
    }
    this.slots[slot] = hash
    return false
  }
}

// 24 characters of a token's end (144 bits) are plenty to tell tokens apart.
const TAIL = 24

/** A fingerprint of the token's end from `seed`, never 0 (an empty slot). */
function fingerprint(token: string, seed: number): number {
  const hash = tailHash(token, TAIL, seed)
  return hash === 0 ? 1 : hash
}

function nextPowerOfTwo(value: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, value)))
}
