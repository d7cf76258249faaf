import { generateKeyPairSync } from 'node:crypto'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { isAuthError } from '../errors/errors.js'
import type { AuthOptions } from '../options/options.js'
import { compileRequirement } from '../scopes/requirement.js'
import { createAdapterKit, createRequirementCheck } from './adapter-kit.js'
import { CONTINUE, type Decision } from './decision.js'
import type { RequestBinding } from './request-binding.js'

// A framework of our own for the kit: a request is a plain object, its result a property.
interface FakeRequest {
  authorization?: string | string[]
  method: string
  url: string
  body?: unknown
  contentType?: string
  auth?: unknown
}

function binding(reads = { authorization: 0 }): RequestBinding<FakeRequest> {
  return {
    authorization: (req) => {
      reads.authorization++
      return req.authorization
    },
    method: (req) => req.method,
    url: (req) => req.url,
    contentType: (req) => req.contentType,
    body: (req) => req.body,
    readResult: (req) => req.auth,
    writeResult: (req, result) => {
      req.auth = result
    },
    resultName: 'req.auth',
  }
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ISSUER = 'https://idp.example.com/'
const AUDIENCE = 'https://api.example.com/calendar'
const options = (extra: Partial<AuthOptions> = {}): AuthOptions => ({ issuer: ISSUER, audience: AUDIENCE, keys: publicKey, ...extra })

async function token(scope = 'read:appointments'): Promise<string> {
  return new SignJWT({ scope }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).setIssuer(ISSUER).setAudience(AUDIENCE)
    .setSubject('alice').setIssuedAt().setExpirationTime('5m').sign(privateKey)
}

const get = (authorization?: string | string[], url = '/appointments'): FakeRequest => ({ authorization, method: 'GET', url })

describe('adapter kit', () => {
  it('answers a reused token synchronously with the shared CONTINUE decision, and stores the result', async () => {
    const kit = createAdapterKit(options(), binding())
    const line = `Bearer ${await token()}`
    // First and second use are verified (a token enters the cache on its second use).
    for (let i = 0; i < 2; i++) {
      const pending = kit.middleware(get(line))
      expect(pending).toBeInstanceOf(Promise)
      expect(await pending).toBe(CONTINUE)
    }
    const request = get(line)
    expect(kit.middleware(request)).toBe(CONTINUE)
    expect((request.auth as { claims: { sub: string } }).claims.sub).toBe('alice')
  })

  it('turns failures into RFC 6750 replies, never rejections, and leaves the result unset', async () => {
    const kit = createAdapterKit(options(), binding())
    const missing = kit.middleware(get())
    expect(missing).toMatchObject({ kind: 'reply', status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="api"', 'Cache-Control': 'no-store' } })
    const forged = `Bearer ${(await token()).slice(0, -4)}AAAA`
    const request = get(forged)
    const decision = (await kit.middleware(request)) as Decision & { kind: 'reply' }
    expect(decision.status).toBe(401)
    expect(JSON.parse(decision.body ?? '')).toEqual({ error: 'invalid_token', error_description: expect.any(String) })
    expect(decision.body).not.toContain(forged.slice(7))
    expect(request.auth).toBeUndefined()
  })

  it('hands AuthErrors to the application with handleErrors: false', async () => {
    const kit = createAdapterKit(options({ handleErrors: false }), binding())
    const decision = kit.middleware(get('Bearer a.b.c'))
    const settled = decision instanceof Promise ? await decision : decision
    expect(settled.kind).toBe('error')
    expect(isAuthError((settled as { error: unknown }).error)).toBe(true)
  })

  it('answers the RFC 9728 metadata before authenticating: GET with the document, HEAD without, OPTIONS 204', () => {
    const kit = createAdapterKit(options({ resourceMetadata: { resource: AUDIENCE } }), binding())
    const path = '/.well-known/oauth-protected-resource/calendar'
    expect(kit.middleware({ method: 'GET', url: path })).toMatchObject({ kind: 'reply', status: 200, body: expect.stringContaining(AUDIENCE) })
    expect(kit.middleware({ method: 'HEAD', url: path })).toMatchObject({ kind: 'reply', status: 200, body: undefined })
    expect(kit.middleware({ method: 'OPTIONS', url: path })).toMatchObject({ kind: 'reply', status: 204, body: undefined })
    expect(kit.metadata(get())).toBe(CONTINUE)
    expect(kit.servesMetadata).toBe(true)
  })

  it('marks query-token successes private (RFC 6750 §2.3)', async () => {
    const kit = createAdapterKit(options({ acceptQueryToken: true }), binding())
    const decision = await kit.middleware(get(undefined, `/appointments?access_token=${await token()}`))
    expect(decision).toEqual({ kind: 'continue', headers: { 'Cache-Control': 'private' } })
  })

  it('a route guard behind the same kit only checks the scopes; behind none it authenticates itself', async () => {
    const reads = { authorization: 0 }
    const kit = createAdapterKit(options(), binding(reads))
    const guard = kit.routeGuard(['write:appointments'])
    const line = `Bearer ${await token()}`
    // No middleware has run: the guard authenticates, then finds the scope missing.
    expect(await guard(get(line))).toMatchObject({ kind: 'reply', status: 403 })
    expect(reads.authorization).toBe(1)
    const request = get(line)
    expect(await kit.middleware(request)).toBe(CONTINUE)
    expect(guard(request)).toMatchObject({ kind: 'reply', status: 403, headers: { 'WWW-Authenticate': expect.stringContaining('scope="write:appointments"') } })
    expect(reads.authorization).toBe(2)
    expect(kit.routeGuard(['read:appointments'])(request)).toBe(CONTINUE)
  })

  it('a standalone requirement check answers anonymous requests with their kit’s 401, and a wiring mistake with an error', () => {
    const kit = createAdapterKit(options({ optional: true }), binding())
    const check = createRequirementCheck(compileRequirement(['read:appointments']), binding())
    const anonymous = get()
    expect(kit.middleware(anonymous)).toBe(CONTINUE)
    expect(check(anonymous)).toMatchObject({ kind: 'reply', status: 401 })
    const unguarded = check(get())
    expect(unguarded.kind).toBe('error')
    expect(String((unguarded as { error: unknown }).error)).toContain('req.auth is not its result')
  })

  it('reads an asynchronous body only when it may carry a token, and hands a failed read to the framework', async () => {
    const reads: FakeRequest[] = []
    const asyncBinding: RequestBinding<FakeRequest> = {
      ...binding(),
      body: () => {
        throw new Error('readBody is given: body() must not be called')
      },
      readBody: async (req) => {
        reads.push(req)
        if (req.body === 'unreadable') throw new Error('malformed form body')
        return req.body
      },
    }
    const kit = createAdapterKit(options({ acceptBodyToken: true }), asyncBinding)
    const form = 'application/x-www-form-urlencoded'
    const post = (body: unknown, contentType = form): FakeRequest => ({ method: 'POST', url: '/appointments', body, contentType })
    // A body token is found once the body is read.
    const withToken = post({ access_token: await token() })
    expect(await kit.middleware(withToken)).toBe(CONTINUE)
    expect((withToken.auth as { location: string }).location).toBe('body')
    // GET, HEAD and other media types are never read (RFC 6750 §2.2), so never delayed.
    const line = `Bearer ${await token()}`
    expect(await kit.middleware({ ...get(line), contentType: form, body: {} })).toBe(CONTINUE)
    expect(await kit.middleware({ ...post({}, 'application/json'), authorization: line })).toBe(CONTINUE)
    expect(reads).toEqual([withToken])
    // A body the framework cannot read (a size limit, say) is its own error to answer, not the token's.
    const decision = await kit.middleware(post('unreadable'))
    expect(decision).toMatchObject({ kind: 'error', error: new Error('malformed form body') })
  })
})
