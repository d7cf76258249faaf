import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useRedisServer } from '../../../test/support/redis-fixture.js'
import { createRedisDenyList } from './deny-list.js'

const { connect } = useRedisServer()

const now = () => Math.floor(Date.now() / 1000)

describe('createRedisDenyList', () => {
  it('a revoked jti is revoked on every instance; others are not', async () => {
    const jti = randomUUID()
    await createRedisDenyList({ client: await connect() }).revoke(jti, now() + 3600)
    const elsewhere = createRedisDenyList({ client: await connect() })
    expect(await elsewhere.isRevoked({ jti })).toBe(true)
    expect(await elsewhere.isRevoked({ jti: randomUUID() })).toBe(false)
  })

  it('a token without a string jti cannot be revoked this way: false', async () => {
    const denyList = createRedisDenyList({ client: await connect() })
    expect(await denyList.isRevoked({})).toBe(false)
    expect(await denyList.isRevoked({ jti: '' })).toBe(false)
    expect(await denyList.isRevoked({ jti: 42 })).toBe(false)
    expect(await denyList.isRevoked({ jti: ['a'] })).toBe(false)
  })

  it('the entry expires at until + keepAfterExpiry (EXAT on <prefix><jti>)', async () => {
    const client = await connect()
    const jti = randomUUID()
    const until = now() + 600
    await createRedisDenyList({ client }).revoke(jti, until)
    const ttl = await client.ttl(`scopeguard:revoked:${jti}`)
    // 600 s to the token's exp plus the default 300 s, give or take the second boundary.
    expect(ttl).toBeGreaterThan(890)
    expect(ttl).toBeLessThanOrEqual(901)

    await createRedisDenyList({ client, prefix: 'api-7:revoked:', keepAfterExpiry: 0 }).revoke(jti, until)
    expect(await client.ttl(`api-7:revoked:${jti}`)).toBeLessThanOrEqual(601)
  })

  it('an entry is gone once the token would have expired', async () => {
    const denyList = createRedisDenyList({ client: await connect(), keepAfterExpiry: 0 })
    const jti = randomUUID()
    await denyList.revoke(jti, now() + 1)
    expect(await denyList.isRevoked({ jti })).toBe(true)
    const deadline = Date.now() + 5000
    while (await denyList.isRevoked({ jti })) {
      if (Date.now() > deadline) throw new Error('the entry outlived the token by 3 s')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })

  it('keepAfterExpiry covers the clock tolerance after exp; past that, nothing is written', async () => {
    const client = await connect()
    const prefix = `past-${randomUUID()}:`
    const denyList = createRedisDenyList({ client, prefix, keepAfterExpiry: 60 })
    const recent = randomUUID()
    await denyList.revoke(recent, now() - 10)
    expect(await denyList.isRevoked({ jti: recent })).toBe(true)
    const old = randomUUID()
    await denyList.revoke(old, now() - 120)
    expect(await denyList.isRevoked({ jti: old })).toBe(false)
    expect(await client.keys(`${prefix}*`)).toEqual([`${prefix}${recent}`])
  })

  it('a very long jti is still revocable', async () => {
    const denyList = createRedisDenyList({ client: await connect() })
    const jti = `${randomUUID()}${'x'.repeat(5000)}`
    await denyList.revoke(jti, now() + 3600)
    expect(await denyList.isRevoked({ jti })).toBe(true)
    expect(await denyList.isRevoked({ jti: `${jti}y` })).toBe(false)
  })

  it('revoke() refuses an empty jti and an until that is not in seconds', async () => {
    const denyList = createRedisDenyList({ client: await connect() })
    await expect(denyList.revoke('', now() + 60)).rejects.toThrow(/revoke\(\) needs the token's jti, a non-empty string; got ""/)
    await expect(denyList.revoke(randomUUID(), Date.now() + 60_000)).rejects.toThrow(/until in seconds since the epoch, e\.g\. the token's exp claim/)
    await expect(denyList.revoke(randomUUID(), Number.NaN)).rejects.toThrow(TypeError)
    await expect(denyList.revoke(randomUUID(), '1700000000' as unknown as number)).rejects.toThrow(TypeError)
  })

  it('isRevoked() given the whole AuthResult instead of its claims rejects rather than pass every token', async () => {
    const denyList = createRedisDenyList({ client: await connect() })
    const auth = { token: 'eyJ...', claims: { jti: randomUUID() }, scopes: new Set<string>() }
    await expect(denyList.isRevoked(auth as { jti?: unknown })).rejects.toThrow(/isRevoked: \(auth\) => denyList\.isRevoked\(auth\.claims\)/)
  })
})
