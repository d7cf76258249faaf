import { describe, expect, it } from 'vitest'
import type { RouteRequirement } from './route-requirement.js'
import { buildOpenApiSecurity, openApiPath, type OpenApiOptions } from './scope-openapi.js'

const ENTRIES = [
  { scope: 'read:appointments', description: 'Read your appointments' },
  { scope: 'write:appointments', description: 'Create and change your appointments' },
  { scope: 'admin', description: 'Full access' },
]
const FLOWS: OpenApiOptions['flows'] = {
  authorizationCode: { authorizationUrl: 'https://idp.example.com/authorize', tokenUrl: 'https://idp.example.com/token' },
}
const route = (method: string, path: string, alternatives: string[][]): RouteRequirement => ({
  method,
  path,
  requirement: { alternatives, description: alternatives.map((a) => a.join(' AND ')).join(' OR ') },
})

describe('openApiPath: Express / Koa paths as OpenAPI path templates', () => {
  it.each<[string, string, string | undefined]>([
    ['a plain path', '/appointments', '/appointments'],
    ['a parameter', '/appointments/:id', '/appointments/{id}'],
    ['several parameters', '/users/:userId/appointments/:id', '/users/{userId}/appointments/{id}'],
    ['Express 4 regex constraint', '/appointments/:id(\\d+)', '/appointments/{id}'],
    ['Express 4 optional parameter', '/appointments/:id?', '/appointments/{id}'],
    ['path-to-regexp 8 optional group', '/appointments{/:id}', '/appointments/{id}'],
    ['path-to-regexp 8 splat', '/files/*path', '/files/{path}'],
    ['a dot in a path', '/export.csv', '/export.csv'],
    ['a regular-expression route', '/re.*gex/', undefined],
  ])('%s: %s', (_case, path, expected) => {
    expect(openApiPath(path)).toBe(expected)
  })
})

describe('buildOpenApiSecurity', () => {
  it('OpenAPI 3.1 §4.8.27: an oauth2 scheme with every scope on every flow', () => {
    const flows = { ...FLOWS, clientCredentials: { tokenUrl: 'https://idp.example.com/token' } }
    expect(buildOpenApiSecurity(ENTRIES, { flows })).toStrictEqual({
      components: {
        securitySchemes: {
          oauth2: {
            type: 'oauth2',
            flows: {
              authorizationCode: {
                authorizationUrl: 'https://idp.example.com/authorize',
                tokenUrl: 'https://idp.example.com/token',
                scopes: { 'read:appointments': 'Read your appointments', 'write:appointments': 'Create and change your appointments', admin: 'Full access' },
              },
              clientCredentials: {
                tokenUrl: 'https://idp.example.com/token',
                scopes: { 'read:appointments': 'Read your appointments', 'write:appointments': 'Create and change your appointments', admin: 'Full access' },
              },
            },
          },
        },
      },
      paths: {},
    })
  })

  it('OpenAPI 3.1 §4.8.30: alternatives are OR-ed requirement objects, scopes in one are AND-ed', () => {
    const result = buildOpenApiSecurity(ENTRIES, { flows: FLOWS, schemeName: 'calendarAuth' }, [
      route('GET', '/appointments', [['read:appointments']]),
      route('POST', '/appointments', [['read:appointments', 'write:appointments']]),
      route('DELETE', '/appointments/:id', [['admin'], ['read:appointments', 'write:appointments']]),
    ])
    expect(Object.keys(result.components.securitySchemes)).toEqual(['calendarAuth'])
    expect(result.paths).toStrictEqual({
      '/appointments': {
        get: { security: [{ calendarAuth: ['read:appointments'] }] },
        post: { security: [{ calendarAuth: ['read:appointments', 'write:appointments'] }] },
      },
      '/appointments/{id}': {
        delete: { security: [{ calendarAuth: ['admin'] }, { calendarAuth: ['read:appointments', 'write:appointments'] }] },
      },
    })
  })

  it("an 'ALL' route covers every operation; the first route for a method wins; regex paths are skipped", () => {
    const result = buildOpenApiSecurity(ENTRIES, { flows: FLOWS }, [
      route('GET', '/a', [['read:appointments']]),
      route('ALL', '/a', [['admin']]),
      route('GET', '/re.*gex/', [['admin']]),
      route('M-SEARCH', '/b', [['admin']]),
    ])
    expect(result.paths).toStrictEqual({
      '/a': {
        get: { security: [{ oauth2: ['read:appointments'] }] },
        ...Object.fromEntries(['put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].map((m) => [m, { security: [{ oauth2: ['admin'] }] }])),
      },
    })
  })

  it.each<[string, unknown, RouteRequirement[], RegExp]>([
    ['no options', undefined, [], /openApi\(\): pass \{ flows \}/],
    ['no flows', {}, [], /`flows` must name at least one OAuth flow/],
    ['empty flows', { flows: {} }, [], /`flows` must name at least one OAuth flow/],
    ['an unknown flow', { flows: { authorization_code: {} } }, [], /unknown flow `authorization_code`; OpenAPI 3.1 flows are implicit, password, clientCredentials, authorizationCode/],
    ['a flow without its URLs', { flows: { authorizationCode: { authorizationUrl: 'https://a' } } }, [], /`flows\.authorizationCode\.tokenUrl` is required/],
    ['a bad scheme name', { flows: FLOWS, schemeName: 'my scheme' }, [], /`schemeName` must be letters, digits/],
    ['a route needing an undeclared scope', { flows: FLOWS }, [route('GET', '/x', [['read:apointments']])], /GET \/x requires "read:apointments", which the catalogue does not declare \(did you mean "read:appointments"\?\)/],
  ])('refuses %s', (_case, options, routes, message) => {
    expect(() => buildOpenApiSecurity(ENTRIES, options as OpenApiOptions, routes)).toThrow(message)
  })
})
