import { describe, expect, it } from 'vitest'
import { allOf, anyOf, compileRequirement, type ScopeRequirement } from './requirement.js'

const compile = (...requirements: ScopeRequirement[]) => compileRequirement(requirements)
const set = (...scopes: string[]): ReadonlySet<string> => new Set(scopes)

describe('allOf / anyOf builders', () => {
  it('return plain requirement objects', () => {
    expect(allOf('a', anyOf('b', 'c'))).toEqual({ allOf: ['a', { anyOf: ['b', 'c'] }] })
  })
})

describe('compileRequirement: minimal disjunctive normal form', () => {
  it.each<[string, ScopeRequirement[], string[][]]>([
    ['a single scope', ['read'], [['read']]],
    ['several arguments are all required', ['read', 'write'], [['read', 'write']]],
    ['allOf is one alternative', [allOf('read', 'write')], [['read', 'write']]],
    ['anyOf gives one alternative per member, in declared order', [anyOf('b', 'a')], [['b'], ['a']]],
    ['allOf of anyOfs distributes (a∨b)∧(c∨d)', [allOf(anyOf('a', 'b'), anyOf('c', 'd'))], [['a', 'c'], ['a', 'd'], ['b', 'c'], ['b', 'd']]],
    ['arguments and anyOf: a∧(b∨c)', ['a', anyOf('b', 'c')], [['a', 'b'], ['a', 'c']]],
    ['nesting three levels', [anyOf('admin', allOf('read', anyOf('write', 'owner')))], [['admin'], ['read', 'write'], ['read', 'owner']]],
    ['absorption: a ∨ (a∧b) = a', [anyOf('a', allOf('a', 'b'))], [['a']]],
    ['absorption regardless of order: (a∧b) ∨ a = a', [anyOf(allOf('a', 'b'), 'a')], [['a']]],
    ['absorption across a product: (a∨b)∧a = a', [allOf(anyOf('a', 'b'), 'a')], [['a']]],
    ['idempotence: a ∨ a = a', [anyOf('a', 'a')], [['a']]],
    ['idempotence inside an alternative: a ∧ a = a', ['a', 'a'], [['a']]],
    ['equal alternatives in another order keep the first', [anyOf(allOf('a', 'b'), allOf('b', 'a'))], [['a', 'b']]],
    ['a redundant superset is dropped, the rest kept in order', [anyOf(allOf('x', 'y', 'z'), 'w', allOf('x', 'y'))], [['w'], ['x', 'y']]],
  ])('%s', (_rule, requirements, expected) => {
    expect(compileRequirement(requirements).alternatives).toEqual(expected)
  })
})

describe('isSatisfiedBy: exact, case-sensitive matching', () => {
  it.each<[string, ScopeRequirement[], string[], boolean]>([
    ['single scope granted', ['read:appointments'], ['read:appointments'], true],
    ['single scope among others', ['read:appointments'], ['openid', 'read:appointments'], true],
    ['single scope missing', ['read:appointments'], ['write:appointments'], false],
    ['a longer scope is not the scope', ['read:appointments'], ['read:appointments:all'], false],
    ['a prefix is not the scope', ['read:appointments'], ['read'], false],
    ['case differs', ['read:appointments'], ['Read:Appointments'], false],
    ['nothing granted', ['read'], [], false],
    ['all-of: both granted', ['read', 'write'], ['write', 'read'], true],
    ['all-of: one missing', ['read', 'write'], ['read'], false],
    ['any-of: first alternative', [anyOf('admin', allOf('read', 'write'))], ['admin'], true],
    ['any-of: second alternative complete', [anyOf('admin', allOf('read', 'write'))], ['read', 'write'], true],
    ['any-of: second alternative partial', [anyOf('admin', allOf('read', 'write'))], ['read'], false],
    ['URL-shaped scope', ['https://www.googleapis.com/auth/drive.readonly'], ['https://www.googleapis.com/auth/drive.readonly'], true],
    ['URL-shaped scope, different path', ['https://www.googleapis.com/auth/drive.readonly'], ['https://www.googleapis.com/auth/drive'], false],
  ])('%s', (_rule, requirements, grantedScopes, expected) => {
    expect(compileRequirement(requirements).isSatisfiedBy(set(...grantedScopes))).toBe(expected)
  })
})

describe('scopeToRequest: RFC 6750 §3 scope attribute for a 403', () => {
  it.each<[string, ScopeRequirement[], string[], string]>([
    ['a single scope is always requested as itself', ['read:appointments'], ['other'], 'read:appointments'],
    ['all-of lists the whole alternative, not just the missing part', ['read', 'write'], ['read'], 'read write'],
    ['the alternative missing fewest scopes wins', [anyOf(allOf('a', 'b', 'c'), allOf('d', 'e'))], ['a', 'b'], 'a b c'],
    ['a later alternative missing fewer wins over a partly granted first one', [anyOf(allOf('a', 'b', 'c'), 'd')], ['a'], 'd'],
    ['a tie goes to the first declared', [anyOf(allOf('a', 'b'), allOf('c', 'd'))], ['a', 'c'], 'a b'],
    ['nothing granted: the smallest alternative', [anyOf(allOf('read', 'write'), 'admin')], [], 'admin'],
    ['nothing granted, equal sizes: the first declared', [anyOf('admin', 'owner')], [], 'admin'],
    ['tie between admin and read+write given read: the first declared', [anyOf('admin', allOf('read', 'write'))], ['read'], 'admin'],
  ])('%s', (_rule, requirements, grantedScopes, expected) => {
    expect(compileRequirement(requirements).scopeToRequest(set(...grantedScopes))).toBe(expected)
  })
})

