import { createFakeIssuer, parseChallenge, type FakeIssuer, type TokenOptions } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

// A real fake issuer on 127.0.0.1: the app finds its keys through discovery, as in production.
const AUDIENCE = 'https://api.example.com/files'
const METADATA_PATH = '/.well-known/oauth-protected-resource/files'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer({ audience: AUDIENCE })
})
afterAll(() => issuer.close())

// A fresh app per test: files are in memory, so a write in one test is not seen by another.
const app = () => createApp({ issuer: issuer.url, audience: AUDIENCE, resourceMetadata: { resource: AUDIENCE } })
const bearer = async (options: TokenOptions) => `Bearer ${await issuer.token({ subject: 'alice', ...options })}`

describe('files API on node:http', () => {
  it('GET /health needs no token', async () => {
    await request(app()).get('/health').expect(200, { status: 'ok' })
  })

  it('read:files lists your files; write:files writes them, and may read (it implies read:files)', async () => {
    const listener = app()
    const writer = await bearer({ scope: 'write:files' })
    await request(listener).put('/files/notes.txt').set('Authorization', writer).type('text').send('hello').expect(201, { name: 'notes.txt', bytes: 5 })
    await request(listener).put('/files/notes.txt').set('Authorization', writer).type('text').send('hello again').expect(200)
    await request(listener).get('/files').set('Authorization', await bearer({ scope: 'read:files' })).expect(200, ['notes.txt'])
    const read = await request(listener).get('/files/notes.txt').set('Authorization', writer).expect(200)
    expect(read.text).toBe('hello again')
    // Another user's folder is their own.
    await request(listener).get('/files').set('Authorization', await bearer({ subject: 'bob', scope: 'read:files' })).expect(200, [])
  })

  it('RFC 6750 §3.1: no token → 401, a challenge without error code naming the metadata (RFC 9728 §5.1)', async () => {
    const res = await request(app()).get('/files').expect(401)
    const challenge = parseChallenge(res.headers['www-authenticate'])
    expect(challenge.scheme).toBe('Bearer')
    expect(challenge.params.error).toBeUndefined()
    expect(challenge.params.resource_metadata).toBe(`https://api.example.com${METADATA_PATH}`)
  })

  it('RFC 6750 §3.1: expired token → 401 invalid_token', async () => {
    const res = await request(app()).get('/files').set('Authorization', `Bearer ${await issuer.bad.expired({ scope: 'read:files' })}`).expect(401)
    expect(parseChallenge(res.headers['www-authenticate']).params.error).toBe('invalid_token')
  })

  it('a token without sub (client credentials) → 401 invalid_token: a folder belongs to a user', async () => {
    const token = await issuer.token({ scope: 'read:files', claims: { sub: undefined } })
    const res = await request(app()).get('/files').set('Authorization', `Bearer ${token}`).expect(401)
    expect(parseChallenge(res.headers['www-authenticate']).params.error).toBe('invalid_token')
  })

  it('RFC 6750 §3.1: read:files cannot write or delete → 403 insufficient_scope naming the scope', async () => {
    const reader = await bearer({ scope: 'read:files' })
    const put = await request(app()).put('/files/notes.txt').set('Authorization', reader).type('text').send('x').expect(403)
    expect(parseChallenge(put.headers['www-authenticate']).params).toMatchObject({ error: 'insufficient_scope', scope: 'write:files' })
    const del = await request(app()).delete('/files/notes.txt').set('Authorization', reader).expect(403)
    expect(parseChallenge(del.headers['www-authenticate']).params).toMatchObject({ error: 'insufficient_scope', scope: 'delete:files' })
  })

  it('admin implies every scope: it may delete', async () => {
    const listener = app()
    const admin = await bearer({ scope: 'admin' })
    await request(listener).put('/files/old.txt').set('Authorization', admin).type('text').send('x').expect(201)
    await request(listener).delete('/files/old.txt').set('Authorization', admin).expect(204)
    await request(listener).delete('/files/old.txt').set('Authorization', admin).expect(404)
  })

  it('RFC 9728: the metadata document is public and lists the catalogue', async () => {
    const res = await request(app()).get(METADATA_PATH).expect(200).expect('content-type', /^application\/json/)
    expect(res.body).toEqual({
      resource: AUDIENCE,
      authorization_servers: [issuer.url],
      scopes_supported: ['read:files', 'write:files', 'delete:files', 'admin'],
      bearer_methods_supported: ['header'],
      // DPoP-bound tokens are accepted too: the resource is the origin their proofs name.
      dpop_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'],
      dpop_bound_access_tokens_required: false,
    })
  })

  it('unknown routes and methods → 404', async () => {
    await request(app()).get('/nowhere').expect(404)
    await request(app()).post('/files').set('Authorization', await bearer({ scope: 'admin' })).expect(404)
  })
})
