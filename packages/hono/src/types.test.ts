import type { AuthResult } from '@scopeguard/core'
import { Hono, type MiddlewareHandler } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import { auth, defineScopes, requireScopes, type AuthenticatedEnv, type HonoAuth, type ScopeGuard, type ScopeguardEnv } from './index.js'

// Checked by `pnpm typecheck` (tsc over packages/*/src); at run time these are no-ops.
describe('hono: public types', () => {
  it("c.get('auth') is possibly absent on any route, and an AuthResult after a scope guard", () => {
    const compileOnly = (): void => {
      const authenticate = auth({ issuer: 'https://i/', audience: 'a' })
      const app = new Hono()
      app.use(authenticate)
      app.get('/public', (c) => {
        expectTypeOf(c.get('auth')).toEqualTypeOf<AuthResult | undefined>()
        return c.text('ok')
      })
      app.get('/guarded', requireScopes('read'), (c) => {
        expectTypeOf(c.get('auth')).toEqualTypeOf<AuthResult>()
        expectTypeOf(c.var.auth.claims.sub).toEqualTypeOf<string | undefined>()
        return c.text('ok')
      })
      app.get('/protected/:id', authenticate.protect(['read'], (c) => {
        expectTypeOf(c.get('auth')).toEqualTypeOf<AuthResult>()
        expectTypeOf(c.req.param('id')).toEqualTypeOf<string | undefined>()
        return c.text('ok')
      }))
      app.get('/bound', authenticate.requireScopes('read'), (c) => {
        expectTypeOf(c.get('auth').scopes).toEqualTypeOf<ReadonlySet<string>>()
        return c.text('ok')
      })
      const typed = new Hono<ScopeguardEnv>()
      typed.get('/', (c) => {
        expectTypeOf(c.get('auth')).toEqualTypeOf<AuthResult | undefined>()
        return c.text('ok')
      })
    }
    expectTypeOf(compileOnly).toBeFunction()
  })

  it('the factories return Hono middleware; the metadata endpoint promises no auth', () => {
    expectTypeOf(auth).returns.toExtend<MiddlewareHandler<ScopeguardEnv>>()
    expectTypeOf(requireScopes).returns.toEqualTypeOf<ScopeGuard>()
    expectTypeOf<ScopeGuard>().toEqualTypeOf<MiddlewareHandler<AuthenticatedEnv>>()
    expectTypeOf<HonoAuth['metadataEndpoint']>().toEqualTypeOf<MiddlewareHandler>()
  })

  it("requireScopes is limited to the catalogue's scopes", () => {
    const compileOnly = (): void => {
      const { catalogue, requireScopes: guard } = defineScopes({ 'read:notes': 'Read', admin: { description: 'All', implies: '*' } })
      expectTypeOf(guard('read:notes')).toEqualTypeOf<ScopeGuard>()
      // @ts-expect-error not in the catalogue
      guard('read:nots')
      const typed = auth({ issuer: 'https://i/', audience: 'a', scopes: catalogue })
      expectTypeOf(typed.requireScopes('admin')).toEqualTypeOf<ScopeGuard>()
      // @ts-expect-error not in the catalogue
      typed.requireScopes('root')
    }
    expectTypeOf(compileOnly).toBeFunction()
  })

  it('options are checked by the compiler too', () => {
    // @ts-expect-error audience is required
    expectTypeOf(auth).toBeCallableWith({ issuer: 'https://idp.example.com/' })
  })
})
