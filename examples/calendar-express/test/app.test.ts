import { createFakeIssuer, parseChallenge, type FakeIssuer, type TokenOptions } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

// A real fake issuer on 127.0.0.1: the app finds its keys through discovery, as in production.
const AUDIENCE = 'https://api.example.com/calendar'
const READ = 'read:appointments'
const WRITE = 'write:appointments'
const DENTIST = { title: 'Dentist', start: '2030-01-15T09:00:00Z' }

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer({ audience: AUDIENCE })
})
afterAll(() => issuer.close())

// A fresh app per test: appointments are in memory, so no test sees another's.
const app = () => createApp({ issuer: issuer.url, audience: AUDIENCE })
const bearer = async (options: TokenOptions) => `Bearer ${await issuer.token({ subject: 'alice', ...options })}`

describe('calendar API', () => {
  it('GET /health needs no token', async () => {
    await request(app()).get('/health').expect(200, { status: 'ok' })
  })

  it('read:appointments lists the caller’s own appointments', async () => {
    const calendar = app()
    await request(calendar).post('/appointments').set('Authorization', await bearer({ scope: [READ, WRITE] })).send(DENTIST).expect(201)
    const mine = await request(calendar).get('/appointments').set('Authorization', await bearer({ scope: READ }))
    expect(mine.status).toBe(200)
    expect(mine.body).toEqual([{ id: '1', ...DENTIST, owner: 'alice' }])
    const bobs = await request(calendar).get('/appointments').set('Authorization', await bearer({ scope: READ, subject: 'bob' }))
    expect(bobs.body).toEqual([])
  })

  it('RFC 6750 §3.1: no token → 401, a challenge without error code', async () => {
    const res = await request(app()).get('/appointments').expect(401)
    const challenge = parseChallenge(res.headers['www-authenticate'])
    expect(challenge.scheme).toBe('Bearer')
    expect(challenge.params.error).toBeUndefined()
  })

  it('RFC 6750 §3.1: expired token → 401 invalid_token', async () => {
    const token = await issuer.bad.expired({ scope: READ })
    const res = await request(app()).get('/appointments').set('Authorization', `Bearer ${token}`).expect(401)
    expect(parseChallenge(res.headers['www-authenticate']).params.error).toBe('invalid_token')
  })

  it('a token without `sub` → 401 invalid_token: a calendar belongs to a user', async () => {
    const token = await issuer.token({ scope: READ, claims: { sub: undefined } })
    const res = await request(app()).get('/appointments').set('Authorization', `Bearer ${token}`).expect(401)
    expect(parseChallenge(res.headers['www-authenticate']).params.error).toBe('invalid_token')
  })

  it('RFC 6750 §3.1: missing scope → 403 insufficient_scope naming the scope to request', async () => {
    const res = await request(app()).get('/appointments').set('Authorization', await bearer({})).expect(403)
    expect(parseChallenge(res.headers['www-authenticate']).params).toMatchObject({ error: 'insufficient_scope', scope: READ })
  })

  it('POST /appointments needs read and write (all-of)', async () => {
    const res = await request(app()).post('/appointments').set('Authorization', await bearer({ scope: READ })).send(DENTIST).expect(403)
    expect(parseChallenge(res.headers['www-authenticate']).params).toMatchObject({ error: 'insufficient_scope', scope: `${READ} ${WRITE}` })
    await request(app()).post('/appointments').set('Authorization', await bearer({ scope: [READ, WRITE] })).send({ title: 'x' }).expect(400)
  })

  describe('DELETE /appointments/:id: admin, or read + write (any-of)', () => {
    // Alice creates appointment 1 in a fresh app; each case then tries to delete it.
    async function aliceAppointment() {
      const calendar = app()
      await request(calendar).post('/appointments').set('Authorization', await bearer({ scope: [READ, WRITE] })).send(DENTIST).expect(201)
      return calendar
    }

    it('admin alone may delete anyone’s', async () => {
      const calendar = await aliceAppointment()
      await request(calendar).delete('/appointments/1').set('Authorization', await bearer({ scope: 'admin', subject: 'root' })).expect(204)
    })

    it('read + write may delete their own, not another user’s', async () => {
      const calendar = await aliceAppointment()
      await request(calendar).delete('/appointments/1').set('Authorization', await bearer({ scope: [READ, WRITE], subject: 'bob' })).expect(404)
      await request(calendar).delete('/appointments/1').set('Authorization', await bearer({ scope: [READ, WRITE] })).expect(204)
      await request(calendar).delete('/appointments/1').set('Authorization', await bearer({ scope: [READ, WRITE] })).expect(404)
    })

    it('read alone → 403 insufficient_scope', async () => {
      const calendar = await aliceAppointment()
      const res = await request(calendar).delete('/appointments/1').set('Authorization', await bearer({ scope: READ })).expect(403)
      // Both alternatives lack one scope; the challenge names the first declared, `admin`.
      expect(parseChallenge(res.headers['www-authenticate']).params).toMatchObject({ error: 'insufficient_scope', scope: 'admin' })
    })
  })
})
