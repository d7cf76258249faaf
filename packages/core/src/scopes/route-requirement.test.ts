import { describe, expect, it } from 'vitest'
import { anyOf, compileRequirement } from './requirement.js'
import { combineRequirements, joinRoutePath, prefixCovers, REQUIREMENT, requirementOf, routeMethods, tagRequirement } from './route-requirement.js'

describe('tagRequirement / requirementOf', () => {
  it('tags under Symbol.for("scopeguard.requirement"), not enumerable', () => {
    const requirement = compileRequirement(['read'])
    const middleware = tagRequirement(function guarded() {}, requirement)
    expect(REQUIREMENT).toBe(Symbol.for('scopeguard.requirement'))
    expect(requirementOf(middleware)).toBe(requirement)
    expect(Object.getOwnPropertySymbols(middleware)).toContain(REQUIREMENT)
    expect(Object.keys(middleware)).toEqual([])
  })

  it.each([['undefined', undefined], ['a plain function', () => {}], ['a string', 'read'], ['a malformed tag', Object.assign(() => {}, { [REQUIREMENT]: { alternatives: 'x' } })]])(
    'reads nothing from %s',
    (_case, value) => {
      expect(requirementOf(value)).toBeUndefined()
    },
  )
})

describe('combineRequirements', () => {
  it('one requirement is listed as it is', () => {
    const requirement = compileRequirement([anyOf('admin', 'read')])
    expect(combineRequirements([requirement])).toEqual({ alternatives: [['admin'], ['read']], description: 'admin OR read' })
  })

  it('several must all hold: the product of their alternatives', () => {
    const combined = combineRequirements([compileRequirement([anyOf('admin', 'staff')]), compileRequirement(['read'])])
    expect(combined).toEqual({ alternatives: [['admin', 'read'], ['staff', 'read']], description: '(admin OR staff) AND read' })
  })
})

describe('route paths and methods', () => {
  it.each([
    ['', '/items', '/items'],
    ['', '/', '/'],
    ['/api', '/', '/api'],
    ['/api/', '/items', '/api/items'],
    ['/api', 'items', '/api/items'],
    ['/api', '/items/:id', '/api/items/:id'],
  ])('joinRoutePath(%j, %j) → %j', (prefix, path, expected) => {
    expect(joinRoutePath(prefix, path)).toBe(expected)
  })

  it.each<[string, string, boolean]>([
    ['', '/anything', true],
    ['/admin', '/admin', true],
    ['/admin', '/admin/users', true],
    ['/admin/', '/admin/users', true],
    ['/admin', '/administrators', false],
    ['/admin', '/', false],
  ])('prefixCovers(%j, %j) → %s', (prefix, path, expected) => {
    expect(prefixCovers(prefix, path)).toBe(expected)
  })

  it.each<[string[], string[]]>([
    [['get'], ['GET']],
    [['HEAD', 'GET'], ['GET']],
    [['HEAD'], ['HEAD']],
    [['post', 'put'], ['POST', 'PUT']],
    [['GET', 'GET'], ['GET']],
    [['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT', 'MKCOL'], ['ALL']],
  ])('routeMethods(%j) → %j', (methods, expected) => {
    expect(routeMethods(methods)).toEqual(expected)
  })
})
