import Router from '@koa/router'
import * as scopeguardExpress from '@scopeguard/express'
import * as scopeguardKoa from '@scopeguard/koa'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import express4 from 'express4'
import express5 from 'express5'
import type { Express, RequestHandler } from 'express'
import Koa3 from 'koa3'
import type { Middleware } from 'koa'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { API_PATH, CALENDAR_ADAPTERS, CALENDAR_ROUTES, CALENDAR_SCOPES } from '../support/calendar-apps.js'
import { expectChallenge } from '../support/expect-challenge.js'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

type Case = [name: string, method: 'get' | 'post' | 'delete', path: string, granted: string, status: 200 | 403, scopeAttribute?: string]

const CASES: Case[] = [
  ['the declared scope', 'get', '/appointments', 'read:appointments', 200],
  ['write:appointments implies read:appointments', 'get', '/appointments', 'write:appointments', 200],
  ["admin implies '*'", 'get', '/appointments', 'admin', 200],
  ["admin implies '*' (contacts, nested router)", 'get', '/contacts/7', 'admin', 200],
  ['implication does not run backwards', 'post', '/appointments', 'read:appointments', 403, 'write:appointments'],
  ['RFC 6750 §3: the 403 names the declared scope, never the scope implying it', 'get', '/appointments', 'read:contacts', 403, 'read:appointments'],
  ['any-of: write alone meets allOf(read, write), read being implied', 'delete', '/appointments/1', 'write:appointments', 200],
  ['any-of: the 403 names a declared alternative', 'delete', '/appointments/1', 'read:contacts', 403, 'admin'],
  ['a router-level requireScopes guards the routes after it', 'get', '/admin/stats', 'write:appointments', 403, 'admin'],
  ['the plain requireScopes knows no implications', 'get', '/legacy', 'write:appointments', 403, 'read:appointments'],
]

describe.each(CALENDAR_ADAPTERS)('$name: a declared scope catalogue', (adapter) => {
  const app = () => adapter.app({ issuer: issuer.url, audience: issuer.audience as string })

  it.each(CASES)('%s', async (_name, method, path, granted, status, scopeAttribute) => {
    const token = await issuer.token({ scope: granted })
    const res = await request(app().listener)[method](`${API_PATH}${path}`).set('Authorization', `Bearer ${token}`)
    if (status === 200) {
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      return
    }
    expect(expectChallenge(res, 403, 'insufficient_scope').params.scope).toBe(scopeAttribute)
  })

  it('implications apply to requirements only: the granted scopes stay as the token says', async () => {
    const token = await issuer.token({ scope: 'admin' })
    const res = await request(app().listener).get(`${API_PATH}/appointments`).set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(200)
    expect(res.body.scopes).toEqual(['admin'])
    const me = await request(app().listener).get(`${API_PATH}/me`).set('Authorization', `Bearer ${await issuer.token({ scope: 'write:appointments' })}`)
    expect(me.body.scopes).toEqual(['write:appointments'])
  })

  it('listRoutes: every guarded route with its declared requirement, nested routers and router-level guards included', async () => {
    expect(await app().routes()).toEqual(CALENDAR_ROUTES)
  })

  it('openApi: the security scheme with every scope, and each route its security (any-of as alternatives)', async () => {
    const built = app()
    const document = built.catalogue.openApi(
      { schemeName: 'calendarAuth', flows: { authorizationCode: { authorizationUrl: `${issuer.url}authorize`, tokenUrl: `${issuer.url}token` } } },
      await built.routes(),
    )
    expect(document.components.securitySchemes.calendarAuth).toStrictEqual({
      type: 'oauth2',
      flows: {
        authorizationCode: {
          authorizationUrl: `${issuer.url}authorize`,
          tokenUrl: `${issuer.url}token`,
          scopes: {
            'read:appointments': 'Read your appointments',
            'write:appointments': 'Create and change your appointments',
            'read:contacts': 'Read your contacts',
            admin: 'Full access',
          },
        },
      },
    })
    expect(document.paths).toStrictEqual({
      '/api/calendar/appointments': {
        get: { security: [{ calendarAuth: ['read:appointments'] }] },
        post: { security: [{ calendarAuth: ['write:appointments'] }] },
      },
      '/api/calendar/appointments/{id}': {
        delete: { security: [{ calendarAuth: ['admin'] }, { calendarAuth: ['read:appointments', 'write:appointments'] }] },
      },
      '/api/calendar/legacy': { get: { security: [{ calendarAuth: ['read:appointments'] }] } },
      '/api/calendar/contacts/{id}': { get: { security: [{ calendarAuth: ['read:contacts'] }] } },
      '/api/calendar/admin/stats': { get: { security: [{ calendarAuth: ['admin'] }] } },
    })
  })

  it('groupByResource: scopes by resource for a consent screen, "Other" last', () => {
    expect(app().catalogue.groupByResource()).toEqual([
      {
        resource: 'appointments',
        title: 'Appointments',
        summary: 'Appointments: read and write your appointments',
        scopes: [
          { scope: 'read:appointments', description: 'Read your appointments' },
          { scope: 'write:appointments', description: 'Create and change your appointments' },
        ],
      },
      { resource: 'contacts', title: 'Contacts', summary: 'Contacts: read your contacts', scopes: [{ scope: 'read:contacts', description: 'Read your contacts' }] },
      { resource: null, title: 'Other', summary: 'Other: Full access', scopes: [{ scope: 'admin', description: 'Full access' }] },
    ])
  })
})

