import { listRoutes } from '@scopeguard/fastify'
import { createFakeIssuer, parseChallenge, type FakeIssuer, type TokenOptions } from '@scopeguard/testing'
import type { FastifyInstance } from 'fastify'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

// A real fake issuer on 127.0.0.1: the app finds its keys through discovery, as in production.
const AUDIENCE = 'https://api.example.com/projects'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer({ audience: AUDIENCE })
})
afterAll(() => issuer.close())

// A fresh app per test: projects are in memory, so one test's writes are not seen by another.
// supertest drives Fastify's own server once the app is ready; close() releases it.
let app: FastifyInstance
beforeEach(async () => {
  app = createApp({ issuer: issuer.url, audience: AUDIENCE })
  await app.ready()
})
afterEach(() => app.close())

const bearer = async (options: TokenOptions) => `Bearer ${await issuer.token({ subject: 'alice', ...options })}`

describe('projects API', () => {
  it('GET /health needs no token', async () => {
    await request(app.server).get('/health').expect(200, { status: 'ok' })
  })

  it('read:projects lists the projects; write:projects creates one, owned by the token’s subject', async () => {
    const created = await request(app.server).post('/projects').set('Authorization', await bearer({ scope: 'write:projects' })).send({ name: 'Apollo' }).expect(201)
    expect(created.body).toEqual({ id: '1', name: 'Apollo', owner: 'alice' })
    // write:projects implies read:projects (the catalogue), so the same token may read.
    const listed = await request(app.server).get('/projects').set('Authorization', await bearer({ scope: 'write:projects' })).expect(200)
    expect(listed.body).toEqual([created.body])
    await request(app.server).get('/projects').set('Authorization', await bearer({ scope: 'read:projects' })).expect(200)
  })

  it('RFC 6750 §3.1: no token → 401 with a challenge naming the RFC 9728 metadata', async () => {
    const res = await request(app.server).get('/projects').expect(401)
    const challenge = parseChallenge(res.headers['www-authenticate'])
    expect(challenge.scheme).toBe('Bearer')
    expect(challenge.params.error).toBeUndefined()
    expect(challenge.params.resource_metadata).toBe('https://api.example.com/.well-known/oauth-protected-resource/projects')
  })

  it('RFC 6750 §3.1: expired token → 401 invalid_token', async () => {
    const token = await issuer.bad.expired({ scope: 'read:projects' })
    const res = await request(app.server).get('/projects').set('Authorization', `Bearer ${token}`).expect(401)
    expect(parseChallenge(res.headers['www-authenticate']).params.error).toBe('invalid_token')
  })

  it('a token without `sub` (client credentials) is refused', async () => {
    const token = await issuer.token({ scope: 'read:projects', claims: { sub: undefined } })
    await request(app.server).get('/projects').set('Authorization', `Bearer ${token}`).expect(401)
  })

  it('POST /projects needs write:projects; read:projects → 403 insufficient_scope', async () => {
    const res = await request(app.server).post('/projects').set('Authorization', await bearer({ scope: 'read:projects' })).send({ name: 'Apollo' }).expect(403)
    expect(parseChallenge(res.headers['www-authenticate']).params).toMatchObject({ error: 'insufficient_scope', scope: 'write:projects' })
  })

  it('DELETE /projects/:id: delete:projects or admin (any-of)', async () => {
    await request(app.server).post('/projects').set('Authorization', await bearer({ scope: 'write:projects' })).send({ name: 'Apollo' }).expect(201)
    const denied = await request(app.server).delete('/projects/1').set('Authorization', await bearer({ scope: 'write:projects' })).expect(403)
    // Both alternatives lack one scope; the challenge names the first declared, `admin`.
    expect(parseChallenge(denied.headers['www-authenticate']).params.scope).toBe('admin')
    await request(app.server).delete('/projects/1').set('Authorization', await bearer({ scope: 'delete:projects' })).expect(204)
    await request(app.server).delete('/projects/1').set('Authorization', await bearer({ scope: 'admin' })).expect(404)
  })

  it('RFC 9728: the metadata document is public, and names the issuer and the scopes', async () => {
    const res = await request(app.server).get('/.well-known/oauth-protected-resource/projects').expect(200)
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.body).toMatchObject({
      resource: AUDIENCE,
      authorization_servers: [issuer.url],
      scopes_supported: ['read:projects', 'write:projects', 'delete:projects', 'admin'],
    })
  })

  it('listRoutes: every guarded route with its scopes, for docs and OpenAPI', () => {
    expect(listRoutes(app).map(({ method, path, requirement }) => `${method} ${path}: ${requirement.description}`)).toEqual([
      'GET /projects: read:projects',
      'POST /projects: write:projects',
      'DELETE /projects/:id: admin OR delete:projects',
    ])
  })
})
