import { Hono, type Context } from 'hono'
import { describe, expect, it } from 'vitest'
import { options } from '../test/tokens.js'
import { allOf, anyOf, auth, defineScopes, listRoutes, requireScopes } from './index.js'

const reply = (c: Context) => c.json({ sub: c.get('auth')?.claims.sub })
const only = (scope: string) => ({ alternatives: [[scope]], description: scope })

describe('hono: listRoutes()', () => {
  it('the calendar API: catalogue and plain guards, sub-apps under app.route(), a guard given to use()', () => {
    const { catalogue, requireScopes: guard } = defineScopes({
      'read:appointments': 'Read your appointments',
      'write:appointments': { description: 'Create and change your appointments', implies: ['read:appointments'] },
      'read:contacts': 'Read your contacts',
      admin: { description: 'Full access', implies: '*' },
    })
    const app = new Hono()
    app.use(auth(options({ scopes: catalogue })))
    const api = new Hono()
    api.get('/appointments', guard('read:appointments'), reply)
    api.post('/appointments', guard('write:appointments'), reply)
    api.delete('/appointments/:id', guard(anyOf('admin', allOf('read:appointments', 'write:appointments'))), reply)
    api.get('/legacy', requireScopes('read:appointments'), reply)
    api.get('/me', reply)
    const contacts = new Hono()
    contacts.get('/:id', guard('read:contacts'), reply)
    api.route('/contacts', contacts)
    const admin = new Hono()
    admin.use(guard('admin'))
    admin.get('/stats', reply)
    api.route('/admin', admin)
    app.route('/api/calendar', api)

    expect(listRoutes(app)).toEqual([
      { method: 'GET', path: '/api/calendar/appointments', requirement: only('read:appointments') },
      { method: 'POST', path: '/api/calendar/appointments', requirement: only('write:appointments') },
      {
        method: 'DELETE',
        path: '/api/calendar/appointments/:id',
        requirement: { alternatives: [['admin'], ['read:appointments', 'write:appointments']], description: 'admin OR (read:appointments AND write:appointments)' },
      },
      { method: 'GET', path: '/api/calendar/legacy', requirement: only('read:appointments') },
      { method: 'GET', path: '/api/calendar/contacts/:id', requirement: only('read:contacts') },
      { method: 'GET', path: '/api/calendar/admin/stats', requirement: only('admin') },
    ])
  })

  it('auth().requireScopes() guards are listed; app.all() routes are ALL; app.on() lists each method', () => {
    const authenticate = auth(options())
    const app = new Hono()
    app.get('/appointments', authenticate.requireScopes('read:appointments'), reply)
    app.get('/health', reply)
    app.all('/me', authenticate.requireScopes('profile'), reply)
    app.on(['PUT', 'PATCH'], '/appointments/:id', authenticate.requireScopes('write:appointments'), reply)
    expect(listRoutes(app)).toEqual([
      { method: 'GET', path: '/appointments', requirement: only('read:appointments') },
      { method: 'ALL', path: '/me', requirement: only('profile') },
      { method: 'PUT', path: '/appointments/:id', requirement: only('write:appointments') },
      { method: 'PATCH', path: '/appointments/:id', requirement: only('write:appointments') },
    ])
  })

  it('a use() guard covers the routes after it that its path matches, and adds to their own guards', () => {
    const app = new Hono()
    app.get('/admin/early', reply) // registered before the guard: Hono never runs it for this route
    app.use('/admin/*', requireScopes('admin'))
    app.get('/admin', reply)
    app.get('/admin/users/:id', requireScopes(anyOf('read:users', 'support')), reply)
    app.get('/administrators', reply)
    app.use('/teams/:team/*', requireScopes('teams'))
    app.post('/teams/:id/members', reply)
    expect(listRoutes(app)).toEqual([
      { method: 'GET', path: '/admin', requirement: only('admin') },
      { method: 'GET', path: '/admin/users/:id', requirement: { alternatives: [['admin', 'read:users'], ['admin', 'support']], description: 'admin AND (read:users OR support)' } },
      { method: 'POST', path: '/teams/:id/members', requirement: only('teams') },
    ])
  })

  it('sees through the wrapper app.route() puts around a sub-app with its own onError', () => {
    const sub = new Hono()
    sub.onError((err, c) => c.text(err.message, 500))
    sub.get('/notes', requireScopes('read:notes'), reply)
    const app = new Hono().route('/v1', sub)
    expect(listRoutes(app)).toEqual([{ method: 'GET', path: '/v1/notes', requirement: only('read:notes') }])
  })

  it('an app without guards lists nothing', () => {
    const app = new Hono()
    app.use(auth(options()))
    app.get('/me', reply)
    expect(listRoutes(app)).toEqual([])
  })

  it('lists a route whose handler authenticate.protect() wrapped, with the guards before it', () => {
    const authenticate = auth(options())
    const app = new Hono()
    app.use('/admin/*', requireScopes('admin'))
    app.get('/admin/stats', authenticate.protect(['read:stats'], (c) => c.text('ok')))
    app.get('/open', (c) => c.text('ok'))
    expect(listRoutes(app)).toEqual([
      { method: 'GET', path: '/admin/stats', requirement: { alternatives: [['admin', 'read:stats']], description: 'admin AND read:stats' } },
    ])
  })
})
