import type { AuthResult } from '@scopeguard/core'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The verified access token, set by `auth()` or a route guard. `undefined` wherever no
       * token was verified: on public routes, and for anonymous requests with
       * `auth({ optional: true })`. Behind `requireScopes()`, read it with `requireAuth(req)`,
       * which returns it typed as present.
       */
      auth?: AuthResult
    }
  }
}

export {}
