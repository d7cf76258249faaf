import type { RouteRequirement } from '@scopeguard/core'
import { combineRequirements, requirementOf, type CompiledRequirement } from '@scopeguard/core/adapter'
import { isProtectedHandler } from './protected-handler.js'

/** One entry of a Hono app's `routes`: Hono keeps one per handler, middleware included. */
export interface RouteEntry {
  readonly method: string
  readonly path: string
  readonly handler: unknown
}

/** A Hono app (or anything keeping Hono's `routes`): `app.route()` and `basePath()` copy into it. */
export interface RoutesLike {
  readonly routes: readonly RouteEntry[]
}

// `app.route()` wraps the handlers of a sub-app that has its own `onError`, and keeps the
// original under this key (hono/utils/constants, not a public export).
const COMPOSED_HANDLER = '__COMPOSED_HANDLER'

/** The entries of one method and path: a route (with its handler) or middleware. */
interface Group {
  readonly method: string
  readonly path: string
  /** The guards among the entries, with their position in `routes`. */
  readonly guards: { readonly index: number; readonly requirement: CompiledRequirement }[]
  /** The position of the last entry that is not a guard: the route's handler. */
  handlerIndex: number
}

/**
 * Lists the routes guarded by `requireScopes()` (plain, bound to an `auth()`, or from
 * `defineScopes()`), with the requirement each one has, for documentation and
 * `catalogue.openApi()`. Reads `app.routes`, where Hono keeps every handler with its method
 * and path, sub-apps added with `app.route()` included. A guard registered with `app.use()`
 * (`app.use('/admin/*', requireScopes('admin'))`) applies to the routes registered after it
 * that its path matches, as Hono runs it. Routes are listed with their method
 * (`'ALL'` for `app.all()`) and path as declared (`/appointments/:id`).
 */
export function listRoutes(app: RoutesLike): RouteRequirement[] {
  const groups = new Map<string, Group>()
  app.routes.forEach((entry, index) => {
    const key = `${entry.method} ${entry.path}`
    let group = groups.get(key)
    if (group === undefined) groups.set(key, (group = { method: entry.method, path: entry.path, guards: [], handlerIndex: -1 }))
    const handler = unwrap(entry.handler)
    const requirement = requirementOf(handler)
    // A handler from authenticate.protect() is the route's handler and its own guard.
    if (requirement === undefined || isProtectedHandler(handler)) group.handlerIndex = index
    if (requirement !== undefined) group.guards.push({ index, requirement })
  })
  const all = [...groups.values()]
  // Middleware: guards without a handler of their own, or app.use() with a wildcard path.
  const middleware = all.filter((group) => !isRoute(group)).flatMap((group) =>
    group.guards.map((guard) => ({ ...guard, method: group.method, matches: pathMatcher(group.path) })))
  const routes: RouteRequirement[] = []
  for (const group of all) {
    if (!isRoute(group)) continue
    // Only what Hono runs up to the handler: guards registered later never see the request.
    const before = (index: number): boolean => index <= group.handlerIndex
    const requirements = [
      ...middleware
        .filter((guard) => before(guard.index) && (guard.method === 'ALL' || guard.method === group.method) && guard.matches(group.path))
        .map((guard) => guard.requirement),
      ...group.guards.filter((guard) => before(guard.index)).map((guard) => guard.requirement),
    ]
    if (requirements.length > 0) routes.push({ method: group.method, path: group.path, requirement: combineRequirements(requirements) })
  }
  return routes
}

function unwrap(handler: unknown): unknown {
  const original = typeof handler === 'function' ? (handler as { [COMPOSED_HANDLER]?: unknown })[COMPOSED_HANDLER] : undefined
  return original ?? handler
}

/** A route has a handler; `app.use()` and `app.all()` with a wildcard path are middleware. */
function isRoute(group: Group): boolean {
  return group.handlerIndex >= 0 && !(group.method === 'ALL' && group.path.endsWith('*'))
}

/**
 * Whether a middleware path matches a declared route path, by Hono's rules: `*` matches
 * anything, a trailing `/*` also the path without it (`/admin/*` runs for `/admin`), and a
 * parameter (`:id`, `:id{[0-9]+}`) matches one segment, the route's own parameter included.
 */
function pathMatcher(pattern: string): (path: string) => boolean {
  if (pattern === '*' || pattern === '/*') return () => true
  const source = pattern
    .split(/(\/\*$|\*|:\w+(?:\{[^}]*\})?\??)/)
    .map((part, i) => {
      if (i % 2 === 0) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      if (part === '/*') return '(?:/.*)?'
      if (part === '*') return '.*'
      return '[^/]*'
    })
    .join('')
  const regexp = new RegExp(`^${source}$`)
  return (path) => regexp.test(path)
}
