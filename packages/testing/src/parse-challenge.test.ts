import { describe, expect, it } from 'vitest'
import { parseChallenge } from './parse-challenge.js'

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
