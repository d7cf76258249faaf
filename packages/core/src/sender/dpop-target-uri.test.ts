import { describe, expect, it } from 'vitest'
import { dpopTargetUri, sameTargetUri } from './dpop-target-uri.js'

describe('dpopTargetUri', () => {
  it.each([
    ['origin-form path', 'https://api.example.com', '/appointments/7', 'https://api.example.com/appointments/7'],
    ['RFC 9449 §4.2: without the query', 'https://api.example.com', '/appointments?page=2', 'https://api.example.com/appointments'],
    ['RFC 9449 §4.2: without the fragment', 'https://api.example.com', '/appointments#top', 'https://api.example.com/appointments'],
    ['the root', 'https://api.example.com', '/', 'https://api.example.com/'],
    ['a base path a proxy strips is put back', 'https://example.com/api', '/appointments', 'https://example.com/api/appointments'],
    ['a trailing slash on the origin is not doubled', 'https://example.com/api/', '/appointments', 'https://example.com/api/appointments'],
    ['a path starting with // stays a path, not a host', 'https://api.example.com', '//evil.example/x', 'https://api.example.com//evil.example/x'],
    ['absolute-form: only its path, never its host', 'https://api.example.com', 'https://evil.example/me?x=1', 'https://api.example.com/me'],
    ['asterisk-form: the origin itself', 'https://api.example.com', '*', 'https://api.example.com/'],
    ['garbage: the origin itself', 'https://api.example.com', 'not a target', 'https://api.example.com/'],
  ])('%s', (_name, origin, target, expected) => {
    expect(dpopTargetUri(origin, target)).toBe(expected)
  })
})

describe('sameTargetUri (RFC 9449 §4.3 check 9, RFC 3986 §6.2.2-6.2.3)', () => {
  const expected = 'https://api.example.com/appointments/7'

  it.each([
    ['the same URI', 'https://api.example.com/appointments/7'],
    ['§6.2.2.1: scheme and host case', 'HTTPS://API.Example.COM/appointments/7'],
    ['§6.2.3: the default port', 'https://api.example.com:443/appointments/7'],
    ['§6.2.2.3: dot segments', 'https://api.example.com/appointments/x/../7'],
    ['§6.2.2.3: a "." segment', 'https://api.example.com/./appointments/7'],
    ['§6.2.2.2: a percent-encoded unreserved character', 'https://api.example.com/%61ppointments/%37'],
    ['§4.3 check 9: the claim\'s query is ignored', 'https://api.example.com/appointments/7?page=2'],
    ['§4.3 check 9: the claim\'s fragment is ignored', 'https://api.example.com/appointments/7#x'],
  ])('%s matches', (_name, claimed) => {
    expect(sameTargetUri(claimed, expected)).toBe(true)
  })

  it('§6.2.2.1: percent-encodings compare case-insensitively, and stay encoded when reserved', () => {
    expect(sameTargetUri('https://api.example.com/a%2fb', 'https://api.example.com/a%2Fb')).toBe(true)
    expect(sameTargetUri('https://api.example.com/a/b', 'https://api.example.com/a%2Fb')).toBe(false)
  })

  it('§6.2.3: an empty path is "/"', () => {
    expect(sameTargetUri('https://api.example.com', 'https://api.example.com/')).toBe(true)
    expect(sameTargetUri('http://localhost:80', 'http://localhost/')).toBe(true)
  })

  it('a base path must be there in the claim', () => {
    expect(sameTargetUri('https://example.com/appointments', 'https://example.com/api/appointments')).toBe(false)
    expect(sameTargetUri('https://example.com/api/appointments', dpopTargetUri('https://example.com/api', '/appointments?x'))).toBe(true)
  })

  it.each([
    ['another host', 'https://evil.example/appointments/7'],
    ['another scheme', 'http://api.example.com/appointments/7'],
    ['another port', 'https://api.example.com:8443/appointments/7'],
    ['another path', 'https://api.example.com/appointments/8'],
    ['a trailing slash', 'https://api.example.com/appointments/7/'],
    ['path case (paths are case-sensitive)', 'https://api.example.com/Appointments/7'],
    ['user information', 'https://user@api.example.com/appointments/7'],
    ['a relative reference', '/appointments/7'],
    ['another scheme with the same authority', 'ftp://api.example.com/appointments/7'],
    ['javascript:', 'javascript:alert(1)'],
    ['whitespace WHATWG would strip', ' https://api.example.com/appointments/7'],
    ['a tab WHATWG would drop', 'https://api.exa\tmple.com/appointments/7'],
    ['an empty string', ''],
  ])('%s does not match', (_name, claimed) => {
    expect(sameTargetUri(claimed, expected)).toBe(false)
  })

  it('never throws, whatever it is given', () => {
    const garbage: unknown[] = [undefined, null, 42, {}, [], 'http://[::1', 'https://%zz', 'https://\u0000', '\ud800', 'https://a.b/%', 'x'.repeat(10_000)]
    for (const value of garbage) {
      expect(() => sameTargetUri(value as string, expected)).not.toThrow()
      expect(sameTargetUri(value as string, expected)).toBe(false)
      expect(() => sameTargetUri(expected, value as string)).not.toThrow()
    }
  })
})
