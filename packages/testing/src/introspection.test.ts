import { randomUUID } from 'node:crypto'
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { generateDpopKey } from './dpop-key.js'
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

interface Answer {
  status: number
  type: string | null
  headers: Headers
  text: string
  body: unknown
}

async function post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(form), headers, signal: AbortSignal.timeout(2000) })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, text, body }
}

// RFC 6749 §2.3.1, as a conforming client encodes: form-urlencode, then Basic.
function basic(clientId: string, clientSecret: string): Record<string, string> {
  const encode = (value: string): string => new URLSearchParams([['', value]]).toString().slice(1)
  return { authorization: `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}` }
}

function introspect(issuer: FakeIssuer, token: string, headers: Record<string, string> = {}): Promise<Answer> {
  return post(issuer.introspectionEndpoint, { token, token_type_hint: 'access_token' }, { ...basic(issuer.client.clientId, issuer.client.clientSecret!), ...headers })
}

async function assertion(privateKey: CryptoKey, clientId: string, audience: string, changes: { exp?: number; jti?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ jti: changes.jti ?? randomUUID() })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(changes.exp ?? now + 60)
    .sign(privateKey)
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

describe('introspection (RFC 7662)', () => {
  it('RFC 8414 / OIDC metadata advertise the introspection and revocation endpoints and their client authentication', async () => {
    const issuer = await start()
    for (const path of [`${issuer.url}.well-known/openid-configuration`, new URL('/.well-known/oauth-authorization-server', issuer.url).href]) {
      const metadata = await (await fetch(path)).json()
      expect(metadata).toMatchObject({
        introspection_endpoint: issuer.introspectionEndpoint,
        revocation_endpoint: issuer.revocationEndpoint,
        introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
        revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
        introspection_signing_alg_values_supported: ['RS256'],
      })
    }
    expect(issuer.client).toEqual({ clientId: 'scopeguard-api', clientSecret: 'scopeguard-secret' })
  })

  it('opaque tokens are random, not JWT-shaped, and introspect as their claims with token_type Bearer', async () => {
    const issuer = await start()
    const token = issuer.opaqueToken({ scope: 'read:appointments', subject: 'alice' })
    expect(token).toMatch(/^opaque_[A-Za-z0-9_-]{43}$/)
    expect(issuer.opaqueToken()).not.toBe(token)
    const { status, type, headers, body } = await introspect(issuer, token)
    expect(status).toBe(200)
    expect(type).toBe('application/json')
    expect(headers.get('cache-control')).toBe('no-store')
    const claims = issuer.claims({ scope: 'read:appointments', subject: 'alice' })
    expect(body).toEqual({ ...claims, active: true, token_type: 'Bearer', iat: expect.any(Number), exp: expect.any(Number), jti: expect.any(String) })
    expect(body).toMatchObject({ iss: issuer.url, aud: 'https://api.example.com', sub: 'alice', client_id: 'test-client', scope: 'read:appointments' })
    expect(issuer.requests.introspection).toBe(1)
  })

  it('RFC 9449 §6.2: a DPoP-bound token introspects with cnf.jkt and token_type DPoP', async () => {
    const issuer = await start()
    const key = await generateDpopKey()
    for (const token of [issuer.opaqueToken({ dpop: key }), await issuer.token({ dpop: key })]) {
      expect((await introspect(issuer, token)).body).toMatchObject({ active: true, cnf: { jkt: key.thumbprint }, token_type: 'DPoP' })
    }
  })

  it('the issuer recognises its own JWTs: valid ones are active with their claims, the others inactive', async () => {
    const issuer = await start({ algorithm: 'ES256' })
    const token = await issuer.token({ scope: 'a b' })
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [issuer.signingKey.publicJwk] }))
    expect((await introspect(issuer, token)).body).toEqual({ active: true, ...payload, token_type: 'Bearer' })
    // RFC 7662 §2.2: the answer is about the token; the audience check stays with the API.
    expect((await introspect(issuer, await issuer.bad.wrongAudience())).body).toMatchObject({ active: true, aud: 'https://another-api.example.com' })
    for (const bad of [issuer.bad.expired(), issuer.bad.notYetValid(), issuer.bad.wrongIssuer(), issuer.bad.unknownKey(), issuer.bad.tampered(), issuer.bad.algNone(), issuer.bad.hmacWithPublicKey()]) {
      expect((await introspect(issuer, await bad)).body).toEqual({ active: false })
    }
    const retired = await issuer.token()
    await issuer.rotateKeys()
    issuer.retireKey(decodeProtectedHeader(retired).kid!)
    expect((await introspect(issuer, retired)).body).toEqual({ active: false })
  })

  it('unknown and expired opaque tokens are inactive', async () => {
    const issuer = await start()
    expect((await introspect(issuer, 'opaque_unknown')).body).toEqual({ active: false })
    expect((await introspect(issuer, issuer.opaqueToken({ expiresIn: 0 }))).body).toEqual({ active: false })
    expect((await introspect(issuer, issuer.opaqueToken({ claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } }))).body).toEqual({ active: false })
  })

  it('RFC 9701: Accept token-introspection+jwt gets the answer as a JWT signed with the current key', async () => {
    const issuer = await start({ algorithm: 'PS256' })
    await issuer.rotateKeys()
    const token = issuer.opaqueToken({ scope: 'read' })
    const res = await introspect(issuer, token, { accept: 'application/token-introspection+jwt' })
    expect(res.type).toBe('application/token-introspection+jwt')
    const { payload, protectedHeader } = await jwtVerify(res.text, createLocalJWKSet({ keys: issuer.publishedKeys.map((key) => key.publicJwk) }), {
      issuer: issuer.url,
      audience: 'scopeguard-api',
      typ: 'token-introspection+jwt',
    })
    expect(protectedHeader).toMatchObject({ alg: 'PS256', kid: issuer.signingKey.kid })
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5)
    expect(payload.token_introspection).toMatchObject({ active: true, scope: 'read', token_type: 'Bearer' })
    // Signed with the issuer's key, yet never an access token (RFC 9701 §5 typ).
    expect((await introspect(issuer, res.text)).body).toEqual({ active: false })
    const inactive = await introspect(issuer, 'nope', { accept: 'application/json, application/token-introspection+jwt;q=0.9' })
    expect((await jwtVerify(inactive.text, createLocalJWKSet({ keys: [issuer.signingKey.publicJwk] }))).payload.token_introspection).toEqual({ active: false })
  })

  it('RFC 6749 §2.3.1: client_secret_basic decodes form-urlencoded id and secret', async () => {
    const client = { clientId: 'api:1 é', clientSecret: 'p%ss+w:rd é' }
    const issuer = await start({ clients: [client] })
    const token = issuer.opaqueToken()
    expect(issuer.client).toEqual(client)
    expect((await post(issuer.introspectionEndpoint, { token }, basic(client.clientId, client.clientSecret))).body).toMatchObject({ active: true })
    // Without the form encoding, `%ss` is no escape: refused, as a conforming server refuses it.
    const raw = { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` }
    const refused = await post(issuer.introspectionEndpoint, { token }, raw)
    expect(refused.status).toBe(401)
    expect(refused.body).toMatchObject({ error: 'invalid_client' })
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic /)
  })

  it('client_secret_post authenticates with client_id and client_secret in the body', async () => {
    const issuer = await start()
    const token = issuer.opaqueToken()
    expect((await post(issuer.introspectionEndpoint, { token, client_id: 'scopeguard-api', client_secret: 'scopeguard-secret' })).body).toMatchObject({ active: true })
  })

  it.each([
    ['no credentials', {}, {}, 401, 'invalid_client'],
    ['a wrong secret (basic)', {}, basic('scopeguard-api', 'wrong'), 401, 'invalid_client'],
    ['a wrong secret (post)', { client_id: 'scopeguard-api', client_secret: 'wrong' }, {}, 401, 'invalid_client'],
    ['an unknown client', {}, basic('someone', 'scopeguard-secret'), 401, 'invalid_client'],
    ['a client_id alone (a public client)', { client_id: 'scopeguard-api' }, {}, 401, 'invalid_client'],
    ['two methods at once (RFC 6749 §2.3)', { client_id: 'scopeguard-api', client_secret: 'scopeguard-secret' }, basic('scopeguard-api', 'scopeguard-secret'), 400, 'invalid_request'],
    ['a body client_id other than Basic', { client_id: 'other' }, basic('scopeguard-api', 'scopeguard-secret'), 400, 'invalid_request'],
  ] as const)('RFC 6749 §5.2: refuses %s', async (_name, form, headers, status, error) => {
    const issuer = await start()
    const res = await post(issuer.introspectionEndpoint, { token: issuer.opaqueToken(), ...form }, headers)
    expect(res.status).toBe(status)
    expect(res.body).toMatchObject({ error })
  })

  it('RFC 7523: private_key_jwt with aud the endpoint or the issuer; refuses wrong aud, expired, foreign key, replay', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const stranger = await generateKeyPair('ES256')
    const issuer = await start({ clients: [{ clientId: 'api', jwk: await exportJWK(publicKey) }, { clientId: 'other', clientSecret: 's' }] })
    const token = issuer.opaqueToken()
    const call = (clientAssertion: string, extra: Record<string, string> = {}): Promise<Answer> =>
      post(issuer.introspectionEndpoint, { token, client_assertion_type: JWT_BEARER, client_assertion: clientAssertion, ...extra })
    expect((await call(await assertion(privateKey, 'api', issuer.introspectionEndpoint))).body).toMatchObject({ active: true })
    expect((await call(await assertion(privateKey, 'api', issuer.url), { client_id: 'api' })).body).toMatchObject({ active: true })
    const refused = [
      await call(await assertion(privateKey, 'api', issuer.revocationEndpoint)),
      await call(await assertion(privateKey, 'api', issuer.introspectionEndpoint, { exp: Math.floor(Date.now() / 1000) - 10 })),
      await call(await assertion(stranger.privateKey, 'api', issuer.introspectionEndpoint)),
      await call(await assertion(privateKey, 'api', issuer.introspectionEndpoint), { client_id: 'other' }),
      await call(await assertion(privateKey, 'other', issuer.introspectionEndpoint)),
      await call('not-a-jwt'),
    ]
    const replayed = await assertion(privateKey, 'api', issuer.introspectionEndpoint)
    expect((await call(replayed)).status).toBe(200)
    refused.push(await call(replayed))
    for (const res of refused) expect([res.status, res.body]).toMatchObject([401, { error: 'invalid_client' }])
  })

  it('checks clients at construction: a private JWK or a client with no credential is a mistake', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    await expect(createFakeIssuer({ clients: [{ clientId: 'api', jwk: await exportJWK(privateKey) }] })).rejects.toThrow(/private key/)
    await expect(createFakeIssuer({ clients: [{ clientId: 'api' }] })).rejects.toThrow(/clientSecret/)
    await expect(createFakeIssuer({ clients: [] })).rejects.toThrow(/non-empty/)
  })

  it('RFC 7662 §2.1: refuses a missing token, another media type, a repeated parameter and GET', async () => {
    const issuer = await start()
    const auth = basic('scopeguard-api', 'scopeguard-secret')
    expect(await post(issuer.introspectionEndpoint, {}, auth)).toMatchObject({ status: 400, body: { error: 'invalid_request' } })
    const json = await fetch(issuer.introspectionEndpoint, { method: 'POST', body: JSON.stringify({ token: 'x' }), headers: { ...auth, 'content-type': 'application/json' } })
    expect(json.status).toBe(400)
    const repeated = await fetch(issuer.introspectionEndpoint, { method: 'POST', body: 'token=a&token=b', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' } })
    expect(repeated.status).toBe(400)
    const get = await fetch(issuer.introspectionEndpoint)
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST'])
  })
})

describe('revocation (RFC 7009)', () => {
  it('revokes opaque and JWT tokens through the endpoint; always 200, even for unknown tokens', async () => {
    const issuer = await start()
    const opaque = issuer.opaqueToken()
    const jwt = await issuer.token()
    for (const token of [opaque, jwt, 'never-issued']) {
      const res = await post(issuer.revocationEndpoint, { token, token_type_hint: 'access_token' }, basic('scopeguard-api', 'scopeguard-secret'))
      expect([res.status, res.text]).toEqual([200, ''])
    }
    expect((await introspect(issuer, opaque)).body).toEqual({ active: false })
    expect((await introspect(issuer, jwt)).body).toEqual({ active: false })
    expect(issuer.isRevoked(jwt)).toBe(true)
    expect(issuer.requests).toMatchObject({ discovery: 0, jwks: 0, introspection: 2, revocation: 3 })
    // Not enumerable, so assertions on the whole object written before these endpoints still hold.
    expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 })
    issuer.resetCounts()
    expect([issuer.requests.introspection, issuer.requests.revocation]).toEqual([0, 0])
  })

  it('issuer.revoke() revokes without HTTP; the endpoint needs client authentication', async () => {
    const issuer = await start()
    const token = issuer.opaqueToken()
    expect(issuer.isRevoked(token)).toBe(false)
    issuer.revoke(token)
    expect((await introspect(issuer, token)).body).toEqual({ active: false })
    const res = await post(issuer.revocationEndpoint, { token: issuer.opaqueToken() })
    expect([res.status, res.body]).toMatchObject([401, { error: 'invalid_client' }])
    expect((await post(issuer.revocationEndpoint, {}, basic('scopeguard-api', 'scopeguard-secret'))).status).toBe(400)
  })
})
