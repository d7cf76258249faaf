import type { AuthResult } from '@scopeguard/core'

/**
 * What `auth()` adds to Hono's context variables, as every route sees it: `auth` is set on
 * routes behind `auth()` once the token is verified, and absent on public routes, on the
 * metadata document, and for anonymous requests with `auth({ optional: true })`. Importing
 * this package adds it to Hono's `ContextVariableMap`, so `c.get('auth')` is typed in every
 * app; name it in your app's type to say so explicitly, beside your own variables
 * (`new Hono<{ Variables: AuthVariables & { requestId: string } }>()`), or use
 * {@link ScopeguardEnv}.
 */
export interface AuthVariables {
  /** The verified access token; absent where no `auth()` let a token through. */
  auth?: AuthResult
}

/** A Hono `Env` with {@link AuthVariables}: `new Hono<ScopeguardEnv>()`. */
export interface ScopeguardEnv {
  Variables: AuthVariables
}

/**
 * The environment after a scope guard (`requireScopes()`, `authenticate.requireScopes()`,
 * `defineScopes().requireScopes()`): the guard lets no request through without a verified
 * token, so in the handlers after it `c.get('auth')` is an `AuthResult`, never `undefined`.
 * Hono passes it on to the handlers given after the guard in the same `app.get(...)` call.
 */
export interface AuthenticatedEnv {
  Variables: {
    /** The verified access token, checked against the guard's requirement. */
    auth: AuthResult
  }
}

declare module 'hono' {
  interface ContextVariableMap {
    /**
     * The verified access token, set by `auth()` for `c.get('auth')` in every app. Absent on
     * public routes, on the metadata document, and for anonymous requests with
     * `auth({ optional: true })`; after a scope guard it is always set (see `AuthenticatedEnv`).
     */
    auth?: AuthResult
  }
}
