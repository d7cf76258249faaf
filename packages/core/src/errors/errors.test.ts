import createHttpError from 'http-errors'
import { describe, expect, it } from 'vitest'
import { AUTH_ERRORS, createAuthError, errorBody, isAuthError, type AuthErrorCode, type BearerErrorCode } from './errors.js'

// The contract every adapter relies on: status, RFC 6750 §3.1 error code, description.
const TABLE: [AuthErrorCode, number, BearerErrorCode | undefined, string][] = [
  ['credentials_missing', 401, undefined, 'A bearer access token is required'],
  ['scheme_unsupported', 401, undefined, 'A bearer access token is required'],
  ['authorization_malformed', 400, 'invalid_request', 'The bearer credentials are malformed'],
  ['credentials_multiple', 400, 'invalid_request', 'More than one access token was sent'],
  ['token_too_long', 401, 'invalid_token', 'The access token is too long'],
  ['token_malformed', 401, 'invalid_token', 'The access token is malformed'],
  ['token_type_invalid', 401, 'invalid_token', 'The token is not an access token'],
  ['algorithm_not_allowed', 401, 'invalid_token', 'The access token signing algorithm is not allowed'],
  ['key_not_found', 401, 'invalid_token', 'The access token signing key is unknown'],
  ['key_unusable', 401, 'invalid_token', 'The access token signing key is not usable'],
  ['signature_invalid', 401, 'invalid_token', 'The access token signature is invalid'],
  ['token_expired', 401, 'invalid_token', 'The access token expired'],
  ['token_not_yet_valid', 401, 'invalid_token', 'The access token is not yet valid'],
  ['token_too_old', 401, 'invalid_token', 'The access token is too old'],
  ['token_issued_in_future', 401, 'invalid_token', 'The access token was issued in the future'],
  ['issuer_invalid', 401, 'invalid_token', 'The access token issuer is not trusted'],
  ['audience_invalid', 401, 'invalid_token', 'The access token is not meant for this resource'],
  ['claim_missing', 401, 'invalid_token', 'The access token lacks a required claim'],
  ['claim_invalid', 401, 'invalid_token', 'The access token has an invalid claim'],
  ['scope_insufficient', 403, 'insufficient_scope', 'The access token lacks the required scope'],
  ['keys_unavailable', 503, undefined, 'The token signing keys are temporarily unavailable'],
  ['token_inactive', 401, 'invalid_token', 'The access token is not active'],
  ['token_revoked', 401, 'invalid_token', 'The access token was revoked'],
  ['token_bound_to_key', 401, 'invalid_token', 'The access token is bound to a key and must be sent with the DPoP scheme'],
  ['token_not_bound', 401, 'invalid_token', 'The access token is not bound to a DPoP key'],
  ['token_binding_unsupported', 401, 'invalid_token', 'The access token is bound in a way this resource cannot check'],
  ['dpop_key_mismatch', 401, 'invalid_token', 'The access token is bound to another key'],
  ['certificate_missing', 401, 'invalid_token', 'The access token is bound to a client certificate the request lacks'],
  ['certificate_mismatch', 401, 'invalid_token', 'The access token is bound to another client certificate'],
  ['dpop_proof_missing', 401, 'invalid_dpop_proof', 'A DPoP proof is required'],
  ['dpop_proof_multiple', 401, 'invalid_dpop_proof', 'More than one DPoP proof was sent'],
  ['dpop_proof_too_long', 401, 'invalid_dpop_proof', 'The DPoP proof is too long'],
  ['dpop_proof_malformed', 401, 'invalid_dpop_proof', 'The DPoP proof is malformed'],
  ['dpop_proof_type_invalid', 401, 'invalid_dpop_proof', 'The DPoP proof type is not dpop+jwt'],
  ['dpop_proof_algorithm_not_allowed', 401, 'invalid_dpop_proof', 'The DPoP proof signing algorithm is not allowed'],
  ['dpop_proof_key_invalid', 401, 'invalid_dpop_proof', 'The DPoP proof key is not a usable public key'],
  ['dpop_proof_signature_invalid', 401, 'invalid_dpop_proof', 'The DPoP proof signature is invalid'],
  ['dpop_proof_method_mismatch', 401, 'invalid_dpop_proof', 'The DPoP proof is for another HTTP method'],
  ['dpop_proof_uri_mismatch', 401, 'invalid_dpop_proof', 'The DPoP proof is for another URI'],
  ['dpop_proof_time_invalid', 401, 'invalid_dpop_proof', 'The DPoP proof was not issued within the accepted window'],
  ['dpop_proof_token_hash_mismatch', 401, 'invalid_dpop_proof', 'The DPoP proof is for another access token'],
  ['dpop_proof_replayed', 401, 'invalid_dpop_proof', 'The DPoP proof was already used'],
  ['dpop_proof_nonce_invalid', 401, 'use_dpop_nonce', 'Resource server requires nonce in DPoP proof'],
  ['introspection_unavailable', 503, undefined, 'The authorization server cannot check tokens at the moment'],
  ['replay_store_unavailable', 503, undefined, 'DPoP proofs cannot be checked at the moment'],
  ['revocation_unavailable', 503, undefined, 'Token revocation cannot be checked at the moment'],
]

