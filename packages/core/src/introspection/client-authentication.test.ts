import { generateKeyPairSync } from 'node:crypto'
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { basicAuthorization, createClientAuthentication, type ClientAuthenticationOptions } from './client-authentication.js'

const ENDPOINT = 'https://as.example/oauth2/introspect'
const NOW = 1_700_000_000_000
const clock = () => NOW

/** The user and password of a Basic header, undone as RFC 6749 §2.3.1 says a server does. */
function decodeBasic(header: string): [string, string] {
  const decoded = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '))
  return [decode(decoded.slice(0, colon)), decode(decoded.slice(colon + 1))]
}

describe('RFC 6749 §2.3.1 client_secret_basic', () => {
  it('is the default: an Authorization header and no body parameters', async () => {
    const credentials = await createClientAuthentication({ clientId: 'api', clientSecret: 's3cret' })(ENDPOINT)
    expect(credentials.params).toEqual({})
    expect(credentials.headers).toEqual({ authorization: `Basic ${Buffer.from('api:s3cret').toString('base64')}` })
  })

  it.each([
    ['a colon in the client id', 'urn:client:api', 'secret'],
    ['a space, plus and percent in the secret', 'api', 'a b+c%d'],
    ['form-encoding characters encodeURIComponent leaves alone', "it's~(me)!", "*-._~!'()"],
    ['non-ASCII characters', 'clïent', 'sécrét/€'],
  ])('id and secret are form-urlencoded before base64: %s', (_case, id, secret) => {
    const header = basicAuthorization(id, secret)
    expect(decodeBasic(header)).toEqual([id, secret])
    // The encoded user part never contains a raw colon, so the server splits at the right one.
    const raw = Buffer.from(header.slice(6), 'base64').toString('utf8')
    expect(raw.indexOf(':')).toBe(raw.lastIndexOf(':'))
  })

  it('spaces become +, and ~ ! \' ( ) are escaped as the form-urlencoded serializer does', () => {
    const raw = Buffer.from(basicAuthorization("a b~!'()*", 'x').slice(6), 'base64').toString('utf8')
    expect(raw).toBe("a+b%7E%21%27%28%29*:x")
  })
})

describe('RFC 6749 §2.3.1 client_secret_post', () => {
  it('sends client_id and client_secret as form parameters, no header', async () => {
    const credentials = await createClientAuthentication({ method: 'client_secret_post', clientId: 'api', clientSecret: 'a b' })(ENDPOINT)
    expect(credentials).toEqual({ headers: {}, params: { client_id: 'api', client_secret: 'a b' } })
  })
})

describe('RFC 7523 §2.2 private_key_jwt', () => {
  it('signs an assertion: iss = sub = client id, aud = endpoint, jti, iat, exp 60 s later', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const authenticate = createClientAuthentication({ method: 'private_key_jwt', clientId: 'api', privateKey, algorithm: 'ES256', keyId: 'k1' }, clock)
    const { headers, params } = await authenticate(ENDPOINT)
    expect(headers).toEqual({})
    expect(params.client_id).toBe('api')
    expect(params.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    const assertion = params.client_assertion as string
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'ES256', kid: 'k1' })
    const { payload } = await jwtVerify(assertion, publicKey, { issuer: 'api', subject: 'api', audience: ENDPOINT, currentDate: new Date(NOW) })
    expect(payload.iat).toBe(NOW / 1000)
    expect(payload.exp).toBe(NOW / 1000 + 60)
    expect(typeof payload.jti).toBe('string')
  })

  it('a new jti for every request (RFC 7523 §3 item 7)', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const authenticate = createClientAuthentication({ method: 'private_key_jwt', clientId: 'api', privateKey, algorithm: 'ES256' }, clock)
    const jti = async () => JSON.parse(Buffer.from((await authenticate(ENDPOINT)).params.client_assertion!.split('.')[1]!, 'base64url').toString()).jti
    expect(await jti()).not.toBe(await jti())
  })

  it('takes a private JWK (its kid by default), the issuer as audience, and a lifetime', async () => {
    const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true })
    const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'jwk-kid' }
    const authenticate = createClientAuthentication({ method: 'private_key_jwt', clientId: 'api', privateKey: jwk, algorithm: 'PS256', audience: 'https://as.example', assertionLifetime: 30 }, clock)
    const assertion = (await authenticate(ENDPOINT)).params.client_assertion as string
    expect(decodeProtectedHeader(assertion).kid).toBe('jwk-kid')
    const { payload } = await jwtVerify(assertion, publicKey, { audience: 'https://as.example', currentDate: new Date(NOW) })
    expect((payload.exp as number) - (payload.iat as number)).toBe(30)
  })

  it('takes a Node KeyObject', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const authenticate = createClientAuthentication({ method: 'private_key_jwt', clientId: 'api', privateKey, algorithm: 'EdDSA' }, clock)
    const assertion = (await authenticate(ENDPOINT)).params.client_assertion as string
    await expect(jwtVerify(assertion, publicKey, { audience: ENDPOINT, currentDate: new Date(NOW) })).resolves.toBeDefined()
  })
})

describe('options are checked at construction', () => {
  const { privateKey: ecPrivate, publicKey: ecPublic } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  it.each<[string, ClientAuthenticationOptions, RegExp]>([
    ['empty client id', { clientId: '', clientSecret: 'x' }, /clientId/],
    ['empty secret', { clientId: 'api', clientSecret: '' }, /clientSecret/],
    ['unknown method', { method: 'tls_client_auth' as 'client_secret_post', clientId: 'api', clientSecret: 'x' }, /unknown client authentication method/],
    ['HS256 is client_secret_jwt, not private_key_jwt', { method: 'private_key_jwt', clientId: 'api', privateKey: ecPrivate, algorithm: 'HS256' }, /algorithm/],
    ['none', { method: 'private_key_jwt', clientId: 'api', privateKey: ecPrivate, algorithm: 'none' }, /algorithm/],
    ['a public KeyObject', { method: 'private_key_jwt', clientId: 'api', privateKey: ecPublic, algorithm: 'ES256' }, /private key, not a public KeyObject/],
    ['a public JWK', { method: 'private_key_jwt', clientId: 'api', privateKey: ecPublic.export({ format: 'jwk' }) as JWK, algorithm: 'ES256' }, /private JWK/],
    ['an oct JWK', { method: 'private_key_jwt', clientId: 'api', privateKey: { kty: 'oct', k: 'AAAA', d: 'x' } as JWK, algorithm: 'ES256' }, /private JWK/],
    ['a lifetime of 0', { method: 'private_key_jwt', clientId: 'api', privateKey: ecPrivate, algorithm: 'ES256', assertionLifetime: 0 }, /assertionLifetime/],
  ])('%s → TypeError', (_case, options, message) => {
    expect(() => createClientAuthentication(options)).toThrow(TypeError)
    expect(() => createClientAuthentication(options)).toThrow(message)
  })
})
