import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from './support/adapters.js'
import { expectChallenge } from './support/expect-challenge.js'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

describe.each(ADAPTERS)('$name smoke', (adapter) => {
  it('200 with scope, 403 without, 401 without token', async () => {
    const app = adapter.app({ issuer: issuer.url, audience: issuer.audience as string })
    const good = await issuer.token({ scope: 'read:appointments' })
    const ok = await request(app).get('/appointments').set('Authorization', `Bearer ${good}`)
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    expect(ok.body).toEqual({ sub: 'user-1', scopes: ['read:appointments'] })
    const forbidden = await request(app).get('/appointments/write').set('Authorization', `Bearer ${good}`)
    expect(expectChallenge(forbidden, 403, 'insufficient_scope').params.scope).toBe('read:appointments write:appointments')
    expectChallenge(await request(app).get('/appointments'), 401, undefined)
  })
})
