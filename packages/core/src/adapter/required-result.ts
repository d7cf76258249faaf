import type { AuthResult } from '../token/auth-result.js'

/**
 * The result a handler behind a route guard can count on, or an `Error` (a 500, not a 401:
 * the route is not guarded as its handler assumes) naming where it was looked for and how to
 * fix the route. Behind each adapter's `requireAuth()`.
 */
export function requiredAuthResult(result: AuthResult | undefined, resultName: string, accessor: string): AuthResult {
  if (result !== undefined) return result
  throw new Error(
    `scopeguard: ${accessor} found no verified token (${resultName} is undefined). Guard the route with ` +
      'requireScopes() behind auth(), or with authenticate.requireScopes(); on a public route, or for a request ' +
      `auth({ optional: true }) let through anonymously, read ${resultName} as possibly undefined instead.`,
  )
}
