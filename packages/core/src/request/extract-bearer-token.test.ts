import { describe, expect, it } from 'vitest'
import type { BearerRequest } from './bearer-request.js'
import type { AuthErrorCode } from '../errors/errors.js'
import { extractBearerToken, type ExtractOptions } from './extract-bearer-token.js'
import { Rejection } from '../errors/rejection.js'

const HEADER_ONLY: ExtractOptions = { acceptBodyToken: false, acceptQueryToken: false, maxTokenLength: 8192 }
const ALL_METHODS: ExtractOptions = { acceptBodyToken: true, acceptQueryToken: true, maxTokenLength: 8192 }
const FORM = 'application/x-www-form-urlencoded'

function failureCode(request: BearerRequest, options: ExtractOptions = HEADER_ONLY): AuthErrorCode {
  try {
    extractBearerToken(request, options)
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(Rejection)
    return (thrown as Rejection).code
  }
  throw new Error('expected a Rejection, nothing was thrown')
}

const header = (authorization: BearerRequest['authorization']): BearerRequest => ({ authorization })
const post = (body: unknown, contentType = FORM, method = 'POST'): BearerRequest =>
  ({ authorization: undefined, method, contentType, body })
const query = (url: string | undefined): BearerRequest => ({ authorization: undefined, method: 'GET', url })

describe('RFC 6750 §2.1: Authorization request header', () => {
  it.each([
    ['Bearer abc', 'abc', 'the canonical form'],
    ['bearer abc', 'abc', 'the scheme is case-insensitive (lower case)'],
    ['BEARER abc', 'abc', 'the scheme is case-insensitive (upper case)'],
    ['bEaReR abc', 'abc', 'the scheme is case-insensitive (mixed case)'],
    ['Bearer    abc', 'abc', '1*SP: several spaces before the token'],
    ['Bearer AZaz09-._~+/', 'AZaz09-._~+/', 'b64token: every allowed character'],
    ['Bearer abc=', 'abc=', 'b64token: one trailing "="'],
    ['Bearer abc==', 'abc==', 'b64token: several trailing "="'],
    ['Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', 'a compact JWS'],
  ])('%j → %j (%s)', (value, token) => {
    expect(extractBearerToken(header(value), HEADER_ONLY)).toEqual({ token, location: 'header', scheme: 'Bearer' })
  })

  it.each([
    ['Bearer', '"Bearer" alone: 1*SP and a token are required'],
    ['Bearer ', 'spaces but no token'],
    ['Bearer\tabc', 'a tab is not SP'],
    ['Bearer,abc', 'a comma right after the scheme'],
    ['Bearer abc def', 'a space inside the token'],
    ['Bearer abc,', 'a trailing comma'],
    ['Bearer abc\t', 'a trailing tab'],
    ['Bearer a=bc', '"=" only at the end of a b64token'],
    ['Bearer =abc', 'a leading "="'],
    ['Bearer ===', 'only "="'],
    ['Bearer "abc"', 'a quoted token'],
    ['Bearer realm="x"', 'auth-params instead of a token68'],
    ['Bearer ab%63', '"%" is not a b64token character'],
    ['Bearer läuft', 'non-ASCII'],
  ])('%j is authorization_malformed (%s)', (value) => {
    expect(failureCode(header(value))).toBe('authorization_malformed')
  })

  it.each([
    ['Basic dXNlcjpwYXNz'],
    ['Digest username="u", realm="r"'],
    ['DPoP eyJhbGciOiJFUzI1NiJ9.e30.c2ln'],
    ['Token abc'],
    ['Bearerx abc'],
    ['Bearer-Token abc'],
    ['Bearer.abc'],
    ['abc'],
  ])('another scheme %j throws a scheme_unsupported Rejection', (value) => {
    expect(failureCode(header(value))).toBe('scheme_unsupported')
  })

  it.each<[string, BearerRequest['authorization']]>([
    ['no header', undefined],
    ['an empty header', ''],
    ['a header of spaces', '   '],
    ['an empty list of lines', []],
    ['one empty line', ['']],
  ])('%s: no credentials, undefined', (_case, authorization) => {
    expect(extractBearerToken(header(authorization), ALL_METHODS)).toBeUndefined()
  })

  it('a single header line given as a list is read', () => {
    expect(extractBearerToken(header(['Bearer abc']), HEADER_ONLY)).toEqual({ token: 'abc', location: 'header', scheme: 'Bearer' })
  })

  it.each([
    [['Bearer abc', 'Bearer def']],
    [['Bearer abc', 'Bearer abc']],
    [['Basic dXNlcjpwYXNz', 'Bearer abc']],
  ])('RFC 6750 §3.1: several Authorization lines %j are credentials_multiple', (lines) => {
    expect(failureCode(header(lines))).toBe('credentials_multiple')
  })
})

describe('maxTokenLength: checked before any pattern matching', () => {
  const options: ExtractOptions = { ...HEADER_ONLY, maxTokenLength: 16 }

  it('a token of exactly the limit is accepted; spaces before it do not count', () => {
    expect(extractBearerToken(header(`Bearer ${'a'.repeat(16)}`), options)?.token).toBe('a'.repeat(16))
    expect(extractBearerToken(header(`Bearer    ${'a'.repeat(16)}`), options)?.token).toBe('a'.repeat(16))
  })

  it.each([
    ['one character over', `Bearer ${'a'.repeat(17)}`],
    ['over the limit and malformed: the cap wins', `Bearer ${'!'.repeat(17)}`],
    ['a megabyte of garbage', `Bearer ${'%'.repeat(1_000_000)}`],
  ])('%s → token_too_long', (_case, value) => {
    expect(failureCode(header(value), options)).toBe('token_too_long')
  })

  it('body and query tokens are capped too', () => {
    const long = 'a'.repeat(17)
    const capped = { ...ALL_METHODS, maxTokenLength: 16 }
    expect(failureCode(post({ access_token: long }), capped)).toBe('token_too_long')
    expect(failureCode(query(`/r?access_token=${long}`), capped)).toBe('token_too_long')
    expect(failureCode(query(`/r?access_token=${'!'.repeat(17)}`), capped)).toBe('token_too_long')
  })
})

