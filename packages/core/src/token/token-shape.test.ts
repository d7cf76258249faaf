import { describe, expect, it } from 'vitest'
import { isCanonicalCompactJws, nestsDeeperThan } from './token-shape.js'

describe('isCanonicalCompactJws (RFC 7515 §2, §7.1)', () => {
  it.each([
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln', true],
    ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.', true],
    ['a.b', false],
    ['a.b.c.d', false],
    ['.b.c', false],
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln==', false],
    ['eyJh+GciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln', false],
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnA', false],
    // "QQ" is canonical for "A"; "QR" decodes to the same byte with a non-zero unused bit.
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.QQ', true],
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.QR', false],
    // "QUI" is canonical for "AB"; "QUJ" sets an unused bit.
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.QUI', true],
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.QUJ', false],
  ])('%s → %s', (token, expected) => {
    expect(isCanonicalCompactJws(token)).toBe(expected)
  })
})

describe('nestsDeeperThan', () => {
  const nested = (levels: number): unknown => {
    let value: unknown = 'x'
    for (let i = 0; i < levels; i++) value = [value]
    return value
  }

  it('measures arrays and objects without recursion', () => {
    expect(nestsDeeperThan({ a: nested(31) }, 32)).toBe(false)
    expect(nestsDeeperThan({ a: nested(32) }, 32)).toBe(true)
    expect(nestsDeeperThan(nested(100_000), 32)).toBe(true)
    expect(nestsDeeperThan({ realm_access: { roles: ['a'] } }, 32)).toBe(false)
  })
})
