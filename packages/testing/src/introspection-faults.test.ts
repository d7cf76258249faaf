import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createFakeIssuer, type EndpointFault, type FakeIssuer } from './fake-issuer.js'
import type { IntrospectionFault } from './introspection-faults.js'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer({ algorithm: 'ES256' })
})
afterAll(() => issuer.close())
beforeEach(() => issuer.recover())

const JWT = 'application/token-introspection+jwt'

async function introspect(token: string, accept = 'application/json'): Promise<Response> {
  return fetch(issuer.introspectionEndpoint, {
    method: 'POST',
    body: new URLSearchParams({ token }),
    headers: { authorization: `Basic ${Buffer.from('scopeguard-api:scopeguard-secret').toString('base64')}`, accept },
    signal: AbortSignal.timeout(2000),
  })
}

const now = (): number => Math.floor(Date.now() / 1000)

describe("fail('introspection', fault): wrong answers", () => {
  it.each<[IntrospectionFault, (answer: Record<string, unknown>) => void]>([
    ['inactive', (answer) => expect(answer).toEqual({ active: false })],
    ['wrong-audience', (answer) => expect(answer).toMatchObject({ active: true, aud: 'https://another-api.example.com' })],
    ['wrong-issuer', (answer) => expect(answer).toMatchObject({ active: true, iss: 'https://evil.example.com/' })],
    ['expired', (answer) => expect(answer.active === true && (answer.exp as number) < now()).toBe(true)],
    ['active-missing', (answer) => expect(answer).not.toHaveProperty('active')],
    ['active-string', (answer) => expect(answer.active).toBe('true')],
    ['not-an-object', (answer) => expect(Array.isArray(answer)).toBe(true)],
  ])('%s, in JSON and inside the RFC 9701 JWT', async (fault, check) => {
    const token = issuer.opaqueToken({ scope: 'read' })
    issuer.fail('introspection', fault)
    const json = await introspect(token)
    expect(json.status).toBe(200)
    check((await json.json()) as Record<string, unknown>)
    const signed = await jwtVerify(await (await introspect(token, JWT)).text(), createLocalJWKSet({ keys: [issuer.signingKey.publicJwk] }), {
      issuer: issuer.url,
      audience: 'scopeguard-api',
      typ: 'token-introspection+jwt',
    })
    check(signed.payload.token_introspection as Record<string, unknown>)
    issuer.recover()
    expect(await (await introspect(token)).json()).toMatchObject({ active: true, aud: 'https://api.example.com', iss: issuer.url })
  })

  it('a token the issuer calls inactive stays inactive under a fault about the token', async () => {
    issuer.fail('introspection', 'wrong-audience')
    expect(await (await introspect('unknown')).json()).toEqual({ active: false })
  })

  it.each<[IntrospectionFault, (jwt: string) => void]>([
    ['jwt-wrong-typ', (jwt) => expect(decodeProtectedHeader(jwt).typ).toBe('JWT')],
    ['jwt-wrong-audience', (jwt) => expect(decodeJwt(jwt).aud).toBe('another-client')],
    ['jwt-stale', (jwt) => expect(decodeJwt(jwt).iat).toBeLessThan(now() - 3000)],
    ['jwt-alg-none', (jwt) => expect([decodeProtectedHeader(jwt).alg, jwt.endsWith('.')]).toEqual(['none', true])],
  ])('%s changes the signed answer only', async (fault, check) => {
    const token = issuer.opaqueToken()
    issuer.fail('introspection', fault)
    check(await (await introspect(token, JWT)).text())
    expect(await (await introspect(token)).json()).toMatchObject({ active: true })
  })

  it('jwt-unknown-key signs under the current kid with a key the JWKS does not have', async () => {
    issuer.fail('introspection', 'jwt-unknown-key')
    const jwt = await (await introspect(issuer.opaqueToken(), JWT)).text()
    expect(decodeProtectedHeader(jwt)).toMatchObject({ kid: issuer.signingKey.kid, typ: 'token-introspection+jwt' })
    await expect(jwtVerify(jwt, createLocalJWKSet({ keys: [issuer.signingKey.publicJwk] }))).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
  })

  it('introspection faults belong to the introspection endpoint; fail() refuses them elsewhere', () => {
    // @ts-expect-error: the types refuse it too
    expect(() => issuer.fail('jwks', 'inactive')).toThrow(/introspection endpoint only/)
    // @ts-expect-error: an endpoint that does not exist
    expect(() => issuer.fail('token', 'hang')).toThrow(/unknown endpoint/)
  })
})

describe("fail('introspection' | 'revocation', fault): outages", () => {
  it.each<[string, EndpointFault, number, string]>([
    ['a status', { status: 503 }, 503, 'text/plain'],
    ['garbage', 'garbage', 200, 'application/json'],
    ['html', 'html', 200, 'text/html'],
  ])('%s, before any client authentication, until recover()', async (_name, fault, status, type) => {
    issuer.fail('introspection', fault)
    const res = await introspect(issuer.opaqueToken())
    expect([res.status, res.headers.get('content-type')]).toEqual([status, type])
    if (type === 'application/json') await expect(res.json()).rejects.toThrow()
  })

  it("'all' includes introspection and revocation; hang and reset work there too", async () => {
    issuer.resetCounts()
    issuer.fail('all', 'hang')
    await expect(fetch(issuer.revocationEndpoint, { method: 'POST', body: new URLSearchParams({ token: 'x' }), signal: AbortSignal.timeout(200) })).rejects.toThrow()
    await expect(fetch(issuer.introspectionEndpoint, { method: 'POST', body: new URLSearchParams({ token: 'x' }), signal: AbortSignal.timeout(200) })).rejects.toThrow()
    issuer.fail('introspection', 'reset')
    await expect(introspect('x')).rejects.toThrow()
    expect(issuer.requests).toMatchObject({ introspection: 2, revocation: 1 })
  })
})
