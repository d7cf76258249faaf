import type { RouteRequirement } from '@scopeguard/core'
import {
  combineRequirements,
  joinRoutePath,
  prefixCovers,
  requirementOf,
  routeMethods,
  type CompiledRequirement,
} from '@scopeguard/core/adapter'
import type { Application, Router } from 'express'

/** The parts of Express 4 and 5 (router 2) layers read here; neither version types them. */
interface Layer {
  readonly handle?: unknown
  readonly route?: { readonly path: unknown; readonly methods?: Record<string, boolean>; readonly stack: readonly Layer[] }
  readonly method?: string
  /** Express 5 (router ≥ 2.3): the path the layer was declared with. */
  readonly rawPath?: unknown
  readonly slash?: boolean
  /** Express 4: the compiled path; the declared one is not kept. */
  readonly regexp?: RegExp & { fast_slash?: boolean }
  readonly keys?: readonly { readonly name: string | number }[]
}

/** Shown for a mount path that cannot be read back (a regular expression, or router 2.0–2.2). */
const UNKNOWN_MOUNT = '/*'

/**
 * Lists the routes guarded by `requireScopes()` (plain or from `defineScopes()`), with the
 * requirement each one has, for documentation and `catalogue.openApi()`. Reads Express 4
 * (`app._router.stack`) and 5 (`app.router.stack`), or a `Router`, nested routers included;
 * a `requireScopes()` used as router middleware applies to the routes declared after it
 * under its path. Sub-applications (`app.use('/v1', otherApp)`) are not followed: list
 * them separately. Regular-expression paths are listed as their source.
 */
export function listRoutes(appOrRouter: Application | Router): RouteRequirement[] {
  const routes: RouteRequirement[] = []
  walk(stackOf(appOrRouter) ?? [], '', [], routes)
  return routes
}

function stackOf(source: unknown): readonly Layer[] | undefined {
  if (typeof source !== 'function' && (typeof source !== 'object' || source === null)) return undefined
  const candidate = source as { stack?: unknown; _router?: { stack?: unknown }; lazyrouter?: unknown; router?: { stack?: unknown } }
  if (Array.isArray(candidate.stack)) return candidate.stack as Layer[]
  // Express 4 keeps its router in `_router` (created lazily) and throws from `app.router`.
  if (typeof candidate.lazyrouter === 'function') return candidate._router?.stack as Layer[] | undefined
  const router = candidate.router
  return Array.isArray(router?.stack) ? (router.stack as Layer[]) : undefined
}

interface Inherited {
  readonly prefix: string
  readonly requirement: CompiledRequirement
}

function walk(stack: readonly Layer[], prefix: string, inherited: readonly Inherited[], routes: RouteRequirement[]): void {
  // Router-level requireScopes() guards only what is declared after it.
  const active = [...inherited]
  for (const layer of stack) {
    const { route } = layer
    if (route !== undefined) {
      // A Set: `all()` adds the same handlers once per method.
      const own = [...new Set(route.stack.map((child) => requirementOf(child.handle)).filter((tag) => tag !== undefined))]
      const methods = route.stack.some((child) => child.method === undefined) || route.methods?._all === true
        ? ['ALL']
        : routeMethods(Object.keys(route.methods ?? {}).filter((method) => route.methods?.[method] === true))
      for (const path of pathsOf(route.path)) {
        const full = joinRoutePath(prefix, path)
        const requirements = [...active.filter((tag) => prefixCovers(tag.prefix, full)).map((tag) => tag.requirement), ...own]
        if (requirements.length === 0) continue
        const requirement = combineRequirements(requirements)
        for (const method of methods) routes.push({ method, path: full, requirement })
      }
      continue
    }
    const child = stackOf(layer.handle)
    for (const mount of mountPaths(layer)) {
      const at = joinRoutePath(prefix, mount)
      if (child !== undefined) walk(child, at === '/' ? '' : at, active, routes)
      else {
        const requirement = requirementOf(layer.handle)
        if (requirement !== undefined) active.push({ prefix: at === '/' ? '' : at, requirement })
      }
    }
  }
}

function pathsOf(path: unknown): string[] {
  if (Array.isArray(path)) return path.flat(Infinity).flatMap(pathsOf)
  if (typeof path === 'string') return [path]
  return [String(path)]
}

function mountPaths(layer: Layer): string[] {
  if (layer.slash === true || layer.regexp?.fast_slash === true) return ['']
  if (layer.rawPath !== undefined) {
    return pathsOf(layer.rawPath).map((path) => (path.startsWith('/') ? path : UNKNOWN_MOUNT))
  }
  if (layer.regexp !== undefined) return [pathFromRegexp(layer.regexp, layer.keys ?? [])]
  return [UNKNOWN_MOUNT]
}

/**
 * Reads an Express 4 mount path back from its regular expression (path-to-regexp 0.1):
 * `^\/users(?:\/([^/]+?))\/?(?=\/|$)` with key `userId` → `/users/:userId` (older 0.1
 * releases write the parameter `\/(?:([^\/]+?))`).
 */
function pathFromRegexp(regexp: RegExp, keys: readonly { readonly name: string | number }[]): string {
  let index = 0
  const path = regexp.source
    .replace(/^\^/, '')
    .replace(/\\\/\?\(\?=\\\/\|\$\)$/, '')
    .replace(/\(\?:(\\\/)?\(\[\^\\?\/\]\+\?\)\)(\?)?/g, (_match, slash?: string, optional?: string) =>
      `${slash === undefined ? '' : '/'}:${String(keys[index++]?.name ?? index)}${optional ?? ''}`)
    .replace(/\\(.)/g, '$1')
  return path.startsWith('/') && !/[()[\]*+?|^$\\]/.test(path.replace(/:\w+\??/g, '')) ? path : UNKNOWN_MOUNT
}
