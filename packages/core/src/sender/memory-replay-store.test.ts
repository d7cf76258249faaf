import { describe, expect, it } from 'vitest'
import { createMemoryReplayStore } from './memory-replay-store.js'

// RFC 9449 §11.1 on a hand-driven clock: no timers, no waiting.
function clockAt(ms: number): { clock: () => number; set(next: number): void } {
  let now = ms
  return { clock: () => now, set: (next) => { now = next } }
}

const TTL = 360_000

describe('createMemoryReplayStore', () => {
  it('RFC 9449 §11.1: a key is a first use once, a replay after', () => {
    const store = createMemoryReplayStore({ clock: () => 0 })
    expect(store.firstUse('a', TTL)).toBe(true)
    expect(store.firstUse('a', TTL)).toBe(false)
    expect(store.firstUse('a', TTL)).toBe(false)
    expect(store.firstUse('b', TTL)).toBe(true)
  })

  it('exactly once among concurrent callers: of many calls with one key, one sees true', async () => {
    const store = createMemoryReplayStore()
    const answers = await Promise.all(Array.from({ length: 50 }, async () => store.firstUse('same', TTL)))
    expect(answers.filter(Boolean)).toHaveLength(1)
  })

  it('a key is remembered until its TTL has passed, then forgotten', () => {
    const time = clockAt(1_000)
    const store = createMemoryReplayStore({ clock: time.clock })
    expect(store.firstUse('a', TTL)).toBe(true)
    time.set(1_000 + TTL - 1)
    expect(store.firstUse('a', TTL)).toBe(false)
    time.set(1_000 + TTL)
    expect(store.firstUse('a', TTL)).toBe(true)
  })

  it('full of live keys, it throws rather than forget one (that would let a replay through)', () => {
    const time = clockAt(0)
    const store = createMemoryReplayStore({ maxEntries: 3, clock: time.clock })
    for (const key of ['a', 'b', 'c']) expect(store.firstUse(key, TTL)).toBe(true)
    expect(() => store.firstUse('d', TTL)).toThrow(/maxEntries/)
    // Nothing was evicted: every recorded key is still a replay.
    for (const key of ['a', 'b', 'c']) expect(store.firstUse(key, TTL)).toBe(false)
  })

  it('expired keys make room again, dropped from the front as time passes', () => {
    const time = clockAt(0)
    const store = createMemoryReplayStore({ maxEntries: 3, clock: time.clock })
    store.firstUse('a', TTL)
    time.set(10)
    store.firstUse('b', TTL)
    store.firstUse('c', TTL)
    time.set(TTL) // 'a' has expired, 'b' and 'c' have not
    expect(store.firstUse('d', TTL)).toBe(true)
    expect(() => store.firstUse('e', TTL)).toThrow()
    expect(store.firstUse('b', TTL)).toBe(false)
  })

  it('a key with a shorter TTL expiring behind longer-lived ones is swept when room is needed', () => {
    const time = clockAt(0)
    const store = createMemoryReplayStore({ maxEntries: 3, clock: time.clock })
    store.firstUse('long', TTL)
    store.firstUse('short', 1_000)
    store.firstUse('long too', TTL)
    time.set(1_000)
    expect(store.firstUse('new', TTL)).toBe(true)
    expect(store.firstUse('long', TTL)).toBe(false)
    expect(store.firstUse('long too', TTL)).toBe(false)
    // Full of live keys again: nothing left to sweep.
    time.set(2_000)
    expect(() => store.firstUse('another', TTL)).toThrow()
  })

  it('an expired key not yet dropped is a first use again, recorded anew', () => {
    const time = clockAt(0)
    const store = createMemoryReplayStore({ clock: time.clock })
    store.firstUse('long', TTL)
    store.firstUse('short', 1_000)
    time.set(1_000)
    expect(store.firstUse('short', 1_000)).toBe(true)
    expect(store.firstUse('short', 1_000)).toBe(false)
  })

  it('holds 100 000 keys by default', () => {
    const time = clockAt(0)
    const store = createMemoryReplayStore({ clock: time.clock })
    for (let i = 0; i < 100_000; i++) store.firstUse(`k${i}`, TTL)
    expect(() => store.firstUse('one more', TTL)).toThrow()
    time.set(TTL)
    // All expired: the next calls drop them from the front and the store is usable again.
    expect(store.firstUse('k0', TTL)).toBe(true)
    expect(store.firstUse('one more', TTL)).toBe(true)
  })

  it.each([0, -1, 1.5, Number.NaN, Infinity, '10'])('refuses maxEntries %s, saying what it must be', (maxEntries) => {
    expect(() => createMemoryReplayStore({ maxEntries: maxEntries as number })).toThrow(/positive integer/)
  })

  it('refuses a TTL that is not a positive number of milliseconds', () => {
    const store = createMemoryReplayStore()
    for (const ttl of [0, -1, Number.NaN, Infinity]) expect(() => store.firstUse('a', ttl)).toThrow(TypeError)
  })
})
