import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { expectChallenge } from '../support/expect-challenge.js'

// A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) never carries
// credentials. The app-wide auth() lets it on to the application's CORS handling instead of
// answering 401; a guarded route it reaches still refuses it, and the request it precedes is
// checked as usual.

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(async () => {
  await issuer.close()
})

const PREFLIGHT = { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' }

describe.each(ADAPTERS)('$name: CORS preflights', (adapter) => {
  const options = () => ({ issuer: issuer.url, audience: issuer.audience as string, keys: issuer.signingKey.publicJwk })

  it('a preflight to a route the app-wide auth() covers but no guard does is not refused by auth()', async () => {
    const res = await request(adapter.app(options())).options('/me').set(PREFLIGHT)
    expect(res.status).not.toBe(401)
    expect(res.headers['www-authenticate']).toBeUndefined()
  })

  it('a guarded route still refuses a preflight that reaches it (the route handler never runs)', async () => {
    const res = await request(adapter.app(options())).options('/appointments').set(PREFLIGHT)
    expectChallenge(res, 401, undefined)
  })

  it('an OPTIONS request that is not a preflight (no Access-Control-Request-Method) needs a token like any other', async () => {
    const res = await request(adapter.app(options())).options('/me').set('Origin', 'https://app.example.com')
    expectChallenge(res, 401, undefined)
  })

  it('the request the preflight precedes is checked as usual', async () => {
    const app = adapter.app(options())
    expectChallenge(await request(app).get('/me').set('Origin', 'https://app.example.com'), 401, undefined)
    const ok = await request(app).get('/appointments').set('Origin', 'https://app.example.com').set('Authorization', `Bearer ${await issuer.token({ scope: 'read:appointments' })}`)
    expect(ok.status).toBe(200)
  })
})