describe.each([
  ['express', scopeguardExpress.defineScopes],
  ['koa', scopeguardKoa.defineScopes],
] as const)('%s: defineScopes() checks everything at start-up', (_name, defineScopes) => {
  it('a typo in requireScopes fails with a suggestion', () => {
    const { requireScopes } = defineScopes(CALENDAR_SCOPES)
    expect(() => requireScopes('read:apointments' as 'read:appointments')).toThrow(
      /requireScopes\(\): "read:apointments" is not in the scope catalogue\. Did you mean "read:appointments"\?/,
    )
  })

  it('a typo nested in anyOf fails too', () => {
    const { requireScopes } = defineScopes(CALENDAR_SCOPES)
    expect(() => requireScopes({ anyOf: ['admin', 'write:apointments' as 'admin'] })).toThrow(/Did you mean "write:appointments"\?/)
  })

  it('a bad definition names defineScopes()', () => {
    expect(() => defineScopes({ read: 'Read', write: { description: 'Write', implies: ['raed' as 'read'] } })).toThrow(
      /^scopeguard: defineScopes\(\): "write" implies "raed", which is not declared\. Did you mean "read"\?/,
    )
  })

  it('every middleware requireScopes returns carries its requirement', () => {
    const { requireScopes } = defineScopes(CALENDAR_SCOPES)
    const tagged = requireScopes('read:appointments') as unknown as Record<symbol, { description: string }>
    expect(tagged[Symbol.for('scopeguard.requirement')]?.description).toBe('read:appointments')
  })
})

describe('listRoutes: route shapes beyond the calendar app', () => {
  it.each([
    ['express 4', express4 as unknown as typeof express5],
    ['express 5', express5],
  ])('%s: mount parameters, path arrays, all(), stacked guards, guards by prefix and order', (_name, expressModule) => {
    const { requireScopes, listRoutes, anyOf } = scopeguardExpress
    const app: Express = expressModule()
    const ok: RequestHandler = (_req, res) => {
      res.end()
    }
    app.get('/before', ok)
    app.use('/admin', requireScopes('admin'))
    app.get('/admin/users', ok)
    app.get('/administrators', requireScopes('staff'), ok)
    app.get(['/a', '/b'], requireScopes('read'), ok)
    app.all('/any', requireScopes('read'), ok)
    app.put('/both', requireScopes(anyOf('x', 'y')), requireScopes('z'), ok)
    const users = expressModule.Router({ mergeParams: true })
    users.get('/:itemId', requireScopes('read:items'), ok)
    app.use('/users/:userId/items', users)
    app.get('/unguarded', ok)
    const row = (method: string, path: string, alternatives: string[][], description: string) => ({ method, path, requirement: { alternatives, description } })
    expect(listRoutes(app)).toEqual([
      row('GET', '/admin/users', [['admin']], 'admin'),
      row('GET', '/administrators', [['staff']], 'staff'),
      row('GET', '/a', [['read']], 'read'),
      row('GET', '/b', [['read']], 'read'),
      row('ALL', '/any', [['read']], 'read'),
      row('PUT', '/both', [['x', 'z'], ['y', 'z']], '(x OR y) AND z'),
      row('GET', '/users/:userId/items/:itemId', [['read:items']], 'read:items'),
    ])
    // A router can be listed by itself, and an app without routes lists nothing.
    expect(listRoutes(users)).toEqual([row('GET', '/:itemId', [['read:items']], 'read:items')])
    expect(listRoutes(expressModule())).toEqual([])
  })

  it('koa: a router or the app, router.all(), HEAD folded into GET, nested prefixes', () => {
    const { requireScopes, listRoutes } = scopeguardKoa
    const router = new Router()
    const ok: Middleware = (ctx) => {
      ctx.body = ''
    }
    router.get('/before', ok)
    router.all('/any', requireScopes('read'), ok)
    const nested = new Router({ prefix: '/deep' })
    nested.get('/:id', requireScopes('read:items'), ok)
    router.use('/items', nested.routes())
    const app = new Koa3()
    app.use(router.routes())
    const expected = [
      { method: 'ALL', path: '/any', requirement: { alternatives: [['read']], description: 'read' } },
      { method: 'GET', path: '/items/deep/:id', requirement: { alternatives: [['read:items']], description: 'read:items' } },
    ]
    expect(listRoutes(router)).toEqual(expected)
    expect(listRoutes(app)).toEqual(expected)
  })
})

describe('type-level: a catalogue typo is a compile error', () => {
  it('requireScopes only takes declared scopes, nested ones included', () => {
    const express = scopeguardExpress.defineScopes(CALENDAR_SCOPES)
    const koa = scopeguardKoa.defineScopes(CALENDAR_SCOPES)
    const { anyOf, allOf } = scopeguardExpress
    expectTypeOf(express.requireScopes).toBeCallableWith('read:appointments', anyOf('admin', allOf('read:appointments', 'write:appointments')))
    expectTypeOf(express.catalogue.scopes).toEqualTypeOf<readonly ('read:appointments' | 'write:appointments' | 'read:contacts' | 'admin')[]>()
    // @ts-expect-error 'read:apointments' is not in the catalogue
    expectTypeOf(express.requireScopes).toBeCallableWith('read:apointments')
    // @ts-expect-error a typo nested in anyOf / allOf
    expectTypeOf(koa.requireScopes).toBeCallableWith(anyOf('admin', allOf('read:apointments')))
    // @ts-expect-error implies must name a declared scope
    expect(() => scopeguardKoa.defineScopes({ read: 'Read', write: { description: 'Write', implies: ['raed'] } })).toThrow(/"raed"/)
    expectTypeOf(express.requireScopes).returns.toEqualTypeOf<RequestHandler>()
    expectTypeOf(koa.requireScopes).returns.toEqualTypeOf<Middleware>()
  })
})