describe('AUTH_ERRORS', () => {
  it('lists exactly the codes of the table', () => {
    expect(Object.keys(AUTH_ERRORS).sort()).toEqual(TABLE.map(([code]) => code).sort())
  })

  it('RFC 6750 §3: every description is already in the error_description character set', () => {
    for (const kind of Object.values(AUTH_ERRORS)) expect(kind.description).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/)
  })
})

describe('createAuthError', () => {
  it.each(TABLE)('%s → %i %s', (code, status, error, description) => {
    const err = createAuthError(code)
    expect(err).toBeInstanceOf(Error)
    expect(createHttpError.isHttpError(err)).toBe(true)
    expect(isAuthError(err)).toBe(true)
    expect(err.status).toBe(status)
    expect(err.statusCode).toBe(status)
    expect(err.expose).toBe(true)
    expect(err.code).toBe(code)
    expect(err.error).toBe(error)
    expect(err.message).toBe(description)
    if (status === 503) {
      expect(err.headers).toEqual({})
    } else {
      const expected = error === undefined ? 'Bearer' : `Bearer error="${error}", error_description="${description}"`
      expect(err.headers).toEqual({ 'WWW-Authenticate': expected })
    }
  })

  it('RFC 6750 §3.1: no credentials → 401 with no error code or other error information', () => {
    const err = createAuthError('credentials_missing', { challenge: { realm: 'api' } })
    expect(err.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' })
  })

  it('RFC 6750 §3.1: insufficient_scope → 403 naming the scope, realm first', () => {
    const err = createAuthError('scope_insufficient', { challenge: { realm: 'api', scope: 'read write' } })
    expect(err.status).toBe(403)
    expect(err.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The access token lacks the required scope", scope="read write"',
    )
  })

  it('RFC 9728 §5.1: resource_metadata is passed through to the challenge', () => {
    const err = createAuthError('token_expired', { challenge: { resourceMetadata: 'https://api.example.com/m' } })
    expect(err.headers['WWW-Authenticate']).toBe(
      'Bearer error="invalid_token", error_description="The access token expired", resource_metadata="https://api.example.com/m"',
    )
  })

  it('the kind decides error and description: a challenge cannot override them', () => {
    const challenge = { realm: 'api', error: 'invalid_request', errorDescription: 'injected' } as never
    expect(createAuthError('token_expired', { challenge }).headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The access token expired"',
    )
  })

  it('503 keys_unavailable: Retry-After, no WWW-Authenticate (not the client\'s fault), still exposed', () => {
    const err = createAuthError('keys_unavailable', { status: 503, retryAfter: 10, challenge: { realm: 'api' } })
    expect(err.status).toBe(503)
    expect(err.headers).toEqual({ 'Retry-After': '10' })
    expect(err.expose).toBe(true)
    expect(err.error).toBeUndefined()
  })

  it.each([500, 502, 504])('keys_unavailable with the configured status %i', (status) => {
    const err = createAuthError('keys_unavailable', { status, retryAfter: 0 })
    expect(err.status).toBe(status)
    expect(err.statusCode).toBe(status)
    expect(err.expose).toBe(true)
    expect(err.headers).toEqual({ 'Retry-After': '0' })
  })

  it('keeps the cause for logging, never in the message', () => {
    const cause = { code: 'token_malformed' as const, message: 'upstream said: eyJhbGciOiJub25lIn0.secret' }
    const err = createAuthError('token_malformed', { cause })
    expect(err.cause).toBe(cause)
    expect(err.message).toBe('The access token is malformed')
    expect(JSON.stringify(errorBody(err))).not.toContain('secret')
  })

  it('has no cause property when none is given', () => {
    expect(Object.hasOwn(createAuthError('token_expired'), 'cause')).toBe(false)
  })
})

describe('isAuthError', () => {
  it.each<[string, unknown]>([
    ['a plain Error', new Error('x')],
    ['an http-errors 401 with the same fields', createHttpError(401, 'A bearer access token is required', { code: 'credentials_missing', expose: true })],
    ['a plain object shaped like an AuthError', { status: 401, code: 'token_expired', error: 'invalid_token', expose: true, headers: {} }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'credentials_missing'],
  ])('false for %s', (_case, value) => {
    expect(isAuthError(value)).toBe(false)
  })

  it('true for every created error', () => {
    for (const [code] of TABLE) expect(isAuthError(createAuthError(code))).toBe(true)
  })
})

describe('errorBody', () => {
  it.each<[AuthErrorCode, { error: string; error_description: string }]>([
    ['token_expired', { error: 'invalid_token', error_description: 'The access token expired' }],
    ['credentials_multiple', { error: 'invalid_request', error_description: 'More than one access token was sent' }],
    ['scope_insufficient', { error: 'insufficient_scope', error_description: 'The access token lacks the required scope' }],
    ['credentials_missing', { error: 'unauthorized', error_description: 'A bearer access token is required' }],
    ['scheme_unsupported', { error: 'unauthorized', error_description: 'A bearer access token is required' }],
    ['keys_unavailable', { error: 'temporarily_unavailable', error_description: 'The token signing keys are temporarily unavailable' }],
  ])('%s → %j', (code, body) => {
    expect(errorBody(createAuthError(code))).toEqual(body)
  })
})
