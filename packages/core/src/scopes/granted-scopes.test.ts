import { describe, expect, it } from 'vitest'
import { readGrantedScopes } from './granted-scopes.js'

const DEFAULT_CLAIMS = ['scope', 'scp']

function granted(claims: Record<string, unknown>, names: readonly string[] = DEFAULT_CLAIMS): string[] {
  return [...readGrantedScopes(claims, names)]
}

describe('readGrantedScopes: claim shapes', () => {
  it.each([
    ['RFC 9068 §2.2.3: `scope` is a space-delimited string', { scope: 'read:appointments write:appointments' }, DEFAULT_CLAIMS, ['read:appointments', 'write:appointments']],
    ['Azure AD: `scp` as a space-delimited string', { scp: 'User.Read Mail.Send' }, DEFAULT_CLAIMS, ['User.Read', 'Mail.Send']],
    ['`scp` as an array, one scope per element', { scp: ['User.Read', 'Mail.Send'] }, DEFAULT_CLAIMS, ['User.Read', 'Mail.Send']],
    ['Auth0 RBAC: `permissions` array', { permissions: ['read:appointments', 'delete:appointments'] }, ['scope', 'permissions'], ['read:appointments', 'delete:appointments']],
    ['URL-shaped and colon-heavy scopes survive intact', { scope: 'https://www.googleapis.com/auth/drive.readonly mx:user:profile:v1:read' }, DEFAULT_CLAIMS, ['https://www.googleapis.com/auth/drive.readonly', 'mx:user:profile:v1:read']],
    ['RFC 6749 §3.3: repeated, leading and trailing spaces give no empty scope', { scope: '  read   write ' }, DEFAULT_CLAIMS, ['read', 'write']],
    ['duplicates collapse into one set member', { scope: 'read read', scp: ['read'] }, DEFAULT_CLAIMS, ['read']],
    ['an empty scope string grants nothing', { scope: '' }, DEFAULT_CLAIMS, []],
    ['an empty array grants nothing', { scp: [] }, DEFAULT_CLAIMS, []],
    ['no scope claim at all grants nothing', { sub: 'user-1' }, DEFAULT_CLAIMS, []],
  ])('%s', (_rule, claims, names, expected) => {
    expect(granted(claims, names)).toEqual(expected)
  })

  it('several configured claims are merged, in claim order', () => {
    const claims = { scope: 'openid profile', scp: ['User.Read'], permissions: ['read:appointments', 'openid'] }
    expect(granted(claims, ['scope', 'scp', 'permissions'])).toEqual(['openid', 'profile', 'User.Read', 'read:appointments'])
  })

  it('only the configured claims are read', () => {
    const claims = { scope: 'read', permissions: ['admin'], roles: ['owner'] }
    expect(granted(claims)).toEqual(['read'])
    expect(granted(claims, ['permissions'])).toEqual(['admin'])
    expect(granted(claims, [])).toEqual([])
  })
})

describe('readGrantedScopes: values outside RFC 6749 §3.3 are dropped', () => {
  it.each([
    ['a tab does not delimit, so "read\\twrite" is one invalid value', { scope: 'read\twrite admin' }, ['admin']],
    ['a line feed is not a delimiter', { scope: 'read\nwrite' }, []],
    ['a quote inside a scope', { scope: 'ok "quoted"' }, ['ok']],
    ['a backslash inside a scope', { scope: 'ok a\\b' }, ['ok']],
    ['non-ASCII scopes', { scope: 'lesen:termine schreiben:ä' }, ['lesen:termine']],
    ['an array element holding two space-delimited scopes', { scp: ['read write', 'admin'] }, ['admin']],
    ['an empty array element', { scp: ['', 'admin'] }, ['admin']],
  ])('%s', (_rule, claims, expected) => {
    expect(granted(claims)).toEqual(expected)
  })
})

describe('readGrantedScopes: claims of the wrong type grant nothing', () => {
  it.each([
    ['an object', { scope: { read: true } }],
    ['an object whose toString gives a scope', { scope: { toString: () => 'admin' } }],
    ['a number', { scope: 42 }],
    ['a boolean', { scope: true }],
    ['null', { scope: null }],
    ['a String object', { scope: new String('admin') }],
    ['a Set', { scp: new Set(['admin']) }],
  ])('%s', (_type, claims) => {
    expect(granted(claims)).toEqual([])
  })

  it('an array keeps its string elements and drops non-strings', () => {
    const claims = { scp: [1, 'read', null, { scope: 'admin' }, ['admin'], true, new String('admin'), 'write'] }
    expect(granted(claims)).toEqual(['read', 'write'])
  })
})

describe('readGrantedScopes: only own properties', () => {
  it('a `__proto__` key from JSON.parse is an own data property, not a prototype: `scope` stays absent', () => {
    const claims = JSON.parse('{"__proto__": {"scope": "admin"}, "sub": "attacker"}') as Record<string, unknown>
    expect(granted(claims)).toEqual([])
  })

  it('a prototype set from the payload (e.g. by Object.assign) cannot grant scopes', () => {
    const claims = Object.assign({}, JSON.parse('{"__proto__": {"scope": "admin", "scp": ["root"]}}')) as Record<string, unknown>
    // The smuggled value is reachable through the prototype chain...
    expect(claims.scope).toBe('admin')
    // ...but is not an own claim, so it is never granted.
    expect(granted(claims)).toEqual([])
  })

  it('`constructor` and other Object.prototype members are not claims', () => {
    expect(granted({}, ['constructor', 'toString', '__proto__', 'hasOwnProperty'])).toEqual([])
    const claims = JSON.parse('{"constructor": "admin", "scope": "read"}') as Record<string, unknown>
    expect(granted(claims)).toEqual(['read'])
  })

  it('claims objects without a prototype are read', () => {
    const claims = Object.assign(Object.create(null) as Record<string, unknown>, { scope: 'read' })
    expect(granted(claims)).toEqual(['read'])
  })
})

describe('readGrantedScopes: exact matching, no substring tricks', () => {
  it.each([
    ['a longer scope with the wanted one as prefix', 'read:appointments-admin', 'read:appointments'],
    ['a scope with the wanted one as suffix', 'xadmin', 'admin'],
    ['a different case', 'Admin', 'admin'],
    ['a scope with a trailing colon', 'read:', 'read'],
    ['a URL with an extra path segment', 'https://www.googleapis.com/auth/drive.readonly.x', 'https://www.googleapis.com/auth/drive.readonly'],
    ['the wanted scope inside a quoted value', '"admin"', 'admin'],
    ['the wanted scope joined by a tab', 'admin\tread', 'admin'],
  ])('%s does not grant it', (_trick, scope, wanted) => {
    expect(readGrantedScopes({ scope }, DEFAULT_CLAIMS).has(wanted)).toBe(false)
  })
})
