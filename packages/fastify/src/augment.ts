import type { AuthResult } from '@scopeguard/core'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified access token, set by the `auth()` plugin's hook or by a route guard
     * (`authenticate.requireScopes(...)`, `authenticate.hook`). `undefined` wherever no token
     * was verified: on public routes, for anonymous requests with `auth({ optional: true })`,
     * and never set when authentication failed. The plugin declares it once
     * (`decorateRequest('auth', undefined)`), so every request keeps one shape.
     */
    auth: AuthResult | undefined
  }
}

export {}
