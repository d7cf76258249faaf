import { describe, expect, it } from 'vitest'
import { isScopeToken } from './scope-token.js'

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
describe('isScopeToken', () => {
  it.each([
    ['read:appointments', 'a typical colon-separated scope'],
    ['openid', 'a bare word'],
    ['https://www.googleapis.com/auth/drive.readonly', 'a URL-shaped scope (Google)'],
    ['mx:user:profile:v1:read', 'a colon-heavy scope'],
    ['api://4f1c/.default', 'an Azure AD resource scope'],
    ['!', 'the single lowest allowed character %x21'],
    ['#', '%x23, the first character after the excluded \'"\''],
    ['[', '%x5B, the last character before the excluded \'\\\''],
    [']', '%x5D, the first character after the excluded \'\\\''],
    ['~', '%x7E, the highest allowed character'],
    ['Read:Appointments', 'mixed case (scopes are case-sensitive, not rejected)'],
  ])('RFC 6749 §3.3: %j is a scope-token (%s)', (value) => {
    expect(isScopeToken(value)).toBe(true)
  })

  it('RFC 6749 §3.3: every character of %x21 / %x23-5B / %x5D-7E is allowed, nothing else in ASCII', () => {
    const allowed: string[] = []
    for (let code = 0; code <= 0x7f; code++) {
      if (isScopeToken(`a${String.fromCharCode(code)}b`)) allowed.push(String.fromCharCode(code))
    }
    const expected: string[] = []
    for (let code = 0x21; code <= 0x7e; code++) if (code !== 0x22 && code !== 0x5c) expected.push(String.fromCharCode(code))
    expect(allowed).toEqual(expected)
  })

  it.each([
    ['', 'empty: the grammar needs at least one character'],
    ['"', 'a lone %x22 quote'],
    ['read"write', 'an embedded %x22 quote'],
    ['\\', 'a lone %x5C backslash'],
    ['read\\write', 'an embedded %x5C backslash'],
    [' ', 'a lone space (%x20 is the delimiter)'],
    ['read write', 'two scopes joined by a space'],
    [' read', 'a leading space'],
    ['read ', 'a trailing space'],
    ['read\twrite', 'a tab'],
    ['read\nwrite', 'a line feed'],
    ['read\r\nwrite', 'CR LF'],
    ['read\x00', 'NUL'],
    ['read\x7f', 'DEL (%x7F)'],
    ['lesen:termine:ä', 'non-ASCII Latin-1'],
    ['read\u00a0write', 'a no-break space'],
    ['read\u2028write', 'a Unicode line separator'],
    ['\u{1F511}', 'an astral-plane emoji'],
    ['ｒｅａｄ', 'full-width look-alikes'],
  ])('RFC 6749 §3.3: %j is not a scope-token (%s)', (value) => {
    expect(isScopeToken(value)).toBe(false)
  })

  it.each([
    [undefined],
    [null],
    [42],
    [true],
    [['read']],
    [{ toString: () => 'read' }],
    [new String('read')],
    [Symbol('read')],
  ])('only a primitive string can be a scope-token: %s', (value) => {
    expect(isScopeToken(value)).toBe(false)
  })
})
