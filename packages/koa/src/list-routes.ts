import type { RouteRequirement } from '@scopeguard/core'
import {
  combineRequirements,
  prefixCovers,
  requirementOf,
  routeMethods,
  type CompiledRequirement,
} from '@scopeguard/core/adapter'

/** The parts of an `@koa/router` layer read here. */
interface RouterLayer {
  readonly path: string | RegExp
  readonly methods: readonly string[]
  readonly stack: readonly unknown[]
}

/** An `@koa/router` router: nested routers' layers are already in its `stack`, prefixed. */
export interface RouterLike {
  readonly stack: readonly RouterLayer[]
}

/** A Koa app: routers are found through `app.use(router.routes())`. */
export interface AppLike {
  readonly middleware: readonly unknown[]
}

// @koa/router declares router.use() middleware at `<prefix>(?:\/|$)`.
const USE_SUFFIX = '(?:\\/|$)'

/**
 * Lists the routes guarded by `requireScopes()` (plain or from `defineScopes()`), with the
 * requirement each one has, for documentation and `catalogue.openApi()`. Takes an
 * `@koa/router` router (nested routers included: `router.use('/x', nested.routes())` copies
 * their layers in, prefixed) or a Koa app, whose `app.use(router.routes())` routers are read.
 * A `requireScopes()` given to `router.use()` applies to the routes declared after it under
 * its prefix. `HEAD` beside `GET` is left out; `router.all()` routes are `'ALL'`.
 */
export function listRoutes(appOrRouter: RouterLike | AppLike): RouteRequirement[] {
  const routers = 'stack' in appOrRouter
    ? [appOrRouter]
    : appOrRouter.middleware.flatMap((middleware) => {
        const router = (middleware as { router?: unknown }).router
        return isRouter(router) ? [router] : []
      })
  return routers.flatMap(routesOf)
}

function isRouter(value: unknown): value is RouterLike {
  return typeof value === 'object' && value !== null && Array.isArray((value as { stack?: unknown }).stack)
}

function routesOf(router: RouterLike): RouteRequirement[] {
  const routes: RouteRequirement[] = []
  const active: { prefix: string; requirement: CompiledRequirement }[] = []
  for (const layer of router.stack) {
    const own = layer.stack.map(requirementOf).filter((tag) => tag !== undefined)
    const path = String(layer.path)
    if (layer.methods.length === 0) {
      // Router middleware: it guards what is declared after it under its prefix.
      if (!path.endsWith(USE_SUFFIX)) continue
      const prefix = path.slice(0, -USE_SUFFIX.length)
      for (const requirement of own) active.push({ prefix, requirement })
      continue
    }
    const requirements = [...active.filter((tag) => prefixCovers(tag.prefix, path)).map((tag) => tag.requirement), ...own]
    if (requirements.length === 0) continue
    const requirement = combineRequirements(requirements)
    for (const method of routeMethods(layer.methods)) routes.push({ method, path, requirement })
  }
  return routes
}
