import { describe, expect, it } from 'vitest'
import { allOf, anyOf } from './requirement.js'
import { defineScopeCatalogue, isScopeCatalogue } from './scope-catalogue.js'

const catalogue = defineScopeCatalogue({
  'read:appointments': 'Read your appointments',
  'write:appointments': { description: 'Create and change your appointments', implies: ['read:appointments'] },
  'read:contacts': 'Read your contacts',
  'export:contacts': { description: 'Export your contacts', implies: ['read:contacts'] },
  admin: { description: 'Full access', implies: '*' },
})

const granted = (...scopes: string[]) => new Set(scopes)

describe('defineScopeCatalogue: the definition is checked at construction', () => {
  it.each<[string, unknown, RegExp]>([
    ['no definition', undefined, /defineScopeCatalogue\(\): pass an object of scope → description/],
    ['an empty definition', {}, /pass an object of scope → description/],
    ['an array', ['read'], /pass an object of scope → description/],
    ['RFC 6749 §3.3: a scope with a space', { 'read appointments': 'x' }, /"read appointments" is not a valid scope: RFC 6749 §3.3/],
    ['RFC 6749 §3.3: a scope with a quote', { 'read"x': 'x' }, /is not a valid scope/],
    ['an empty description', { read: '' }, /"read" needs a non-empty description/],
    ['a blank description', { read: '   ' }, /"read" needs a non-empty description/],
    ['a description that is not a string', { read: { description: 42 } }, /"read" needs a non-empty description/],
    ['neither string nor object', { read: 7 }, /"read" needs a description, e\.g\. "read": 'Read your appointments'/],
    ['an unknown key', { read: { description: 'x', implied: ['a'] } }, /"read" has unknown key `implied`/],
    ['implies that is not a list', { read: { description: 'x', implies: 'write' } }, /`implies` must be an array of declared scopes or '\*'/],
    ['implies naming an unknown scope, with a suggestion', { 'read:appointments': 'x', 'write:appointments': { description: 'y', implies: ['read:apointments'] } }, /"write:appointments" implies "read:apointments", which is not declared\. Did you mean "read:appointments"\? Declare it or fix the name\./],
    ['a self-implication', { admin: { description: 'x', implies: ['admin'] } }, /"admin" implies itself; remove it from its own `implies`/],
  ])('refuses %s', (_case, definition, message) => {
    expect(() => defineScopeCatalogue(definition as never)).toThrow(message)
  })

  it('error messages name the caller', () => {
    expect(() => defineScopeCatalogue({} as never, 'defineScopes()')).toThrow(/^scopeguard: defineScopes\(\): /)
  })

  it('the catalogue is frozen and branded', () => {
    expect(Object.isFrozen(catalogue)).toBe(true)
    expect(Object.isFrozen(catalogue.scopes)).toBe(true)
    expect(isScopeCatalogue(catalogue)).toBe(true)
    expect(isScopeCatalogue({ ...catalogue })).toBe(false)
    expect(isScopeCatalogue(null)).toBe(false)
  })
})

describe('scopes, describe, has, implied', () => {
  it('lists scopes in declaration order', () => {
    expect(catalogue.scopes).toEqual(['read:appointments', 'write:appointments', 'read:contacts', 'export:contacts', 'admin'])
  })

  it('describes declared scopes, string or object form, and nothing else', () => {
    expect(catalogue.describe('read:appointments')).toBe('Read your appointments')
    expect(catalogue.describe('write:appointments')).toBe('Create and change your appointments')
    expect(catalogue.describe('read:apointments')).toBeUndefined()
    expect(catalogue.describe('toString')).toBeUndefined()
    expect(catalogue.has('admin')).toBe(true)
    expect(catalogue.has('constructor')).toBe(false)
  })

  it("'*' implies every other scope", () => {
    expect(catalogue.implied('admin')).toEqual(['read:appointments', 'write:appointments', 'read:contacts', 'export:contacts'])
    expect(catalogue.implied('write:appointments')).toEqual(['read:appointments'])
    expect(catalogue.implied('read:appointments')).toEqual([])
  })

  it('implications are transitive', () => {
    const chain = defineScopeCatalogue({
      c: 'C',
      b: { description: 'B', implies: ['c'] },
      a: { description: 'A', implies: ['b'] },
    })
    expect(chain.implied('a')).toEqual(['c', 'b'])
    expect(chain.compile(['c']).isSatisfiedBy(granted('a'))).toBe(true)
  })

  it('a cycle makes scopes equivalent (allowed), never self-implied', () => {
    const cycle = defineScopeCatalogue({
      a: { description: 'A', implies: ['b'] },
      b: { description: 'B', implies: ['a'] },
      admin: { description: 'All', implies: '*' },
      root: { description: 'All too', implies: '*' },
    })
    expect(cycle.implied('a')).toEqual(['b'])
    expect(cycle.implied('admin')).toEqual(['a', 'b', 'root'])
    expect(cycle.compile(['a']).isSatisfiedBy(granted('b'))).toBe(true)
  })
})

