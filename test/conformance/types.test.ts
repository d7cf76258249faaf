import type { AccessTokenClaims, AuthError, AuthErrorCode, AuthResult } from '@scopeguard/core'
import { auth as expressAuth, defineScopes as defineExpressScopes, requireAuth as expressRequireAuth, requireScopes as expressRequireScopes, type ScopeRequirement } from '@scopeguard/express'
import { auth as koaAuth, requireAuth as koaRequireAuth, requireScopes as koaRequireScopes } from '@scopeguard/koa'
import type { Request as ExpressRequest, RequestHandler } from 'express'
import type { DefaultState, Middleware } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'

// These assertions are checked by `pnpm typecheck` (tsc over test/); at run time they are no-ops.
describe('public types', () => {
  it('req.auth is augmented onto Express requests, possibly undefined; requireAuth(req) narrows it', () => {
    expectTypeOf<ExpressRequest['auth']>().toEqualTypeOf<AuthResult | undefined>()
    expectTypeOf(expressRequireAuth).returns.toEqualTypeOf<AuthResult>()
    expectTypeOf<ReturnType<typeof expressRequireAuth>['claims']['sub']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<ReturnType<typeof expressRequireAuth>['scopes']>().toEqualTypeOf<ReadonlySet<string>>()
    // On a public route (or with optional: true) there may be no token: strict TypeScript says so.
    const publicRoute: RequestHandler = (req, res) => {
      // @ts-expect-error req.auth is possibly undefined
      res.json(req.auth.claims)
    }
    expectTypeOf(publicRoute).toBeFunction()
  })

  it('ctx.state.auth is augmented onto Koa state, possibly undefined; requireAuth(ctx) narrows it', () => {
    expectTypeOf<DefaultState['auth']>().toEqualTypeOf<AuthResult | undefined>()
    expectTypeOf(koaRequireAuth).returns.toEqualTypeOf<AuthResult>()
    const publicRoute: Middleware = (ctx) => {
      // @ts-expect-error ctx.state.auth is possibly undefined
      ctx.body = ctx.state.auth.claims
    }
    expectTypeOf(publicRoute).toBeFunction()
  })

  it('the middleware factories return framework middleware', () => {
    expectTypeOf(expressAuth).returns.toExtend<RequestHandler>()
    expectTypeOf(expressRequireScopes).returns.toEqualTypeOf<RequestHandler>()
    expectTypeOf(koaAuth).returns.toExtend<Middleware>()
    expectTypeOf(koaRequireScopes).returns.toEqualTypeOf<Middleware>()
  })

  it("auth().requireScopes() is framework middleware, limited to the catalogue's scopes when auth() has one", () => {
    // Never called: a misspelt scope would (rightly) throw at start-up.
    const compileOnly = (): void => {
      const { catalogue } = defineExpressScopes({ 'read:appointments': 'Read', admin: { description: 'All', implies: '*' } })
      const typed = expressAuth({ issuer: 'https://i/', audience: 'a', scopes: catalogue })
      expectTypeOf(typed.requireScopes('read:appointments')).toEqualTypeOf<RequestHandler>()
      // @ts-expect-error not in the catalogue
      typed.requireScopes('read:apointments')
      // @ts-expect-error not in the catalogue, inside a combinator
      typed.requireScopes({ anyOf: ['admin', 'write'] })
      const koaTyped = koaAuth({ issuer: 'https://i/', audience: 'a', scopes: catalogue })
      expectTypeOf(koaTyped.requireScopes('admin')).toEqualTypeOf<Middleware>()
      // @ts-expect-error not in the catalogue
      koaTyped.requireScopes('root')
      // Without a catalogue, any scope.
      expectTypeOf(expressAuth({ issuer: 'https://i/', audience: 'a' }).requireScopes).parameter(0).toEqualTypeOf<ScopeRequirement>()
    }
    expectTypeOf(compileOnly).toBeFunction()
  })

  it('options are checked by the compiler too', () => {
    // @ts-expect-error audience is required
    expectTypeOf(expressAuth).toBeCallableWith({ issuer: 'https://idp.example.com/' })
    // @ts-expect-error unavailableStatus is one of 500, 502, 503, 504
    expectTypeOf(koaAuth).toBeCallableWith({ issuer: 'https://i/', audience: 'a', unavailableStatus: 418 })
    expectTypeOf(expressAuth).toBeCallableWith({ issuer: ['https://a/', 'https://b/'], audience: 'x', scopeClaims: ['scope', 'permissions'] })
  })

  it('claims and errors expose their common members', () => {
    expectTypeOf<AccessTokenClaims['iss']>().toEqualTypeOf<string>()
    expectTypeOf<AccessTokenClaims['client_id']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<AuthError['code']>().toEqualTypeOf<AuthErrorCode>()
    expectTypeOf<AuthError['headers']>().toEqualTypeOf<Record<string, string>>()
  })
})
