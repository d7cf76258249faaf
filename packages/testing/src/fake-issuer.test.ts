import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakeIssuer, type FakeIssuer } from './fake-issuer.js'

const open: FakeIssuer[] = []
async function start(...args: Parameters<typeof createFakeIssuer>): Promise<FakeIssuer> {
  const issuer = await createFakeIssuer(...args)
  open.push(issuer)
  return issuer
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((issuer) => issuer.close()))
})

async function getJson(url: string): Promise<{ status: number; body: unknown; type: string | null }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, type: res.headers.get('content-type') }
}

describe('createFakeIssuer', () => {
  it('listens on 127.0.0.1 and serves OpenID and RFC 8414 metadata naming itself', async () => {
    const issuer = await start()
    expect(issuer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const oidc = await getJson(`${issuer.url}.well-known/openid-configuration`)
    const oauth = await getJson(new URL('/.well-known/oauth-authorization-server', issuer.url).href)
    expect(oidc.body).toMatchObject({ issuer: issuer.url, jwks_uri: issuer.jwksUri })
    expect(oauth.body).toMatchObject({ issuer: issuer.url, jwks_uri: issuer.jwksUri })
    expect(issuer.requests.discovery).toBe(2)
  })

  it('with a path, metadata follows OIDC (appended) and RFC 8414 (inserted) rules', async () => {
    const issuer = await start({ path: '/application/o/calendar/' })
    const origin = new URL(issuer.url).origin
    expect(issuer.url).toBe(`${origin}/application/o/calendar/`)
    expect((await getJson(`${origin}/application/o/calendar/.well-known/openid-configuration`)).status).toBe(200)
    expect((await getJson(`${origin}/.well-known/oauth-authorization-server/application/o/calendar`)).status).toBe(200)
    const only = await start({ path: '/tenant', discovery: 'oauth' })
    expect((await getJson(`${only.url}/.well-known/openid-configuration`)).status).toBe(404)
  })

  it.each(['RS256', 'PS256', 'ES256', 'EdDSA'] as const)('mints %s RFC 9068 tokens that verify against its JWKS over HTTP', async (algorithm) => {
    const issuer = await start({ algorithm })
    const token = await issuer.token({ scope: ['read:appointments', 'write:appointments'], subject: 'alice' })
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
      issuer: issuer.url,
      audience: 'https://api.example.com',
      typ: 'at+jwt',
    })
    expect(protectedHeader).toMatchObject({ alg: algorithm, typ: 'at+jwt', kid: issuer.signingKey.kid })
    expect(payload).toMatchObject({ sub: 'alice', client_id: 'test-client', scope: 'read:appointments write:appointments' })
    expect(typeof payload.jti).toBe('string')
    expect(payload.exp! - payload.iat!).toBe(300)
  })

  it('writes scopes in each style and lets any claim or header be overridden or removed', async () => {
    const issuer = await start()
    expect(issuer.claims({ scope: 'a b', scopeStyle: 'scp' })).toMatchObject({ scp: ['a', 'b'] })
    expect(issuer.claims({ scope: 'a b', scopeStyle: 'scp-string' })).toMatchObject({ scp: 'a b' })
    expect(issuer.claims({ scope: ['a'], scopeStyle: 'permissions' })).toMatchObject({ permissions: ['a'] })
    expect(issuer.claims({ claims: { client_id: undefined, tid: 't' } })).not.toHaveProperty('client_id')
    const token = await issuer.token({ header: { typ: undefined, cty: 'x' } })
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: issuer.signingKey.kid, cty: 'x' })
  })

  it('generates fresh keys for every issuer', async () => {
    const [a, b] = await Promise.all([start(), start()])
    expect(a.signingKey.publicJwk.n).not.toBe(b.signingKey.publicJwk.n)
  })

  it('rotates and retires keys', async () => {
    const issuer = await start()
    const first = issuer.signingKey
    const second = await issuer.rotateKeys()
    expect(issuer.signingKey).toBe(second)
    expect(issuer.publishedKeys.map((key) => key.kid)).toEqual([first.kid, second.kid])
    issuer.retireKey(first.kid)
    const jwks = (await getJson(issuer.jwksUri)).body as { keys: { kid: string }[] }
    expect(jwks.keys.map((key) => key.kid)).toEqual([second.kid])
  })

  it.each([
    ['a status', { status: 503 }, 503, 'text/plain'],
    ['garbage', 'garbage', 200, 'application/json'],
    ['html', 'html', 200, 'text/html'],
  ] as const)('fails an endpoint with %s until recover()', async (_name, fault, status, type) => {
    const issuer = await start()
    issuer.fail('jwks', fault)
    const broken = await getJson(issuer.jwksUri)
    expect(broken.status).toBe(status)
    expect(broken.type).toContain(type)
    expect((await getJson(`${issuer.url}.well-known/openid-configuration`)).status).toBe(200)
    issuer.recover()
    expect((await getJson(issuer.jwksUri)).body).toHaveProperty('keys')
    expect(issuer.requests.jwks).toBe(2)
    issuer.resetCounts()
    expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 })
  })

  it('a hanging endpoint never answers, a reset one drops the connection, and close() ends both', async () => {
    const issuer = await start()
    issuer.fail('all', 'hang')
    await expect(fetch(issuer.jwksUri, { signal: AbortSignal.timeout(200) })).rejects.toThrow()
    issuer.fail('discovery', 'reset')
    await expect(fetch(`${issuer.url}.well-known/openid-configuration`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow()
    const pending = fetch(issuer.jwksUri, { signal: AbortSignal.timeout(5000) }).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = Date.now()
    await issuer.close()
    open.length = 0
    expect(await pending).toBeInstanceOf(Error)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('bad tokens differ from a good one only in what their name says', async () => {
    const issuer = await start()
    const keys = createLocalJWKSet({ keys: issuer.publishedKeys.map((key) => key.publicJwk) })
    const options = { issuer: issuer.url, audience: 'https://api.example.com' }
    await expect(jwtVerify(await issuer.token(), keys, options)).resolves.toBeDefined()
    await expect(jwtVerify(await issuer.bad.expired(), keys, options)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
    await expect(jwtVerify(await issuer.bad.wrongAudience(), keys, options)).rejects.toMatchObject({ claim: 'aud' })
    await expect(jwtVerify(await issuer.bad.tampered(), keys, options)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
    expect((await issuer.bad.signatureStripped()).endsWith('.')).toBe(true)
    expect(decodeProtectedHeader(await issuer.bad.algNone())).toMatchObject({ alg: 'none' })
    expect(decodeProtectedHeader(await issuer.bad.hmacWithPublicKey())).toMatchObject({ alg: 'HS256', kid: issuer.signingKey.kid })
    expect(decodeProtectedHeader(await issuer.bad.embeddedJwk())).toHaveProperty('jwk')
    expect(decodeProtectedHeader(await issuer.bad.jku())).toHaveProperty('jku')
    expect(decodeProtectedHeader(await issuer.bad.unknownKid()).kid).not.toBe(issuer.signingKey.kid)
  })
})