describe('compile: requirements checked against the catalogue at start-up', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['a typo, with a suggestion', () => catalogue.compile(['read:apointments']), /requireScopes\(\): "read:apointments" is not in the scope catalogue\. Did you mean "read:appointments"\? Declared scopes: read:appointments, /],
    ['a case difference, with a suggestion', () => catalogue.compile(['READ:appointments']), /Did you mean "read:appointments"\?/],
    ['a typo nested in anyOf / allOf', () => catalogue.compile([anyOf('admin', allOf('read:contacts', 'wrte:appointments'))]), /"wrte:appointments" is not in the scope catalogue\. Did you mean "write:appointments"\?/],
    ['an unknown scope absorbed by minimisation is still reported', () => catalogue.compile([anyOf('admin', allOf('admin', 'nope'))]), /"nope" is not in the scope catalogue\. Declared scopes: read:appointments, write:appointments/],
    ['nothing close: the declared scopes are listed', () => catalogue.compile(['billing']), /"billing" is not in the scope catalogue\. Declared scopes: read:appointments, write:appointments, read:contacts, export:contacts, admin\./],
    ['grammar errors come from compileRequirement', () => catalogue.compile(['read appointments']), /"read appointments" in .* is not a valid scope/],
    ['structure errors come from compileRequirement', () => catalogue.compile([]), /lists no scopes/],
  ])('refuses %s', (_case, compile, message) => {
    expect(compile).toThrow(message)
  })

  it('the caller is named', () => {
    expect(() => catalogue.compile(['x'], 'router.requireScopes()')).toThrow(/^router\.requireScopes\(\): "x"/)
  })

  it.each<[string, readonly string[], string[], boolean]>([
    ['the scope itself', ['read:appointments'], ['read:appointments'], true],
    ['a scope implying it', ['read:appointments'], ['write:appointments'], true],
    ["'*' implies it", ['read:appointments'], ['admin'], true],
    ['an unrelated scope does not', ['read:appointments'], ['read:contacts'], false],
    ['implication does not run backwards', ['write:appointments'], ['read:appointments'], false],
    ['all-of: each scope by itself or an implying one', ['read:appointments', 'read:contacts'], ['write:appointments', 'export:contacts'], true],
    ['all-of: one missing', ['read:appointments', 'read:contacts'], ['write:appointments'], false],
    ['admin alone satisfies all-of', ['read:appointments', 'write:appointments', 'read:contacts'], ['admin'], true],
  ])('isSatisfiedBy: %s', (_case, requirement, scopes, expected) => {
    expect(catalogue.compile(requirement).isSatisfiedBy(granted(...scopes))).toBe(expected)
  })

  it('alternatives and description are the declared ones, not the expansion', () => {
    const compiled = catalogue.compile(['read:appointments', anyOf('read:contacts', 'export:contacts')])
    expect(compiled.alternatives).toEqual([['read:appointments', 'read:contacts'], ['read:appointments', 'export:contacts']])
    expect(compiled.description).toBe('read:appointments AND (read:contacts OR export:contacts)')
  })

  it.each<[string, readonly (string | ReturnType<typeof anyOf>)[], string[], string]>([
    ['RFC 6750 §3: names the declared scope, not a scope implying it', ['read:appointments'], [], 'read:appointments'],
    ['never suggests admin, though admin alone would do', ['read:appointments', 'read:contacts'], [], 'read:appointments read:contacts'],
    ['all of the declared alternative, even when part is implied by a granted scope', ['read:appointments', 'read:contacts'], ['write:appointments'], 'read:appointments read:contacts'],
    ['implication-aware: a granted scope implying part of an alternative counts, so admin is not chosen', [anyOf(allOf('read:appointments', 'read:contacts'), 'admin')], ['write:appointments'], 'read:appointments read:contacts'],
  ])('scopeToRequest: %s', (_case, requirement, scopes, expected) => {
    const compiled = catalogue.compile(requirement)
    expect(compiled.isSatisfiedBy(granted(...scopes))).toBe(false)
    expect(compiled.scopeToRequest(granted(...scopes))).toBe(expected)
  })

  it('the chosen alternative counts scopes implied by granted ones as present', () => {
    const compiled = catalogue.compile([anyOf(allOf('read:contacts', 'read:appointments'), allOf('export:contacts', 'write:appointments'))])
    // write:appointments covers read:appointments, so the first alternative lacks only read:contacts.
    expect(compiled.scopeToRequest(granted('write:appointments'))).toBe('read:contacts read:appointments')
  })

  it('a scope nothing implies compiles to the single-scope fast path', () => {
    const plain = defineScopeCatalogue({ a: 'A', b: 'B' }).compile(['a'])
    expect(plain.alternatives).toEqual([['a']])
    expect(plain.isSatisfiedBy(granted('a'))).toBe(true)
    expect(plain.isSatisfiedBy(granted('b'))).toBe(false)
  })
})