describe('RFC 6750 §2.2: form-encoded body parameter', () => {
  it.each([
    ['application/x-www-form-urlencoded'],
    ['application/x-www-form-urlencoded; charset=utf-8'],
    ['Application/X-WWW-Form-Urlencoded'],
  ])('read from a %j body when enabled', (contentType) => {
    expect(extractBearerToken(post({ access_token: 'abc' }, contentType), ALL_METHODS)).toEqual({ token: 'abc', location: 'body', scheme: 'Bearer' })
  })

  it('ignored when acceptBodyToken is false', () => {
    expect(extractBearerToken(post({ access_token: 'abc' }), { ...ALL_METHODS, acceptBodyToken: false })).toBeUndefined()
  })

  it.each<[string, BearerRequest]>([
    ['GET', post({ access_token: 'abc' }, FORM, 'GET')],
    ['HEAD', post({ access_token: 'abc' }, FORM, 'HEAD')],
    ['a JSON body', post({ access_token: 'abc' }, 'application/json')],
    ['a multipart body', post({ access_token: 'abc' }, 'multipart/form-data; boundary=x')],
    ['no content type', { authorization: undefined, method: 'POST', contentType: undefined, body: { access_token: 'abc' } }],
    ['a content type that only starts like the form type', post({ access_token: 'abc' }, 'application/x-www-form-urlencodedx')],
    ['an unparsed string body', post('access_token=abc')],
    ['a null body', post(null)],
    ['an inherited access_token', post(Object.create({ access_token: 'abc' }) as object)],
  ])('not a body token: %s', (_case, request) => {
    expect(extractBearerToken(request, ALL_METHODS)).toBeUndefined()
  })

  it.each<[string, unknown, AuthErrorCode]>([
    ['an empty value', '', 'authorization_malformed'],
    ['a non-string value', 42, 'authorization_malformed'],
    ['a value outside b64token', 'a b', 'authorization_malformed'],
    ['RFC 6750 §3.1: a repeated parameter (parsed as an array)', ['abc', 'def'], 'credentials_multiple'],
  ])('%s → %s', (_case, value, code) => {
    expect(failureCode(post({ access_token: value }), ALL_METHODS)).toBe(code)
  })
})

describe('RFC 6750 §2.3: URI query parameter', () => {
  it('read when enabled', () => {
    expect(extractBearerToken(query('/r?x=1&access_token=abc'), ALL_METHODS)).toEqual({ token: 'abc', location: 'query', scheme: 'Bearer' })
  })

  it('percent-encoding is decoded', () => {
    expect(extractBearerToken(query('/r?access_token=a%2Bb%3D'), ALL_METHODS)?.token).toBe('a+b=')
  })

  it('ignored when acceptQueryToken is false', () => {
    expect(extractBearerToken(query('/r?access_token=abc'), { ...ALL_METHODS, acceptQueryToken: false })).toBeUndefined()
  })

  it.each([['/r'], ['/r?'], ['/r?x=1'], ['/r?access_tokenx=abc'], [undefined]])('no token in %j', (url) => {
    expect(extractBearerToken(query(url), ALL_METHODS)).toBeUndefined()
  })

  it.each<[string, string, AuthErrorCode]>([
    ['RFC 6750 §3.1: a repeated parameter', '/r?access_token=abc&access_token=def', 'credentials_multiple'],
    ['an empty value', '/r?access_token=', 'authorization_malformed'],
    ['"+" decodes to a space, outside b64token', '/r?access_token=a+b', 'authorization_malformed'],
  ])('%s → %s', (_case, url, code) => {
    expect(failureCode(query(url), ALL_METHODS)).toBe(code)
  })
})

describe('RFC 6750 §2: more than one method → credentials_multiple', () => {
  it.each<[string, BearerRequest]>([
    ['header and body', { authorization: 'Bearer abc', method: 'POST', contentType: FORM, body: { access_token: 'abc' } }],
    ['header and query', { authorization: 'Bearer abc', url: '/r?access_token=abc' }],
    ['body and query', { authorization: undefined, method: 'POST', contentType: FORM, body: { access_token: 'abc' }, url: '/r?access_token=abc' }],
    ['all three', { authorization: 'Bearer abc', method: 'POST', contentType: FORM, body: { access_token: 'abc' }, url: '/r?access_token=abc' }],
  ])('%s', (_case, request) => {
    expect(failureCode(request, ALL_METHODS)).toBe('credentials_multiple')
  })

  it('a disabled method does not count', () => {
    const request: BearerRequest = { authorization: 'Bearer abc', url: '/r?access_token=def' }
    expect(extractBearerToken(request, { ...ALL_METHODS, acceptQueryToken: false })).toEqual({ token: 'abc', location: 'header', scheme: 'Bearer' })
  })

  it('another scheme in the header is not a bearer credential: the query token is used', () => {
    const request: BearerRequest = { authorization: 'Basic dXNlcjpwYXNz', url: '/r?access_token=abc' }
    expect(extractBearerToken(request, ALL_METHODS)).toEqual({ token: 'abc', location: 'query', scheme: 'Bearer' })
  })
})
