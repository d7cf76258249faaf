import { getRequestListener } from '@hono/node-server'
import { listRoutes } from '@scopeguard/hono'
import { createFakeIssuer, parseChallenge, type FakeIssuer, type TokenOptions } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

// A real fake issuer on 127.0.0.1: the app finds its keys through discovery, as in production.
const AUDIENCE = 'https://api.example.com/notes'
const METADATA = '/.well-known/oauth-protected-resource/notes'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer({ audience: AUDIENCE })
})
afterAll(() => issuer.close())

// A fresh app per test: notes are in memory. app.request() is the Fetch API path Bun, Deno
// and Workers take; the last test goes through @hono/node-server as in src/server.ts.
const app = () => createApp({ issuer: issuer.url, audience: AUDIENCE, resource: AUDIENCE })
const bearer = async (options: TokenOptions) => ({ Authorization: `Bearer ${await issuer.token({ subject: 'alice', ...options })}` })
const post = async (text: string, options: TokenOptions = { scope: 'write:notes' }) =>
  ({ method: 'POST', headers: { ...(await bearer(options)), 'Content-Type': 'application/json' }, body: JSON.stringify({ text }) })

describe('notes API', () => {
  it('GET /health needs no token', async () => {
    const res = await app().request('/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('write:notes creates a note, read:notes lists the caller’s notes (200)', async () => {
    const notes = app()
    const created = await notes.request('/notes', await post('Buy milk'))
    expect(created.status).toBe(201)
    expect(await created.json()).toEqual({ id: '1', owner: 'alice', text: 'Buy milk' })
    await notes.request('/notes', await post('Not mine', { subject: 'bob', scope: 'write:notes' }))
    const res = await notes.request('/notes', { headers: await bearer({ scope: 'read:notes' }) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual([{ id: '1', owner: 'alice', text: 'Buy milk' }])
  })

  it('the catalogue: write:notes implies read:notes', async () => {
    expect((await app().request('/notes', { headers: await bearer({ scope: 'write:notes' }) })).status).toBe(200)
  })

  it('RFC 6750 §3.1: no token → 401, a challenge without error code naming the metadata (RFC 9728 §5.1)', async () => {
    const res = await app().request('/notes')
    expect(res.status).toBe(401)
    const challenge = parseChallenge(res.headers.get('www-authenticate') ?? undefined)
    expect(challenge.scheme).toBe('Bearer')
    expect(challenge.params.error).toBeUndefined()
    expect(challenge.params.resource_metadata).toBe(`https://api.example.com${METADATA}`)
  })

  it('RFC 6750 §3.1: expired token → 401 invalid_token', async () => {
    const res = await app().request('/notes', { headers: { Authorization: `Bearer ${await issuer.bad.expired({ scope: 'read:notes' })}` } })
    expect(res.status).toBe(401)
    expect(parseChallenge(res.headers.get('www-authenticate') ?? undefined).params.error).toBe('invalid_token')
  })

  it('read:notes cannot write: 403 insufficient_scope naming write:notes', async () => {
    const res = await app().request('/notes', await post('Nope', { scope: 'read:notes' }))
    expect(res.status).toBe(403)
    expect(parseChallenge(res.headers.get('www-authenticate') ?? undefined).params).toMatchObject({ error: 'insufficient_scope', scope: 'write:notes' })
  })

  it('DELETE /notes/:id: the owner with delete:notes, or an admin; another user gets 404', async () => {
    const notes = app()
    await notes.request('/notes', await post('One'))
    await notes.request('/notes', await post('Two'))
    expect((await notes.request('/notes/1', { method: 'DELETE', headers: await bearer({ scope: 'read:notes' }) })).status).toBe(403)
    expect((await notes.request('/notes/1', { method: 'DELETE', headers: await bearer({ subject: 'bob', scope: 'delete:notes' }) })).status).toBe(404)
    expect((await notes.request('/notes/1', { method: 'DELETE', headers: await bearer({ scope: 'delete:notes' }) })).status).toBe(204)
    expect((await notes.request('/notes/2', { method: 'DELETE', headers: await bearer({ subject: 'root', scope: 'admin' }) })).status).toBe(204)
  })

  it('RFC 9728: the metadata document is public, with the catalogue’s scopes', async () => {
    const res = await app().request(METADATA)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toMatchObject({
      resource: AUDIENCE,
      authorization_servers: [issuer.url],
      scopes_supported: ['read:notes', 'write:notes', 'delete:notes', 'admin'],
      resource_name: 'Notes API',
    })
  })

  it('listRoutes() documents what each route requires', () => {
    expect(listRoutes(app()).map(({ method, path, requirement }) => `${method} ${path}: ${requirement.description}`)).toEqual([
      'GET /notes: read:notes',
      'POST /notes: write:notes',
      'DELETE /notes/:id: delete:notes OR admin',
    ])
  })

  it('served by @hono/node-server, as src/server.ts does: 200, 401, 403', async () => {
    const listener = getRequestListener(app().fetch)
    await request(listener).get('/notes').set(await bearer({ scope: 'read:notes' })).expect(200, [])
    await request(listener).get('/notes').expect(401).expect('www-authenticate', /^Bearer/)
    await request(listener).get('/notes').set(await bearer({ scope: 'other' })).expect(403)
  })
})
