import type { AuthResult } from '@scopeguard/core'

declare module 'koa' {
  interface DefaultState {
    /**
     * The verified access token, set by `auth()` or a route guard. `undefined` wherever no
     * token was verified: on public routes, and for anonymous requests with
     * `auth({ optional: true })`. Behind `requireScopes()`, read it with `requireAuth(ctx)`,
     * which returns it typed as present.
     */
    auth?: AuthResult
  }
}

export {}
