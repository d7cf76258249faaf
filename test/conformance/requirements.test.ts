import { allOf, anyOf } from '@scopeguard/core'
import * as scopeguardExpress from '@scopeguard/express'
import * as scopeguardKoa from '@scopeguard/koa'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { expectChallenge } from '../support/expect-challenge.js'

let issuer: FakeIssuer
beforeAll(async () => {
  issuer = await createFakeIssuer()
})
afterAll(() => issuer.close())

type Case = [name: string, granted: string, route: string, status: 200 | 403, scopeAttribute?: string]

// Routes and their requirements are in test/support/adapters.ts (ROUTES).
const CASES: Case[] = [
  ['all-of with one scope: granted', 'read:appointments', '/appointments', 200],
  ['all-of with one scope: missing', 'read:contacts', '/appointments', 403, 'read:appointments'],
  ['all-of: both granted', 'read:appointments write:appointments', '/appointments/write', 200],
  ['all-of: one missing → scope names every scope the route needs', 'read:appointments', '/appointments/write', 403, 'read:appointments write:appointments'],
  ['any-of: the first alternative', 'admin', '/admin-or-read-write', 200],
  ['any-of: the nested all-of alternative', 'read write', '/admin-or-read-write', 200],
  ['any-of: half of the nested alternative is not enough', 'read', '/admin-or-read-write', 403, 'admin'],
  ['any-of: with nothing relevant, scope names the first alternative', 'other', '/admin-or-read-write', 403, 'admin'],
  ['exact match: a prefix is not the scope', 'notread:appointments', '/appointments', 403, 'read:appointments'],
  ['exact match: an extension is not the scope', 'read:appointments:extra', '/appointments', 403, 'read:appointments'],
  ['exact match: case-sensitive (RFC 6749 §3.3)', 'READ:APPOINTMENTS', '/appointments', 403, 'read:appointments'],
  ['URL-shaped scopes (Google) match exactly', 'https://www.googleapis.com/auth/drive.readonly', '/drive', 200],
  ['URL-shaped scopes: a parent URL is not the scope', 'https://www.googleapis.com/auth/drive', '/drive', 403, 'https://www.googleapis.com/auth/drive.readonly'],
  ['colon-heavy scopes (Mendix) match exactly', 'mx:user:profile:v1:read', '/profile', 200],
]

describe.each(ADAPTERS)('$name: scope requirements', (adapter) => {
  const app = () => adapter.app({ issuer: issuer.url, audience: issuer.audience as string })

  it.each(CASES)('%s', async (_name, granted, route, status, scopeAttribute) => {
    const token = await issuer.token({ scope: granted })
    const res = await request(app()).get(route).set('Authorization', `Bearer ${token}`)
    if (status === 200) {
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body.scopes).toEqual(granted.split(' '))
      return
    }
    // RFC 6750 §3.1: insufficient_scope → 403, with the scope attribute naming what is needed.
    const challenge = expectChallenge(res, 403, 'insufficient_scope')
    expect(challenge.params.scope).toBe(scopeAttribute)
  })

  it('RFC 6749 §3.3: granted values outside the scope grammar are never granted', async () => {
    const token = await issuer.token({ scopeStyle: 'scp', scope: ['read:appointments"', 'read:appointments\\'] })
    const res = await request(app()).get('/appointments').set('Authorization', `Bearer ${token}`)
    expectChallenge(res, 403, 'insufficient_scope')
  })

  it('a valid token without any scope claim is authenticated but has no scopes', async () => {
    const token = await issuer.token()
    const res = await request(app()).get('/me').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(200)
    expect(res.body.auth.scopes).toEqual([])
  })
})

describe.each([
  ['express', scopeguardExpress.requireScopes],
  ['koa', scopeguardKoa.requireScopes],
] as const)('%s: requirements are checked when declared', (_name, requireScopes) => {
  it.each([
    ['a scope with a space', () => requireScopes('read appointments'), /"read appointments" in .* is not a valid scope/],
    ['an empty scope', () => requireScopes(''), /"" in .* is not a valid scope/],
    ['a quote in a scope', () => requireScopes('read"x'), /is not a valid scope/],
    ['no scope at all', () => requireScopes(), /lists no scopes/],
    ['an empty anyOf', () => requireScopes(anyOf()), /lists no scopes/],
    ['an array instead of spread arguments', () => requireScopes(['a'] as unknown as string), /an array \(spread it/],
    ['a number', () => requireScopes(42 as unknown as string), /must be a scope string, allOf\(\.\.\.\) or anyOf\(\.\.\.\); got number/],
  ])('%s throws at start-up', (_case, declare, message) => {
    expect(declare).toThrow(message)
  })

  it('accepts nesting: admin, or both read and write', () => {
    expect(() => requireScopes(anyOf('admin', allOf('read', 'write')))).not.toThrow()
  })
})
