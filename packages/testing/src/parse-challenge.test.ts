import { describe, expect, it } from 'vitest'
import { parseChallenge, parseChallenges } from './parse-challenge.js'

describe('parseChallenge', () => {
  it.each([
    ['Bearer', {}],
    ['Bearer realm="example"', { realm: 'example' }],
    [
      'Bearer realm="api", error="insufficient_scope", error_description="lacks scope", scope="a b"',
      { realm: 'api', error: 'insufficient_scope', error_description: 'lacks scope', scope: 'a b' },
    ],
    ['Bearer realm="a \\"quoted\\" realm"', { realm: 'a "quoted" realm' }],
    ['Bearer error=invalid_token', { error: 'invalid_token' }],
    ['Bearer ERROR="x"', { error: 'x' }],
  ])('parses %s', (header, params) => {
    expect(parseChallenge(header)).toEqual({ scheme: 'Bearer', params })
  })

  it.each([
    [undefined, /no WWW-Authenticate/],
    ['', /no auth-scheme/],
    ['Bearer realm="unterminated', /malformed/],
    ['Bearer realm="a", realm="b"', /repeated/],
    ['Bearer error="x" scope="y"', /malformed/],
  ])('rejects %j', (header, message) => {
    expect(() => parseChallenge(header)).toThrow(message)
  })
})

describe('parseChallenges', () => {
  it('RFC 9449 §7.1: reads a Bearer and a DPoP challenge in one value', () => {
    expect(parseChallenges('Bearer realm="api", DPoP realm="api", error="invalid_dpop_proof", algs="ES256 PS256"')).toEqual([
      { scheme: 'Bearer', params: { realm: 'api' } },
      { scheme: 'DPoP', params: { realm: 'api', error: 'invalid_dpop_proof', algs: 'ES256 PS256' } },
    ])
    expect(parseChallenge('Bearer realm="api", DPoP algs="ES256"', 'dpop').params).toEqual({ algs: 'ES256' })
    expect(() => parseChallenge('Bearer realm="api"', 'DPoP')).toThrow(/no DPoP challenge/)
  })

  it('a challenge with no parameters followed by another is read too', () => {
    expect(parseChallenges('Bearer, DPoP algs="ES256"').map((c) => c.scheme)).toEqual(['Bearer', 'DPoP'])
  })
})
