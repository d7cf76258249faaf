import type { AuthResult } from '@scopeguard/core'

declare module 'koa' {
  interface DefaultState {
    /**
     * The verified access token, set by `auth()`. Present on every route behind `auth()`,
     * except for anonymous requests when `auth({ optional: true })` is used; never set
     * when authentication failed.
     */
    auth: AuthResult
  }
}

export {}
