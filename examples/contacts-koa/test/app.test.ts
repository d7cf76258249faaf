import { createFakeIssuer, parseChallenge, type FakeIssuer, type TokenOptions } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

// A real fake issuer on 127.0.0.1: the app finds its keys through discovery, as in production.
const AUDIENCE = 'https://api.example.com/contacts'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer({ audience: AUDIENCE })
})
afterAll(() => issuer.close())

// A fresh app per test: contacts are in memory, so a delete in one test is not seen by another.
const server = () => createApp({ issuer: issuer.url, audience: AUDIENCE }).callback()
const bearer = async (options: TokenOptions) => `Bearer ${await issuer.token({ subject: 'alice', ...options })}`

describe('contacts API', () => {
  it('GET /health needs no token', async () => {
    await request(server()).get('/health').expect(200, { status: 'ok' })
  })

  it('read:contacts lists the contacts', async () => {
    const res = await request(server()).get('/contacts').set('Authorization', await bearer({ scope: 'read:contacts' })).expect(200)
    expect(res.body).toHaveLength(3)
  })

  it('Auth0 RBAC: a `permissions` claim grants like `scope`', async () => {
    const token = await bearer({ scope: ['read:contacts'], scopeStyle: 'permissions' })
    expect(JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString())).toMatchObject({ permissions: ['read:contacts'] })
    await request(server()).get('/contacts').set('Authorization', token).expect(200)
  })

  it('RFC 6750 §3.1: no token → 401, a challenge without error code', async () => {
    const res = await request(server()).get('/contacts').expect(401)
    const challenge = parseChallenge(res.headers['www-authenticate'])
    expect(challenge.scheme).toBe('Bearer')
    expect(challenge.params.error).toBeUndefined()
  })

  it('RFC 6750 §3.1: expired token → 401 invalid_token', async () => {
    const token = await issuer.bad.expired({ scope: 'read:contacts' })
    const res = await request(server()).get('/contacts').set('Authorization', `Bearer ${token}`).expect(401)
    expect(parseChallenge(res.headers['www-authenticate']).params.error).toBe('invalid_token')
  })

  it('DELETE /contacts/:id needs delete:contacts; read:contacts → 403 insufficient_scope', async () => {
    const app = server()
    const res = await request(app).delete('/contacts/1').set('Authorization', await bearer({ scope: 'read:contacts' })).expect(403)
    expect(parseChallenge(res.headers['www-authenticate']).params).toMatchObject({ error: 'insufficient_scope', scope: 'delete:contacts' })
    await request(app).delete('/contacts/1').set('Authorization', await bearer({ scope: 'delete:contacts' })).expect(204)
    await request(app).delete('/contacts/1').set('Authorization', await bearer({ scope: 'delete:contacts' })).expect(404)
  })

  describe('GET /contacts/export: admin, or read + export (any-of)', () => {
    it('admin alone may export', async () => {
      const res = await request(server()).get('/contacts/export').set('Authorization', await bearer({ scope: 'admin' })).expect(200)
      expect(res.headers['content-type']).toMatch(/^text\/csv/)
      expect(res.text).toContain('# exported for alice\nid,name,email\n"1","Ada Lovelace","ada@example.com"')
    })

    it('read:contacts + export:contacts may export', async () => {
      await request(server()).get('/contacts/export').set('Authorization', await bearer({ scope: 'read:contacts export:contacts' })).expect(200)
    })

    it('read:contacts alone → 403 insufficient_scope', async () => {
      const res = await request(server()).get('/contacts/export').set('Authorization', await bearer({ scope: 'read:contacts' })).expect(403)
      // Both alternatives lack one scope; the challenge names the first declared, `admin`.
      expect(parseChallenge(res.headers['www-authenticate']).params).toMatchObject({ error: 'insufficient_scope', scope: 'admin' })
    })
  })
})
