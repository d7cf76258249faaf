import type { RequestListener } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import type { AuthOptions } from '@scopeguard/core'
import { auth, requireScopes, type AuthenticatedEnv } from '@scopeguard/hono'
import { Hono, type Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ROUTES, type AppErrorShape, type GuardStyle } from './adapters.js'

/**
 * The conformance app on Hono 4, served by @hono/node-server as a Node request listener:
 * ROUTES behind requireScopes() (or with handlers wrapped by `authenticate.protect()`), `/me`,
 * and an `app.onError` renderer for handleErrors: false.
 * No body parser: with acceptBodyToken, auth() reads the form body itself.
 */
export function honoApp(options: AuthOptions, style: GuardStyle | 'protect'): RequestListener {
  const authenticate = auth(options)
  const app = new Hono()
  app.onError((err, c) => {
    const e = err as { status?: number; code?: string; headers?: Record<string, string> }
    const status = (e.status ?? 500) as ContentfulStatusCode
    const body: AppErrorShape = { handledBy: 'app', status, code: e.code ?? 'unknown', isHttpError: 'expose' in err }
    return c.json(body, status, e.headers)
  })
  if (style === 'app-wide') app.use(authenticate)
  const me = (c: Context) => {
    const result = c.get('auth')
    return c.json({ auth: result === undefined ? null : { ...result, scopes: [...result.scopes] } })
  }
  if (style === 'app-wide') app.all('/me', me)
  else app.all('/me', authenticate, me)
  const answer = (c: Context<AuthenticatedEnv>) => c.json({ sub: c.get('auth').claims.sub, scopes: [...c.get('auth').scopes] })
  for (const [path, requirement] of Object.entries(ROUTES)) {
    // `protect`: the route guard wrapped around the handler, one handler per route.
    if (style === 'protect') app.all(path, authenticate.protect(requirement, answer))
    else app.all(path, (style === 'app-wide' ? requireScopes : authenticate.requireScopes)(...requirement), answer)
  }
  return getRequestListener(app.fetch)
}
