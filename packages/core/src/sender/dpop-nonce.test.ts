import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createDpopNonces } from './dpop-nonce.js'

// Server nonces (RFC 9449 §8, §9) on a hand-driven clock: no timers, no waiting.
const SECRET = randomBytes(32)
const LIFETIME = 300
const START = 1_750_000_000_000 - (1_750_000_000_000 % (LIFETIME * 1000)) // a window boundary

function clockAt(ms: number): { clock: () => number; set(next: number): void } {
  let now = ms
  return { clock: () => now, set: (next) => { now = next } }
}

describe('createDpopNonces', () => {
  it('RFC 9449 §8.1: a nonce is 1*NQCHAR (here 32 base64url characters)', () => {
    const { clock } = clockAt(START)
    const nonce = createDpopNonces({ secret: SECRET, lifetime: LIFETIME, clock }).current()
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(nonce).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/)
  })

  it('current() stays the same within a window and changes with it', () => {
    const time = clockAt(START)
    const nonces = createDpopNonces({ secret: SECRET, lifetime: LIFETIME, clock: time.clock })
    const first = nonces.current()
    time.set(START + LIFETIME * 1000 - 1)
    expect(nonces.current()).toBe(first)
    time.set(START + LIFETIME * 1000)
    expect(nonces.current()).not.toBe(first)
  })

  it('RFC 9449 §9: the current and the previous window are accepted, older and later ones not', () => {
    const time = clockAt(START)
    const nonces = createDpopNonces({ secret: SECRET, lifetime: LIFETIME, clock: time.clock })
    const issued = nonces.current()
    expect(nonces.check(issued)).toBe('valid')
    time.set(START + LIFETIME * 1000) // next window: the nonce is the previous one
    expect(nonces.check(issued)).toBe('valid')
    time.set(START + 2 * LIFETIME * 1000 - 1)
    expect(nonces.check(issued)).toBe('valid')
    time.set(START + 2 * LIFETIME * 1000) // two windows on: stale
    expect(nonces.check(issued)).toBe('invalid')
    // A nonce from a window ahead of this instance's clock is not accepted either.
    const later = nonces.current()
    time.set(START)
    expect(nonces.check(later)).toBe('invalid')
  })

  it('instances with the same secret accept each other\'s nonces; with another secret, not', () => {
    const { clock } = clockAt(START)
    const one = createDpopNonces({ secret: SECRET, lifetime: LIFETIME, clock })
    const two = createDpopNonces({ secret: Buffer.from(SECRET), lifetime: LIFETIME, clock })
    const other = createDpopNonces({ secret: randomBytes(32), lifetime: LIFETIME, clock })
    expect(two.current()).toBe(one.current())
    expect(two.check(one.current())).toBe('valid')
    expect(other.check(one.current())).toBe('invalid')
  })

  it('a string secret is its UTF-8 bytes', () => {
    const { clock } = clockAt(START)
    const text = 'a shared secret of more than thirty-two bytes'
    const fromString = createDpopNonces({ secret: text, lifetime: LIFETIME, clock })
    const fromBytes = createDpopNonces({ secret: new TextEncoder().encode(text), lifetime: LIFETIME, clock })
    expect(fromBytes.check(fromString.current())).toBe('valid')
  })

  it('without a secret, each instance draws its own', () => {
    const { clock } = clockAt(START)
    const one = createDpopNonces({ lifetime: LIFETIME, clock })
    const two = createDpopNonces({ lifetime: LIFETIME, clock })
    expect(one.check(one.current())).toBe('valid')
    expect(two.check(one.current())).toBe('invalid')
  })

  it('the secret is copied: changing the caller\'s buffer later changes nothing', () => {
    const { clock } = clockAt(START)
    const secret = Buffer.from(SECRET)
    const nonces = createDpopNonces({ secret, lifetime: LIFETIME, clock })
    const before = nonces.current()
    secret.fill(0)
    const fresh = createDpopNonces({ secret: SECRET, lifetime: LIFETIME, clock })
    expect(fresh.check(before)).toBe('valid')
  })

  it('forged, altered and garbage nonces are invalid', () => {
    const { clock } = clockAt(START)
    const nonces = createDpopNonces({ secret: SECRET, lifetime: LIFETIME, clock })
    const nonce = nonces.current()
    const bytes = Buffer.from(nonce, 'base64url')
    // Every single-bit change of window or tag.
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const changed = Buffer.from(bytes)
      changed.writeUInt8(changed.readUInt8(bit >> 3) ^ (1 << (bit & 7)), bit >> 3)
      expect(nonces.check(changed.toString('base64url'))).toBe('invalid')
    }
    // The current window with a made-up tag.
    const forged = Buffer.concat([bytes.subarray(0, 8), randomBytes(16)]).toString('base64url')
    expect(nonces.check(forged)).toBe('invalid')
    const garbage: unknown[] = [undefined, '', 'x', `${nonce}x`, nonce.slice(1), `${nonce.slice(0, -1)}=`, `${nonce.slice(0, -1)}+`, 'A'.repeat(32), '/'.repeat(32), 42, {}, null, ['x']]
    for (const value of garbage) expect(nonces.check(value as string | undefined)).toBe('invalid')
  })

  it('refuses a secret shorter than 32 bytes, saying how to make one', () => {
    const clock = () => START
    expect(() => createDpopNonces({ secret: randomBytes(31), lifetime: LIFETIME, clock })).toThrow(/at least 32 bytes.*randomBytes\(32\)/)
    expect(() => createDpopNonces({ secret: 'short', lifetime: LIFETIME, clock })).toThrow(TypeError)
    expect(() => createDpopNonces({ secret: 42 as unknown as string, lifetime: LIFETIME, clock })).toThrow(/got number/)
  })

  it.each([0, -1, Number.NaN, Infinity, '300'])('refuses lifetime %s, saying what it must be', (lifetime) => {
    expect(() => createDpopNonces({ secret: SECRET, lifetime: lifetime as number, clock: () => START })).toThrow(/positive number of seconds/)
  })

  it('refuses a clock that is not a function', () => {
    expect(() => createDpopNonces({ secret: SECRET, lifetime: LIFETIME, clock: 42 as unknown as () => number })).toThrow(TypeError)
  })
})
