import { generateKeyPairSync } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import type { AuthErrorCode } from '../errors/error-codes.js'
import { isAuthError, type AuthError } from '../errors/errors.js'
import type { AuthOptions } from '../options/options.js'
import { compileRequirement } from '../scopes/requirement.js'
import { createAuthenticator } from './authenticator.js'

// Every failure carries its reason as the error's `cause`: the code, and where a check read a
// claim, the claim, what it expected and what it found, for the application's logs.
const ISSUER = 'https://idp.example.com/'
const AUDIENCE = 'https://api.example.com/calendar'
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const now = () => Math.floor(Date.now() / 1000)

function sign(claims: JWTPayload = {}, header: Record<string, unknown> = {}, key = privateKey): Promise<string> {
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now(), exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...header }).sign(key)
}

async function failure(authorization: string | string[] | undefined, extra: Partial<AuthOptions> = {}): Promise<AuthError> {
  const authenticator = createAuthenticator({ issuer: ISSUER, audience: AUDIENCE, keys: publicKey, ...extra })
  const err: unknown = await authenticator.authenticate({ authorization }).then(() => undefined, (thrown: unknown) => thrown)
  if (!isAuthError(err)) throw new Error(`expected an AuthError, got ${String(err)}`)
  return err
}

const bearer = async (token: Promise<string> | string) => `Bearer ${await token}`

type Case = [code: AuthErrorCode, make: () => Promise<AuthError>, says: RegExp]

const CASES: Case[] = [
  ['credentials_missing', () => failure(undefined), /carries no access token/],
  ['scheme_unsupported', () => failure('Basic dXNlcjpwYXNz'), /another scheme/],
  ['authorization_malformed', () => failure('Bearer'), /followed by one or more spaces/],
  ['credentials_multiple', () => failure(['Bearer a', 'Bearer b']), /2 Authorization header lines/],
  ['token_too_long', () => failure(`Bearer ${'a'.repeat(9000)}`), /9000 characters, maxTokenLength is 8192/],
  ['token_malformed', () => failure('Bearer not-a-jws'), /compact JWS/],
  ['token_type_invalid', async () => failure(await bearer(sign({}, { typ: 'id_token+jwt' }))), /typ expected .*found "id_token\+jwt"/],
  ['algorithm_not_allowed', async () => failure(await bearer(sign()), { algorithms: ['RS256'] }), /alg expected "RS256", found "ES256"/],
  ['key_not_found', async () => failure(await bearer(sign({}, { kid: 'k2' })), { keys: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] } }), /no configured key matches/],
  ['signature_invalid', async () => failure(await bearer(sign({}, {}, other.privateKey))), /does not verify with the configured key/],
  ['token_expired', async () => failure(await bearer(sign({ exp: now() - 60 }))), /exp expected after now - 5 s, found \d+ \(exp is 20/],
  ['token_not_yet_valid', async () => failure(await bearer(sign({ nbf: now() + 600 }))), /nbf expected at most now \+ 5 s/],
  ['token_too_old', async () => failure(await bearer(sign({ iat: now() - 600 })), { maxTokenAge: 60 }), /iat expected at most 60 s ago/],
  ['token_issued_in_future', async () => failure(await bearer(sign({ iat: now() + 600 }))), /iat expected at most now \+ 5 s/],
  ['issuer_invalid', async () => failure(await bearer(sign({ iss: 'https://evil.example.com/' }))), /iss expected "https:\/\/idp.example.com\/", found "https:\/\/evil.example.com\/"/],
  ['audience_invalid', async () => failure(await bearer(sign({ aud: 'https://other.example.com' }))), /aud expected "https:\/\/api.example.com\/calendar", found "https:\/\/other.example.com"/],
  ['claim_missing', async () => failure(await bearer(sign({ tid: undefined })), { claims: { tid: { equals: 'a' } } }), /tid expected equal to "a"/],
  ['claim_invalid', async () => failure(await bearer(sign({ tid: 'b' })), { claims: { tid: { equals: 'a' } } }), /tid expected equal to "a", found "b"/],
]

describe('every AuthError says why (its cause)', () => {
  it.each(CASES)('%s', async (code, make, says) => {
    const err = await make()
    expect(err.code).toBe(code)
    expect(err.cause?.code).toBe(code)
    expect(err.cause?.message).toMatch(says)
    // The client-facing message stays the fixed description.
    expect(err.message).not.toMatch(says)
  })

  it('never echoes the token or its signature', async () => {
    const token = await sign({ aud: 'https://other.example.com' })
    const err = await failure(`Bearer ${token}`)
    const logged = JSON.stringify(err.cause)
    for (const part of token.split('.')) expect(logged).not.toContain(part)
  })

  it('scope_insufficient names what was required and granted, and hints at scope claims scopeClaims does not read', async () => {
    const authenticator = createAuthenticator({ issuer: ISSUER, audience: AUDIENCE, keys: publicKey })
    const result = await authenticator.authenticate({ authorization: await bearer(sign({ scope: 'profile', permissions: ['read:appointments'] })) })
    let err: unknown
    try {
      authenticator.authorize(result, compileRequirement(['read:appointments']))
    } catch (thrown) {
      err = thrown
    }
    expect(isAuthError(err) && err.cause?.message).toMatch(/expected read:appointments, found "profile".*carries 'permissions', which scopeClaims does not read.*scopeClaims: \['scope', 'scp', 'permissions'\]/)
  })

  it('a claim check returning a promise is explained (claim checks are synchronous)', async () => {
    const err = await failure(await bearer(sign({ tid: 'a' })), { claims: { tid: () => Promise.resolve(true) as unknown as boolean } })
    expect(err.cause?.message).toMatch(/returned a promise/)
  })
})
