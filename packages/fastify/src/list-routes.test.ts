import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { anyOf, auth, defineScopes, listRoutes, requireScopes } from './index.js'

const OPTIONS = { issuer: 'https://idp.example.com/', audience: 'https://api.example.com/projects' }

const apps: FastifyInstance[] = []
function app(): FastifyInstance {
  const created = Fastify()
  apps.push(created)
  return created
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((created) => created.close()))
})

const row = (method: string, path: string, alternatives: string[][], description: string) => ({ method, path, requirement: { alternatives, description } })
const ok = async () => ({})

describe('listRoutes', () => {
  it('prefixes, nested plugins, all(), method lists, stacked guards, the HEAD beside GET left out', async () => {
    const authenticate = auth(OPTIONS)
    const fastify = app()
    await fastify.register(authenticate, { global: false })
    fastify.get('/before', ok)
    fastify.get('/projects', { onRequest: authenticate.requireScopes('read') }, ok)
    fastify.all('/any', { preHandler: requireScopes('read') }, ok)
    fastify.route({ method: ['PUT', 'PATCH'], url: '/both', preValidation: requireScopes(anyOf('x', 'y')), preHandler: [requireScopes('z')], handler: ok })
    fastify.head('/head-only', { preHandler: requireScopes('peek') }, ok)
    await fastify.register(async (api) => {
      api.get('/items/:id', { preHandler: requireScopes('read:items') }, ok)
      await api.register(async (deep) => {
        deep.delete('/:id', { preHandler: requireScopes('admin') }, ok)
      }, { prefix: '/deep' })
    }, { prefix: '/api' })
    fastify.get('/unguarded', ok)
    await fastify.ready()
    expect(listRoutes(fastify)).toEqual([
      row('GET', '/projects', [['read']], 'read'),
      row('ALL', '/any', [['read']], 'read'),
      row('PUT', '/both', [['x', 'z'], ['y', 'z']], '(x OR y) AND z'),
      row('PATCH', '/both', [['x', 'z'], ['y', 'z']], '(x OR y) AND z'),
      row('HEAD', '/head-only', [['peek']], 'peek'),
      row('GET', '/api/items/:id', [['read:items']], 'read:items'),
      row('DELETE', '/api/deep/:id', [['admin']], 'admin'),
    ])
  })

  it("a plugin-wide guard is listed when the plugin's onRoute hook puts it on each route, not when it is added with addHook()", async () => {
    const { requireScopes: catalogueScopes } = defineScopes({ admin: 'Full access', read: 'Read' })
    const fastify = app()
    await fastify.register(auth(OPTIONS))
    await fastify.register(async (admin) => {
      const guard = catalogueScopes('admin')
      admin.addHook('onRoute', (route) => {
        route.preHandler = [guard, ...[route.preHandler ?? []].flat()]
      })
      admin.get('/stats', { preHandler: catalogueScopes('read') }, ok)
    }, { prefix: '/admin' })
    await fastify.register(async (hidden) => {
      hidden.addHook('preHandler', requireScopes('admin'))
      hidden.get('/secret', ok)
    })
    await fastify.ready()
    expect(listRoutes(fastify)).toEqual([row('GET', '/admin/stats', [['admin', 'read']], 'admin AND read')])
  })

  it('lists each route once under two auth() plugins, from any context of the app', async () => {
    const fastify = app()
    await fastify.register(auth(OPTIONS))
    let child: FastifyInstance | undefined
    await fastify.register(async (api) => {
      await api.register(auth({ ...OPTIONS, realm: 'api' }))
      api.get('/items', { preHandler: requireScopes('read') }, ok)
      child = api
    }, { prefix: '/api' })
    await fastify.ready()
    expect(listRoutes(fastify)).toEqual([row('GET', '/api/items', [['read']], 'read')])
    expect(child === undefined ? [] : listRoutes(child)).toEqual(listRoutes(fastify))
  })

  it('an app no auth() plugin was registered on: a TypeError that says what to register', () => {
    const fastify = app()
    fastify.get('/projects', { onRequest: auth(OPTIONS).requireScopes('read') }, ok)
    expect(() => listRoutes(fastify)).toThrow(TypeError)
    expect(() => listRoutes(fastify)).toThrow(/await app\.register\(authenticate\)/)
  })
})
