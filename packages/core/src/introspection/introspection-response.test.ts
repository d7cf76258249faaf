import { describe, expect, it } from 'vitest'
import type { AuthErrorCode } from '../errors/error-codes.js'
import { Rejection } from '../errors/rejection.js'
import type { IntrospectionResponse } from './introspect.js'
import { checkIntrospectionResponse, type IntrospectionRules } from './introspection-response.js'

const NOW = 1_700_000_000
const ISSUER = 'https://as.example'
const RULES: IntrospectionRules = {
  issuers: new Set([ISSUER]),
  audiences: ['https://api.example'],
  requiredClaims: [],
  clockTolerance: 5,
  maxTokenAge: undefined,
  clock: () => NOW * 1000,
}
const ACTIVE = { active: true, iss: ISSUER, aud: 'https://api.example', exp: NOW + 300, scope: 'read write', sub: 'alice', client_id: 'app' }

function rejection(response: IntrospectionResponse, rules: IntrospectionRules = RULES): Rejection {
  try {
    checkIntrospectionResponse(response, rules)
  } catch (error) {
    expect(error).toBeInstanceOf(Rejection)
    return error as Rejection
  }
  throw new Error('expected a rejection')
}

describe('checkIntrospectionResponse: accepted', () => {
  it('returns the claims without active, scope kept as the server sent it', () => {
    expect(checkIntrospectionResponse(ACTIVE, RULES)).toEqual({ iss: ISSUER, aud: 'https://api.example', exp: NOW + 300, scope: 'read write', sub: 'alice', client_id: 'app' })
  })

  it('RFC 7662 §2.2: aud as an array containing one of ours', () => {
    expect(checkIntrospectionResponse({ ...ACTIVE, aud: ['other', 'https://api.example'] }, RULES).aud).toEqual(['other', 'https://api.example'])
  })

  it('iss absent with exactly one configured issuer → that issuer', () => {
    const { iss: _iss, ...rest } = ACTIVE
    expect(checkIntrospectionResponse(rest as IntrospectionResponse, RULES).iss).toBe(ISSUER)
  })

  it('aud absent with audienceRequired: false → the configured audience', () => {
    const { aud: _aud, ...rest } = ACTIVE
    expect(checkIntrospectionResponse(rest as IntrospectionResponse, { ...RULES, audienceRequired: false }).aud).toBe('https://api.example')
    expect(checkIntrospectionResponse(rest as IntrospectionResponse, { ...RULES, audiences: ['a', 'b'], audienceRequired: false }).aud).toEqual(['a', 'b'])
  })

  it('RFC 9449 §6.2 / RFC 8705 §3.2: cnf is kept untouched, token_type DPoP kept', () => {
    const cnf = { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I', extra: { nested: [1] } }
    const claims = checkIntrospectionResponse({ ...ACTIVE, token_type: 'DPoP', cnf }, RULES)
    expect(claims.cnf).toBe(cnf)
    expect(claims.token_type).toBe('DPoP')
  })

  it('members beyond RFC 7662 pass through; the response is not modified', () => {
    const response = { ...ACTIVE, username: 'alice@example', ext: { tenant: 't1' } }
    const copy = structuredClone(response)
    const claims = checkIntrospectionResponse(response, RULES)
    expect(claims.username).toBe('alice@example')
    expect(claims.ext).toEqual({ tenant: 't1' })
    expect(response).toEqual(copy)
  })

  it('exp within the clock tolerance is still valid; no exp at all is valid', () => {
    expect(() => checkIntrospectionResponse({ ...ACTIVE, exp: NOW - 4 }, RULES)).not.toThrow()
    const { exp: _exp, ...rest } = ACTIVE
    expect(() => checkIntrospectionResponse(rest as IntrospectionResponse, RULES)).not.toThrow()
  })
})

describe('checkIntrospectionResponse: refused, each by the rule it breaks', () => {
  const { iss: _iss, ...withoutIss } = ACTIVE
  const { aud: _aud, ...withoutAud } = ACTIVE
  it.each<[string, IntrospectionResponse, AuthErrorCode, string, Partial<IntrospectionRules>?]>([
    ['RFC 7662 §2.2: active false → token_inactive', { active: false }, 'token_inactive', 'active'],
    ['active false even with claims → token_inactive', { ...ACTIVE, active: false }, 'token_inactive', 'active'],
    ['iss not configured → issuer_invalid', { ...ACTIVE, iss: 'https://evil.example' }, 'issuer_invalid', 'iss'],
    ['iss not a string → issuer_invalid', { ...ACTIVE, iss: 42 }, 'issuer_invalid', 'iss'],
    ['iss absent with several issuers → claim_missing', withoutIss as IntrospectionResponse, 'claim_missing', 'iss', { issuers: new Set([ISSUER, 'https://b.example']) }],
    ['aud not ours → audience_invalid', { ...ACTIVE, aud: 'https://other.example' }, 'audience_invalid', 'aud'],
    ['aud array without ours → audience_invalid', { ...ACTIVE, aud: ['a', 'b'] }, 'audience_invalid', 'aud'],
    ['aud absent (default audienceRequired) → claim_missing', withoutAud as IntrospectionResponse, 'claim_missing', 'aud'],
    ['exp passed beyond the tolerance → token_expired', { ...ACTIVE, exp: NOW - 6 }, 'token_expired', 'exp'],
    ['nbf in the future beyond the tolerance → token_not_yet_valid', { ...ACTIVE, nbf: NOW + 60 }, 'token_not_yet_valid', 'nbf'],
    ['exp not a number → claim_invalid', { ...ACTIVE, exp: String(NOW + 60) }, 'claim_invalid', 'exp'],
    ['a required claim missing → claim_missing', ACTIVE, 'claim_missing', 'jti', { requiredClaims: ['jti'] }],
    ['scope as an array → claim_invalid', { ...ACTIVE, scope: ['read'] }, 'claim_invalid', 'scope'],
    ['token_type not a string → claim_invalid', { ...ACTIVE, token_type: 1 }, 'claim_invalid', 'token_type'],
    ['cnf not an object → claim_invalid (a binding that cannot be checked is not ignored)', { ...ACTIVE, cnf: 'jkt' }, 'claim_invalid', 'cnf'],
    ['cnf null → claim_invalid', { ...ACTIVE, cnf: null }, 'claim_invalid', 'cnf'],
  ])('%s', (_case, response, code, claim, rules = {}) => {
    const found = rejection(response, { ...RULES, ...rules })
    expect(found.code).toBe(code)
    expect(found.detail?.claim).toBe(claim)
  })
})
