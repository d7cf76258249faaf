import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createIntrospector, IntrospectionUnavailableError, type IntrospectionResponse, type Introspector } from './introspect.js'
import { createIntrospectionCache, type IntrospectionCacheOptions } from './introspection-cache.js'
import type { SharedCache } from './shared-cache.js'

const START = 1_700_000_000_000
let now = START
const clock = () => now

/** What the server answers for a token, by default active for an hour. */
let reply: (token: string) => { status: number; body: unknown } = () => ({ status: 200, body: { active: true, exp: START / 1000 + 3600 } })
/** While set, the server holds every answer until it resolves. */
let gate: Promise<void> | undefined
/** Tokens the server was asked about, in order. */
const asked: string[] = []

let server: Server
let introspect: Introspector

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString()).get('token') ?? ''
      asked.push(token)
      await gate
      const { status, body } = reply(token)
      const text = JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  introspect = createIntrospector({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`,
    client: { clientId: 'api', clientSecret: 'secret' },
    policy: { timeout: 5000, maxBytes: 64 * 1024 },
    clock,
  })
})

afterAll(async () => {
  server.closeAllConnections()
  server.close()
  await once(server, 'close')
})

beforeEach(() => {
  now = START
  asked.length = 0
  gate = undefined
  reply = () => ({ status: 200, body: { active: true, exp: START / 1000 + 3600 } })
})

function hold(): () => void {
  let open!: () => void
  gate = new Promise((resolve) => (open = resolve))
  return () => {
    gate = undefined
    open()
  }
}

/** A SharedCache over a Map, with expiry on the test's clock; it can be told to fail. */
class MapSharedCache implements SharedCache {
  readonly entries = new Map<string, { value: string; expiresAt: number }>()
  readonly writes: { key: string; ttl: number }[] = []
  failGet: 'throw' | 'reject' | 'hang' | undefined
  failSet: 'throw' | 'reject' | undefined

  get(key: string): string | undefined | Promise<string | undefined> {
    if (this.failGet === 'throw') throw new Error('shared cache down (sync)')
    if (this.failGet === 'reject') return Promise.reject(new Error('shared cache down'))
    if (this.failGet === 'hang') return new Promise(() => {})
    const entry = this.entries.get(key)
    return entry !== undefined && clock() < entry.expiresAt ? Promise.resolve(entry.value) : Promise.resolve(undefined)
  }

  set(key: string, value: string, ttlMs: number): void | Promise<void> {
    if (this.failSet === 'throw') throw new Error('shared cache down (sync)')
    if (this.failSet === 'reject') return Promise.reject(new Error('shared cache down'))
    this.writes.push({ key, ttl: ttlMs })
    this.entries.set(key, { value, expiresAt: clock() + ttlMs })
  }
}

const cache = (options: IntrospectionCacheOptions = {}) => createIntrospectionCache({ clock, ...options })
const sha256 = (token: string) => createHash('sha256').update(token).digest('base64url')

describe('lifetime of an answer', () => {
  it('an active answer lives maxTtl when exp is later', async () => {
    const answers = cache({ maxTtl: 60_000 })
    await answers.lookup('t1', introspect)
    now = START + 59_999
    await answers.lookup('t1', introspect)
    expect(asked).toEqual(['t1'])
    now = START + 60_000
    await answers.lookup('t1', introspect)
    expect(asked).toEqual(['t1', 't1'])
  })

  it('an active answer never outlives the token\'s exp', async () => {
    reply = () => ({ status: 200, body: { active: true, exp: START / 1000 + 10 } })
    const answers = cache({ maxTtl: 60_000 })
    await answers.lookup('t1', introspect)
    now = START + 9_999
    expect(answers.peek('t1')).toEqual({ active: true, exp: START / 1000 + 10 })
    now = START + 10_000
    expect(answers.peek('t1')).toBeUndefined()
    await answers.lookup('t1', introspect)
    expect(asked).toEqual(['t1', 't1'])
  })

  it('an answer whose exp has passed is not kept', async () => {
    reply = () => ({ status: 200, body: { active: true, exp: START / 1000 - 1 } })
    const answers = cache()
    await answers.lookup('t1', introspect)
    await answers.lookup('t1', introspect)
    expect(asked).toHaveLength(2)
    expect(answers.size).toBe(0)
  })

  it('inactive answers are not kept by default', async () => {
    reply = () => ({ status: 200, body: { active: false } })
    const answers = cache()
    expect(await answers.lookup('t1', introspect)).toEqual({ active: false })
    expect(await answers.lookup('t1', introspect)).toEqual({ active: false })
    expect(asked).toHaveLength(2)
  })

  it('inactive answers are kept for inactiveTtl, and peek never hands one out', async () => {
    reply = () => ({ status: 200, body: { active: false } })
    const answers = cache({ inactiveTtl: 5_000 })
    await answers.lookup('t1', introspect)
    now = START + 4_999
    expect(await answers.lookup('t1', introspect)).toEqual({ active: false })
    expect(answers.peek('t1')).toBeUndefined()
    expect(asked).toHaveLength(1)
    now = START + 5_000
    await answers.lookup('t1', introspect)
    expect(asked).toHaveLength(2)
  })

  it.each<[keyof IntrospectionCacheOptions, number]>([
    ['inactiveTtl', 10_001],
    ['inactiveTtl', -1],
    ['maxTtl', 1.5],
    ['maxInFlight', 0],
    ['maxEntries', 0],
  ])('%s: %s is refused at construction', (name, value) => {
    expect(() => cache({ [name]: value })).toThrow(TypeError)
  })
})

describe('one load per token', () => {
  it('50 concurrent lookups of one token → one request, one answer for all', async () => {
    const release = hold()
    const answers = cache()
    const lookups = Array.from({ length: 50 }, () => answers.lookup('same', introspect))
    expect(answers.inFlight).toBe(1)
    release()
    const results = await Promise.all(lookups)
    expect(asked).toEqual(['same'])
    expect(new Set(results).size).toBe(1)
    expect(answers.inFlight).toBe(0)
  })

  it('a failed load releases every waiter with the same error, and is not kept', async () => {
    reply = () => ({ status: 500, body: { error: 'boom' } })
    const release = hold()
    const answers = cache()
    const lookups = Array.from({ length: 10 }, () => answers.lookup('t1', introspect).catch((error: unknown) => error))
    release()
    const errors = await Promise.all(lookups)
    expect(errors[0]).toBeInstanceOf(IntrospectionUnavailableError)
    expect(new Set(errors).size).toBe(1)
    expect(asked).toHaveLength(1)
    expect(answers.inFlight).toBe(0)
    reply = () => ({ status: 200, body: { active: true } })
    expect(await answers.lookup('t1', introspect)).toEqual({ active: true })
    expect(asked).toHaveLength(2)
  })

  it('a load failing with something else becomes IntrospectionUnavailableError load', async () => {
    const error: unknown = await cache().lookup('t1', () => Promise.reject(new RangeError('bug'))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IntrospectionUnavailableError)
    expect((error as IntrospectionUnavailableError).reason).toBe('load')
    expect((error as Error).cause).toBeInstanceOf(RangeError)
  })
})

describe('bounded memory', () => {
  it('a flood of distinct tokens: at most maxInFlight loads, the rest refused as busy at once', async () => {
    const release = hold()
    const answers = cache({ maxInFlight: 4 })
    const lookups = Array.from({ length: 10 }, (_, i) => answers.lookup(`flood-${i}`, introspect).then(
      () => 'ok',
      (error: unknown) => (error as IntrospectionUnavailableError).reason,
    ))
    expect(answers.inFlight).toBe(4)
    // A token already being loaded still joins its load when the limit is reached.
    const joined = answers.lookup('flood-0', introspect)
    release()
    expect(await Promise.all(lookups)).toEqual(['ok', 'ok', 'ok', 'ok', 'busy', 'busy', 'busy', 'busy', 'busy', 'busy'])
    await expect(joined).resolves.toEqual({ active: true, exp: START / 1000 + 3600 })
    expect(asked.sort()).toEqual(['flood-0', 'flood-1', 'flood-2', 'flood-3'])
    expect(answers.inFlight).toBe(0)
  })

  it('the busy error says why, without any token', async () => {
    const release = hold()
    const answers = cache({ maxInFlight: 1 })
    const first = answers.lookup('secret-token-a', introspect)
    const error: unknown = await answers.lookup('secret-token-b', introspect).catch((e: unknown) => e)
    release()
    await first
    expect(error).toBeInstanceOf(IntrospectionUnavailableError)
    expect((error as Error).message).toMatch(/1 introspections already in flight \(maxInFlight\)/)
    expect((error as Error).message).not.toMatch(/secret-token/)
  })

  it('at most maxEntries answers are kept', async () => {
    const answers = cache({ maxEntries: 3 })
    for (let i = 0; i < 5; i++) await answers.lookup(`t${i}`, introspect)
    expect(answers.size).toBe(3)
    expect(answers.peek('t4')).toBeDefined()
    expect(answers.peek('t0')).toBeUndefined()
  })
})

describe('peek', () => {
  it('a cached active answer synchronously; nothing for an unknown token', async () => {
    const answers = cache()
    expect(answers.peek('t1')).toBeUndefined()
    const answer = await answers.lookup('t1', introspect)
    expect(answers.peek('t1')).toBe(answer)
    expect(answers.peek('t2')).toBeUndefined()
  })
})

describe('shared cache', () => {
  it('keys are the SHA-256 of the token; neither key nor value holds the token', async () => {
    const shared = new MapSharedCache()
    const token = 'eyJhbGciOi.secret-opaque-token'
    await cache({ shared }).lookup(token, introspect)
    expect([...shared.entries.keys()]).toEqual([sha256(token)])
    expect(JSON.stringify([...shared.entries])).not.toContain('secret-opaque-token')
  })

  it('write-through with the same lifetime, read-through by another instance', async () => {
    reply = () => ({ status: 200, body: { active: true, exp: START / 1000 + 30, scope: 'read' } })
    const shared = new MapSharedCache()
    await cache({ shared, maxTtl: 60_000 }).lookup('t1', introspect)
    expect(shared.writes).toEqual([{ key: sha256('t1'), ttl: 30_000 }])
    now = START + 1_000
    const other = cache({ shared, maxTtl: 60_000 })
    expect(await other.lookup('t1', introspect)).toEqual({ active: true, exp: START / 1000 + 30, scope: 'read' })
    expect(asked).toEqual(['t1'])
    expect(other.peek('t1')).toBeDefined()
  })

  it('an answer read from the shared cache keeps its first deadline, not a new one', async () => {
    const shared = new MapSharedCache()
    await cache({ shared, maxTtl: 60_000 }).lookup('t1', introspect)
    now = START + 59_000
    const other = cache({ shared, maxTtl: 60_000 })
    await other.lookup('t1', introspect)
    expect(asked).toHaveLength(1)
    now = START + 60_000
    expect(other.peek('t1')).toBeUndefined()
  })

  it('inactive answers go to the shared cache only with inactiveTtl', async () => {
    reply = () => ({ status: 200, body: { active: false } })
    const shared = new MapSharedCache()
    await cache({ shared }).lookup('t1', introspect)
    expect(shared.writes).toEqual([])
    await cache({ shared, inactiveTtl: 2_000 }).lookup('t2', introspect)
    expect(shared.writes).toEqual([{ key: sha256('t2'), ttl: 2_000 }])
  })

  it.each([['throw'], ['reject'], ['hang']] as const)('a shared cache that fails to read (%s) → the endpoint is asked', async (failure) => {
    const shared = new MapSharedCache()
    shared.failGet = failure
    const reported: unknown[] = []
    const answers = cache({ shared, sharedTimeout: 50, onSharedCacheError: (error) => reported.push(error) })
    expect(await answers.lookup('t1', introspect)).toEqual({ active: true, exp: START / 1000 + 3600 })
    expect(asked).toEqual(['t1'])
    expect(reported).toHaveLength(1)
    expect(answers.peek('t1')).toBeDefined()
  })

  it.each([['throw'], ['reject']] as const)('a shared cache that fails to write (%s) does not fail the lookup', async (failure) => {
    const shared = new MapSharedCache()
    shared.failSet = failure
    const reported: unknown[] = []
    const answers = cache({ shared, onSharedCacheError: (error) => reported.push(error) })
    expect((await answers.lookup('t1', introspect)).active).toBe(true)
    await new Promise((resolve) => setImmediate(resolve))
    expect(reported).toHaveLength(1)
  })

  it('shared cache and endpoint both failing → IntrospectionUnavailableError from the endpoint', async () => {
    const shared = new MapSharedCache()
    shared.failGet = 'reject'
    reply = () => ({ status: 503, body: {} })
    const error: unknown = await cache({ shared }).lookup('t1', introspect).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IntrospectionUnavailableError)
    expect((error as IntrospectionUnavailableError).reason).toBe('status')
  })

  it.each([
    ['not JSON', 'nonsense'],
    ['no deadline', JSON.stringify({ response: { active: true } })],
    ['active missing', JSON.stringify({ notAfter: START + 60_000, response: { scope: 'admin' } })],
  ])('an entry that is not an answer (%s) is ignored and reported', async (_case, value) => {
    const shared = new MapSharedCache()
    shared.entries.set(sha256('t1'), { value, expiresAt: Infinity })
    const reported: unknown[] = []
    const answer = await cache({ shared, onSharedCacheError: (error) => reported.push(error) }).lookup('t1', introspect)
    expect(answer.active).toBe(true)
    expect(asked).toEqual(['t1'])
    expect(reported).toHaveLength(1)
  })

  it('a shared answer past the token\'s exp is not used', async () => {
    const shared = new MapSharedCache()
    const stale: IntrospectionResponse = { active: true, exp: START / 1000 - 1 }
    shared.entries.set(sha256('t1'), { value: JSON.stringify({ notAfter: START + 60_000, response: stale }), expiresAt: Infinity })
    await cache({ shared }).lookup('t1', introspect)
    expect(asked).toEqual(['t1'])
  })
})
