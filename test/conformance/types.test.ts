import type { AccessTokenClaims, AuthError, AuthErrorCode, AuthResult } from '@scopeguard/core'
import { auth as expressAuth, requireScopes as expressRequireScopes } from '@scopeguard/express'
import { auth as koaAuth, requireScopes as koaRequireScopes } from '@scopeguard/koa'
import type { Request as ExpressRequest, RequestHandler } from 'express'
import type { DefaultState, Middleware } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'

// These assertions are checked by `pnpm typecheck` (tsc over test/); at run time they are no-ops.
describe('public types', () => {
  it('req.auth is augmented onto Express requests', () => {
    expectTypeOf<ExpressRequest['auth']>().toEqualTypeOf<AuthResult>()
    expectTypeOf<ExpressRequest['auth']['claims']['sub']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<ExpressRequest['auth']['scopes']>().toEqualTypeOf<ReadonlySet<string>>()
  })

  it('ctx.state.auth is augmented onto Koa state', () => {
    expectTypeOf<DefaultState['auth']>().toEqualTypeOf<AuthResult>()
  })

  it('the middleware factories return framework middleware', () => {
    expectTypeOf(expressAuth).returns.toEqualTypeOf<RequestHandler>()
    expectTypeOf(expressRequireScopes).returns.toEqualTypeOf<RequestHandler>()
    expectTypeOf(koaAuth).returns.toEqualTypeOf<Middleware>()
    expectTypeOf(koaRequireScopes).returns.toEqualTypeOf<Middleware>()
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