describe('description', () => {
  it.each<[ScopeRequirement[], string]>([
    [['read:appointments'], 'read:appointments'],
    [['read', 'write'], 'read AND write'],
    [['a', anyOf('b', 'c')], 'a AND (b OR c)'],
    [['a', anyOf('b', allOf('c', 'd'))], 'a AND (b OR (c AND d))'],
    [['a', anyOf('b')], 'a AND b'],
  ])('%j reads as %j', (requirements, expected) => {
    expect(compileRequirement(requirements).description).toBe(expected)
  })
})

describe('compileRequirement: start-up errors say what is wrong', () => {
  it.each<[string, unknown[], RegExp]>([
    ['RFC 6749 §3.3: two scopes in one string', ['read write'], /"read write" in allOf\[0\] of arguments is not a valid scope\. RFC 6749 §3\.3/],
    ['RFC 6749 §3.3: empty scope', [''], /"" in allOf\[0\] of arguments is not a valid scope/],
    ['RFC 6749 §3.3: quote', ['read"'], /"read\\"" in allOf\[0\] of arguments is not a valid scope/],
    ['RFC 6749 §3.3: backslash', ['ok', 'a\\b'], /"a\\\\b" in allOf\[1\] of arguments is not a valid scope/],
    ['RFC 6749 §3.3: non-ASCII', ['lesen:ä'], /"lesen:ä" in allOf\[0\] of arguments is not a valid scope/],
    ['the path to a nested bad scope is named', [anyOf('ok', allOf('x', 'bad scope'))], /"bad scope" in allOf\[1\] of anyOf\[1\] of allOf\[0\] of arguments is not a valid scope/],
    ['no arguments', [], /requireScopes\(\): arguments lists no scopes; name at least one scope/],
    ['an empty anyOf()', ['read', anyOf()], /allOf\[1\] of arguments lists no scopes/],
    ['an empty allOf()', [anyOf('a', allOf())], /anyOf\[1\] of allOf\[0\] of arguments lists no scopes/],
    ['an array passed unspread', [['read', 'write']], /allOf\[0\] of arguments must be a scope string, allOf\(\.\.\.\) or anyOf\(\.\.\.\); got an array \(spread it: requireScopes\(\.\.\.scopes\)\)/],
    ['an object with both allOf and anyOf', [{ allOf: ['a'], anyOf: ['b'] }], /got an object without exactly one of allOf \/ anyOf/],
    ['an object with neither', [{ scope: 'a' }], /got an object without exactly one of allOf \/ anyOf/],
    ['allOf that is not an array', [{ allOf: 'a' }], /got an object without exactly one of allOf \/ anyOf/],
    ['null', [null], /got null/],
    ['undefined', [undefined], /got undefined/],
    ['a number', [42], /got number/],
  ])('%s', (_rule, requirements, message) => {
    expect(() => compileRequirement(requirements as ScopeRequirement[])).toThrow(TypeError)
    expect(() => compileRequirement(requirements as ScopeRequirement[])).toThrow(message)
  })

  it('names the caller', () => {
    expect(() => compileRequirement(['bad scope'], 'requireAnyScope()')).toThrow(/^requireAnyScope\(\): "bad scope"/)
  })

  const scopes = (count: number, prefix = 's') => Array.from({ length: count }, (_, i) => `${prefix}${i}`)

  it('accepts exactly 256 alternatives', () => {
    expect(compile(anyOf(...scopes(256))).alternatives).toHaveLength(256)
    const pairs = scopes(8).map((s) => anyOf(`${s}a`, `${s}b`))
    expect(compile(...pairs).alternatives).toHaveLength(256)
  })

  it('rejects an anyOf of more than 256 alternatives', () => {
    expect(() => compile(anyOf(...scopes(257)))).toThrow(/requireScopes\(\): the requirement expands to more than 256 alternatives; simplify it/)
  })

  it('rejects a product of more than 256 alternatives (2^9 = 512)', () => {
    const pairs = scopes(9).map((s) => anyOf(`${s}a`, `${s}b`))
    expect(() => compile(...pairs)).toThrow(/expands to more than 256 alternatives/)
  })

  it('simplifies before counting: nine copies of anyOf(a, b) are just a OR b', () => {
    const same = Array.from({ length: 9 }, () => anyOf('a', 'b'))
    expect(compile(...same).alternatives).toEqual([['a'], ['b']])
  })

  it('names the caller in the too-many-alternatives message', () => {
    expect(() => compileRequirement([anyOf(...scopes(257))], 'x()')).toThrow(/^x\(\): the requirement expands/)
  })
})

describe('description of a single combinator argument', () => {
  it('adds no outer brackets', () => {
    expect(compile(anyOf('admin', allOf('read', 'write'))).description).toBe('admin OR (read AND write)')
    expect(compile(allOf('a', 'b')).description).toBe('a AND b')
  })

  it('an object whose allOf is undefined is read as its anyOf', () => {
    const requirement = { allOf: undefined, anyOf: ['a', 'b'] } as unknown as ScopeRequirement
    expect(compile(requirement).description).toBe('a OR b')
  })
})
