import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { expectChallenge } from '../support/expect-challenge.js'
import { rawRequest } from '../support/raw-request.js'

let issuer: FakeIssuer
let token: string
beforeAll(async () => {
  issuer = await createFakeIssuer()
  token = await issuer.token({ scope: 'read:appointments' })
})
afterAll(() => issuer.close())

type Status = 200 | 400 | 401
type Case = [name: string, authorization: (token: string) => string | string[] | undefined, status: Status, error?: string]

// RFC 6750 §2.1 (header syntax) and §3.1 (which failures carry which error code).
const HEADER_CASES: Case[] = [
  ['§2.1: "Bearer <token>" is accepted', (t) => `Bearer ${t}`, 200],
  ['§2.1 / RFC 9110 §11.1: the scheme is case-insensitive (bearer)', (t) => `bearer ${t}`, 200],
  ['§2.1 / RFC 9110 §11.1: the scheme is case-insensitive (BEARER)', (t) => `BEARER ${t}`, 200],
  ['§2.1: 1*SP allows several spaces before the token', (t) => `Bearer    ${t}`, 200],
  ['§3.1: no Authorization header → 401 without error code', () => undefined, 401],
  ['§3.1: an empty Authorization header counts as no credentials', () => '', 401],
  ['§3.1: another scheme (Basic) → 401 without error code', () => 'Basic dXNlcjpwYXNz', 401],
  ['§3.1: a scheme that only starts with "Bearer" is another scheme', (t) => `Bearerx ${t}`, 401],
  ['§3.1: "Bearer" without a token → 400 invalid_request', () => 'Bearer', 400, 'invalid_request'],
  ['§2.1: a tab instead of SP → 400 invalid_request', (t) => `Bearer\t${t}`, 400, 'invalid_request'],
  ['§2.1: characters outside b64token → 400 invalid_request', () => 'Bearer abc$def', 400, 'invalid_request'],
  ['§2.1: a space inside the token → 400 invalid_request', (t) => `Bearer ${t} extra`, 400, 'invalid_request'],
  ['§2.1: comma-joined credentials → 400 invalid_request', (t) => `Bearer ${t}, Bearer ${t}`, 400, 'invalid_request'],
  ['§3.1: two Authorization lines → 400 invalid_request', (t) => [`Bearer ${t}`, `Bearer ${t}`], 400, 'invalid_request'],
  ['§3.1: a second line with another scheme is still a repeat', (t) => [`Bearer ${t}`, 'Basic dXNlcjpwYXNz'], 400, 'invalid_request'],
  ['§3.1: a b64token that is not a JWT → 401 invalid_token', () => 'Bearer not-a-jwt', 401, 'invalid_token'],
  ['§3.1: a token over maxTokenLength → 401 invalid_token before parsing', () => `Bearer ${'a'.repeat(9000)}`, 401, 'invalid_token'],
]

describe.each(ADAPTERS)('$name: token extraction (RFC 6750 §2)', (adapter) => {
  const app = () => adapter.app({ issuer: issuer.url, audience: issuer.audience as string })

  it.each(HEADER_CASES)('%s', async (_name, authorization, status, error) => {
    const value = authorization(token)
    // supertest keeps one value per header name; repeated lines go out raw.
    const res = Array.isArray(value)
      ? await rawRequest(app(), '/appointments', value.flatMap((line) => ['Authorization', line]))
      : await (value === undefined ? request(app()).get('/appointments') : request(app()).get('/appointments').set('Authorization', value))
    if (status === 200) {
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      return
    }
    expectChallenge(res, status, error)
    // The token is never echoed, in any header or in the body.
    expect(JSON.stringify(res.headers) + JSON.stringify(res.body)).not.toContain(token.slice(-20))
  })

  it('§2.3: a query token is ignored unless acceptQueryToken is set', async () => {
    const res = await request(app()).get(`/appointments?access_token=${token}`)
    expectChallenge(res, 401, undefined)
  })

  describe('with acceptQueryToken and acceptBodyToken', () => {
    const open = () => adapter.app({ issuer: issuer.url, audience: issuer.audience as string, acceptQueryToken: true, acceptBodyToken: true })

    it('§2.3: the access_token query parameter is accepted, and the 200 is Cache-Control: private', async () => {
      const res = await request(open()).get(`/appointments?access_token=${token}`)
      expect(res.status).toBe(200)
      expect(res.headers['cache-control']).toBe('private')
    })

    it('§2.3 / §3.1: a repeated access_token parameter → 400 invalid_request', async () => {
      expectChallenge(await request(open()).get(`/appointments?access_token=${token}&access_token=${token}`), 400, 'invalid_request')
    })

    it('§2: header and query together → 400 invalid_request', async () => {
      const res = await request(open()).get(`/appointments?access_token=${token}`).set('Authorization', `Bearer ${token}`)
      expectChallenge(res, 400, 'invalid_request')
    })

    it('§2.2: the form-encoded body parameter is accepted on POST', async () => {
      const res = await request(open()).post('/appointments').type('form').send({ access_token: token })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    })

    it('§2.2: a body token with a JSON content type is not a form-encoded body parameter', async () => {
      const res = await request(open()).post('/appointments').type('json').send({ access_token: token })
      expectChallenge(res, 401, undefined)
    })

    it('§2: header and body together → 400 invalid_request', async () => {
      const res = await request(open()).post('/appointments').set('Authorization', `Bearer ${token}`).type('form').send({ access_token: token })
      expectChallenge(res, 400, 'invalid_request')
    })

    it('§2.3: an empty access_token parameter → 400 invalid_request', async () => {
      expectChallenge(await request(open()).get('/appointments?access_token='), 400, 'invalid_request')
    })
  })

  it('§2.2: body tokens are ignored unless acceptBodyToken is set', async () => {
    const res = await request(app()).post('/appointments').type('form').send({ access_token: token })
    expectChallenge(res, 401, undefined)
  })
})
