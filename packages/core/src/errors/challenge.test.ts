import { validateHeaderValue } from 'node:http'
import { describe, expect, it } from 'vitest'
import { buildChallenge, type ChallengeParams } from './challenge.js'

describe('buildChallenge: RFC 6750 §3 output', () => {
  it.each<[string, ChallengeParams, string]>([
    ['no parameters: the bare scheme', {}, 'Bearer'],
    ['undefined parameters are left out', { realm: undefined, error: undefined, scope: undefined }, 'Bearer'],
    ['RFC 6750 §3: realm only', { realm: 'api' }, 'Bearer realm="api"'],
    ['an empty realm is still a realm', { realm: '' }, 'Bearer realm=""'],
    ['RFC 6750 §3.1: error without a realm', { error: 'invalid_token' }, 'Bearer error="invalid_token"'],
    [
      'realm first, then error, error_description, scope, resource_metadata',
      {
        resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource',
        scope: 'read write',
        errorDescription: 'The access token lacks the required scope',
        error: 'insufficient_scope',
        realm: 'api',
      },
      'Bearer realm="api", error="insufficient_scope", error_description="The access token lacks the required scope", ' +
        'scope="read write", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"',
    ],
    [
      'RFC 6750 §3: scope keeps URL-shaped and colon-heavy scope-tokens',
      { scope: 'https://www.googleapis.com/auth/drive.readonly mx:user:profile:v1:read' },
      'Bearer scope="https://www.googleapis.com/auth/drive.readonly mx:user:profile:v1:read"',
    ],
    ['RFC 9728 §5.1: resource_metadata alone', { resourceMetadata: 'https://api.example.com/m' }, 'Bearer resource_metadata="https://api.example.com/m"'],
  ])('%s', (_rule, params, expected) => {
    expect(buildChallenge(params)).toBe(expected)
  })
})

describe('buildChallenge: realm and resource_metadata are RFC 9110 §5.6.4 quoted-strings', () => {
  it.each([
    ['a quote is escaped', 'say "hi"', 'Bearer realm="say \\"hi\\""'],
    ['a backslash is escaped', 'a\\b', 'Bearer realm="a\\\\b"'],
    ['an escaped quote stays inside the string', '\\"', 'Bearer realm="\\\\\\""'],
    ['CR LF is dropped, so no header can be injected', 'api\r\nSet-Cookie: a=1', 'Bearer realm="apiSet-Cookie: a=1"'],
    ['a tab is dropped', 'a\tb', 'Bearer realm="ab"'],
    ['NUL and DEL are dropped', 'a\x00b\x7f', 'Bearer realm="ab"'],
    ['non-ASCII is dropped', 'Bücher – ✓', 'Bearer realm="Bcher  "'],
  ])('%s', (_rule, realm, expected) => {
    expect(buildChallenge({ realm })).toBe(expected)
  })

  it('resource_metadata is quoted the same way', () => {
    expect(buildChallenge({ resourceMetadata: 'https://x/"a"\r\n\\' })).toBe('Bearer resource_metadata="https://x/\\"a\\"\\\\"')
  })
})

describe('buildChallenge: RFC 6750 §3 character set for error_description and scope', () => {
  it.each([
    ['" and \\ are outside %x20-21 / %x23-5B / %x5D-7E and are removed', 'a "b" \\c', 'a b c'],
    ['CR LF are removed', 'line\r\nSet-Cookie: a=1', 'lineSet-Cookie: a=1'],
    ['non-ASCII is removed', 'Schlüssel ungültig', 'Schlssel ungltig'],
    ['the allowed set passes unchanged', ' !#[]~', ' !#[]~'],
  ])('error_description: %s', (_rule, errorDescription, expected) => {
    expect(buildChallenge({ errorDescription })).toBe(`Bearer error_description="${expected}"`)
  })

  it.each([
    ['quotes are removed', 'read "admin"', 'read admin'],
    ['CR LF are removed', 'read\r\nwrite', 'readwrite'],
    ['non-ASCII is removed', 'lesen:ä', 'lesen:'],
  ])('scope: %s', (_rule, scope, expected) => {
    expect(buildChallenge({ scope })).toBe(`Bearer scope="${expected}"`)
  })

  it('nothing outside visible ASCII and SP ever reaches the header', () => {
    const hostile = 'x"\\\r\n\t\x00\x7f\u00e9\u2028\u{1F511}y'
    const value = buildChallenge({ realm: hostile, errorDescription: hostile, scope: hostile, resourceMetadata: hostile })
    expect(value).toMatch(/^[\x20-\x7E]+$/)
    // Node refuses header values with CR, LF or NUL; this one it takes.
    expect(() => validateHeaderValue('WWW-Authenticate', value)).not.toThrow()
    expect(value).toBe('Bearer realm="x\\"\\\\y", error_description="xy", scope="xy", resource_metadata="x\\"\\\\y"')
  })
})
