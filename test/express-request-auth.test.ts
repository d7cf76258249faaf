import { IncomingMessage, type RequestListener } from 'node:http'
import * as scopeguardExpress from '@scopeguard/express'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import express4 from 'express4'
import express5 from 'express5'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// On Express, `req.auth` is an accessor on Express's request prototype backed by a WeakMap
// (see packages/express/src/request-auth-accessor.ts: a property added to an Express request
// costs a hidden class of its own). These tests pin that it still behaves as a property of
// each request, wherever in an app (and its sub-apps) it is written or read.

const API = 'https://api.example.com/calendar'
const { auth, requireScopes } = scopeguardExpress

type ExpressModule = typeof express5
const EXPRESS = [
  { name: 'express 5', express: express5 },
  { name: 'express 4', express: express4 as unknown as ExpressModule },
] as const

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(async () => {
  await issuer.close()
})

const token = (sub: string, scope = 'read:appointments'): Promise<string> => issuer.token({ audience: API, scope, subject: sub })

describe.each(EXPRESS)('req.auth on $name', ({ express }) => {
  const newAuth = () => auth({ issuer: issuer.url, audience: API })

  it('is each request\'s own: concurrent requests with different tokens, cached and not, see their own subject', async () => {
    const app = express()
    app.use(newAuth())
    app.get('/me', (req, res) => {
      res.json({ sub: scopeguardExpress.requireAuth(req).claims.sub })
    })
    const tokens = await Promise.all(['alice', 'bob', 'carol'].map((sub) => token(sub)))
    // Three rounds: the first verifies, the next ones come from the cache.
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => request(app).get('/me').set('Authorization', `Bearer ${tokens[i % 3]}`).expect(200)),
      )
      expect(answers.map((res) => res.body.sub)).toEqual(Array.from({ length: 12 }, (_, i) => ['alice', 'bob', 'carol'][i % 3]))
    }
  })

  it('is undefined on a request auth() never saw, also after others were authenticated', async () => {
    const app = express()
    app.get('/open', (req, res) => {
      res.json({ auth: req.auth === undefined ? 'none' : 'set' })
    })
    app.use(newAuth())
    app.get('/me', (req, res) => {
      res.json({ sub: scopeguardExpress.requireAuth(req).claims.sub })
    })
    await request(app).get('/me').set('Authorization', `Bearer ${await token('alice')}`).expect(200, { sub: 'alice' })
    await request(app).get('/open').set('Authorization', `Bearer ${await token('alice')}`).expect(200, { auth: 'none' })
  })

  it('reaches a mounted sub-app, whose requireScopes() checks it', async () => {
    const app = express()
    const calendar = express()
    calendar.get('/appointments', requireScopes('read:appointments'), (req, res) => {
      res.json({ sub: scopeguardExpress.requireAuth(req).claims.sub })
    })
    app.use(newAuth())
    app.use('/calendar', calendar)
    await request(app).get('/calendar/appointments').set('Authorization', `Bearer ${await token('alice')}`).expect(200, { sub: 'alice' })
    const res = await request(app).get('/calendar/appointments').set('Authorization', `Bearer ${await token('bob', 'other')}`).expect(403)
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope"/)
  })

  it('set by auth() inside a sub-app, is still there when the parent app carries on', async () => {
    const app = express()
    const guarded = express()
    guarded.use(newAuth())
    app.use(guarded) // no route of its own: every request falls through to the parent
    app.get('/me', requireScopes('read:appointments'), (req, res) => {
      res.json({ sub: scopeguardExpress.requireAuth(req).claims.sub })
    })
    await request(app).get('/me').set('Authorization', `Bearer ${await token('alice')}`).expect(200, { sub: 'alice' })
  })

  it('behaves as a property: assigned by other code, read back, `in`, cleared with undefined', async () => {
    const app = express()
    app.use(newAuth())
    app.get('/me', (req, res) => {
      const fromAuth = scopeguardExpress.requireAuth(req).claims.sub
      const record = req as unknown as Record<string, unknown>
      record.auth = { replaced: true }
      const replaced = record.auth
      const has = 'auth' in req
      record.auth = undefined
      res.json({ fromAuth, replaced, has, cleared: record.auth === undefined })
    })
    await request(app)
      .get('/me')
      .set('Authorization', `Bearer ${await token('alice')}`)
      .expect(200, { fromAuth: 'alice', replaced: { replaced: true }, has: true, cleared: true })
  })

  it('is not an own, enumerable property, so logging or spreading req does not copy the token\'s result', async () => {
    const app = express()
    app.use(newAuth())
    app.get('/me', (req, res) => {
      res.json({ own: Object.prototype.hasOwnProperty.call(req, 'auth'), listed: Object.keys(req).includes('auth'), sub: scopeguardExpress.requireAuth(req).claims.sub })
    })
    await request(app).get('/me').set('Authorization', `Bearer ${await token('alice')}`).expect(200, { own: false, listed: false, sub: 'alice' })
  })
})

describe('auth() outside Express (a plain node:http server)', () => {
  it('sets req.auth as an ordinary property and leaves IncomingMessage.prototype alone', async () => {
    const middleware = auth({ issuer: issuer.url, audience: API })
    const listener: RequestListener = (req, res) => {
      // Express's response helpers are not there; auth() answers failures with Node's API.
      middleware(req as never, res as never, (err?: unknown) => {
        const result = (req as unknown as { auth?: { claims: { sub?: string } } }).auth
        res.setHeader('Content-Type', 'application/json')
        res.end(JSON.stringify({ err: err === undefined ? null : String(err), sub: result?.claims.sub, own: Object.prototype.hasOwnProperty.call(req, 'auth') }))
      })
    }
    // supertest serves a bare listener on a node:http server of its own: no Express prototype.
    const bearer = `Bearer ${await token('alice')}`
    for (let i = 0; i < 2; i++) {
      await request(listener).get('/').set('Authorization', bearer).expect(200, { err: null, sub: 'alice', own: true })
    }
    expect(Object.getOwnPropertyDescriptor(IncomingMessage.prototype, 'auth')).toBeUndefined()
  })
})
