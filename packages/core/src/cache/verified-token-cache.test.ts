import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AuthResult } from '../token/auth-result.js'
import { randomBytes } from 'node:crypto'
import { cacheKeyOf, VerifiedTokenCache } from './verified-token-cache.js'

const NOW = Date.UTC(2030, 0, 1)
const settings = { maxEntries: 3, maxBytes: 1_000_000, ttl: 60_000, clockTolerance: 5000, maxTokenAge: undefined, clock: () => Date.now() }

function result(claims: Record<string, unknown>, token = 't'): AuthResult {
  return { token, location: 'header', header: { alg: 'RS256' }, claims: { iss: 'i', aud: 'a', ...claims }, scopes: new Set(), source: 'jwt' }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('VerifiedTokenCache', () => {
  it('serves a verified token until exp + clock tolerance, checking expiry on every use', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW })
    const cache = new VerifiedTokenCache(settings)
    const entry = result({ exp: NOW / 1000 + 10 })
    cache.set('t', entry, 0)
    expect(cache.get('t', 0)).toBe(entry)
    vi.setSystemTime(NOW + 14_999)
    expect(cache.get('t', 0)).toBe(entry)
    vi.setSystemTime(NOW + 15_000)
    expect(cache.get('t', 0)).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('never keeps an entry longer than the TTL, even for a long-lived token', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW })
    const cache = new VerifiedTokenCache(settings)
    cache.set('t', result({ exp: NOW / 1000 + 3600 }), 0)
    vi.setSystemTime(NOW + 59_999)
    expect(cache.get('t', 0)).toBeDefined()
    vi.setSystemTime(NOW + 60_000)
    expect(cache.get('t', 0)).toBeUndefined()
  })

  it('honours maxTokenAge: iat + max age + tolerance bounds the entry', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW })
    const cache = new VerifiedTokenCache({ ...settings, maxTokenAge: 10_000 })
    cache.set('t', result({ iat: NOW / 1000 - 8, exp: NOW / 1000 + 3600 }), 0)
    vi.setSystemTime(NOW + 6_999)
    expect(cache.get('t', 0)).toBeDefined()
    vi.setSystemTime(NOW + 7_000)
    expect(cache.get('t', 0)).toBeUndefined()
  })

  it('does not store a token that is already past its limits', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW })
    const cache = new VerifiedTokenCache(settings)
    cache.set('t', result({ exp: NOW / 1000 - 10 }), 0)
    expect(cache.size).toBe(0)
  })

  it('drops entries verified under an older key generation (a key left the JWKS)', () => {
    const cache = new VerifiedTokenCache(settings)
    cache.set('t', result({}), 4)
    expect(cache.get('t', 5)).toBeUndefined()
    expect(cache.get('t', 4)).toBeUndefined()
  })

  it('is bounded by entries, evicting the least recently used', () => {
    const cache = new VerifiedTokenCache(settings)
    for (const token of ['a', 'b', 'c']) cache.set(token, result({}, token), 0)
    cache.get('a', 0)
    cache.set('d', result({}, 'd'), 0)
    expect(cache.size).toBe(3)
    expect(cache.get('b', 0)).toBeUndefined()
    expect(cache.get('a', 0)).toBeDefined()
  })

  it('is bounded by bytes, estimated from the token length', () => {
    const cache = new VerifiedTokenCache({ ...settings, maxEntries: 1000, maxBytes: 14_000 })
    for (let i = 0; i < 100; i++) {
      const token = `${i}`.padStart(1000, 'x')
      cache.set(token, result({}, token), 0, `Bearer ${token}`)
    }
    // Each entry counts its token and its line, 4 × 1000 + 512 bytes: at most three fit in 14 000.
    expect(cache.size).toBe(3)
  })

  it('matches the whole token: one that only ends like a cached token is a miss and leaves it cached', () => {
    const cache = new VerifiedTokenCache(settings)
    const signature = 'S'.repeat(86)
    const genuine = `eyJhbGciOiJFUzI1NiJ9.eyJzY29wZSI6InJlYWQifQ.${signature}`
    const altered = `eyJhbGciOiJFUzI1NiJ9.eyJzY29wZSI6ImFkbWluIn0.${signature}`
    const entry = result({}, genuine)
    cache.set(genuine, entry, 0)
    expect(cache.get(altered, 0)).toBeUndefined()
    expect(cache.get(genuine, 0)).toBe(entry)
    expect(cache.get(genuine.slice(1), 0)).toBeUndefined()
  })

  it('finds an entry by the Authorization line it came in; the caller compares the line or the token whole', () => {
    const cache = new VerifiedTokenCache(settings)
    const token = `eyJhbGciOiJFUzI1NiJ9.eyJzY29wZSI6InJlYWQifQ.${'S'.repeat(86)}`
    const entry = result({}, token)
    cache.set(token, entry, 0, `Bearer ${token}`)
    expect(cache.find(`Bearer ${token}`, 0)?.line).toBe(`Bearer ${token}`)
    expect(cache.find(`bearer  ${token}`, 0)?.token).toBe(token)
    expect(cache.find(`Bearer ${token}`, 1)).toBeUndefined() // a key was removed since
  })

  it('keeps two tokens with the same key apart: each takes the other\'s place, neither is served for the other', () => {
    // The key is a 30-bit hash of the token's end: two random signatures share one after about
    // 2^15 tries (birthday bound); 400 000 make a miss vanishingly unlikely.
    const seen = new Map<number, string>()
    let pair: [string, string] | undefined
    for (let i = 0; i < 400_000 && pair === undefined; i++) {
      const token = `eyJhbGciOiJFUzI1NiJ9.eyJzY29wZSI6InJlYWQifQ.${randomBytes(12).toString('base64url')}`
      const other = seen.get(cacheKeyOf(token))
      if (other !== undefined && other !== token) pair = [other, token]
      seen.set(cacheKeyOf(token), token)
    }
    expect(pair).toBeDefined()
    const [first, second] = pair as [string, string]
    const cache = new VerifiedTokenCache(settings)
    const firstResult = result({}, first)
    cache.set(first, firstResult, 0, `Bearer ${first}`)
    expect(cache.get(second, 0)).toBeUndefined()
    expect(cache.find(`Bearer ${second}`, 0)?.token).toBe(first) // found by key; callers compare it whole
    expect(cache.get(first, 0)).toBe(firstResult)
    const secondResult = result({}, second)
    cache.set(second, secondResult, 0)
    expect(cache.get(first, 0)).toBeUndefined()
    expect(cache.get(second, 0)).toBe(secondResult)
  })
})
